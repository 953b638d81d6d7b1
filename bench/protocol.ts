/**
 * MB/s counts record payload: large batches travel by reference (no copy), so those figures are
 * high by design; the 200-byte case shows the per-field cost.
 *
 * Protocol codec throughput: encode and decode of Produce requests and Fetch responses carrying
 * 16 KiB record batches, and CRC-32C over a 1 MiB buffer. Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/protocol.js
 */
import { crc32c } from '@node-rs/crc32';
import { Writer } from '../src/protocol/writer.js';
import { Reader } from '../src/protocol/reader.js';
import {
  decodeFetchResponse,
  decodeProduceRequest,
  encodeFetchResponse,
  encodeProduceRequest,
  type FetchResponseInput,
  type ProduceRequestInput,
} from '../src/protocol/generated/index.js';

const BATCH = Buffer.alloc(16 * 1024, 0x61);
const PARTITIONS = 8;

function measure(label: string, bytesPerOp: number, op: () => void): void {
  for (let i = 0; i < 200; i++) op(); // warm-up
  const minNs = 1e9;
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(minNs)) {
    for (let i = 0; i < 100; i++) op();
    ops += 100;
    elapsed = process.hrtime.bigint() - start;
  }
  const seconds = Number(elapsed) / 1e9;
  const mbps = (bytesPerOp * ops) / seconds / 1e6;
  console.log(`${label.padEnd(44)} ${(ops / seconds).toFixed(0).padStart(9)} ops/s ${mbps.toFixed(0).padStart(7)} MB/s`);
}

const produce: ProduceRequestInput = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30000,
  topicData: [{ name: 'bench-topic', partitionData: Array.from({ length: PARTITIONS }, (_, index) => ({ index, records: BATCH })) }],
};
const fetch: FetchResponseInput = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'bench-topic',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      partitions: Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({ partitionIndex, errorCode: 0, highWatermark: 1000n, records: BATCH })),
    },
  ],
};
const payload = BATCH.length * PARTITIONS;

for (const version of [7, 9, 11]) {
  measure(`Produce v${version} encode (writev chunks)`, payload, () => {
    const w = new Writer();
    encodeProduceRequest(w, version, produce);
    w.finish();
  });
  const w = new Writer();
  encodeProduceRequest(w, version, produce);
  const bytes = w.toBuffer();
  measure(`Produce v${version} decode`, payload, () => decodeProduceRequest(new Reader(bytes), version));
}
for (const version of [11, 12, 16]) {
  measure(`Fetch response v${version} encode`, payload, () => {
    const w = new Writer();
    encodeFetchResponse(w, version, fetch);
    w.finish();
  });
  const w = new Writer();
  encodeFetchResponse(w, version, fetch);
  const bytes = w.toBuffer();
  measure(`Fetch response v${version} decode`, payload, () => decodeFetchResponse(new Reader(bytes), version));
}
// Many small batches: per-field codec cost dominates (batches under 512 bytes are copied).
const small: ProduceRequestInput = {
  ...produce,
  topicData: Array.from({ length: 10 }, (_, t) => ({
    name: `topic-${t}`,
    partitionData: Array.from({ length: 100 }, (_, index) => ({ index, records: Buffer.alloc(200, 0x62) })),
  })),
};
for (const version of [7, 11]) {
  const smallBytes = 200 * 1000;
  measure(`Produce v${version} encode, 1000 x 200 B batches`, smallBytes, () => {
    const w = new Writer();
    encodeProduceRequest(w, version, small);
    w.finish();
  });
  const w = new Writer();
  encodeProduceRequest(w, version, small);
  const bytes = w.toBuffer();
  measure(`Produce v${version} decode, 1000 x 200 B batches`, smallBytes, () => decodeProduceRequest(new Reader(bytes), version));
}
const mib = Buffer.alloc(1024 * 1024, 0x5a);
measure('CRC-32C over 1 MiB (@node-rs/crc32)', mib.length, () => crc32c(mib));
