import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, ErrorCode, KafkaError } from '../../src/protocol/error-codes.js';

test('error codes carry Kafka\'s numbers and retriable flags', () => {
  const expected: [keyof typeof ErrorCode, number, boolean][] = [
    ['UNKNOWN_SERVER_ERROR', -1, false],
    ['NONE', 0, false],
    ['OFFSET_OUT_OF_RANGE', 1, false],
    ['CORRUPT_MESSAGE', 2, true],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, true],
    ['NOT_LEADER_OR_FOLLOWER', 6, true],
    ['REQUEST_TIMED_OUT', 7, true],
    ['MESSAGE_TOO_LARGE', 10, false],
    ['NOT_COORDINATOR', 16, true],
    ['REBALANCE_IN_PROGRESS', 27, false],
    ['UNSUPPORTED_VERSION', 35, false],
    ['TOPIC_ALREADY_EXISTS', 36, false],
    ['INVALID_REQUEST', 42, false],
    ['KAFKA_STORAGE_ERROR', 56, true],
    ['FENCED_LEADER_EPOCH', 74, true],
    ['MEMBER_ID_REQUIRED', 79, false],
    ['FENCED_INSTANCE_ID', 82, false],
    ['INVALID_RECORD', 87, false],
    ['UNKNOWN_TOPIC_ID', 100, true],
  ];
  for (const [name, code, retriable] of expected) {
    assert.equal(ErrorCode[name], code, name);
    assert.equal(describeError(code)?.name, name);
    assert.equal(describeError(code)?.retriable, retriable, `${name} retriable`);
  }
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length, 'no code is used twice');
  for (let c = -1; c <= 127; c++) assert.ok(describeError(c), `code ${c} is in the table`);
  const err = new KafkaError(ErrorCode.NOT_COORDINATOR);
  assert.equal(err.code, 16);
  assert.ok(err.retriable);
});
