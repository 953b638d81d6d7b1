/**
 * The JSON values Tributary keeps in a shared metadata store, and their checked decoding: a value
 * written by another process (or by hand with etcdctl) is input, so every field is checked before
 * it is believed.
 *
 *   topic          {"topicId": "<22 chars>", "partitions": 3, "configs": {"retention.ms": "1000"}}
 *   partition      {"replicas": [1,2,3], "isr": [1,2], "leader": 1, "leaderEpoch": 4, "partitionEpoch": 7}
 *                  during a reassignment also "addingReplicas": [3], "removingReplicas": [1] (absent: none)
 *   broker         {"incarnationId": "...", "endpoints": [{"name","securityProtocol","host","port"}], "rack": null}
 *   controller     {"nodeId": 1}
 *   producer ids   {"nextBlockStart": "12000", "lastBroker": 2}     (a decimal string: ids are int64)
 */
import type { BrokerEndpoint, BrokerRegistration, PartitionState } from './metadata-store.js';
import type { TopicRecord } from './local-store.js';

export class ValueError extends Error {
  override readonly name = 'ValueError';
}

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValueError(`${what} is not an object`);
  return v as Json;
}

function int(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ValueError(`${what} is not an integer >= ${min}`);
  return v;
}

function string(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ValueError(`${what} is not a string`);
  return v;
}

function brokerIds(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new ValueError(`${what} is not an array`);
  return v.map((id, i) => int(id, `${what}[${i}]`, 0));
}

function parse(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ValueError('not JSON');
  }
}

export function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function encodeTopic(t: TopicRecord): Buffer {
  return encode({ topicId: t.topicId, partitions: t.partitions, configs: t.configs });
}

export function decodeTopic(name: string, bytes: Buffer): TopicRecord {
  const o = object(parse(bytes), 'topic');
  const configs = object(o.configs, 'configs');
  for (const [k, v] of Object.entries(configs)) string(v, `config ${k}`);
  const topicId = string(o.topicId, 'topicId');
  if (!/^[A-Za-z0-9_-]{22}$/.test(topicId)) throw new ValueError('topicId is not 16 bytes of base64url');
  return { name, topicId, partitions: int(o.partitions, 'partitions', 1), configs: configs as Record<string, string> };
}

export function encodePartitionState(s: PartitionState): Buffer {
  const value: Json = { replicas: s.replicas, isr: s.isr, leader: s.leader, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch };
  // Written only while a reassignment runs, so values without one read as before.
  if (s.addingReplicas && s.addingReplicas.length > 0) value.addingReplicas = s.addingReplicas;
  if (s.removingReplicas && s.removingReplicas.length > 0) value.removingReplicas = s.removingReplicas;
  return encode(value);
}

export function decodePartitionState(bytes: Buffer): PartitionState {
  return checkPartitionState(parse(bytes));
}

export function checkPartitionState(v: unknown): PartitionState {
  const o = object(v, 'partition state');
  const state: PartitionState = {
    replicas: brokerIds(o.replicas, 'replicas'),
    isr: brokerIds(o.isr, 'isr'),
    leader: int(o.leader, 'leader', -1),
    leaderEpoch: int(o.leaderEpoch, 'leaderEpoch', 0),
    partitionEpoch: int(o.partitionEpoch, 'partitionEpoch', 0),
  };
  const adding = o.addingReplicas === undefined ? [] : brokerIds(o.addingReplicas, 'addingReplicas');
  const removing = o.removingReplicas === undefined ? [] : brokerIds(o.removingReplicas, 'removingReplicas');
  if (adding.length === 0 && removing.length === 0) return state;
  for (const id of [...adding, ...removing]) if (!state.replicas.includes(id)) throw new ValueError(`reassigning replica ${id} is not among the replicas`);
  return { ...state, ...(adding.length > 0 ? { addingReplicas: adding } : {}), ...(removing.length > 0 ? { removingReplicas: removing } : {}) };
}

export function encodeBroker(b: BrokerRegistration): Buffer {
  return encode({ incarnationId: b.incarnationId, endpoints: b.endpoints, rack: b.rack });
}

export function decodeBroker(nodeId: number, bytes: Buffer): BrokerRegistration {
  const o = object(parse(bytes), 'broker');
  if (!Array.isArray(o.endpoints)) throw new ValueError('endpoints is not an array');
  const endpoints: BrokerEndpoint[] = o.endpoints.map((e: unknown, i) => {
    const ep = object(e, `endpoints[${i}]`);
    return { name: string(ep.name, 'name'), securityProtocol: string(ep.securityProtocol, 'securityProtocol'), host: string(ep.host, 'host'), port: int(ep.port, 'port', 0) };
  });
  const rack = o.rack === null ? null : string(o.rack, 'rack');
  return { nodeId, incarnationId: string(o.incarnationId, 'incarnationId'), endpoints, rack };
}

export function decodeController(bytes: Buffer): number {
  return int(object(parse(bytes), 'controller').nodeId, 'nodeId', 0);
}

const MAX_INT64 = (1n << 63n) - 1n;

export function decodeNextProducerId(bytes: Buffer): bigint {
  const text = string(object(parse(bytes), 'producer ids').nextBlockStart, 'nextBlockStart');
  if (!/^\d{1,19}$/.test(text) || BigInt(text) > MAX_INT64) throw new ValueError('nextBlockStart is not an int64');
  return BigInt(text);
}

/** The counter after handing out [start, start + size); throws when int64 would overflow. */
export function encodeNextProducerId(start: bigint, size: number, nodeId: number): Buffer {
  const next = start + BigInt(size);
  if (next > MAX_INT64) throw new ValueError('producer ids are exhausted');
  return encode({ nextBlockStart: next.toString(), lastBroker: nodeId });
}
