// Topic settings that shape produce validation: how they resolve (topic over broker over Kafka's
// defaults, the deprecated difference.max.ms as fallback) and which values are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logValidationConfig } from '../../../src/config/log-validation-config.js';
import { BrokerConfig } from '../../../src/config/broker-configs.js';
import { validateTopicConfigs } from '../../../src/config/topic-config-values.js';

const broker = (values: Record<string, string> = {}) => new BrokerConfig(Object.entries(values));

test('defaults: no timestamp bounds, the producer\'s compression, CreateTime, min.insync.replicas 1', () => {
  assert.deepEqual(logValidationConfig(broker(), {}), {
    maxMessageBytes: 1048588,
    compacted: false,
    timestampType: 'CreateTime',
    timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
    timestampAfterMaxMs: Number.POSITIVE_INFINITY,
    compression: 'producer',
    minInsyncReplicas: 1,
  });
});

test('timestamp bounds: before/after win, difference.max.ms fills the sides left at their default, broker keys are defaults', () => {
  const c = (topic: Record<string, string>, b: Record<string, string> = {}) => {
    const v = logValidationConfig(broker(b), topic);
    return [v.timestampBeforeMaxMs, v.timestampAfterMaxMs];
  };
  assert.deepEqual(c({ 'message.timestamp.difference.max.ms': '500' }), [500, 500]);
  assert.deepEqual(c({ 'message.timestamp.difference.max.ms': '500', 'message.timestamp.after.max.ms': '20' }), [500, 20]);
  assert.deepEqual(c({ 'message.timestamp.before.max.ms': '7' }), [7, Number.POSITIVE_INFINITY]);
  assert.deepEqual(c({}, { 'log.message.timestamp.before.max.ms': '9', 'log.message.timestamp.difference.max.ms': '100' }), [9, 100]);
  assert.deepEqual(c({ 'message.timestamp.before.max.ms': '1' }, { 'log.message.timestamp.before.max.ms': '9' }), [1, Number.POSITIVE_INFINITY]);
  const resolved = logValidationConfig(broker({ 'compression.type': 'lz4', 'log.message.timestamp.type': 'LogAppendTime' }), { 'cleanup.policy': 'compact,delete', 'min.insync.replicas': '2' });
  assert.deepEqual([resolved.compression, resolved.timestampType, resolved.compacted, resolved.minInsyncReplicas], ['lz4', 'LogAppendTime', true, 2]);
});

test('refused topic values: unknown codecs, negative bounds; compaction lags are honoured, so accepted', () => {
  assert.match(validateTopicConfigs({ 'compression.type': 'brotli' }) ?? '', /compression.type/);
  assert.match(validateTopicConfigs({ 'message.timestamp.difference.max.ms': '-1' }) ?? '', /at least 0/);
  const accepted: Record<string, string>[] = [{ 'compression.type': 'zstd' }, { 'compression.type': 'uncompressed' }, { 'min.compaction.lag.ms': '60000' }, { 'max.compaction.lag.ms': '86400000' }, { 'message.timestamp.difference.max.ms': '1000' }, { 'min.insync.replicas': '3' }];
  for (const ok of accepted) {
    assert.equal(validateTopicConfigs(ok), null, JSON.stringify(ok));
  }
  assert.doesNotThrow(() => broker({ 'log.cleaner.min.compaction.lag.ms': '5' }));
});
