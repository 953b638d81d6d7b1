/**
 * Snappy (Kafka compression type 2). Two framings reach a broker: librdkafka and most clients send
 * one raw snappy block; the Java client (snappy-java) sends the xerial framing:
 *
 *   magic 82 53 4e 41 50 50 59 00 ("\x82SNAPPY\0") | version int32 | compatible version int32
 *   then chunks: length int32 | raw snappy block
 *
 * Both decompress; a raw block's declared length (its leading varint) is checked against the limit
 * before anything is allocated. Compression writes one raw block.
 */
import type * as Snappy from 'snappy';
import { lazyPackage } from '../lazy-package.js';
import { Reader } from '../reader.js';
import { CompressionError, guarded, tooLarge, type CompressionCodec } from './codec.js';

const snappy = lazyPackage<typeof Snappy>('snappy');
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function declaredLength(block: Buffer): number {
  try {
    return new Reader(block).unsignedVarint();
  } catch {
    throw new CompressionError('snappy: block has no valid length header');
  }
}

async function rawBlock(block: Buffer, maxBytes: number): Promise<Buffer> {
  const size = declaredLength(block);
  if (size > maxBytes) throw tooLarge('snappy', size, maxBytes);
  return (await snappy().uncompress(block)) as Buffer;
}

export const snappyCodec: CompressionCodec = {
  name: 'snappy',
  compress: (data) => snappy().compress(data),
  decompress: (data, maxBytes) =>
    guarded('snappy', async () => {
      if (data.length < 16 || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return rawBlock(data, maxBytes);
      const parts: Buffer[] = [];
      let total = 0;
      let at = 16;
      while (at < data.length) {
        if (at + 4 > data.length) throw new CompressionError('snappy: truncated xerial chunk header');
        const len = data.readInt32BE(at);
        if (len < 0 || at + 4 + len > data.length) throw new CompressionError(`snappy: xerial chunk of ${len} bytes overruns the input`);
        const part = await rawBlock(data.subarray(at + 4, at + 4 + len), maxBytes - total);
        total += part.length;
        parts.push(part);
        at += 4 + len;
      }
      return Buffer.concat(parts, total);
    }),
};
