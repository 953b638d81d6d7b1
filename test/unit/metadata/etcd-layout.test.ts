// The pure parts of the etcd store: key ranges and names, transaction batching, and checked
// decoding of values that another process may have written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdKeys, keyRange, prefixRange } from '../../../src/metadata/etcd/etcd-keys.js';
import { batchWrites, writeCost, type KeyWrite } from '../../../src/metadata/etcd/txn-batches.js';
import { decodeBroker, decodeNextProducerId, decodePartitionState, decodeTopic, encodeNextProducerId, encodeTopic, ValueError } from '../../../src/metadata/metadata-codec.js';

test('key ranges: a prefix ends at the prefix with its last byte raised; one key ends just after it', () => {
  assert.deepEqual(prefixRange('/a/b/'), { start: Buffer.from('/a/b/'), end: Buffer.from('/a/b0') });
  assert.deepEqual(prefixRange('ÿ').end, Buffer.from([0xc3, 0xc0]), 'bytes, not characters: UTF-8 ÿ is c3 bf');
  assert.deepEqual(keyRange('/x'), { start: Buffer.from('/x'), end: Buffer.from('/x\0') });
});

test('key layout under a cluster prefix, and parsing keys back', () => {
  const keys = new EtcdKeys('/tributary/prod');
  const id = 'AAAAAAAAAAAAAAAAAAAAAA';
  assert.equal(keys.topic('orders'), '/tributary/prod/topics/orders');
  assert.equal(keys.partition(id, 7), `/tributary/prod/partitions/${id}/7`);
  assert.equal(keys.broker(3), '/tributary/prod/brokers/3');
  assert.equal(keys.controller, '/tributary/prod/controller');
  assert.equal(keys.producerIds, '/tributary/prod/producer-ids');
  assert.equal(keys.clusterId, '/tributary/prod/cluster-id');
  assert.equal(keys.parseTopic(keys.topic('a.b-c_d')), 'a.b-c_d');
  assert.deepEqual(keys.parsePartition(keys.partition(id, 12)), { topicId: id, partition: 12 });
  assert.equal(keys.parsePartition(`/tributary/prod/partitions/${id}/x`), null);
  assert.equal(keys.parseBroker(keys.broker(42)), 42);
  assert.equal(keys.parseBroker('/tributary/prod/brokers/-1'), null);
  assert.equal(keys.parseTopic('/tributary/other/topics/x'), null);
  for (const bad of ['tributary', '/tributary/', '/a//b', '']) assert.throws(() => new EtcdKeys(bad), /prefix/);
});

test('writes are batched within the operation count and the byte budget, in order', () => {
  const writes: KeyWrite[] = Array.from({ length: 1000 }, (_, i) => ({ key: `/k/${i}`, value: Buffer.alloc(10) }));
  const byCount = batchWrites(writes, { maxOps: 128, maxBytes: 1 << 20 });
  assert.deepEqual(byCount.map((b) => b.length), [128, 128, 128, 128, 128, 128, 128, 104]);
  assert.deepEqual(byCount.flat(), writes);

  const big = Array.from({ length: 10 }, (_, i) => ({ key: `/b/${i}`, value: Buffer.alloc(300) }));
  const cost = writeCost(big[0]);
  const bySize = batchWrites(big, { maxOps: 128, maxBytes: cost * 3 + 1 });
  assert.deepEqual(bySize.map((b) => b.length), [3, 3, 3, 1]);
  assert.throws(() => batchWrites([{ key: '/huge', value: Buffer.alloc(2000) }], { maxOps: 128, maxBytes: 1000 }), /larger than one etcd request/);
  assert.deepEqual(batchWrites([], { maxOps: 1, maxBytes: 1 }), []);
});

test('values from the store are checked field by field', () => {
  const topic = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: 2, configs: { 'retention.ms': '5' } };
  assert.deepEqual(decodeTopic('t', encodeTopic(topic)), topic);
  const bad = (o: unknown) => Buffer.from(JSON.stringify(o));
  assert.throws(() => decodeTopic('t', Buffer.from('{')), ValueError);
  assert.throws(() => decodeTopic('t', bad({ ...topic, partitions: 0 })), /partitions/);
  assert.throws(() => decodeTopic('t', bad({ ...topic, topicId: 'short' })), /topicId/);
  assert.throws(() => decodeTopic('t', bad({ ...topic, configs: { a: 1 } })), /config a/);
  assert.throws(() => decodeTopic('t', bad([])), /not an object/);

  const s = { replicas: [1, 2], isr: [1], leader: -1, leaderEpoch: 3, partitionEpoch: 4 };
  assert.deepEqual(decodePartitionState(bad(s)), s);
  assert.throws(() => decodePartitionState(bad({ ...s, leader: -2 })), /leader/);
  assert.throws(() => decodePartitionState(bad({ ...s, isr: [1.5] })), /isr\[0\]/);
  assert.throws(() => decodePartitionState(bad({ ...s, replicas: 'x' })), /replicas/);

  const b = { incarnationId: 'u', endpoints: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'h', port: 1 }], rack: null };
  assert.deepEqual(decodeBroker(1, bad(b)), { nodeId: 1, ...b });
  assert.throws(() => decodeBroker(1, bad({ ...b, endpoints: [{ ...b.endpoints[0], port: '1' }] })), /port/);
  assert.throws(() => decodeBroker(1, bad({ ...b, rack: 3 })), /rack/);

  assert.equal(decodeNextProducerId(encodeNextProducerId(5000n, 1000, 1)), 6000n);
  assert.throws(() => decodeNextProducerId(bad({ nextBlockStart: '-1' })), /int64/);
  assert.throws(() => decodeNextProducerId(bad({ nextBlockStart: '9223372036854775808' })), /int64/);
  assert.throws(() => encodeNextProducerId(9223372036854775000n, 1000, 1), /exhausted/);
});
