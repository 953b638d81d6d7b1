/**
 * Produce and consume rates for the console's charts: per-second counts of the last minute, from
 * the same diagnostics channels the BrokerTopicMetrics counters read (records and bytes appended
 * by client produce requests; record bytes sent to consumers, not followers). Only this broker's
 * events count: others in the same process publish on the same channels.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FETCHED_CHANNEL_NAME, PRODUCED_CHANNEL_NAME, type FetchedEvent, type ObservedBroker, type ProducedEvent } from '../../broker/observed.js';

export const RATE_WINDOW_SECONDS = 60;

interface Bucket {
  second: number;
  messagesIn: number;
  bytesIn: number;
  bytesOut: number;
}

export interface RateSeries {
  readonly intervalSeconds: 1;
  /** Unix second of the last (current, still filling) bucket. */
  readonly endSecond: number;
  readonly messagesIn: number[];
  readonly bytesIn: number[];
  readonly bytesOut: number[];
}

export class RateTracker {
  private readonly buckets: Bucket[] = [];
  private readonly onProduced = (m: unknown) => {
    const e = m as ProducedEvent;
    if (e.broker !== this.broker.services || e.errorCode !== 0) return;
    const b = this.bucket();
    b.messagesIn += e.messages;
    b.bytesIn += e.bytes;
  };
  private readonly onFetched = (m: unknown) => {
    const e = m as FetchedEvent;
    if (e.broker !== this.broker.services || e.follower || e.bytes === 0) return;
    this.bucket().bytesOut += e.bytes;
  };

  constructor(private readonly broker: ObservedBroker, private readonly now: () => number = Date.now) {
    subscribe(PRODUCED_CHANNEL_NAME, this.onProduced);
    subscribe(FETCHED_CHANNEL_NAME, this.onFetched);
  }

  close(): void {
    unsubscribe(PRODUCED_CHANNEL_NAME, this.onProduced);
    unsubscribe(FETCHED_CHANNEL_NAME, this.onFetched);
  }

  series(): RateSeries {
    const end = Math.floor(this.now() / 1000);
    const out = { intervalSeconds: 1 as const, endSecond: end, messagesIn: [] as number[], bytesIn: [] as number[], bytesOut: [] as number[] };
    const bySecond = new Map(this.buckets.map((b) => [b.second, b]));
    for (let s = end - RATE_WINDOW_SECONDS + 1; s <= end; s++) {
      const b = bySecond.get(s);
      out.messagesIn.push(b?.messagesIn ?? 0);
      out.bytesIn.push(b?.bytesIn ?? 0);
      out.bytesOut.push(b?.bytesOut ?? 0);
    }
    return out;
  }

  private bucket(): Bucket {
    const second = Math.floor(this.now() / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last?.second === second) return last;
    const b = { second, messagesIn: 0, bytesIn: 0, bytesOut: 0 };
    this.buckets.push(b);
    while (this.buckets.length > 0 && this.buckets[0].second <= second - RATE_WINDOW_SECONDS) this.buckets.shift();
    return b;
  }
}
