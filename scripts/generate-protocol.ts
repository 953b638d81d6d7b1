/**
 * Generates src/protocol/generated/ from Kafka's JSON message definitions.
 *
 *   node dist/scripts/generate-protocol.js [SPEC_DIR] [OUT_DIR]
 *
 * SPEC_DIR defaults to ../shared/kafka-message-specs beside the repository; OUT_DIR to
 * src/protocol/generated. The output is committed, so building the package never needs the specs;
 * a test regenerates into a temporary directory and checks there is no difference.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from './protocol-gen/spec.js';
import { emitMessageFile } from './protocol-gen/emit-file.js';
import { emitIndexFile } from './protocol-gen/emit-index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_SPEC_DIR = resolve(repoRoot, '..', 'shared', 'kafka-message-specs');
export const DEFAULT_OUT_DIR = resolve(repoRoot, 'src', 'protocol', 'generated');

/** Returns file name → content for every generated file. */
export function generate(specDir: string): Map<string, string> {
  const messages = loadAll(specDir);
  const files = new Map<string, string>();
  const typeNames = new Set<string>();
  for (const m of messages) {
    for (const s of m.structs) {
      if (typeNames.has(s.typeName)) throw new Error(`generated type name ${s.typeName} is defined twice`);
      typeNames.add(s.typeName);
    }
    files.set(`${m.name}.ts`, emitMessageFile(m));
  }
  files.set('index.ts', emitIndexFile(messages));
  return files;
}

export function writeGenerated(files: Map<string, string>, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const name of readdirSync(outDir)) {
    if (name.endsWith('.ts') && !files.has(name)) rmSync(join(outDir, name));
  }
  for (const [name, content] of files) writeFileSync(join(outDir, name), content);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const specDir = resolve(process.argv[2] ?? DEFAULT_SPEC_DIR);
  const outDir = resolve(process.argv[3] ?? DEFAULT_OUT_DIR);
  const files = generate(specDir);
  writeGenerated(files, outDir);
  console.log(`generated ${files.size} files into ${outDir}`);
}
