// Dynamic broker configs in a cluster (metadata in etcd): the cluster-wide default set on one
// broker reaches the others through the store's watch; a broker's own value stays its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, describeConfigsV4, incrementalAlterConfigsV1 } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { startEtcd } from '../helpers/etcd.js';
import { tempDir } from '../helpers/storage.js';
import { waitUntil } from '../helpers/cluster-admin.js';

const BROKER = 4 as const;

async function connectTo(broker: RunningBroker): Promise<Connection> {
  const c = new Connection('dynamic-configs-cluster');
  await c.connect('127.0.0.1', Number(broker.bootstrap.split(':')[1]));
  return c;
}

async function describe(c: Connection, resourceType: typeof BROKER, resourceName: string, keys: string[] | null) {
  const r = await describeConfigsV4.api.async(c, [{ resourceType, resourceName, configurationKeys: keys }], true, false);
  assert.equal(r.results[0].errorCode, 0, r.results[0].errorMessage ?? '');
  return r.results[0].configs.map((e) => [e.name, e.value, e.configSource]);
}

test('the cluster-wide default set on broker 1 reaches broker 2; broker 2\'s own value beats it there only', async () => {
  const etcd = await startEtcd();
  const { dir, cleanup } = await tempDir('tributary-dyn-cluster-');
  const config = { 'tributary.metadata.etcd.endpoints': etcd.endpoint, 'tributary.metadata.etcd.prefix': '/tributary/dyn', 'num.partitions': '1', 'offsets.topic.replication.factor': '1' };
  const brokers: RunningBroker[] = [];
  const connections: Connection[] = [];
  try {
    for (const nodeId of [1, 2]) brokers.push(await startBroker({ port: 0, dataDir: `${dir}/b${nodeId}`, nodeId, config }));
    for (const b of brokers) connections.push(await connectTo(b));
    const [one, two] = connections;
    const set = async (c: Connection, resourceName: string, name: string, value: string) => {
      const r = await incrementalAlterConfigsV1.api.async(c, [{ resourceType: BROKER, resourceName, configs: [{ name, configOperation: 0, value }] }], false);
      assert.equal(r.responses[0].errorCode, 0, r.responses[0].errorMessage ?? '');
    };
    await set(one, '', 'log.retention.ms', '7000');
    await waitUntil('broker 2 hears of the cluster-wide default', async () => (await describe(two, BROKER, '', null)).length === 1);
    assert.deepEqual(await describe(two, BROKER, '2', ['log.retention.ms']), [['log.retention.ms', '7000', 3]]);

    await set(two, '2', 'log.retention.ms', '9000');
    assert.deepEqual(await describe(two, BROKER, '2', ['log.retention.ms']), [['log.retention.ms', '9000', 2]]);
    assert.deepEqual(await describe(one, BROKER, '1', ['log.retention.ms']), [['log.retention.ms', '7000', 3]], "broker 2's own value is not broker 1's");
  } finally {
    for (const c of connections) await c.close();
    for (const b of brokers.reverse()) await b.stop();
    await cleanup();
    await etcd.stop();
  }
});
