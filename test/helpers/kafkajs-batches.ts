/**
 * Record batches encoded by kafkajs' own RecordBatch and Record encoders (a real client's bytes),
 * through its internal modules; snappy, LZ4 and zstd go through the codecs registered the way
 * kafkajs users register them.
 */
import { createRequire } from 'node:module';
import { registerKafkajsCodecs } from './kafkajs-codecs.js';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
type RecordBatchFn = (o: { compression: number; firstTimestamp: number; maxTimestamp: number; lastOffsetDelta: number; records: unknown[] }) => Promise<KafkajsEncoder>;
type RecordFn = (o: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }) => unknown;

const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: RecordBatchFn };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as RecordFn;

export interface SampleRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: number;
}

/** compression: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (Kafka's codes, which kafkajs shares). */
export async function kafkajsBatch(records: SampleRecord[], compression: number): Promise<Buffer> {
  registerKafkajsCodecs();
  const first = records[0].timestamp;
  const encoded = records.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.timestamp - first, key: r.key, value: r.value, headers: r.headers }));
  const batch = await RecordBatch({ compression, firstTimestamp: first, maxTimestamp: Math.max(...records.map((r) => r.timestamp)), lastOffsetDelta: records.length - 1, records: encoded });
  return batch.buffer;
}
