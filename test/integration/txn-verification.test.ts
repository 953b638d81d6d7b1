// KIP-890 produce verification: a transactional batch opens a transaction on a partition only if
// the coordinator has that partition in the producer's ongoing transaction. A batch for a
// partition never added, or sent after the transaction ended (a zombie's late write, which would
// otherwise hang the partition's last stable offset), is refused with INVALID_TXN_STATE and not
// appended; with transaction.partition.verification.enable=false it is appended as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { AddPartitionsToTxnResponse, CreateTopicsResponse, EndTxnResponse, FindCoordinatorResponse, InitProducerIdResponse, ListOffsetsResponse, ProduceResponse } from '../../src/protocol/generated/index.js';

const TOPIC = 'verified';

interface Producer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

class TxnClient {
  constructor(
    readonly conn: KafkaConnection,
    readonly transactionalId: string,
  ) {}

  async init(): Promise<Producer> {
    for (;;) {
      const found = await this.conn.request<FindCoordinatorResponse>(10, 2, { key: this.transactionalId, keyType: 1 });
      const init = found.errorCode === 0 ? await this.conn.request<InitProducerIdResponse>(22, 1, { transactionalId: this.transactionalId, transactionTimeoutMs: 60_000 }) : null;
      // The coordinator loads its partition right after FindCoordinator created the topic.
      if (init && init.errorCode === 0) return init;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async add(p: Producer, partitions: number[]): Promise<number[]> {
    const r = await this.conn.request<AddPartitionsToTxnResponse>(24, 1, { v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions }] });
    return r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((x) => x.partitionErrorCode));
  }

  async produce(p: Producer, partition: number, seq: number, value: string): Promise<number> {
    const records = await buildBatch([{ key: null, value: Buffer.from(value), timestamp: Date.now() }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq, transactional: true });
    const r = await this.conn.request<ProduceResponse>(0, 7, { transactionalId: this.transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] });
    return r.responses[0].partitionResponses[0].errorCode;
  }

  async end(p: Producer, committed: boolean): Promise<number> {
    for (;;) {
      const r = await this.conn.request<EndTxnResponse>(26, 1, { transactionalId: this.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });
      if (r.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS) return r.errorCode;
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async logEnd(partition: number): Promise<bigint> {
    const r = await this.conn.request<ListOffsetsResponse>(2, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, timestamp: -1n }] }] });
    return r.topics[0].partitions[0].offset;
  }
}

async function setUp(config: Record<string, string>): Promise<{ broker: RunningBroker; client: TxnClient }> {
  const broker = await startBroker({ port: 0, config });
  const conn = await KafkaConnection.open(broker.bootstrap);
  const created = await conn.request<CreateTopicsResponse>(19, 3, { topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics[0].errorCode, 0);
  return { broker, client: new TxnClient(conn, 'verify-tx') };
}

let on: { broker: RunningBroker; client: TxnClient };
let off: { broker: RunningBroker; client: TxnClient };

before(async () => {
  on = await setUp({});
  off = await setUp({ 'transaction.partition.verification.enable': 'false' });
});
after(async () => {
  for (const s of [on, off]) {
    s.client.conn.close();
    await s.broker.stop();
  }
});

test('a transactional batch for a partition outside the transaction is refused and not written', async () => {
  const { client } = on;
  const p = await client.init();
  assert.deepEqual(await client.add(p, [0]), [ErrorCode.NONE]);
  assert.equal(await client.produce(p, 1, 0, 'not added'), ErrorCode.INVALID_TXN_STATE);
  assert.equal(await client.logEnd(1), 0n, 'nothing was appended to the partition left out');
  assert.equal(await client.produce(p, 0, 0, 'added'), ErrorCode.NONE);
  assert.equal(await client.logEnd(0), 1n);
  assert.equal(await client.end(p, true), ErrorCode.NONE);
});

test("a batch arriving after its transaction was aborted does not open a hanging transaction", async () => {
  const { client } = on;
  const p = await client.init();
  const start = await client.logEnd(0);
  assert.deepEqual(await client.add(p, [0]), [ErrorCode.NONE]);
  assert.equal(await client.produce(p, 0, 0, 'in the transaction'), ErrorCode.NONE);
  assert.equal(await client.end(p, false), ErrorCode.NONE);
  // A zombie's delayed write of the next sequence, at the same epoch, with no AddPartitionsToTxn.
  // While the abort's markers are being written the coordinator cannot say yet (CONCURRENT_TRANSACTIONS),
  // which the producer is told as the retriable NOT_ENOUGH_REPLICAS; it retries, as clients do.
  let late: number;
  let retriable = 0;
  while ((late = await client.produce(p, 0, 1, 'late')) === ErrorCode.NOT_ENOUGH_REPLICAS) {
    retriable++;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(late, ErrorCode.INVALID_TXN_STATE, `refused after ${retriable} retriable answers`);
  assert.equal(await client.logEnd(0), start + 2n, 'the partition holds the batch and the abort marker, not the late batch');
});

test('with verification off the same batch is appended', async () => {
  const { client } = off;
  const p = await client.init();
  assert.deepEqual(await client.add(p, [0]), [ErrorCode.NONE]);
  assert.equal(await client.produce(p, 1, 0, 'not added'), ErrorCode.NONE);
  assert.equal(await client.logEnd(1), 1n);
});
