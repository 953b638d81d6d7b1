// `tributary start` runs the admin server: the address given by --admin-listener (here through
// the config key, as a server.properties would set it) answers /health, /ready and /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../helpers/broker-process.js';
import { freePort } from '../helpers/free-port.js';
import { httpGet, scrape } from '../helpers/prometheus.js';
import { BrokerConfig } from '../../src/config/broker-configs.js';
import { DEFAULT_ADMIN_LISTENER } from '../../src/cli/start.js';

test('tributary start serves /health, /ready and /metrics on its admin listener', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-admin-cli-'));
  const port = await freePort();
  const broker = await BrokerProcess.start(dir, { 'tributary.admin.listener': `127.0.0.1:${port}` });
  const address = { host: '127.0.0.1', port };
  try {
    assert.equal((await httpGet(address, '/health')).status, 200, broker.logTail());
    assert.equal((await httpGet(address, '/ready')).status, 200);
    const m = await scrape(address);
    assert.equal(m.value('kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.equal(m.value('kafka_server_kafkaserver_brokerstate'), 3);
    assert.ok(m.samples('process_resident_memory_bytes').length === 1, 'process metrics are there');
  } finally {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('tributary.admin.listener takes [http://|https://]host:port (port 0 too) or nothing', () => {
  assert.equal(DEFAULT_ADMIN_LISTENER, '127.0.0.1:9644');
  assert.equal(new BrokerConfig([]).adminListener, null, 'off unless set');
  assert.deepEqual(new BrokerConfig([['tributary.admin.listener', '127.0.0.1:0']]).adminListener, { host: '127.0.0.1', port: 0, tls: false });
  assert.deepEqual(new BrokerConfig([['tributary.admin.listener', '[::1]:9644']]).adminListener, { host: '::1', port: 9644, tls: false });
  assert.deepEqual(new BrokerConfig([['tributary.admin.listener', ':9644']]).adminListener, { host: '0.0.0.0', port: 9644, tls: false });
  assert.deepEqual(new BrokerConfig([['tributary.admin.listener', 'http://127.0.0.1:9644']]).adminListener, { host: '127.0.0.1', port: 9644, tls: false });
  assert.deepEqual(new BrokerConfig([['tributary.admin.listener', 'https://[::1]:9644']]).adminListener, { host: '::1', port: 9644, tls: true });
  for (const bad of ['9644', 'localhost', 'host:99999', 'a b:1', 'ftp://h:1']) assert.throws(() => new BrokerConfig([['tributary.admin.listener', bad]]), /host:port/, bad);
});

test('tributary.admin.authentication: basic or none, by default basic once a listener uses SASL', () => {
  assert.equal(new BrokerConfig([]).adminAuthentication, 'none');
  assert.equal(new BrokerConfig([['listeners', 'SASL_PLAINTEXT://:9092']]).adminAuthentication, 'basic');
  assert.equal(new BrokerConfig([['listeners', 'PLAINTEXT://:9092,SASL_SSL://:9093']]).adminAuthentication, 'basic');
  assert.equal(new BrokerConfig([['listeners', 'SASL_PLAINTEXT://:9092'], ['tributary.admin.authentication', 'none']]).adminAuthentication, 'none');
  assert.equal(new BrokerConfig([['tributary.admin.authentication', 'basic']]).adminAuthentication, 'basic');
  assert.throws(() => new BrokerConfig([['tributary.admin.authentication', 'digest']]), /one of/);
});
