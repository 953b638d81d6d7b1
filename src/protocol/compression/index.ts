/** Kafka's compression codecs by the compression type of a record batch (attributes bits 0-2). */
import { CompressionType } from '../records/record-batch.js';
import { CompressionError, type CompressionCodec } from './codec.js';
import { gzipCodec } from './gzip.js';
import { snappyCodec } from './snappy.js';
import { lz4Codec } from './lz4.js';
import { zstdCodec } from './zstd.js';

const CODECS: ReadonlyMap<number, CompressionCodec> = new Map([
  [CompressionType.Gzip, gzipCodec],
  [CompressionType.Snappy, snappyCodec],
  [CompressionType.Lz4, lz4Codec],
  [CompressionType.Zstd, zstdCodec],
]);

/** The codec of a compression type; throws CompressionError for types Kafka does not define. */
export function codecFor(type: number): CompressionCodec {
  const codec = CODECS.get(type);
  if (!codec) throw new CompressionError(`unknown compression type ${type}`);
  return codec;
}

export { CompressionError, type CompressionCodec };
