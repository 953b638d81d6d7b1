/**
 * What a partition's transactions allow a producer batch, and KIP-890's verification guards, as
 * Kafka's VerificationGuard: before the first transactional batch of a producer is appended to a
 * partition, the leader asks the transaction coordinator whether the partition is in the
 * producer's ongoing transaction. The answer may be stale by the time the append runs: a marker
 * ending that transaction can land in between, and the batch would then open a transaction nobody
 * will ever end (a hanging transaction, holding the LSO back). So the leader takes a guard before
 * asking, a marker for the producer drops it, and the append goes ahead only if the guard it
 * verified under is still the producer's.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { ProducerStates } from './producer-state.js';

export interface VerificationGuard {
  readonly producerId: bigint;
}

export class TransactionRules {
  private readonly guards = new Map<bigint, VerificationGuard>();

  constructor(
    private readonly producers: ProducerStates,
    private readonly topicPartition: string,
  ) {}

  /** Whether `producerId` has a transaction open here (batches written, no marker yet). */
  isOpen(producerId: bigint): boolean {
    return this.producers.currentTransaction(producerId) !== null;
  }

  /** The guard to verify a transactional batch of `producerId` under, or null when its transaction is open here already. */
  guardFor(producerId: bigint): VerificationGuard | null {
    if (this.isOpen(producerId)) return null;
    let guard = this.guards.get(producerId);
    if (!guard) this.guards.set(producerId, (guard = { producerId }));
    return guard;
  }

  /**
   * Why a batch of an idempotent producer may not be appended now, or null (its guard, done with,
   * is dropped): a plain batch inside an open transaction, or a transactional batch whose
   * verification a marker overtook.
   */
  refusal(producerId: bigint, transactional: boolean, guard: VerificationGuard | undefined): KafkaError | null {
    const open = this.isOpen(producerId);
    if (!transactional && open) return new KafkaError(ErrorCode.INVALID_TXN_STATE, `Producer ${producerId} sent a non-transactional batch while its transaction is open.`);
    if (transactional && !open && guard && this.guards.get(producerId) !== guard) {
      return new KafkaError(ErrorCode.INVALID_TXN_STATE, `The transaction of producer ${producerId} ended while its batch for ${this.topicPartition} was being verified.`);
    }
    this.guards.delete(producerId);
    return null;
  }

  /** A marker for the producer: a verification under way is void. */
  markerAccepted(producerId: bigint): void {
    this.guards.delete(producerId);
  }
}
