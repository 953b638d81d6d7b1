// The cluster-metadata keys: the broker session and heartbeat timings (Kafka's names), Tributary's etcd keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, ConfigError } from '../../../src/config/broker-configs.js';

test('defaults: a single broker (no etcd); a 4 s broker session renewed every second (shorter than KRaft\'s 9 s / 2 s, for failover within 6 s)', () => {
  const c = new BrokerConfig();
  assert.deepEqual(c.etcdEndpoints, []);
  assert.equal(c.get('tributary.metadata.etcd.prefix'), '/tributary/default');
  assert.equal(c.int('broker.session.timeout.ms'), 4000);
  assert.equal(c.int('broker.heartbeat.interval.ms'), 1000);
});

test('etcd endpoints and prefix are checked when set', () => {
  const c = BrokerConfig.fromProperties('tributary.metadata.etcd.endpoints=http://127.0.0.1:2379, etcd-2:2379\ntributary.metadata.etcd.prefix=/tributary/east\n');
  assert.deepEqual(c.etcdEndpoints, ['http://127.0.0.1:2379', 'etcd-2:2379']);
  assert.equal(c.get('tributary.metadata.etcd.prefix'), '/tributary/east');
  assert.deepEqual(new BrokerConfig([['tributary.metadata.etcd.endpoints', 'https://etcd-1:2379,https://etcd-2:2379']]).etcdEndpoints, ['https://etcd-1:2379', 'https://etcd-2:2379']);
  assert.throws(() => new BrokerConfig([['tributary.metadata.etcd.endpoints', 'https://h:1,ftp://x,h2']]), (e: Error) => e instanceof ConfigError && /got ftp:\/\/x, h2$/.test(e.message));
  assert.throws(() => new BrokerConfig([['tributary.metadata.etcd.prefix', 'tributary/']]), ConfigError);
  assert.throws(() => new BrokerConfig([['broker.session.timeout.ms', '500']]), /at least 1000/);
  assert.throws(() => new BrokerConfig([['broker.heartbeat.interval.ms', '0']]), /at least 1/);
});
