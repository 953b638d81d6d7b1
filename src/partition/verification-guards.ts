/**
 * KIP-890's verification guards, as Kafka's VerificationGuard: before the first transactional
 * batch of a producer is appended to a partition, the leader asks the transaction coordinator
 * whether the partition is in the producer's ongoing transaction. The answer may be stale by the
 * time the append runs: a marker ending that transaction can land in between, and the batch would
 * then open a transaction nobody will ever end (a hanging transaction, holding the LSO back). So
 * the leader takes a guard before asking, a marker for the producer drops it, and the append goes
 * ahead only if the guard it verified under is still the producer's.
 */
export interface VerificationGuard {
  readonly producerId: bigint;
}

export class VerificationGuards {
  private readonly guards = new Map<bigint, VerificationGuard>();

  /** The producer's guard, taken now if it has none. */
  take(producerId: bigint): VerificationGuard {
    let guard = this.guards.get(producerId);
    if (!guard) this.guards.set(producerId, (guard = { producerId }));
    return guard;
  }

  /** Whether `guard` is still the producer's (no marker since it was taken). */
  holds(guard: VerificationGuard): boolean {
    return this.guards.get(guard.producerId) === guard;
  }

  /** A marker for the producer, or its transaction opened: the guard has done its work or is void. */
  drop(producerId: bigint): void {
    this.guards.delete(producerId);
  }
}
