/**
 * Topics and partition states in etcd (keys in etcd-keys.ts, values in metadata-codec.ts).
 *
 * A topic with many partitions does not fit one etcd transaction, so its partition states are
 * written first, in batches (txn-batches.ts), under the new topic id that nobody else knows yet;
 * the topic key is written last, in a transaction that requires the name to be free. That last
 * write is the commit point: readers find partitions through topics, so a creation that fails
 * half-way leaves at most unreachable partition keys (removed when it fails cleanly).
 *
 * Changes to an existing topic compare the topic key's modification revision (read, check,
 * compare-and-set, retried a few times when another writer got in between); partition states
 * change only by compare-and-set on the partition key's revision.
 */
import type { IKeyValue } from 'etcd3';
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js';
import { newKafkaId, type TopicRecord } from '../local-store.js';
import type { ControllerFence, NewTopic, PartitionState, PartitionUpdate, PartitionUpdateResult, VersionedPartitionState } from '../metadata-store.js';
import { corruptValue, notController, partitionCountChanged, staleTopicId, topicExists, unknownTopic } from '../metadata-errors.js';
import { decodePartitionState, decodeTopic, encodePartitionState, encodeTopic, ValueError } from '../metadata-codec.js';
import { createdAt, deleteOp, deleteRangeOp, getOp, modifiedAt, putOp, rangeResult, type EtcdConnection } from './etcd-client.js';
import { prefixRange, type EtcdKeys } from './etcd-keys.js';
import { batchWrites, type KeyWrite, type TxnLimits } from './txn-batches.js';

const CAS_ATTEMPTS = 10;

function checked<T>(key: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ValueError) throw corruptValue(key, err.message);
    throw err;
  }
}

/** Version 0 would match a missing key, and a compare-and-set never creates a partition. */
function casVersion(expectedVersion: number): number {
  return Number.isSafeInteger(expectedVersion) && expectedVersion > 0 ? expectedVersion : -1;
}

export class EtcdTopics {
  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: EtcdKeys,
    private readonly limits: TxnLimits,
  ) {}

  async list(): Promise<TopicRecord[]> {
    const { kvs } = await this.conn.rangeAll(prefixRange(this.keys.topicsPrefix));
    return kvs.map((kv) => this.decodeTopicKv(kv));
  }

  async get(name: string): Promise<TopicRecord | undefined> {
    const { kv } = await this.conn.get(this.keys.topic(name));
    return kv ? this.decodeTopicKv(kv) : undefined;
  }

  async create(spec: NewTopic): Promise<TopicRecord> {
    if (spec.partitions.length === 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'A topic needs at least one partition.');
    const topic: TopicRecord = { name: spec.name, topicId: newKafkaId(), partitions: spec.partitions.length, configs: { ...spec.configs } };
    const partitionKeys = prefixRange(this.keys.partitionsOf(topic.topicId));
    const cleanUp = () => this.conn.txn('topic creation clean-up', [], [deleteRangeOp(partitionKeys)]).catch(() => undefined);
    try {
      await this.writeNewPartitions(topic.topicId, 0, spec.partitions);
    } catch (err) {
      await cleanUp();
      throw err;
    }
    const key = this.keys.topic(spec.name);
    const res = await this.conn.txn('topic creation', [createdAt(key, 0)], [putOp(key, encodeTopic(topic))], [getOp(key)]);
    if (res.succeeded) return topic;
    const existing = rangeResult(res, 0);
    // Our own write, if a retried request had already gone through.
    if (existing && this.decodeTopicKv(existing).topicId === topic.topicId) return topic;
    await cleanUp();
    throw topicExists(spec.name);
  }

  async delete(name: string, topicId: string): Promise<void> {
    await this.casTopic(name, topicId, (kv) => [deleteOp(kv.key.toString('utf8')), deleteRangeOp(prefixRange(this.keys.partitionsOf(topicId)))]);
  }

  async addPartitions(name: string, topicId: string, expectedCount: number, added: readonly PartitionState[]): Promise<TopicRecord> {
    const current = await this.requireTopic(name, topicId);
    if (current.topic.partitions !== expectedCount) throw partitionCountChanged(name, expectedCount, current.topic.partitions);
    if (added.length > 0) await this.writeNewPartitions(topicId, expectedCount, added, true);
    let result: TopicRecord = current.topic;
    await this.casTopic(name, topicId, (kv, topic) => {
      if (topic.partitions !== expectedCount) throw partitionCountChanged(name, expectedCount, topic.partitions);
      result = { ...topic, partitions: expectedCount + added.length };
      return [putOp(kv.key.toString('utf8'), encodeTopic(result))];
    });
    return result;
  }

  async setConfigs(name: string, topicId: string, configs: Readonly<Record<string, string>>): Promise<TopicRecord> {
    let result!: TopicRecord;
    await this.casTopic(name, topicId, (kv, topic) => {
      result = { ...topic, configs: { ...configs } };
      return [putOp(kv.key.toString('utf8'), encodeTopic(result))];
    });
    return result;
  }

  async partitionStates(topicId: string): Promise<VersionedPartitionState[]> {
    const { kvs } = await this.conn.rangeAll(prefixRange(this.keys.partitionsOf(topicId)));
    return kvs.map((kv) => this.decodePartitionKv(kv)).sort((a, b) => a.partition - b.partition);
  }

  async updatePartitionState(topicId: string, partition: number, expectedVersion: number, next: PartitionState): Promise<PartitionUpdateResult> {
    const key = this.keys.partition(topicId, partition);
    const res = await this.conn.txn('partition state update', [modifiedAt(key, casVersion(expectedVersion))], [putOp(key, encodePartitionState(next))], [getOp(key)]);
    if (res.succeeded) return { ok: true, version: Number(res.header.revision) };
    const current = rangeResult(res, 0);
    return { ok: false, current: current ? this.decodePartitionKv(current) : null };
  }

  /**
   * Groups of compare-and-sets in one transaction each (within etcd's limits). A group whose
   * compares all hold is written at once; one with a stale member is done again one by one, so
   * each update wins or loses on its own. A fence adds a compare of the controller key's create
   * revision (the controller epoch) to every transaction.
   */
  async updatePartitionStates(updates: readonly PartitionUpdate[], fence?: ControllerFence): Promise<PartitionUpdateResult[]> {
    const writes = updates.map((u, index) => ({ index, update: u, key: this.keys.partition(u.topicId, u.partition), value: encodePartitionState(u.next) }));
    const results: PartitionUpdateResult[] = new Array(updates.length);
    const fenceCompares = fence ? [createdAt(this.keys.controller, fence.controllerEpoch)] : [];
    const fenceReads = fence ? [getOp(this.keys.controller)] : [];
    const limits = { ...this.limits, maxOps: this.limits.maxOps - fenceCompares.length };
    for (const group of batchWrites(writes, limits)) {
      const compares = [...fenceCompares, ...group.map((w) => modifiedAt(w.key, casVersion(w.update.expectedVersion)))];
      const res = await this.conn.txn('partition state updates', compares, group.map((w) => putOp(w.key, w.value)), fenceReads);
      if (res.succeeded) {
        for (const w of group) results[w.index] = { ok: true, version: Number(res.header.revision) };
        continue;
      }
      if (fence) this.checkFence(rangeResult(res, 0), fence);
      const singles = await Promise.all(group.map((w) => this.casOne(w.key, w.update, fence)));
      group.forEach((w, i) => (results[w.index] = singles[i]));
    }
    return results;
  }

  private async casOne(key: string, u: PartitionUpdate, fence: ControllerFence | undefined): Promise<PartitionUpdateResult> {
    const compares = [...(fence ? [createdAt(this.keys.controller, fence.controllerEpoch)] : []), modifiedAt(key, casVersion(u.expectedVersion))];
    const res = await this.conn.txn('partition state update', compares, [putOp(key, encodePartitionState(u.next))], [getOp(key), ...(fence ? [getOp(this.keys.controller)] : [])]);
    if (res.succeeded) return { ok: true, version: Number(res.header.revision) };
    if (fence) this.checkFence(rangeResult(res, 1), fence);
    const current = rangeResult(res, 0);
    return { ok: false, current: current ? this.decodePartitionKv(current) : null };
  }

  private checkFence(controllerKv: IKeyValue | null | undefined, fence: ControllerFence): void {
    if (!controllerKv || Number(controllerKv.create_revision) !== fence.controllerEpoch) throw notController(fence.controllerEpoch);
  }

  decodeTopicKv(kv: IKeyValue): TopicRecord {
    const key = kv.key.toString('utf8');
    const name = this.keys.parseTopic(key);
    if (name === null) throw corruptValue(key, 'not a topic key');
    return checked(key, () => decodeTopic(name, kv.value));
  }

  decodePartitionKv(kv: IKeyValue): VersionedPartitionState {
    const key = kv.key.toString('utf8');
    const id = this.keys.parsePartition(key);
    if (id === null) throw corruptValue(key, 'not a partition key');
    return { partition: id.partition, state: checked(key, () => decodePartitionState(kv.value)), version: Number(kv.mod_revision) };
  }

  private async requireTopic(name: string, topicId: string): Promise<{ kv: IKeyValue; topic: TopicRecord }> {
    const { kv } = await this.conn.get(this.keys.topic(name));
    if (!kv) throw unknownTopic(name);
    const topic = this.decodeTopicKv(kv);
    if (topic.topicId !== topicId) throw staleTopicId(name, topicId, topic.topicId);
    return { kv, topic };
  }

  /** Read, check the id, and apply `ops` if the topic key has not changed since; again when it has. */
  private async casTopic(name: string, topicId: string, ops: (kv: IKeyValue, topic: TopicRecord) => ReturnType<typeof putOp>[]): Promise<void> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { kv, topic } = await this.requireTopic(name, topicId);
      const res = await this.conn.txn('topic update', [modifiedAt(kv.key.toString('utf8'), Number(kv.mod_revision))], ops(kv, topic));
      if (res.succeeded) return;
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `Topic '${name}' kept changing under ${CAS_ATTEMPTS} attempts to update it.`);
  }

  /**
   * Writes states for partitions from, from+1, … in batches. With `mustBeNew`, each key must not
   * exist yet (partitions added to a live topic must not overwrite anything); a batch that finds
   * one is accepted only if what is there is exactly what this call writes (its own earlier try).
   */
  private async writeNewPartitions(topicId: string, from: number, states: readonly PartitionState[], mustBeNew = false): Promise<void> {
    const writes: KeyWrite[] = states.map((s, i) => ({ key: this.keys.partition(topicId, from + i), value: encodePartitionState(s) }));
    for (const batch of batchWrites(writes, this.limits)) {
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        const compares = mustBeNew ? pending.map((w) => createdAt(w.key, 0)) : [];
        const res = await this.conn.txn('partition states write', compares, pending.map((w) => putOp(w.key, w.value)));
        if (res.succeeded) break;
        const absent: KeyWrite[] = [];
        for (const w of pending) {
          const { kv } = await this.conn.get(w.key);
          if (!kv) absent.push(w);
          else if (!kv.value.equals(w.value) || attempt > 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Partition ${w.key} already exists: another change to the topic got in first.`);
        }
        pending = absent;
      }
    }
  }
}
