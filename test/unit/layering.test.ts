// The layer rules of DESIGN.md, checked on every source file: imports point down the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(fileURLToPath(import.meta.url), '../../../../src');

/** Which top-level folders (or "root" for src/*.ts, the composition root) each folder may import. */
const ALLOWED: Record<string, string[]> = {
  protocol: ['protocol'],
  storage: ['storage', 'protocol'],
  metadata: ['metadata', 'protocol'],
  config: ['config', 'protocol'],
  partition: ['partition', 'storage', 'metadata', 'protocol', 'config'],
  coordinator: ['coordinator', 'partition', 'protocol'],
  // Authentication and authorization sit under the handlers: a handler checks its ACLs (the spine's "check, authorize").
  security: ['security', 'metadata', 'config', 'protocol'],
  api: ['api', 'security', 'coordinator', 'partition', 'storage', 'metadata', 'config', 'protocol'],
  controller: ['controller', 'metadata', 'config', 'protocol'],
  server: ['server', 'api', 'security', 'protocol'],
  // The SCRAM arithmetic is shared with the server side.
  client: ['client', 'security', 'protocol'],
  // The CLI salts SCRAM passwords itself (security/sasl/scram-formulas.ts): the broker never sees them.
  cli: ['cli', 'root', 'broker', 'client', 'security', 'config', 'protocol'],
  // The admin HTTP server sees the broker only through src/broker/observed.ts.
  http: ['http', 'broker'],
  // The composition root: src/broker/ (startBroker, startCluster and the wiring they own) and src/index.ts.
  broker: ['root', 'http', 'broker', 'controller', 'api', 'server', 'security', 'coordinator', 'partition', 'storage', 'metadata', 'config', 'protocol', 'client', 'cli'],
  root: ['root', 'broker', 'controller', 'api', 'server', 'security', 'coordinator', 'partition', 'storage', 'metadata', 'config', 'protocol', 'client', 'cli'],
};

function layerOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length === 1 ? 'root' : rel[0];
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
  });
}

test('source imports follow the layer table of DESIGN.md', () => {
  const violations: string[] = [];
  const files = sources(SRC);
  assert.ok(files.length > 50);
  for (const file of files) {
    const from = layerOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = layerOf(resolve(dirname(file), m[1]));
      if (!ALLOWED[from]?.includes(to)) violations.push(`${relative(SRC, file)} (${from}) imports ${m[1]} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('storage reaches the disk only through its file-system seam (so tests can inject crashes and I/O errors)', () => {
  const offenders = sources(join(SRC, 'storage'))
    .filter((f) => !f.endsWith(`${sep}file-system.ts`))
    .filter((f) => /from 'node:fs(\/promises)?'|from 'fs'/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  assert.deepEqual(offenders, []);
});
