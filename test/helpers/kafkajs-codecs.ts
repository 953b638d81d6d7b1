/**
 * Snappy, LZ4 and ZSTD for kafkajs, plugged in the documented way (kafkajs ships only GZIP and
 * lets applications register the others). The codecs are this project's own native dependencies.
 */
import kafkajs from 'kafkajs';
import snappy from 'snappy';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface Encoder {
  buffer: Buffer;
}

function codec(compress: (b: Buffer) => Promise<Buffer> | Buffer, decompress: (b: Buffer) => Promise<Buffer> | Buffer) {
  return () => ({
    compress: async (encoder: Encoder) => compress(encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(buffer),
  });
}

let registered = false;

export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = codec((b) => snappy.compress(b), async (b) => (await snappy.uncompress(b)) as Buffer);
  CompressionCodecs[CompressionTypes.LZ4] = codec((b) => compressFrame(b), (b) => decompressFrame(b));
  CompressionCodecs[CompressionTypes.ZSTD] = codec((b) => zstdCompress(b), (b) => zstdDecompress(b));
}
