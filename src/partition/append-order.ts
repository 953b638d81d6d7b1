/**
 * Keeps the appends to a partition in the order their produce requests arrived, while the work
 * before them (validation, which may decompress on the libuv pool) runs concurrently. Without it a
 * small batch pipelined behind a large compressed one would be appended first, and a client that
 * pipelines without idempotence (librdkafka does by default) would see its records reordered.
 * Kafka gets this order for free by handling one request per connection at a time.
 *
 * Take a turn when the request arrives (synchronously, in arrival order), await `ready`, call the
 * partition's append, then `done()`; `done()` also ends a turn that appends nothing.
 */
export interface AppendTurn {
  /** Resolves when every earlier turn on the partition is done. */
  readonly ready: Promise<void>;
  done(): void;
}

const tails = new WeakMap<object, Promise<void>>();

export function takeAppendTurn(partition: object): AppendTurn {
  const ready = tails.get(partition) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  // The next turn waits for this one and every earlier one: a turn that ends early (a refused
  // batch) must not let its successors overtake an append still ahead of it.
  tails.set(partition, Promise.all([ready, mine]).then(() => undefined));
  return { ready, done };
}
