import { crc32c } from './crc.js';

/**
 * A zero-copy view over one RecordBatch (magic 2) as it travels on the wire and lies on disk.
 *
 *   offset  size  field
 *        0     8  baseOffset             patched by the broker on append
 *        8     4  batchLength            bytes after this field (total size - 12)
 *       12     4  partitionLeaderEpoch   stamped by the broker on append (not covered by the CRC)
 *       16     1  magic                  2
 *       17     4  crc                    CRC-32C of bytes [21, end)
 *       21     2  attributes             bits 0-2 compression, 3 timestamp type, 4 transactional,
 *                                        5 control, 6 delete horizon set
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp
 *       35     8  maxTimestamp
 *       43     8  producerId
 *       51     2  producerEpoch
 *       53     4  baseSequence
 *       57     4  recordCount
 *       61     …  records (compressed as one block when the compression bits are set)
 */
export const BATCH_HEADER_SIZE = 61;
/** Bytes before `batchLength`'s coverage begins: baseOffset + batchLength. */
export const BATCH_LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;

export const OFFSET_BASE_OFFSET = 0;
export const OFFSET_BATCH_LENGTH = 8;
export const OFFSET_LEADER_EPOCH = 12;
export const OFFSET_MAGIC = 16;
export const OFFSET_CRC = 17;
export const OFFSET_ATTRIBUTES = 21;
export const OFFSET_LAST_OFFSET_DELTA = 23;
export const OFFSET_BASE_TIMESTAMP = 27;
export const OFFSET_MAX_TIMESTAMP = 35;
export const OFFSET_PRODUCER_ID = 43;
export const OFFSET_PRODUCER_EPOCH = 51;
export const OFFSET_BASE_SEQUENCE = 53;
export const OFFSET_RECORD_COUNT = 57;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const DELETE_HORIZON_FLAG = 0x40;

/** Reads the header fields of the batch that starts at `offset` in `buf`; `patch*` write in place. */
export class RecordBatchView {
  constructor(
    readonly buf: Buffer,
    readonly offset = 0,
  ) {}

  /** Total size of the batch in bytes, header included. */
  get sizeInBytes(): number {
    return this.batchLength + BATCH_LOG_OVERHEAD;
  }
  get baseOffset(): bigint {
    return this.buf.readBigInt64BE(this.offset + OFFSET_BASE_OFFSET);
  }
  get batchLength(): number {
    return this.buf.readInt32BE(this.offset + OFFSET_BATCH_LENGTH);
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.offset + OFFSET_LEADER_EPOCH);
  }
  get magic(): number {
    return this.buf.readInt8(this.offset + OFFSET_MAGIC);
  }
  get crc(): number {
    return this.buf.readUInt32BE(this.offset + OFFSET_CRC);
  }
  get attributes(): number {
    return this.buf.readInt16BE(this.offset + OFFSET_ATTRIBUTES);
  }
  get compression(): CompressionType {
    return this.attributes & COMPRESSION_MASK;
  }
  get timestampType(): TimestampType {
    return this.attributes & TIMESTAMP_TYPE_FLAG ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_FLAG) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_FLAG) !== 0;
  }
  get hasDeleteHorizon(): boolean {
    return (this.attributes & DELETE_HORIZON_FLAG) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.offset + OFFSET_LAST_OFFSET_DELTA);
  }
  /** Offset of the last record: baseOffset + lastOffsetDelta. */
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta);
  }
  get baseTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.offset + OFFSET_BASE_TIMESTAMP);
  }
  get maxTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.offset + OFFSET_MAX_TIMESTAMP);
  }
  get producerId(): bigint {
    return this.buf.readBigInt64BE(this.offset + OFFSET_PRODUCER_ID);
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(this.offset + OFFSET_PRODUCER_EPOCH);
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(this.offset + OFFSET_BASE_SEQUENCE);
  }
  get recordCount(): number {
    return this.buf.readInt32BE(this.offset + OFFSET_RECORD_COUNT);
  }

  /** The whole batch's bytes (a view, no copy). */
  bytes(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.sizeInBytes);
  }

  /** The records section (compressed when the compression bits are set). */
  recordsBytes(): Buffer {
    return this.buf.subarray(this.offset + BATCH_HEADER_SIZE, this.offset + this.sizeInBytes);
  }

  /** CRC-32C of the bytes from `attributes` to the end of the batch. */
  computeCrc(): number {
    return crc32c(this.buf.subarray(this.offset + OFFSET_ATTRIBUTES, this.offset + this.sizeInBytes)) >>> 0;
  }

  isCrcValid(): boolean {
    return this.computeCrc() === this.crc;
  }

  /** Rewrites the base offset in place (outside the CRC's range, so the CRC stays valid). */
  patchBaseOffset(baseOffset: bigint): void {
    this.buf.writeBigInt64BE(baseOffset, this.offset + OFFSET_BASE_OFFSET);
  }

  /** Rewrites the partition leader epoch in place (outside the CRC's range). */
  patchPartitionLeaderEpoch(epoch: number): void {
    this.buf.writeInt32BE(epoch, this.offset + OFFSET_LEADER_EPOCH);
  }

  /**
   * Sets LogAppendTime: timestamp type bit and max timestamp, then recomputes the CRC, because both
   * lie inside the CRC's range (Kafka does the same when a topic uses LogAppendTime).
   */
  patchLogAppendTime(timestamp: bigint): void {
    const attrs = this.attributes | TIMESTAMP_TYPE_FLAG;
    this.buf.writeInt16BE(attrs, this.offset + OFFSET_ATTRIBUTES);
    this.buf.writeBigInt64BE(timestamp, this.offset + OFFSET_MAX_TIMESTAMP);
    this.buf.writeUInt32BE(this.computeCrc(), this.offset + OFFSET_CRC);
  }
}
