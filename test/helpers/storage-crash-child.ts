/**
 * Child process of the crash test: opens the log the way the broker does (recovering after the
 * previous kill), then appends batches from four concurrent writers with the default flush policy,
 * printing each acknowledged batch as "ack <baseOffset> <lastOffset> <tag>". Runs until killed.
 */
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log.js';
import { batch } from './storage.js';

const dataDir = process.argv[2];
const round = process.argv[3];
const manager = await LogManager.open(dataDir);
const log = await manager.openLog('crash', 0, { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 });
process.stdout.write(`ready ${log.logEndOffset}\n`);
let n = 0;
async function writer(w: number): Promise<void> {
  for (;;) {
    const tag = `${round}-${w}-${n++}`;
    const records = 1 + (n % 5);
    const { baseOffset, lastOffset } = await log.append(await batch(tag, records, Date.now(), 40 + (n % 200)), 0, null);
    process.stdout.write(`ack ${baseOffset} ${lastOffset} ${tag}\n`);
  }
}
await Promise.all([0, 1, 2, 3].map(writer));
