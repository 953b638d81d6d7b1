// A deleted topic's committed offsets leave every group, as in Kafka: the tombstones are written to
// __consumer_offsets (so a restart does not bring them back), a group left Empty with no offsets is
// removed, and a topic created again under the name finds no offsets of the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawAdmin } from '../helpers/raw-admin.js';
import { RawClient } from '../helpers/raw-client.js';
import type { ListGroupsResponse, OffsetCommitResponse, OffsetFetchResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const CONFIG = { 'offsets.topic.num.partitions': '2' };

class GroupCalls {
  private id = 1;
  private constructor(private readonly c: RawClient) {}

  static async open(broker: RunningBroker): Promise<GroupCalls> {
    return new GroupCalls(await RawClient.open(broker.bootstrap));
  }

  private async call<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    this.c.sendRequest(apiKey, version, this.id++, body);
    return (await this.c.response(apiKey, version))?.body as T;
  }

  /** Commits from outside the group protocol (as tools do); returns each partition's error code. */
  async commit(groupId: string, offsets: [topic: string, partition: number, offset: bigint][]): Promise<number[]> {
    const topics = [...new Set(offsets.map(([t]) => t))].map((name) => ({
      name,
      partitions: offsets.filter(([t]) => t === name).map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: null })),
    }));
    const res = await this.call<OffsetCommitResponse>(8, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics });
    return res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
  }

  /** Every offset each group holds, as "topic:partition=offset". */
  async committed(groupIds: string[]): Promise<[string, string[]][]> {
    const res = await this.call<OffsetFetchResponse>(9, 8, { groups: groupIds.map((groupId) => ({ groupId, topics: null })), requireStable: false });
    return res.groups.map((g) => [g.groupId, g.topics.flatMap((t) => t.partitions.map((p) => `${t.name}:${p.partitionIndex}=${p.committedOffset}`)).sort()]);
  }

  async groups(): Promise<string[]> {
    return (await this.call<ListGroupsResponse>(16, 4, { statesFilter: [] })).groups.map((g) => g.groupId).sort();
  }

  close(): void {
    this.c.close();
  }
}

test("deleting a topic removes its committed offsets from every group, for good; a group left with none goes", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-delete-offsets-'));
  const started: RunningBroker[] = [];
  const start = async () => {
    const b = await startBroker({ port: 0, dataDir, config: CONFIG });
    started.push(b);
    return b;
  };
  try {
    let broker = await start();
    const admin = await RawAdmin.open(broker.bootstrap);
    assert.deepEqual((await admin.createTopics(['spent', 'other'], 2)).map((t) => t.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    let groups = await GroupCalls.open(broker);
    assert.deepEqual(await groups.commit('both', [['spent', 0, 3n], ['spent', 1, 1n], ['other', 0, 2n]]), [0, 0, 0]);
    assert.deepEqual(await groups.commit('only-spent', [['spent', 0, 5n]]), [0]);

    assert.equal((await admin.deleteTopic('spent')).errorCode, ErrorCode.NONE);
    const expected: [string, string[]][] = [
      ['both', ['other:0=2']],
      ['only-spent', []],
    ];
    assert.deepEqual(await groups.committed(['both', 'only-spent']), expected);
    assert.deepEqual(await groups.groups(), ['both'], 'an Empty group left with no offsets is removed');
    admin.close();
    groups.close();

    // The tombstones are in __consumer_offsets: a restart replays them.
    await broker.stop();
    broker = await start();
    groups = await GroupCalls.open(broker);
    assert.deepEqual(await groups.committed(['both', 'only-spent']), expected);

    // A new topic of the old name starts without the old topic's offsets.
    const admin2 = await RawAdmin.open(broker.bootstrap);
    assert.equal((await admin2.createTopic('spent', 2)).errorCode, ErrorCode.NONE);
    assert.deepEqual(await groups.committed(['both']), [expected[0]]);
    admin2.close();
    groups.close();
  } finally {
    for (const b of started) await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
