/**
 * Producer ids for idempotent producers: unique for the life of the data directory. Ids are taken
 * in blocks; the end of the current block is written (atomically) before any id from it is handed
 * out, so a restart never hands out an id twice.
 *
 *   <data dir>/__tributary_producer_ids   the first id of the next block, as decimal text
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

const FILE = '__tributary_producer_ids';
const BLOCK = 1000n;

export class ProducerIdManager {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private next: bigint,
    private blockEnd: bigint,
  ) {}

  static async open(dataDir: string): Promise<ProducerIdManager> {
    const path = join(dataDir, FILE);
    let start = 0n;
    try {
      start = BigInt((await readFile(path, 'utf8')).trim());
    } catch {
      start = 0n;
    }
    return new ProducerIdManager(path, start, start);
  }

  /** The next unused producer id. */
  nextId(): Promise<bigint> {
    const run = this.queue.then(async () => {
      if (this.next >= this.blockEnd) {
        await writeFileAtomic(this.path, `${this.blockEnd + BLOCK}\n`);
        this.blockEnd += BLOCK;
      }
      return this.next++;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
