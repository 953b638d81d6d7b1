/**
 * The purgatory under 10,000 waiting fetches woken by appends. Prints figures; asserts nothing.
 *
 *  1. In process: 10,000 delayed fetches (partition/delayed-fetch.ts) over 1, 100 and 1,000
 *     partitions of in-memory logs; one append per partition wakes them. Figures: fetches woken
 *     per second (from the first append to the last wake-up), fetches put to wait per second,
 *     and the cost of the check an append makes when nothing waits.
 *  2. End to end: a broker (in-memory storage) with 10,000 long polls pipelined on 20 raw
 *     connections (500 each) over 100 partitions; one Produce to every partition wakes them.
 *     Figure: fetches answered per second, from the produce to the last answer.
 *
 *   npm run build && node dist/bench/purgatory.js [rounds, default 5]
 */
import { ReplicaManager, type PartitionLogStore } from '../src/partition/replica-manager.js';
import { MemoryLog } from '../src/storage/memory-log.js';
import { waitForFetchData, type FetchWatch } from '../src/partition/delayed-fetch.js';
import { READ_UNCOMMITTED, type Partition } from '../src/partition/partition.js';
import { buildBatch } from '../src/protocol/records/batch-records.js';
import { startBroker } from '../src/broker/broker.js';
import { RawClient } from '../test/helpers/raw-client.js';
import type { MetadataResponse, ProduceResponse } from '../src/protocol/generated/index.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const FETCHES = 10_000;
const template = await buildBatch([{ key: null, value: Buffer.alloc(100, 0x62), timestamp: Date.now() }]);

const memoryStore: PartitionLogStore = {
  open: async () => new MemoryLog(),
  syncCreated: async () => {},
  remove: async () => {},
  setAsideUnowned: async () => {},
  reconfigure: () => {},
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const rate = (n: number, secs: number) => `${Math.round(n / secs).toLocaleString('en-US').padStart(11)}/s`;

async function inProcess(partitionCount: number): Promise<void> {
  const replicas = new ReplicaManager(memoryStore);
  await replicas.createPartitions({ name: 'bench', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: partitionCount, configs: {} }, Array.from({ length: partitionCount }, (_, i) => i));
  const parts = Array.from({ length: partitionCount }, (_, i) => replicas.get('bench', i) as Partition);
  const woken: number[] = [];
  const armed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const armStart = process.hrtime.bigint();
    const waits = Array.from({ length: FETCHES }, (_, i) => {
      const p = parts[i % partitionCount];
      const watch: FetchWatch = { partition: p, fetchOffset: p.logEndOffset, currentLeaderEpoch: -1, seenHighWatermark: p.highWatermark, seenLastStableOffset: p.lastStableOffset };
      return waitForFetchData(replicas.purgatory, { watches: [watch], isolationLevel: READ_UNCOMMITTED, lookup: (t, x) => replicas.get(t, x), timeoutMs: 30_000 });
    });
    armed.push(seconds(armStart));
    if (replicas.waitingFetches !== FETCHES) throw new Error(`${replicas.waitingFetches} fetches waiting, expected ${FETCHES}`);
    const wakeStart = process.hrtime.bigint();
    await Promise.all(parts.map((p) => p.append(Buffer.from(template), null)));
    const outcomes = await Promise.all(waits);
    woken.push(seconds(wakeStart));
    if (outcomes.some((o) => o !== 'completed') || replicas.purgatory.waiting !== 0) throw new Error('a fetch did not wake at the append');
  }
  // What an append pays when no fetch waits on its partition: the change notice reaches the purgatory and finds no entry.
  const idle = parts[0];
  const notices = 1_000_000;
  const idleStart = process.hrtime.bigint();
  for (let i = 0; i < notices; i++) idle.notify();
  const perNotice = (seconds(idleStart) / notices) * 1e9;
  console.log(
    `in process, ${String(partitionCount).padStart(5)} partitions: woken ${rate(FETCHES, median(woken))}  put to wait ${rate(FETCHES, median(armed))}  ` +
      `idle change notice ${perNotice.toFixed(0)} ns  (median of ${ROUNDS} rounds of ${FETCHES} fetches; ${replicas.purgatory.watchedKeys} keys left watched)`,
  );
  await replicas.close();
}

async function endToEnd(): Promise<void> {
  const partitionCount = 100;
  const connections = 20;
  const perConnection = FETCHES / connections;
  const broker = await startBroker({ port: 0, storage: 'memory', config: { 'num.partitions': String(partitionCount), 'tributary.connection.max.inflight.requests': String(perConnection) } });
  const producer = await RawClient.open(broker.bootstrap);
  const consumers = await Promise.all(Array.from({ length: connections }, () => RawClient.open(broker.bootstrap)));
  try {
    producer.sendRequest(3, 12, 1, { topics: [{ name: 'bench', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    const metadata = (await producer.response(3, 12))?.body as MetadataResponse;
    if (metadata.topics[0].partitions.length !== partitionCount) throw new Error('the bench topic was not created with its partitions');
    const answered: number[] = [];
    let correlation = 10;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [c, client] of consumers.entries()) {
        for (let i = 0; i < perConnection; i++) {
          const partition = (c * perConnection + i) % partitionCount;
          client.sendRequest(1, 12, correlation++, {
            replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 4096, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
            topics: [{ topic: 'bench', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(round), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 4096 }] }],
          });
        }
      }
      while (broker.waitingFetches() < FETCHES) await new Promise((r) => setTimeout(r, 5));
      const start = process.hrtime.bigint();
      const partitionData = Array.from({ length: partitionCount }, (_, index) => ({ index, records: Buffer.from(template) }));
      producer.sendRequest(0, 9, correlation++, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'bench', partitionData }] });
      await Promise.all(consumers.map(async (client) => {
        for (let i = 0; i < perConnection; i++) if (!(await client.nextFrame(30_000))) throw new Error('a consumer connection closed');
      }));
      answered.push(seconds(start));
      const produced = (await producer.response(0, 9))?.body as ProduceResponse;
      if (produced.responses[0].partitionResponses.some((p) => p.errorCode !== 0)) throw new Error('the produce failed');
    }
    console.log(`end to end, ${partitionCount} partitions, ${connections} connections: answered ${rate(FETCHES, median(answered))}  (median of ${ROUNDS} rounds of ${FETCHES} long polls woken by one produce)`);
  } finally {
    producer.close();
    for (const c of consumers) c.close();
    await broker.stop();
  }
}

for (const partitions of [1, 100, 1000]) await inProcess(partitions);
await endToEnd();
