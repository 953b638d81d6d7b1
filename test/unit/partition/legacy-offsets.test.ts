// ListOffsets v0's answer (Kafka's legacyFetchOffsetsBefore): segment start offsets by file time,
// newest first, at most max_num_offsets, never above the high watermark for consumers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legacyOffsetsBefore, type LegacyOffsetsInput } from '../../../src/partition/legacy-offsets.js';

// Three segments starting at 0, 100 and 250, written at times 1000, 2000 and 3000; log end 300.
const base: LegacyOffsetsInput = {
  segments: [
    { baseOffset: 0, lastModifiedMs: 1000, sizeInBytes: 500 },
    { baseOffset: 100, lastModifiedMs: 2000, sizeInBytes: 500 },
    { baseOffset: 250, lastModifiedMs: 3000, sizeInBytes: 500 },
  ],
  logStartOffset: 0,
  logEndOffset: 300,
  highWatermark: 300,
  now: 9000,
  timestamp: -1,
  maxNumOffsets: 1,
  fromConsumer: true,
};
const offsets = (over: Partial<LegacyOffsetsInput>) => legacyOffsetsBefore({ ...base, ...over });

test('latest (-1) is the log end; earliest (-2) the log start; more offsets list segment starts newest first', () => {
  assert.deepEqual(offsets({ timestamp: -1 }), [300]);
  assert.deepEqual(offsets({ timestamp: -1, maxNumOffsets: 10 }), [300, 250, 100, 0]);
  assert.deepEqual(offsets({ timestamp: -2 }), [0]);
  assert.deepEqual(offsets({ timestamp: -2, maxNumOffsets: 10 }), [0], 'earliest starts from the oldest entry and goes back from there');
  assert.deepEqual(offsets({ timestamp: -1, maxNumOffsets: 0 }), []);
});

test('a time picks the newest segment written at or before it; before every segment there is none', () => {
  assert.deepEqual(offsets({ timestamp: 2500, maxNumOffsets: 10 }), [100, 0]);
  assert.deepEqual(offsets({ timestamp: 2000, maxNumOffsets: 1 }), [100]);
  assert.deepEqual(offsets({ timestamp: 3000, maxNumOffsets: 2 }), [250, 100]);
  assert.deepEqual(offsets({ timestamp: 999, maxNumOffsets: 10 }), []);
  // The log end counts as written now, when the last segment holds data.
  assert.deepEqual(offsets({ timestamp: 9000 }), [300]);
  assert.deepEqual(offsets({ timestamp: 9000, segments: [...base.segments.slice(0, 2), { baseOffset: 300, lastModifiedMs: 3000, sizeInBytes: 0 }] }), [300], 'an empty last segment is its own base offset');
});

test('segment starts below the log start report the log start; consumers never see offsets above the high watermark', () => {
  assert.deepEqual(offsets({ timestamp: -1, maxNumOffsets: 10, logStartOffset: 120 }), [300, 250, 120, 120]);
  assert.deepEqual(offsets({ timestamp: -1, maxNumOffsets: 10, highWatermark: 260 }), [260, 250, 100, 0]);
  assert.deepEqual(offsets({ timestamp: -1, maxNumOffsets: 10, highWatermark: 260, fromConsumer: false }), [300, 250, 100, 0]);
});
