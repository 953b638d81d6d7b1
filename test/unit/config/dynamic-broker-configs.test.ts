// Dynamic broker configs as values: the layers' precedence (per-broker > cluster-wide default >
// static > default), a topic's source and synonyms through them, and the checks of a change in
// Kafka's order with Kafka's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER } from '../../../src/config/broker-configs.js';
import { effectiveTopicConfig } from '../../../src/config/topic-config-values.js';
import { validateDynamicConfigs } from '../../../src/config/dynamic-broker-configs.js';

test('per-broker beats the cluster-wide default, which beats the static value, which beats the default', () => {
  const config = new BrokerConfig([['log.retention.hours', '24'], ['min.insync.replicas', '2']]);
  const retention = () => effectiveTopicConfig(config, {}).find((c) => c.def.name === 'retention.ms');
  assert.deepEqual([retention()?.value, retention()?.source], ['86400000', 4]);
  config.setDynamic(SOURCE_DYNAMIC_DEFAULT_BROKER, new Map([['log.retention.ms', '1000'], ['min.insync.replicas', '3']]));
  assert.deepEqual([retention()?.value, retention()?.source], ['1000', 3]);
  config.setDynamic(SOURCE_DYNAMIC_BROKER, new Map([['log.retention.ms', '2000']]));
  assert.deepEqual([retention()?.value, retention()?.source], ['2000', 2]);
  assert.deepEqual(retention()?.synonyms.map((s) => [s.name, s.value, s.source]), [
    ['log.retention.ms', '2000', 2],
    ['log.retention.ms', '1000', 3],
    ['log.retention.hours', '24', 4],
    ['log.retention.hours', '168', 5],
  ]);
  assert.equal(config.int('min.insync.replicas'), 3);
  // A topic's own override stays above every broker layer.
  const own = effectiveTopicConfig(config, { 'retention.ms': '5' }).find((c) => c.def.name === 'retention.ms');
  assert.deepEqual([own?.value, own?.source, own?.synonyms[0].source], ['5', 1, 1]);
  config.setDynamic(SOURCE_DYNAMIC_BROKER, new Map());
  config.setDynamic(SOURCE_DYNAMIC_DEFAULT_BROKER, new Map());
  assert.deepEqual([retention()?.value, retention()?.source], ['86400000', 4]);
});

test("a change is checked in Kafka's order: read-only keys, unprefixed SSL keys, values, per-broker keys at the default level; then what Tributary cannot apply live", () => {
  assert.equal(validateDynamicConfigs({ 'log.retention.ms': '1', 'max.connections.per.ip.overrides': '10.0.0.1:5' }, false), null);
  assert.deepEqual(validateDynamicConfigs({ 'log.dirs': '/x', 'node.id': '2', 'log.retention.ms': 'x' }, true), { errorCode: 42, errorMessage: 'Cannot update these configs dynamically: Set(log.dirs, node.id)' });
  assert.deepEqual(validateDynamicConfigs({ 'ssl.truststore.location': '/t' }, true), {
    errorCode: 42,
    errorMessage: 'These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.truststore.location)',
  });
  assert.equal(validateDynamicConfigs({ 'log.segment.bytes': '10' }, false)?.errorCode, 42, 'below the minimum of 14');
  assert.equal(validateDynamicConfigs({ 'max.connections.per.ip.overrides': 'nonsense' }, true)?.errorCode, 42);
  assert.deepEqual(validateDynamicConfigs({ 'listener.name.EXTERNAL.ssl.keystore.location': '/k' }, false), {
    errorCode: 42,
    errorMessage: 'Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.EXTERNAL.ssl.keystore.location)',
  });
  // max.connections is a cluster-level listener key in Kafka: the default level may hold it.
  assert.equal(validateDynamicConfigs({ 'max.connections': '10', 'listener.name.PLAINTEXT.max.connections': '5' }, false)?.errorCode, 40, 'per-listener limits are not applied live here');
  assert.equal(validateDynamicConfigs({ 'max.connections': '10' }, false), null);
  assert.equal(validateDynamicConfigs({ 'listener.name.EXTERNAL.ssl.keystore.location': '/k' }, true)?.errorCode, 40);
  assert.equal(validateDynamicConfigs({ 'log.cleaner.threads': '2' }, true)?.errorCode, 40);
  assert.deepEqual(validateDynamicConfigs({ 'leader.replication.throttled.rate': '1000' }, true), {
    errorCode: 40,
    errorMessage: 'Tributary has no replication throttle, so these configs would do nothing: Set(leader.replication.throttled.rate)',
  });
  assert.deepEqual(validateDynamicConfigs({ 'log.retention.msx': '1' }, true), { errorCode: 40, errorMessage: 'Unknown broker configs: Set(log.retention.msx)' });
});
