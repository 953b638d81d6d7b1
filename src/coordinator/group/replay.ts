/**
 * Replays one __consumer_offsets partition into the groups and committed offsets it holds, apart
 * from the coordinator's live state: the coordinator installs the result only if the partition is
 * still its own when the replay ends (an unload meanwhile discards it whole, with nothing half
 * applied). The last record per key wins; a tombstone deletes.
 */
import { Group, Member } from './group.js';
import { OffsetCache } from './offsets.js';
import { parseGroupValue, parseKey, parseOffsetValue } from './records.js';
import type { KeyValue } from './coordinator.js';

export interface ReplayedPartition {
  readonly groups: Map<string, Group>;
  readonly offsets: OffsetCache;
}

export async function replayPartition(records: AsyncIterable<KeyValue>): Promise<ReplayedPartition> {
  const groups = new Map<string, Group>();
  const offsets = new OffsetCache();
  for await (const { key, value } of records) {
    const k = parseKey(key);
    if (k.kind === 'offset') {
      offsets.apply(k.group, [{ topic: k.topic, partition: k.partition, value: value === null ? null : parseOffsetValue(value) }]);
    } else if (value === null) {
      groups.delete(k.group);
    } else {
      groups.set(k.group, groupFromRecord(k.group, value));
    }
  }
  return { groups, offsets };
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
