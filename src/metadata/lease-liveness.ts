/**
 * Until when a lease holder can be sure its lease still exists at the store.
 *
 * etcd expires a lease TTL after the last renewal it received. The holder knows only when it sent
 * each renewal, and a renewal it sent at time t reached etcd after t, so the lease is certainly
 * alive until (send time of the last acknowledged renewal) + TTL. Past that the holder must assume
 * it is gone: a broker stops acting on what the session gave it before etcd can give it to
 * another. Renewals are acknowledged in the order they were sent (one stream), so a FIFO of send
 * times pairs each acknowledgement with its renewal. Times are plain numbers, so this is tested
 * without timers.
 */
export class LeaseLiveness {
  private pending: number[] = [];
  private renewedAt: number;

  /** `requestedAt`: when the lease grant was sent; `ttlMs`: the TTL etcd granted. */
  constructor(
    requestedAt: number,
    private ttl: number,
  ) {
    this.renewedAt = requestedAt;
  }

  /** A renewal was sent at `now`. */
  sent(now: number): void {
    this.pending.push(now);
  }

  /** The oldest unanswered renewal was acknowledged, with the TTL etcd now gives the lease. */
  acknowledged(ttlMs: number): void {
    const sentAt = this.pending.shift();
    if (sentAt !== undefined) this.renewedAt = Math.max(this.renewedAt, sentAt);
    this.ttl = ttlMs;
  }

  /** The stream carrying renewals broke: unanswered ones will never be acknowledged. */
  streamLost(): void {
    this.pending = [];
  }

  /** The lease's TTL as etcd last stated it. */
  get ttlMs(): number {
    return this.ttl;
  }

  get expiresAt(): number {
    return this.renewedAt + this.ttl;
  }

  expired(now: number): boolean {
    return now >= this.expiresAt;
  }
}
