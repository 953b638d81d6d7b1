// OffsetFetch against offsets a transaction has pending (KIP-447): with require_stable (v7+) the
// partition answers UNSTABLE_OFFSET_COMMIT until the producer's marker; without it, and below v7,
// the last committed offset. The transactional commit is made through the group coordinator and
// ended by a real marker on __consumer_offsets (Partition.appendTxnMarker), as the broker's
// TxnOffsetCommit and WriteTxnMarkers will; the readers are a raw client (exact codes, v6-v8) and
// librdkafka through confluent_kafka, which asks for stable offsets under read_committed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ControlType } from '../../src/protocol/records/control-record.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetFetchResponse } from '../../src/protocol/generated/index.js';

const PYTHON = '/usr/bin/python3';
const GROUP = 'txn-fetch-group';
const TOPIC = 'txn-fetch-topic';
const PID = 777n;

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.stop();
});

/** One OffsetFetch of partition 0 at `version`: [error code, offset] of the partition. */
async function fetchOffset(version: number, requireStable: boolean): Promise<[number, bigint]> {
  const c = await RawClient.open(broker.bootstrap);
  try {
    const topics = [{ name: TOPIC, partitionIndexes: [0] }];
    // Below v7 the field does not exist (the codec refuses to send it set).
    const stable = version >= 7 ? { requireStable } : {};
    const body = version >= 8 ? { groups: [{ groupId: GROUP, topics }], ...stable } : { groupId: GROUP, topics, ...stable };
    c.sendRequest(9, version, 1, body);
    const r = (await c.response(9, version))?.body as OffsetFetchResponse | undefined;
    assert.ok(r, 'an answer');
    const partition = version >= 8 ? r.groups[0].topics[0].partitions[0] : r.topics[0].partitions[0];
    return [partition.errorCode, partition.committedOffset];
  } finally {
    c.close();
  }
}

// librdkafka's committed(): under read_committed (its default) it sends require_stable and retries
// UNSTABLE_OFFSET_COMMIT until its timeout.
const COMMITTED_PY = `
import json, sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, group, topic, isolation, timeout = sys.argv[1:6]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'isolation.level': isolation, 'enable.auto.commit': False})
try:
    [tp] = c.committed([TopicPartition(topic, 0)], timeout=float(timeout))
    print(json.dumps({'offset': tp.offset, 'error': str(tp.error) if tp.error else None}))
except Exception as e:
    print(json.dumps({'offset': None, 'error': str(e)}))
finally:
    c.close()
`;

async function committedByLibrdkafka(isolation: 'read_committed' | 'read_uncommitted', timeoutSeconds: number): Promise<{ offset: number | null; error: string | null }> {
  const { stdout } = await promisify(execFile)(PYTHON, ['-c', COMMITTED_PY, broker.bootstrap, GROUP, TOPIC, isolation, String(timeoutSeconds)], { timeout: 60_000 });
  return JSON.parse(stdout.trim()) as { offset: number | null; error: string | null };
}

test('pending transactional offsets: UNSTABLE_OFFSET_COMMIT when stable offsets are asked for, the committed offset otherwise; the marker makes them visible', { timeout: 120_000 }, async () => {
  const groups = broker.groupCoordinatorForTests;
  assert.deepEqual(await groups.commitOffsets(GROUP, '', null, -1, [{ topic: TOPIC, partition: 0, offset: 5n, leaderEpoch: -1, metadata: null }], -1), [0]);
  const txn = { groupId: GROUP, transactionalId: 'tx', producerId: PID, producerEpoch: 0, memberId: '', groupInstanceId: null, generationId: -1 };
  assert.deepEqual(await groups.commitTransactionalOffsets({ ...txn, entries: [{ topic: TOPIC, partition: 0, committedOffset: 42n, committedLeaderEpoch: -1, metadata: null }] }), [0]);

  assert.deepEqual(await fetchOffset(7, true), [ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
  assert.deepEqual(await fetchOffset(8, true), [ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
  assert.deepEqual(await fetchOffset(7, false), [ErrorCode.NONE, 5n]);
  assert.deepEqual(await fetchOffset(6, false), [ErrorCode.NONE, 5n], 'v6 has no require_stable');
  if (existsSync(PYTHON)) {
    assert.deepEqual(await committedByLibrdkafka('read_uncommitted', 10), { offset: 5, error: null });
    const stable = await committedByLibrdkafka('read_committed', 3);
    assert.notEqual(stable.offset, 5, `librdkafka must not get the committed offset while stable offsets are pending (${JSON.stringify(stable)})`);
    assert.match(stable.error ?? '', /TIMED_OUT|UNSTABLE/, 'it retried until its timeout');
  }

  const offsetsPartition = broker.partitionForTests('__consumer_offsets', groups.partitionFor(GROUP));
  assert.ok(offsetsPartition);
  const { offset } = await offsetsPartition.appendTxnMarker({ producerId: PID, producerEpoch: 0, coordinatorEpoch: 0, type: ControlType.COMMIT });
  groups.completeTransaction(groups.partitionFor(GROUP), PID, true, offset);

  assert.deepEqual(await fetchOffset(7, true), [ErrorCode.NONE, 42n]);
  assert.deepEqual(await fetchOffset(8, true), [ErrorCode.NONE, 42n]);
  if (existsSync(PYTHON)) assert.deepEqual(await committedByLibrdkafka('read_committed', 10), { offset: 42, error: null });
});
