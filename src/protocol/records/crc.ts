/**
 * The two checksums of Kafka's record formats, from @node-rs/crc32 (native): CRC-32C for
 * RecordBatch v2 (and our own checkpoint files), CRC-32 for the legacy message sets. The package
 * loads at the first checksum, not on the broker's start path.
 */
import type * as NodeRsCrc32 from '@node-rs/crc32';
import { lazyPackage } from '../lazy-package.js';

const native = lazyPackage<typeof NodeRsCrc32>('@node-rs/crc32');

export function crc32c(data: Buffer): number {
  return native().crc32c(data);
}

export function crc32(data: Buffer): number {
  return native().crc32(data);
}
