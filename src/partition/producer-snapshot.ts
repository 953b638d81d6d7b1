/**
 * Kafka's producer state snapshot file, `<20-digit offset>.snapshot` in the partition directory:
 * the producers known when the log ended at that offset, one entry per producer for its last batch.
 *
 *   version int16 (1) | crc uint32 (CRC-32C of everything after it) | entry count int32 | entries:
 *   producer id int64 | epoch int16 | last sequence int32 | last offset int64 |
 *   offset delta int32 (last - first sequence of the batch) | max timestamp int64 |
 *   coordinator epoch int32 (-1 before any marker) | current transaction first offset int64 (-1: none open)
 */
import { crc32c } from '../protocol/records/crc.js';
import { snapshotSidecarOffset } from '../storage/file-names.js';

const VERSION = 1;
const HEADER = 2 + 4 + 4;
const ENTRY = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const SUFFIX = '.snapshot';

export interface SnapshotEntry {
  producerId: bigint;
  epoch: number;
  lastSequence: number;
  lastOffset: number;
  offsetDelta: number;
  timestamp: number;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 when none is open. */
  currentTxnFirstOffset: number;
}

export function snapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${SUFFIX}`;
}

/** The offset a snapshot file name stands for, or null for any other file. */
export const snapshotOffset: (name: string) => number | null = snapshotSidecarOffset;

export function encodeSnapshot(entries: SnapshotEntry[]): Buffer {
  const b = Buffer.alloc(HEADER + entries.length * ENTRY);
  b.writeInt16BE(VERSION, 0);
  b.writeInt32BE(entries.length, 6);
  entries.forEach((e, i) => {
    let at = HEADER + i * ENTRY;
    at = b.writeBigInt64BE(e.producerId, at);
    at = b.writeInt16BE(e.epoch, at);
    at = b.writeInt32BE(e.lastSequence, at);
    at = b.writeBigInt64BE(BigInt(e.lastOffset), at);
    at = b.writeInt32BE(e.offsetDelta, at);
    at = b.writeBigInt64BE(BigInt(e.timestamp), at);
    at = b.writeInt32BE(e.coordinatorEpoch, at);
    b.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), at);
  });
  b.writeUInt32BE(crc32c(b.subarray(6)) >>> 0, 2);
  return b;
}

/** The entries of a snapshot, or null when the file is not a whole, valid version-1 snapshot. */
export function decodeSnapshot(b: Buffer): SnapshotEntry[] | null {
  if (b.length < HEADER || b.readInt16BE(0) !== VERSION) return null;
  const count = b.readInt32BE(6);
  if (count < 0 || b.length !== HEADER + count * ENTRY) return null;
  if ((crc32c(b.subarray(6)) >>> 0) !== b.readUInt32BE(2)) return null;
  const out: SnapshotEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * ENTRY;
    out.push({
      producerId: b.readBigInt64BE(at),
      epoch: b.readInt16BE(at + 8),
      lastSequence: b.readInt32BE(at + 10),
      lastOffset: Number(b.readBigInt64BE(at + 14)),
      offsetDelta: b.readInt32BE(at + 22),
      timestamp: Number(b.readBigInt64BE(at + 26)),
      coordinatorEpoch: b.readInt32BE(at + 34),
      currentTxnFirstOffset: Number(b.readBigInt64BE(at + 38)),
    });
  }
  return out;
}
