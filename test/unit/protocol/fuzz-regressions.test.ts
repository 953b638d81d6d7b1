// Frames the wire fuzzer found bugs with (test/fixtures/fuzz-regressions/), replayed through the
// frame splitter and the request decoder: each is cut into frames or refused with FrameSizeError,
// and each frame decodes or fails with DecodeError, never another exception.
// test/integration/wire-fuzz-regressions.test.ts replays the same bytes against a broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSizeError, FrameSplitter } from '../../../src/server/frame-splitter.js';
import { decodeRequestFrame } from '../../../src/protocol/request-codec.js';
import { DecodeError } from '../../../src/protocol/codec-errors.js';
import { regressionCases } from '../../helpers/wire-fuzz/report.js';

const cases = regressionCases();

test('the regression cases are there', () => {
  assert.ok(cases.length >= 3, `${cases.length} cases`);
});

for (const { name, case: c } of cases) {
  test(`fuzz regression ${name}: ${c.found.slice(0, 120)}`, () => {
    const splitter = new FrameSplitter(10 * 1024 * 1024);
    let frames = 0;
    try {
      for (const hex of c.wire) {
        for (const frame of splitter.push(Buffer.from(hex, 'hex'))) {
          frames++;
          try {
            decodeRequestFrame(frame);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
          }
        }
      }
    } catch (err) {
      if (!(err instanceof FrameSizeError)) throw err;
    }
    if (c.expect === 'answered') assert.equal(frames, c.wire.length, 'every chunk is one whole frame');
  });
}
