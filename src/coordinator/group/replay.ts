/**
 * Replays one __consumer_offsets partition into the groups, committed offsets and open
 * transactions' offsets it holds, apart from the coordinator's live state: the coordinator
 * installs the result only if the partition is still its own when the replay ends (an unload
 * meanwhile discards it whole, with nothing half applied). The last record per key wins; a
 * tombstone deletes. A record of a transactional batch is pending for its producer until that
 * producer's marker: COMMIT makes the producer's pending offsets committed, ABORT drops them, and
 * those still open where the log ends stay pending (their marker is still to come).
 */
import { Group, Member } from './group.js';
import { OffsetCache } from './offsets.js';
import { parseGroupValue, parseKey, parseOffsetValue } from './records.js';
import { PendingTxnOffsets } from './txn-offsets.js';
import type { OffsetsLogEntry } from './offsets-log.js';

export interface ReplayedPartition {
  readonly groups: Map<string, Group>;
  readonly offsets: OffsetCache;
  readonly pending: PendingTxnOffsets;
}

export async function replayPartition(entries: AsyncIterable<OffsetsLogEntry>): Promise<ReplayedPartition> {
  const groups = new Map<string, Group>();
  const offsets = new OffsetCache();
  const pending = new PendingTxnOffsets();
  for await (const entry of entries) {
    if (entry.kind === 'marker') {
      // Every group of the producer here belongs to this partition.
      for (const groupId of pending.groupsOf(entry.producerId)) pending.complete(groupId, entry.producerId, entry.committed, offsets);
      continue;
    }
    const { key, value, producerId } = entry;
    const k = parseKey(key);
    if (k.kind === 'offset') {
      const logged = { topic: k.topic, partition: k.partition, value: value === null ? null : parseOffsetValue(value), recordOffset: entry.offset };
      if (producerId !== null && logged.value !== null) {
        pending.add(k.group, producerId, [logged]);
      } else {
        offsets.apply(k.group, [logged]);
        if (logged.value === null) pending.removePartition(k.group, k.topic, k.partition);
      }
    } else if (value === null) {
      groups.delete(k.group);
    } else {
      groups.set(k.group, groupFromRecord(k.group, value));
    }
  }
  return { groups, offsets, pending };
}

/** A group as its last metadata record left it: members are restored, Stable (or Empty). */
function groupFromRecord(groupId: string, value: Buffer): Group {
  const v = parseGroupValue(value);
  const group = new Group(groupId, v.stateTimestamp);
  group.generationId = v.generationId;
  group.protocolType = v.protocolType === '' ? null : v.protocolType;
  group.protocolName = v.protocolName;
  for (const m of v.members) {
    const member = new Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.sessionTimeoutMs, v.protocolType, [{ name: v.protocolName ?? '', metadata: m.subscription }]);
    member.assignment = m.assignment;
    member.isNew = false;
    group.add(member);
  }
  group.leaderId = v.leader;
  group.state = group.members.size > 0 ? 'Stable' : 'Empty';
  return group;
}
