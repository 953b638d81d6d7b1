import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionQuotas } from '../../../src/server/connection-quotas.js';
import { RequestBytesPool } from '../../../src/server/request-bytes-pool.js';
import { parsePerIpOverrides } from '../../../src/config/per-ip-overrides.js';
import { BrokerConfig, ConfigError } from '../../../src/config/broker-configs.js';

test('max.connections.per.ip.overrides parses IPv4, IPv6 and host entries; bad entries are config errors', () => {
  assert.deepEqual([...parsePerIpOverrides(' 10.0.0.1:5, [::1]:7,fe80::1:0, host-a:200')], [
    ['10.0.0.1', 5],
    ['::1', 7],
    ['fe80::1', 0],
    ['host-a', 200],
  ]);
  assert.deepEqual([...parsePerIpOverrides('')], []);
  for (const bad of ['10.0.0.1', '10.0.0.1:x', ':5', '10.0.0.1:-1', '10.0.0.1:']) {
    assert.throws(() => new BrokerConfig([['max.connections.per.ip.overrides', bad]]), ConfigError, bad);
  }
});

test('connection quotas count per address (IPv4-mapped IPv6 as IPv4) and overall, and free slots on release', () => {
  const q = new ConnectionQuotas({ maxConnections: 4, maxConnectionsPerIp: 2, perIpOverrides: new Map([['10.0.0.9', 3]]) });
  assert.equal(q.tryAdmit('10.0.0.1'), null);
  assert.equal(q.tryAdmit('::ffff:10.0.0.1'), null);
  assert.match(q.tryAdmit('10.0.0.1') ?? '', /max.connections.per.ip/);
  assert.equal(q.tryAdmit('10.0.0.9'), null);
  assert.equal(q.tryAdmit('10.0.0.9'), null);
  assert.match(q.tryAdmit('10.0.0.9') ?? '', /max.connections=4/);
  q.release('10.0.0.1');
  assert.equal(q.tryAdmit('10.0.0.9'), null, 'the override allows a third from 10.0.0.9');
  assert.equal(q.connections, 4);
});

test('the request bytes pool tells its watchers exactly when it runs out and when it has room again', () => {
  const pool = new RequestBytesPool(100);
  let changes = 0;
  const stop = pool.watch(() => changes++);
  pool.reserve(60);
  pool.reserve(39);
  assert.equal(changes, 0);
  pool.reserve(5);
  assert.equal(pool.hasRoom, false);
  pool.reserve(500);
  assert.equal(changes, 1);
  pool.release(505);
  assert.equal(changes, 2);
  assert.equal(pool.hasRoom, true);
  stop();
  pool.reserve(1000);
  assert.equal(changes, 2);
  const unbounded = new RequestBytesPool(-1);
  unbounded.reserve(1e12);
  assert.equal(unbounded.hasRoom, true);
});
