/**
 * The records of __consumer_offsets, in Kafka's key and value schemas, so that the topic reads
 * the same to Kafka's own tools. All integers big-endian, strings int16-length-prefixed.
 *
 *   offset commit key    version int16 (1) | group string | topic string | partition int32
 *   offset commit value  version int16 (3) | offset int64 | leader epoch int32 | metadata string | commit timestamp int64
 *                        (v1 instead: offset | metadata | commit timestamp | expire timestamp int64)
 *   group key            version int16 (2) | group string
 *   group value          version int16 (3) | protocol type string | generation int32 | protocol nullable string
 *                        | leader nullable string | current state timestamp int64 | members array:
 *                          member id | group instance id nullable | client id | client host
 *                          | rebalance timeout int32 | session timeout int32 | subscription bytes | assignment bytes
 *
 * A record with a null value deletes its key (a tombstone); compaction keeps the last value per key.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { DecodeError } from '../../protocol/codec-errors.js';
import type { CommittedOffset } from './offsets.js';
import type { Group } from './group.js';

export interface GroupRecordMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupRecordValue {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  stateTimestamp: number;
  members: GroupRecordMember[];
}

export type ParsedKey = { kind: 'offset'; group: string; topic: string; partition: number } | { kind: 'group'; group: string };

export function offsetKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.int16(1);
  w.string(group);
  w.string(topic);
  w.int32(partition);
  return w.toBuffer();
}

export function groupKey(group: string): Buffer {
  const w = new Writer(32);
  w.int16(2);
  w.string(group);
  return w.toBuffer();
}

export function parseKey(key: Buffer): ParsedKey {
  const r = new Reader(key);
  const version = r.int16();
  if (version === 0 || version === 1) return { kind: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  if (version === 2) return { kind: 'group', group: r.string() };
  throw new DecodeError(`unknown __consumer_offsets key version ${version}`);
}

export function offsetValue(v: CommittedOffset): Buffer {
  const w = new Writer(64);
  if (v.expireTimestamp >= 0) {
    w.int16(1);
    w.int64(v.offset);
    w.string(v.metadata);
    w.int64(BigInt(v.commitTimestamp));
    w.int64(BigInt(v.expireTimestamp));
  } else {
    w.int16(3);
    w.int64(v.offset);
    w.int32(v.leaderEpoch);
    w.string(v.metadata);
    w.int64(BigInt(v.commitTimestamp));
  }
  return w.toBuffer();
}

export function parseOffsetValue(value: Buffer): CommittedOffset {
  const r = new Reader(value);
  const version = r.int16();
  if (version < 0 || version > 4) throw new DecodeError(`unknown offset commit value version ${version}`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = Number(r.int64());
  const expireTimestamp = version === 1 ? Number(r.int64()) : -1;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function groupValue(v: GroupRecordValue): Buffer {
  const w = new Writer(256);
  w.int16(3);
  w.string(v.protocolType);
  w.int32(v.generationId);
  w.nullableString(v.protocolName);
  w.nullableString(v.leader);
  w.int64(BigInt(v.stateTimestamp));
  w.arrayLength(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.toBuffer();
}

/** The group metadata record's value for `group` as it is now; a tombstone (null) once it is Dead. */
export function groupRecord(group: Group): Buffer | null {
  if (group.state === 'Dead') return null;
  return groupValue({
    protocolType: group.protocolType ?? '',
    generationId: group.generationId,
    protocolName: group.protocolName,
    leader: group.leaderId,
    stateTimestamp: group.stateTimestamp,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: m.metadataFor(group.protocolName ?? ''),
      assignment: m.assignment,
    })),
  });
}

export function parseGroupValue(value: Buffer): GroupRecordValue {
  const r = new Reader(value);
  const version = r.int16();
  if (version < 0 || version > 3) throw new DecodeError(`unknown group metadata value version ${version}`);
  const protocolType = r.string();
  const generationId = r.int32();
  const protocolName = r.nullableString();
  const leader = r.nullableString();
  const stateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const n = r.arrayLength(false);
  const members: GroupRecordMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription: r.bytes(), assignment: r.bytes() });
  }
  return { protocolType, generationId, protocolName, leader, stateTimestamp, members };
}

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1] over UTF-16 code units, in 32-bit arithmetic. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partition for a group: Utils.abs(groupId.hashCode) mod the partition count (abs of MIN_VALUE is 0). */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}
