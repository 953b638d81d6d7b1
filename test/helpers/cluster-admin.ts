/**
 * Raw-frame admin calls for cluster tests: one request on a fresh connection to one broker,
 * Metadata's partition states of a topic, the controller's node id, and a bounded wait for a
 * condition over them.
 */
import assert from 'node:assert/strict';
import { RawClient } from './raw-client.js';

let correlation = 1;

/** Sends one request to `bootstrap` (a single "host:port") and answers its decoded body. */
export async function askBroker<T>(bootstrap: string, apiKey: number, version: number, body: unknown, timeoutMs = 30_000): Promise<T> {
  const client = await RawClient.open(bootstrap);
  try {
    const id = correlation++;
    client.sendRequest(apiKey, version, id, body);
    const answer = await client.response(apiKey, version, timeoutMs);
    assert.ok(answer, `no answer to api ${apiKey} from ${bootstrap}`);
    assert.equal(answer.correlationId, id);
    return answer.body as T;
  } finally {
    client.close();
  }
}

export interface PartitionRow {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

interface MetadataBody {
  controllerId: number;
  topics: { name: string; errorCode: number; partitions: { partitionIndex: number; leaderId: number; leaderEpoch: number; replicaNodes: number[]; isrNodes: number[]; offlineReplicas: number[] }[] }[];
}

/** The partitions of `topic` as broker `bootstrap`'s Metadata (v12) shows them, by partition number. */
export async function partitionsOf(bootstrap: string, topic: string): Promise<PartitionRow[]> {
  const body = await askBroker<MetadataBody>(bootstrap, 3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const t = body.topics.find((x) => x.name === topic);
  assert.ok(t && t.errorCode === 0, `topic ${topic} in metadata (error ${t?.errorCode})`);
  return t.partitions
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas }))
    .sort((a, b) => a.partition - b.partition);
}

/** The controller's node id as broker `bootstrap` knows it. */
export async function controllerOf(bootstrap: string): Promise<number> {
  const body = await askBroker<MetadataBody>(bootstrap, 3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return body.controllerId;
}

/**
 * Polls `check` until it answers true (a condition, not a duration); a check that throws (a broker
 * that has not seen a topic yet) counts as false. Fails with `what` and the last error after `limitMs`.
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    let last: unknown = null;
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
