/**
 * LZ4 (Kafka compression type 3) in the LZ4 frame format, which Kafka's clients use since magic 1:
 *
 *   magic 04 22 4d 18 | FLG | BD | [content size uint64 LE when FLG bit 3] | [dict id] | HC
 *   then blocks: size uint32 LE (high bit: stored uncompressed) | data | [block checksum], end mark 0
 *
 * A declared content size is checked against the limit. Without one, the output cannot exceed
 * 255 times the input (LZ4's largest ratio), which the limit is checked against instead.
 */
import type * as Lz4Napi from 'lz4-napi';
import { lazyPackage } from '../lazy-package.js';
import { CompressionError, guarded, tooLarge, type CompressionCodec } from './codec.js';

const lz4 = lazyPackage<typeof Lz4Napi>('lz4-napi');
const MAGIC = 0x184d2204;
const MAX_RATIO = 255;
/** Largest worst-case output accepted for frames that do not declare their size. */
const WORST_CASE_CAP = 256 * 1024 * 1024;

export const lz4Codec: CompressionCodec = {
  name: 'lz4',
  compress: (data) => lz4().compressFrame(data),
  decompress: (data, maxBytes) =>
    guarded('lz4', async () => {
      if (data.length < 7 || data.readUInt32LE(0) !== MAGIC) throw new CompressionError('lz4: not an LZ4 frame');
      const flg = data[4];
      if (flg & 0x08) {
        if (data.length < 15) throw new CompressionError('lz4: truncated frame header');
        const size = Number(data.readBigUInt64LE(6));
        if (size > maxBytes) throw tooLarge('lz4', size, maxBytes);
      } else if (data.length * MAX_RATIO > Math.max(maxBytes, WORST_CASE_CAP)) {
        // No declared size: refuse input whose worst case expansion is beyond what may be held.
        throw tooLarge('lz4', data.length * MAX_RATIO, maxBytes);
      }
      const out = await lz4().decompressFrame(data);
      if (out.length > maxBytes) throw tooLarge('lz4', out.length, maxBytes);
      return out;
    }),
};
