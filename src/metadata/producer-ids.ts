/**
 * Producer ids for idempotent producers: unique for the life of the cluster (or, on a single node,
 * of the data directory). Ids are taken in blocks (Kafka's 1000) from a block source: the local
 * file below on a single node, the metadata store's shared counter in a cluster
 * (MetadataStore.allocateProducerIds). A block is recorded as taken before any id from it is handed
 * out, so a restart never hands out an id twice.
 *
 *   <data dir>/__tributary_producer_ids   the first id of the next block, as decimal text
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { PRODUCER_ID_BLOCK_SIZE, type ProducerIdBlock } from './metadata-store.js';

const FILE = '__tributary_producer_ids';

/** The single node's block counter, kept in the data directory. */
export class ProducerIdBlockFile {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private nextBlockStart: bigint,
  ) {}

  static async open(dataDir: string): Promise<ProducerIdBlockFile> {
    const path = join(dataDir, FILE);
    let start = 0n;
    try {
      start = BigInt((await readFile(path, 'utf8')).trim());
    } catch {
      start = 0n;
    }
    return new ProducerIdBlockFile(path, start);
  }

  /** The next block; the file says it is taken before this resolves. */
  allocate(): Promise<ProducerIdBlock> {
    const run = this.queue.then(async () => {
      const firstId = this.nextBlockStart;
      await writeFileAtomic(this.path, `${firstId + BigInt(PRODUCER_ID_BLOCK_SIZE)}\n`);
      this.nextBlockStart = firstId + BigInt(PRODUCER_ID_BLOCK_SIZE);
      return { firstId, size: PRODUCER_ID_BLOCK_SIZE };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export class ProducerIdManager {
  private queue: Promise<unknown> = Promise.resolve();
  private next = 0n;
  private blockEnd = 0n;

  private constructor(private readonly allocateBlock: () => Promise<ProducerIdBlock>) {}

  /** Ids from the data directory's own counter (a single node). */
  static async open(dataDir: string): Promise<ProducerIdManager> {
    const file = await ProducerIdBlockFile.open(dataDir);
    return new ProducerIdManager(() => file.allocate());
  }

  /** Ids from blocks some other source hands out, e.g. `() => store.allocateProducerIds(nodeId)`. */
  static fromBlocks(allocateBlock: () => Promise<ProducerIdBlock>): ProducerIdManager {
    return new ProducerIdManager(allocateBlock);
  }

  /** The next unused producer id. */
  nextId(): Promise<bigint> {
    const run = this.queue.then(async () => {
      if (this.next >= this.blockEnd) {
        const block = await this.allocateBlock();
        this.next = block.firstId;
        this.blockEnd = block.firstId + BigInt(block.size);
      }
      return this.next++;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
