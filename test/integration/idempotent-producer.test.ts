// Idempotent producers: InitProducerId hands out ids; a retried batch is stored once and answered
// with its first offset; sequence gaps and old epochs are refused; kafkajs and librdkafka with
// idempotence on produce normally.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import type { InitProducerIdResponse, ProduceResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.stop();
});

test('retries are stored once; gaps and old epochs are refused', async () => {
  await kcat(['-b', broker.bootstrap, '-L', '-t', 'idem']);
  const c = await RawClient.open(broker.bootstrap);
  let id = 1;
  const call = async <T>(key: number, version: number, body: unknown): Promise<T> => {
    c.sendRequest(key, version, id++, body);
    return (await c.response(key, version))?.body as T;
  };
  const init = await call<InitProducerIdResponse>(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, 0);
  const second = await call<InitProducerIdResponse>(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.notEqual(second.producerId, init.producerId, 'every producer gets its own id');
  const txn = await call<InitProducerIdResponse>(22, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  // As from Kafka: before any FindCoordinator created __transaction_state, no broker coordinates the id.
  assert.equal(txn.errorCode, ErrorCode.NOT_COORDINATOR, 'a transactional id goes to its coordinator');
  const send = async (seq: number, count: number, epoch = init.producerEpoch) => {
    const records = await buildBatch(Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`s${seq + i}`), timestamp: 1000 })), { producerId: init.producerId, producerEpoch: epoch, baseSequence: seq });
    const res = await call<ProduceResponse>(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }] });
    const p = res.responses[0].partitionResponses[0];
    return [p.errorCode, Number(p.baseOffset)];
  };
  assert.deepEqual(await send(0, 3), [0, 0]);
  assert.deepEqual(await send(3, 2), [0, 3]);
  assert.deepEqual(await send(3, 2), [0, 3], 'a retry gets the offset of the first append');
  assert.deepEqual((await send(9, 1))[0], ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(await send(5, 1), [0, 5]);
  assert.deepEqual(await send(0, 1, 1), [0, 6], 'a new epoch starts again at sequence 0');
  assert.deepEqual((await send(1, 1, 0))[0], ErrorCode.INVALID_PRODUCER_EPOCH);
  c.close();
  const stored = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'idem', '-o', 'beginning', '-e', '-J'])).stdout);
  assert.deepEqual(stored.map((m) => m.payload), ['s0', 's1', 's2', 's3', 's4', 's5', 's0']);
});

test('kafkajs with idempotent: true and kcat with enable.idempotence=true produce', async () => {
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < 5; i++) await producer.send({ topic: 'idem-js', acks: -1, messages: [{ value: `js${i}` }, { value: `js${i}b` }] });
  await producer.disconnect();
  const r = await kcat(['-b', broker.bootstrap, '-P', '-t', 'idem-rd', '-X', 'enable.idempotence=true'], Array.from({ length: 100 }, (_, i) => `rd${i}`).join('\n') + '\n');
  assert.equal(r.code, 0, r.stderr);
  const js = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'idem-js', '-o', 'beginning', '-e', '-J'])).stdout);
  assert.equal(js.length, 10);
  const rd = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'idem-rd', '-o', 'beginning', '-e', '-J'])).stdout);
  assert.deepEqual(rd.map((m) => m.payload), Array.from({ length: 100 }, (_, i) => `rd${i}`));
});

test('a clean restart keeps producer state: a retry after the restart is still recognised', async () => {
  const { tempDir } = await import('../helpers/storage.js');
  const { dir, cleanup } = await tempDir('tributary-idem-');
  try {
    let b = await startBroker({ port: 0, dataDir: dir });
    await kcat(['-b', b.bootstrap, '-L', '-t', 'idem-restart']);
    let c = await RawClient.open(b.bootstrap);
    c.sendRequest(22, 4, 1, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const init = (await c.response(22, 4))?.body as InitProducerIdResponse;
    const batch = (seq: number) => buildBatch([{ key: null, value: Buffer.from(`r${seq}`), timestamp: Date.now() }], { producerId: init.producerId, producerEpoch: 0, baseSequence: seq });
    const send = async (client: RawClient, seq: number) => {
      client.sendRequest(0, 9, 2, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem-restart', partitionData: [{ index: 0, records: await batch(seq) }] }] });
      const p = ((await client.response(0, 9))?.body as ProduceResponse).responses[0].partitionResponses[0];
      return [p.errorCode, Number(p.baseOffset)];
    };
    assert.deepEqual(await send(c, 0), [0, 0]);
    assert.deepEqual(await send(c, 1), [0, 1]);
    c.close();
    await b.stop();
    b = await startBroker({ port: 0, dataDir: dir });
    try {
      c = await RawClient.open(b.bootstrap);
      assert.deepEqual(await send(c, 1), [0, 1], 'the retry of sequence 1 is recognised after the restart');
      assert.equal((await send(c, 5))[0], ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'and a gap is still refused');
      assert.deepEqual(await send(c, 2), [0, 2]);
      c.close();
      const stored = parseJsonLines((await kcat(['-b', b.bootstrap, '-C', '-t', 'idem-restart', '-o', 'beginning', '-e', '-J'])).stdout);
      assert.deepEqual(stored.map((m) => m.payload), ['r0', 'r1', 'r2']);
    } finally {
      await b.stop();
    }
  } finally {
    await cleanup();
  }
});
