import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, ConfigError } from '../../../src/config/broker-configs.js';
import { checkInterBrokerListener, parseEndpoint, parseProtocolMap } from '../../../src/config/listeners.js';

const listenersOf = (entries: Record<string, string>) => new BrokerConfig(Object.entries(entries)).listeners;
const refused = (entries: Record<string, string>, message: RegExp) => assert.throws(() => listenersOf(entries), (err: unknown) => err instanceof ConfigError && message.test(err.message));

test('several named listeners, each with the protocol of its name by default', () => {
  const l = listenersOf({ listeners: 'PLAINTEXT://:9092,SSL://127.0.0.1:9093,SASL_SSL://[::1]:9094' });
  assert.deepEqual(l.listeners, [
    { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 },
    { name: 'SSL', securityProtocol: 'SSL', host: '127.0.0.1', port: 9093 },
    { name: 'SASL_SSL', securityProtocol: 'SASL_SSL', host: '::1', port: 9094 },
  ]);
  assert.equal(l.advertised.size, 0);
  assert.equal(l.interBrokerListener, 'PLAINTEXT');
  assert.equal(l.interBrokerExplicit, false);
});

test('the default is one PLAINTEXT listener on 127.0.0.1:9092', () => {
  assert.deepEqual(new BrokerConfig().listeners.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
});

test('custom names take their protocol from listener.security.protocol.map; names are case-insensitive', () => {
  const l = listenersOf({
    listeners: 'client://:9092,INTERNAL://10.0.0.1:9093',
    'listener.security.protocol.map': 'CLIENT:SSL, internal:plaintext',
    'inter.broker.listener.name': 'internal',
    'advertised.listeners': 'CLIENT://kafka.example.com:443',
  });
  assert.deepEqual(l.listeners.map((x) => [x.name, x.securityProtocol]), [['CLIENT', 'SSL'], ['INTERNAL', 'PLAINTEXT']]);
  assert.deepEqual([...l.advertised], [['CLIENT', { host: 'kafka.example.com', port: 443 }]]);
  assert.equal(l.interBrokerListener, 'INTERNAL');
  assert.equal(checkInterBrokerListener(l).name, 'INTERNAL');
});

test('security.inter.broker.protocol names the inter-broker listener; only one of the two keys', () => {
  assert.equal(listenersOf({ listeners: 'PLAINTEXT://:9092,SSL://:9093', 'security.inter.broker.protocol': 'SSL' }).interBrokerListener, 'SSL');
  refused({ listeners: 'PLAINTEXT://:9092,SSL://:9093', 'security.inter.broker.protocol': 'SSL', 'inter.broker.listener.name': 'SSL' }, /^Only one of inter.broker.listener.name and security.inter.broker.protocol should be set\.$/);
});

test("Kafka's validation errors", () => {
  refused({ listeners: 'PLAINTEXT://:9092,PLAINTEXT://:9093' }, /^Each listener must have a different name, listeners: PLAINTEXT:\/\/:9092,PLAINTEXT:\/\/:9093$/);
  refused({ listeners: 'PLAINTEXT://:9092,SSL://:9092' }, /^Each listener must have a different port/);
  refused({ listeners: 'CLIENT://:9092' }, /^No security protocol defined for listener CLIENT/);
  refused({ listeners: 'CLIENT://:9092', 'listener.security.protocol.map': 'CLIENT:TLS' }, /listener.security.protocol.map: TLS is not a security protocol/);
  refused({ listeners: 'CLIENT://:9092', 'listener.security.protocol.map': 'CLIENT' }, /Map entry should be of form <key>:<value>/);
  refused({ listeners: 'PLAINTEXT://:9092', 'advertised.listeners': 'SSL://host:9093' }, /^advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found SSL. The valid options based on the current configuration are PLAINTEXT$/);
  refused({ listeners: 'PLAINTEXT://:9092', 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' }, /^advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.$/);
  refused({ listeners: 'PLAINTEXT://:9092', 'inter.broker.listener.name': 'SSL' }, /^inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are PLAINTEXT$/);
  refused({ listeners: 'PLAINTEXT//:9092' }, /Unable to parse PLAINTEXT\/\/:9092 to a broker endpoint/);
  refused({ listeners: 'PLAINTEXT://:99999' }, /port 99999 is outside/);
  refused({ listeners: '' }, /at least one listener/);
});

test('port 0 may repeat: each listener picks a free port', () => {
  assert.deepEqual(listenersOf({ listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0' }).listeners.map((l) => l.port), [0, 0]);
});

test('a cluster needs its inter-broker listener (SASL ones too); a lone broker may leave the default unmatched', () => {
  const sslOnly = listenersOf({ listeners: 'SSL://:9093' });
  assert.equal(sslOnly.interBrokerListener, 'PLAINTEXT');
  assert.throws(() => checkInterBrokerListener(sslOnly), /inter.broker.listener.name must be a listener name/);
  const sasl = listenersOf({ listeners: 'SASL_SSL://:9094', 'inter.broker.listener.name': 'SASL_SSL' });
  assert.equal(checkInterBrokerListener(sasl).securityProtocol, 'SASL_SSL');
});

test('endpoint and map syntax', () => {
  assert.deepEqual(parseEndpoint('ssl://[fe80::1%eth0]:9093'), { name: 'SSL', host: 'fe80::1%eth0', port: 9093 });
  assert.deepEqual([...parseProtocolMap('A:SSL,B:SASL_PLAINTEXT')], [['A', 'SSL'], ['B', 'SASL_PLAINTEXT']]);
});
