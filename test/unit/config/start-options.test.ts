// What `tributary start`'s --metadata and --listen make of the configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../../src/config/broker-configs.js';
import { etcdEndpoints, withListenAddress } from '../../../src/cli/start.js';

test('--metadata: etcd://HOST:PORT,… gives http:// endpoints, etcds://HOST:PORT,… https:// ones; URLs are kept', () => {
  assert.equal(etcdEndpoints('etcd://a:2379,b:2379'), 'http://a:2379,http://b:2379');
  assert.equal(etcdEndpoints('etcds://a:2379, b:2379'), 'https://a:2379,https://b:2379');
  assert.equal(etcdEndpoints('https://a:2379,http://b:1'), 'https://a:2379,http://b:1');
  assert.equal(etcdEndpoints('a:2379'), 'http://a:2379');
});

test('--listen moves the first configured listener and keeps its name and protocol; without listeners it is one PLAINTEXT listener', () => {
  const listeners = (c: BrokerConfig) => c.listeners.listeners.map((l) => `${l.name}/${l.securityProtocol}/${l.host}:${l.port}`);
  assert.deepEqual(listeners(withListenAddress(new BrokerConfig(), '127.0.0.1:29092')), ['PLAINTEXT/PLAINTEXT/127.0.0.1:29092']);
  const sasl = new BrokerConfig([['listeners', 'SASL_PLAINTEXT://0.0.0.0:9094,SSL://[::1]:9093,INTERNAL://:9095'], ['listener.security.protocol.map', 'SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,INTERNAL:PLAINTEXT']]);
  assert.deepEqual(listeners(withListenAddress(sasl, '127.0.0.1:29094')), ['SASL_PLAINTEXT/SASL_PLAINTEXT/127.0.0.1:29094', 'SSL/SSL/::1:9093', `INTERNAL/PLAINTEXT/${sasl.listeners.listeners[2].host}:9095`]);
});
