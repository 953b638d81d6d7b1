/**
 * An acks=all load for cluster fault tests: one idempotent kafkajs producer, one loop per
 * partition each sending one record at a time (`r<i>-p<partition>`, i in order) and noting each
 * acknowledgement. One partition per send on purpose: a kafkajs send that spans brokers keeps the
 * answers of brokers that already replied across its retries, so when leadership moves to one of
 * them the moved partition's messages are never sent again, yet the send resolves
 * (tulios/kafkajs#1303, #1798) and the next record reuses their sequence number. That is the
 * client losing records, not the broker, and it would hide what these tests look for.
 *
 * `readBack` reads each partition from the start through the cluster with kcat (no consumer
 * group) and `audit` compares with what was acknowledged.
 */
import assert from 'node:assert/strict';
import type kafkajs from 'kafkajs';
import { kcat } from './kcat.js';

export interface AckedLoad {
  /** Acknowledged values, per partition, in acknowledgement order. */
  readonly acknowledged: string[][];
  /** Sends that failed for good (kafkajs gave up retrying). */
  readonly failures: string[];
  total(): number;
  stop(): Promise<void>;
}

export async function startAckedLoad(kafka: kafkajs.Kafka, topic: string, partitions: number): Promise<AckedLoad> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 1000, initialRetryTime: 50, maxRetryTime: 300 } });
  await producer.connect();
  const acknowledged = Array.from({ length: partitions }, (): string[] => []);
  const failures: string[] = [];
  let running = true;
  let stopping: Promise<void> | null = null;
  const loops = acknowledged.map(async (acked, partition) => {
    for (let i = 0; running; ) {
      const value = `r${i}-p${partition}`;
      try {
        await producer.send({ topic, acks: -1, timeout: 5000, messages: [{ partition, value }] });
        acked.push(value);
        i++;
      } catch (err) {
        failures.push(`${value}: ${String(err)}`);
      }
    }
  });
  return {
    acknowledged,
    failures,
    total: () => acknowledged.reduce((n, a) => n + a.length, 0),
    stop() {
      running = false;
      stopping ??= Promise.all(loops).then(() => producer.disconnect());
      return stopping;
    },
  };
}

/** Every value of `topic`-`partition` from its start, as the cluster serves it now. */
export async function readBack(bootstrap: readonly string[], topic: string, partition: number): Promise<string[]> {
  const { stdout } = await kcat(['-C', '-b', bootstrap.join(','), '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
  return stdout.split('\n').filter((l) => l !== '');
}

/** Asserts each acknowledged value is in `got` exactly once and in acknowledgement order. */
export function auditPartition(partition: number, acknowledged: readonly string[], got: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const v of got) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.deepEqual(acknowledged.filter((v) => !counts.has(v)), [], `partition ${partition}: acknowledged records lost`);
  assert.deepEqual([...counts].filter(([, n]) => n > 1).map(([v]) => v), [], `partition ${partition}: records written twice`);
  const wasAcked = new Set(acknowledged);
  assert.deepEqual(got.filter((v) => wasAcked.has(v)), acknowledged, `partition ${partition}: acknowledged records out of order`);
}
