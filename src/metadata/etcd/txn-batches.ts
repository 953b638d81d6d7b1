/**
 * Splitting many writes into etcd transactions that etcd accepts. etcd refuses a transaction with
 * more operations than `--max-txn-ops` (default 128) in any one of its compare, success or failure
 * lists, and a request larger than `--max-request-bytes` (default 1.5 MiB). Writes here are
 * "create this key, which must not exist": each costs one compare and one put.
 */

export interface TxnLimits {
  /** etcd's --max-txn-ops. */
  readonly maxOps: number;
  /** Bytes one transaction may carry; keep it below etcd's --max-request-bytes. */
  readonly maxBytes: number;
}

/** etcd's defaults, with a quarter of the request size left for framing and headers. */
export const DEFAULT_TXN_LIMITS: TxnLimits = { maxOps: 128, maxBytes: 1024 * 1024 + 128 * 1024 };

export interface KeyWrite {
  readonly key: string;
  readonly value: Buffer;
}

/** Protobuf framing per operation, generously: tags, lengths, the compare's fields. */
const OP_OVERHEAD = 48;

/** The bytes a create-if-absent write adds to a transaction: the key twice (compare and put) and the value. */
export function writeCost(w: KeyWrite): number {
  return 2 * Buffer.byteLength(w.key) + w.value.length + OP_OVERHEAD;
}

/** Consecutive groups of writes, in order, each within the limits; throws for a write that alone exceeds them. */
export function batchWrites<T extends KeyWrite>(writes: readonly T[], limits: TxnLimits = DEFAULT_TXN_LIMITS): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const w of writes) {
    const cost = writeCost(w);
    if (cost > limits.maxBytes) throw new Error(`the value for ${w.key} (${w.value.length} bytes) is larger than one etcd request may be`);
    if (current.length > 0 && (current.length >= limits.maxOps || bytes + cost > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(w);
    bytes += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
