// Every `properties` block of the README is a server.properties a user may paste as it is: each
// must parse into a valid broker config, and no value may carry what was meant as a comment (in a
// .properties file `#` starts a comment only at the start of a line, so `key=value   # note`
// gives the value "value   # note", which once made the README's SASL and ACL examples fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BrokerConfig } from '../../src/config/broker-configs.js';
import { parseProperties } from '../../src/config/config-def.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
const blocks = [...README.matchAll(/```properties\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has properties blocks to check', () => {
  assert.ok(blocks.length >= 3, `${blocks.length} blocks`);
});

for (const [i, block] of blocks.entries()) {
  const first = block.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  test(`README properties block ${i + 1} (${first.slice(0, 60)}) parses, with no comment inside a value`, () => {
    const entries = parseProperties(block);
    assert.ok(entries.size > 0, 'the block sets keys');
    for (const [key, value] of entries) assert.doesNotMatch(value, /\s#/, `${key} has a comment in its value: ${value}`);
    assert.doesNotThrow(() => BrokerConfig.fromProperties(block));
  });
}
