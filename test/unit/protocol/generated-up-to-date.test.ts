// The generated codecs are committed; this regenerates them from ../shared/kafka-message-specs
// and fails on any difference, so a hand edit or a stale generator cannot go unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_OUT_DIR, DEFAULT_SPEC_DIR, generate } from '../../../scripts/generate-protocol.js';

test('src/protocol/generated is what the generator makes from the specs', (t) => {
  if (!existsSync(DEFAULT_SPEC_DIR)) {
    t.skip(`no specs at ${DEFAULT_SPEC_DIR}`);
    return;
  }
  const files = generate(DEFAULT_SPEC_DIR);
  const onDisk = readdirSync(DEFAULT_OUT_DIR).filter((f) => f.endsWith('.ts'));
  assert.deepEqual(onDisk.sort(), [...files.keys()].sort(), 'the set of generated files differs');
  for (const [name, content] of files) {
    assert.ok(readFileSync(join(DEFAULT_OUT_DIR, name), 'utf8') === content, `${name} differs from a fresh generation: run npm run generate`);
  }
});
