// The error-code census behind kafka_network_requestmetrics_errors_total: every errorCode field of
// a response tree, as Kafka's errorCounts() counts them, never descending into record bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectErrorCodes } from '../../../src/http/metrics/request-metrics.js';

test('counts top-level, per-topic and per-partition error codes', () => {
  const counts = new Map<number, number>();
  collectErrorCodes(
    {
      errorCode: 0,
      responses: [
        { name: 't', errorCode: 3, partitions: [{ errorCode: 0 }, { errorCode: 6 }, { errorCode: 6, records: Buffer.from('errorCode') }] },
        { name: 'u', partitions: [] },
      ],
    },
    counts,
    0,
  );
  assert.deepEqual([...counts].sort((a, b) => a[0] - b[0]), [
    [0, 2],
    [3, 1],
    [6, 2],
  ]);
});

test('ignores what is not a response tree', () => {
  const counts = new Map<number, number>();
  for (const v of [null, undefined, 5, 'errorCode', Buffer.alloc(10), new Uint8Array(4), { errorCode: '3' }]) collectErrorCodes(v, counts, 0);
  assert.equal(counts.size, 0);
  // Depth is bounded.
  let deep: Record<string, unknown> = { errorCode: 1 };
  for (let i = 0; i < 50; i++) deep = { inner: deep };
  collectErrorCodes(deep, counts, 0);
  assert.equal(counts.size, 0);
});
