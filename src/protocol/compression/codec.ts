/** The contract of a Kafka compression codec, and the error for input it cannot take. */
import { DecodeError } from '../codec-errors.js';

export class CompressionError extends DecodeError {
  override readonly name = 'CompressionError';
}

export interface CompressionCodec {
  readonly name: string;
  /** Compresses off the event loop where the library allows it. */
  compress(data: Buffer): Promise<Buffer>;
  /**
   * Decompresses, refusing (CompressionError) output larger than `maxBytes` or input that is not
   * valid for the codec; never throws anything else.
   */
  decompress(data: Buffer, maxBytes: number): Promise<Buffer>;
}

/** Wraps a library failure (corrupt input) into a CompressionError. */
export async function guarded(codec: string, fn: () => Promise<Buffer> | Buffer): Promise<Buffer> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    throw new CompressionError(`${codec}: cannot decompress: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function tooLarge(codec: string, size: number, maxBytes: number): CompressionError {
  return new CompressionError(`${codec}: output of ${size} bytes exceeds the limit of ${maxBytes}`);
}
