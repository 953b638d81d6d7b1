// The console's rate series: per-second buckets of this broker's produce and consume events over the
// last minute, from the diagnostics channels, on an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { RateTracker, RATE_WINDOW_SECONDS } from '../../../src/http/console/rates.js';
import { FETCHED_CHANNEL_NAME, PRODUCED_CHANNEL_NAME, type ObservedBroker } from '../../../src/broker/observed.js';

test('counts this broker\'s produced records and bytes and consumer bytes per second; forgets what is older than a minute', () => {
  const services = {};
  const other = {};
  let now = 1_000_000_000_000;
  const rates = new RateTracker({ services } as unknown as ObservedBroker, () => now);
  try {
    const produced = (broker: object, messages: number, bytes: number, errorCode = 0) => channel(PRODUCED_CHANNEL_NAME).publish({ broker, topic: 't', partition: 0, errorCode, messages, bytes });
    const fetched = (broker: object, bytes: number, follower: boolean) => channel(FETCHED_CHANNEL_NAME).publish({ broker, topic: 't', errorCode: 0, bytes, follower });
    produced(services, 3, 300);
    produced(services, 2, 200);
    produced(other, 100, 10_000); // another broker in the process
    produced(services, 0, 0, 87); // refused
    fetched(services, 500, false);
    fetched(services, 9999, true); // a follower's fetch is replication, not consumption
    now += 2000;
    produced(services, 1, 10);
    const s = rates.series();
    assert.equal(s.messagesIn.length, RATE_WINDOW_SECONDS);
    assert.equal(s.endSecond, Math.floor(now / 1000));
    assert.deepEqual(s.messagesIn.slice(-3), [5, 0, 1]);
    assert.deepEqual(s.bytesIn.slice(-3), [500, 0, 10]);
    assert.deepEqual(s.bytesOut.slice(-3), [500, 0, 0]);
    now += RATE_WINDOW_SECONDS * 1000;
    const later = rates.series();
    assert.equal(later.messagesIn.reduce((a, b) => a + b, 0), 0);
  } finally {
    rates.close();
  }
});
