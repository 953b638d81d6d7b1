// A data directory belongs to one cluster and one node: a broker refuses a directory written by
// another cluster, by a single broker (when joining a cluster), by a cluster (when starting
// alone), or by another node id, with a message saying why, as Kafka refuses an inconsistent
// cluster id. Nothing in the directory is touched by the refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/broker.js';
import { startEtcd } from '../helpers/etcd.js';
import { tempDir } from '../helpers/storage.js';

test('a broker refuses a data directory that belongs to another cluster, kind of cluster or node', async () => {
  const etcd = await startEtcd();
  const { dir: root, cleanup } = await tempDir('tributary-dirs-');
  const inCluster = (prefix: string) => ({ 'tributary.metadata.etcd.endpoints': etcd.endpoint, 'tributary.metadata.etcd.prefix': prefix });
  try {
    const alone = join(root, 'alone');
    const lone = await startBroker({ port: 0, dataDir: alone, config: { 'num.partitions': '1' } });
    await lone.stop();
    const loneFiles = (await readdir(alone)).sort();
    await assert.rejects(startBroker({ port: 0, dataDir: alone, nodeId: 1, config: inCluster('/tributary/a') }), /belongs to a single broker .*not to the cluster in etcd/);
    assert.deepEqual((await readdir(alone)).sort(), loneFiles, 'the refusal changed the directory');

    const member = join(root, 'member');
    const first = await startBroker({ port: 0, dataDir: member, nodeId: 1, config: inCluster('/tributary/a') });
    await first.stop();
    assert.match(await readFile(join(member, 'meta.properties'), 'utf8'), /^tributary\.metadata\.store=etcd$/m);
    await assert.rejects(startBroker({ port: 0, dataDir: member }), /metadata is in etcd: start this broker with --metadata/);
    await assert.rejects(startBroker({ port: 0, dataDir: member, nodeId: 1, config: inCluster('/tributary/b') }), /belongs to another cluster/);
    await assert.rejects(startBroker({ port: 0, dataDir: member, nodeId: 2, config: inCluster('/tributary/a') }), /is broker 1's .*not broker 2's/);
    // Its own cluster and node id still start it.
    const again = await startBroker({ port: 0, dataDir: member, nodeId: 1, config: inCluster('/tributary/a') });
    await again.stop();
  } finally {
    await cleanup();
    await etcd.stop();
  }
});
