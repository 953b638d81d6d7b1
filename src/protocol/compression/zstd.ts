/**
 * zstd (Kafka compression type 4) through zstd-napi (Node 20 has no zstd in node:zlib). The output
 * is produced by a streaming decompressor and counted, so a frame that expands past the limit is
 * stopped there, whether or not its header declares a content size.
 */
import type * as ZstdNapi from 'zstd-napi';
import { lazyPackage } from '../lazy-package.js';
import { CompressionError, guarded, tooLarge, type CompressionCodec } from './codec.js';

const zstd = lazyPackage<typeof ZstdNapi>('zstd-napi');

function decompressBounded(data: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const stream = new (zstd().DecompressStream)();
    const parts: Buffer[] = [];
    let total = 0;
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes && !failed) {
        failed = true;
        stream.destroy();
        reject(tooLarge('zstd', total, maxBytes));
        return;
      }
      parts.push(chunk);
    });
    stream.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(new CompressionError(`zstd: cannot decompress: ${err.message}`));
      }
    });
    stream.on('end', () => {
      if (!failed) resolve(Buffer.concat(parts, total));
    });
    stream.end(data);
  });
}

export const zstdCodec: CompressionCodec = {
  name: 'zstd',
  // zstd-napi's one-shot compression is synchronous; it runs only off the produce path.
  compress: async (data) => zstd().compress(data),
  decompress: (data, maxBytes) => guarded('zstd', () => decompressBounded(data, maxBytes)),
};
