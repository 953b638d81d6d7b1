/**
 * Log validator cost: records/s and MB/s through validateProducedRecords for batches of small
 * (100 B) and larger (1 KiB) records, uncompressed and with each codec, next to the CRC-32C
 * alone (what produce checked before the validator looked at records), and with a topic whose
 * compression.type forces recompression. Batches are validated one after the other, so the
 * figures are one core's; "on the event loop" is the part that blocks other connections (gzip,
 * snappy and lz4 run on the libuv pool, zstd-napi on the calling thread). Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/validator.js [seconds per case, default 1]
 */
import { performance } from 'node:perf_hooks';
import { validateProducedRecords } from '../src/partition/log-validator.js';
import { logValidationConfig, type LogValidationConfig } from '../src/config/log-validation-config.js';
import { BrokerConfig } from '../src/config/broker-configs.js';
import { buildBatch } from '../src/protocol/records/batch-records.js';
import { CompressionType, RecordBatchView } from '../src/protocol/records/record-batch.js';

const seconds = Number(process.argv[2] ?? 1);
const now = Date.now();
const defaults = logValidationConfig(new BrokerConfig(), {});
const CODECS: [string, CompressionType][] = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];

/** Record values that compress about as well as JSON events do (some repetition, some noise). */
function value(i: number, size: number): Buffer {
  const text = `{"id":${i},"user":"user-${i % 97}","event":"click","ts":${now + i},"pad":"`;
  const b = Buffer.alloc(size, 0x20);
  b.write(text);
  for (let j = text.length; j < size; j += 7) b[j] = 0x61 + ((i * 31 + j) % 26);
  return b;
}

async function run(label: string, batch: Buffer, records: number, config: LogValidationConfig, op: 'validate' | 'crc'): Promise<void> {
  const copy = Buffer.from(batch);
  const once = async () => {
    if (op === 'crc') new RecordBatchView(copy).isCrcValid();
    else {
      const r = await validateProducedRecords({ topicPartition: 'bench-0', records: copy, apiVersion: 9, now }, config);
      if (!r.ok) throw new Error(`${label}: ${r.message}`);
    }
  };
  for (let i = 0; i < 20; i++) await once();
  let batches = 0;
  const elu = performance.eventLoopUtilization();
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (let i = 0; i < 10; i++) await once();
    batches += 10;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  // Time the event loop itself was busy: what other connections wait for (pool work is not in it).
  const loopMs = performance.eventLoopUtilization(elu).active;
  const recs = (batches * records) / elapsed;
  const mb = (batches * batch.length) / elapsed / 1e6;
  console.log(`${label.padEnd(52)} ${(recs / 1e6).toFixed(2).padStart(7)} M records/s ${mb.toFixed(0).padStart(6)} MB/s (wire)  ${(elapsed / batches * 1e6).toFixed(0).padStart(6)} µs/batch ${((loopMs * 1000) / batches).toFixed(0).padStart(6)} µs/batch on the event loop`);
}

for (const [size, count] of [[100, 1000], [1024, 500]] as const) {
  const recs = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`key-${i % 50}`), value: value(i, size), timestamp: now + (i % 10) }));
  for (const [name, codec] of CODECS) {
    const batch = await buildBatch(recs, { compression: codec });
    if (codec === CompressionType.None) await run(`${count} x ${size} B, CRC-32C only`, batch, count, defaults, 'crc');
    await run(`${count} x ${size} B, ${name} (${batch.length} B)`, batch, count, defaults, 'validate');
  }
  const plain = await buildBatch(recs);
  for (const target of ['lz4', 'zstd', 'gzip'] as const) {
    await run(`${count} x ${size} B, none -> compression.type=${target}`, plain, count, logValidationConfig(new BrokerConfig(), { 'compression.type': target }), 'validate');
  }
}
