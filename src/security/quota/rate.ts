/**
 * A rate over a sliding set of fixed windows, as Kafka's quota sensors keep it (quota.window.num
 * windows of quota.window.size.seconds): the sum over the windows still held, divided by the time
 * they span, never less than all but one full window (so one burst after a quiet spell is not
 * divided by a few milliseconds).
 */
export class WindowedRate {
  private readonly starts: number[] = [];
  private readonly totals: number[] = [];

  constructor(
    private readonly windows: number,
    private readonly windowMs: number,
  ) {}

  record(value: number, now: number): void {
    this.expire(now);
    const last = this.starts.length - 1;
    if (last >= 0 && now < this.starts[last] + this.windowMs) this.totals[last] += value;
    else {
      this.starts.push(now - (now % this.windowMs));
      this.totals.push(value);
    }
  }

  /** Units per second. */
  rate(now: number): number {
    this.expire(now);
    if (this.starts.length === 0) return 0;
    const total = this.totals.reduce((a, b) => a + b, 0);
    const elapsed = Math.max(now - this.starts[0], (this.windows - 1) * this.windowMs, 1);
    return (total * 1000) / elapsed;
  }

  /** The time the windows cover now, in ms: what a throttle is measured against. */
  span(now: number): number {
    this.expire(now);
    return this.starts.length === 0 ? this.windows * this.windowMs : Math.max(now - this.starts[0], (this.windows - 1) * this.windowMs);
  }

  /** Whether nothing was recorded for all the windows: the sensor can go. */
  idle(now: number): boolean {
    this.expire(now);
    return this.starts.length === 0;
  }

  private expire(now: number): void {
    while (this.starts.length > 0 && this.starts[0] + this.windows * this.windowMs <= now) {
      this.starts.shift();
      this.totals.shift();
    }
  }
}
