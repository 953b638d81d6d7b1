// One suite, both implementations of the partition log interface: the disk log and its memory twin
// must answer every call the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { batch, openLog, shape, tempDir } from '../../helpers/storage.js';

const IMPLEMENTATIONS: [string, () => Promise<{ log: PartitionLog; cleanup: () => Promise<void> }>][] = [
  [
    'disk',
    async () => {
      const { dir, cleanup } = await tempDir();
      const log = await openLog(dir, { segmentBytes: 700 });
      return { log, cleanup: async () => (await log.close(), await cleanup()) };
    },
  ],
  ['memory', async () => ({ log: new MemoryLog(), cleanup: async () => undefined })],
];

for (const [name, make] of IMPLEMENTATIONS) {
  test(`${name} log: the PartitionLog contract`, async () => {
    const { log, cleanup } = await make();
    try {
      assert.equal(log.logEndOffset, 0);
      const appended = [];
      for (let i = 0; i < 8; i++) appended.push(await log.append(await batch(`b${i}`, 3, 10_000 + i * 100), 2, null));
      assert.deepEqual(appended.map((a) => a.baseOffset), [0, 3, 6, 9, 12, 15, 18, 21]);
      assert.equal(log.logEndOffset, 24);
      assert.deepEqual(shape(await log.read(4, 1 << 20, 12, true)), [[3, 3], [6, 3], [9, 3]], 'from the batch holding 4, up to the limit 12');
      assert.deepEqual(shape(await log.read(0, 1, 24, true)), [[0, 3]], 'at least one batch');
      assert.deepEqual(shape(await log.read(0, 1, 24, false)), []);
      assert.deepEqual(shape(await log.read(24, 1 << 20, 24, true)), []);
      assert.deepEqual(await log.offsetForTimestamp(10_250), { offset: 9, timestamp: 10_302 });
      assert.equal(await log.offsetForTimestamp(20_000), null);
      assert.deepEqual(await log.maxTimestamp(), { offset: 21, timestamp: 10_702 });
      await log.deleteRecordsBefore(7);
      assert.equal(log.logStartOffset, 7);
      assert.deepEqual(await log.offsetForTimestamp(0), { offset: 7, timestamp: 10_202 }, 'nothing before the log start is found');
      const withTime = await log.append(await batch('t', 1, 1), 2, 99_999);
      const [view] = shape(await log.read(withTime.baseOffset, 1 << 20, 25, true));
      assert.deepEqual(view, [24, 1]);
    } finally {
      await cleanup();
    }
  });
}
