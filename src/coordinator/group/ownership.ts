/**
 * Which __consumer_offsets partitions this coordinator answers for, as Kafka's GroupMetadataManager
 * tracks them (ownedPartitions, loadingPartitions, epochForPartitionId): a partition is claimed
 * when this broker becomes its leader (onElection), replayed while 'loading', then 'owned' until
 * it is released (onResignation). Pure bookkeeping: the coordinator does the replay and the
 * unloading of groups.
 *
 * A claim is an object, so that work started under one claim (a replay, an offset commit waiting
 * for its append) can tell afterwards whether the partition is still held by that same claim: a
 * release, or a newer claim after leadership went away and came back, makes it stale.
 */
import { ErrorCode } from '../../protocol/error-codes.js';

export type OwnershipStatus = 'owned' | 'loading' | 'not-owned';

export interface Claim {
  readonly partition: number;
  /** The coordinator epoch: the partition's leader epoch when this broker became its leader. */
  readonly epoch: number;
  status: 'loading' | 'owned';
}

/** The error a request for a group gets while this coordinator does not answer for it. */
export function ownershipError(status: OwnershipStatus): number {
  if (status === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  return status === 'not-owned' ? ErrorCode.NOT_COORDINATOR : ErrorCode.NONE;
}

/** A write abandoned because its offsets partition was unloaded before or while it ran. */
export class NotCoordinatorError extends Error {
  constructor(partition: number) {
    super(`__consumer_offsets-${partition} is not coordinated here (any more)`);
    this.name = 'NotCoordinatorError';
  }
}

export class PartitionOwnership {
  private readonly claims = new Map<number, Claim>();
  /** The highest coordinator epoch seen per partition; kept after a release, as Kafka keeps it. */
  private readonly epochs = new Map<number, number>();

  status(partition: number): OwnershipStatus {
    return this.claims.get(partition)?.status ?? 'not-owned';
  }

  /** The partition's claim if it is owned (loaded), else undefined. */
  owned(partition: number): Claim | undefined {
    const claim = this.claims.get(partition);
    return claim?.status === 'owned' ? claim : undefined;
  }

  current(partition: number): Claim | undefined {
    return this.claims.get(partition);
  }

  /** Whether `claim` still holds its partition, and has finished loading. */
  holds(claim: Claim): boolean {
    return this.claims.get(claim.partition) === claim && claim.status === 'owned';
  }

  get anyLoading(): boolean {
    for (const c of this.claims.values()) if (c.status === 'loading') return true;
    return false;
  }

  /** Partitions claimed (owned or loading). */
  partitions(): number[] {
    return [...this.claims.keys()];
  }

  /**
   * Kafka's maybeUpdateCoordinatorEpoch: raises the partition's epoch to `epoch` when higher, and
   * says whether an operation at `epoch` may go ahead (no epoch, or at least the current one).
   */
  acceptEpoch(partition: number, epoch: number | undefined): boolean {
    if (epoch === undefined) return true;
    const current = this.epochs.get(partition);
    if (current !== undefined && epoch < current) return false;
    this.epochs.set(partition, epoch);
    return true;
  }

  /** Starts a claim in 'loading'; the caller has released any previous one. */
  begin(partition: number, epoch: number): Claim {
    const claim: Claim = { partition, epoch, status: 'loading' };
    this.claims.set(partition, claim);
    return claim;
  }

  /** Marks a finished replay; false (and nothing changes) when the claim was superseded meanwhile. */
  finish(claim: Claim): boolean {
    if (this.claims.get(claim.partition) !== claim) return false;
    claim.status = 'owned';
    return true;
  }

  /** Drops the partition's claim (if it is still `claim`, when given); returns what was dropped. */
  release(partition: number, claim?: Claim): Claim | undefined {
    const current = this.claims.get(partition);
    if (!current || (claim && current !== claim)) return undefined;
    this.claims.delete(partition);
    return current;
  }
}
