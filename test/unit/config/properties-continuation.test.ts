// server.properties line continuations (java.util.Properties), as Kafka's docs write inline PEM values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../../../src/config/config-def.js';

test('a line ending in one backslash goes on in the next, without its leading white space', () => {
  const props = parseProperties('a=one \\\n    two\\\n\tthree\nb=plain\n# comment \\\nc=after-comment\nd=even\\\\\ne=last\\');
  assert.equal(props.get('a'), 'one twothree');
  assert.equal(props.get('b'), 'plain');
  assert.equal(props.get('c'), 'after-comment', 'a comment line does not continue');
  assert.equal(props.get('d'), 'even\\\\', 'an even number of backslashes does not continue');
  assert.equal(props.get('e'), 'last');
});
