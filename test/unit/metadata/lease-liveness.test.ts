// A lease holder's own view of whether its lease lives, driven by plain numbers for time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseLiveness } from '../../../src/metadata/lease-liveness.js';

test('alive until the TTL after the send time of the last acknowledged renewal', () => {
  const l = new LeaseLiveness(1000, 9000);
  assert.equal(l.expiresAt, 10_000, 'counted from when the grant was asked for');
  l.sent(3000);
  l.sent(5000);
  assert.equal(l.expiresAt, 10_000, 'a renewal counts only once acknowledged');
  l.acknowledged(9000);
  assert.equal(l.expiresAt, 12_000, 'the first acknowledgement answers the renewal sent at 3000');
  l.acknowledged(9000);
  assert.equal(l.expiresAt, 14_000);
  assert.equal(l.expired(13_999), false);
  assert.equal(l.expired(14_000), true);
});

test('renewals lost with their stream never count, and the TTL etcd states is used', () => {
  const l = new LeaseLiveness(0, 2000);
  l.sent(500);
  l.streamLost();
  l.sent(1500);
  l.acknowledged(3000);
  assert.equal(l.expiresAt, 4500, 'the acknowledgement belongs to the renewal on the new stream; etcd granted 3 s');
  assert.equal(l.ttlMs, 3000);
  l.acknowledged(3000);
  assert.equal(l.expiresAt, 4500, 'an acknowledgement with nothing pending moves nothing');
});
