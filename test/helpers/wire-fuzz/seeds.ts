/**
 * Seed frames for the wire fuzzer: every request frame captured from real clients
 * (test/fixtures/frames/, see scripts/capture-client-frames.ts), plus one frame built from the
 * generated schemas for every version of every API the broker serves, so versions no captured
 * client uses are covered too. Frames are request bodies without their size prefix.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_BY_KEY } from '../../../src/protocol/generated/index.js';
import { encodeRequestFrame } from '../../../src/protocol/request-codec.js';
import { supportedApis } from '../../../src/api/registry.js';
import { Rng, sampleStruct } from '../protocol-samples.js';

/** The repository root, from dist/test/helpers/wire-fuzz/ or test/helpers/wire-fuzz/. */
export const REPO_ROOT = (() => {
  let dir = resolve(fileURLToPath(import.meta.url), '..');
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
})();

export interface SeedFrame {
  readonly origin: string;
  readonly frame: Buffer;
}

export function capturedSeeds(): SeedFrame[] {
  const root = join(REPO_ROOT, 'test/fixtures/frames');
  const out: SeedFrame[] = [];
  for (const client of readdirSync(root).sort()) {
    const entries = JSON.parse(readFileSync(join(root, client, 'index.json'), 'utf8')) as { file: string }[];
    for (const e of entries) out.push({ origin: `${client}/${e.file}`, frame: readFileSync(join(root, client, e.file)) });
  }
  return out;
}

export function generatedSeeds(seed: number): SeedFrame[] {
  const rng = new Rng(seed);
  const out: SeedFrame[] = [];
  for (const api of supportedApis()) {
    const def = API_BY_KEY.get(api.apiKey);
    if (!def) continue;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const body = sampleStruct(def.request.root, v, rng);
      out.push({ origin: `generated/${def.name}-v${v}`, frame: Buffer.concat(encodeRequestFrame(api.apiKey, v, 1, 'fuzz', body)).subarray(4) });
    }
  }
  return out;
}

export function allSeeds(seed: number): SeedFrame[] {
  return [...capturedSeeds(), ...generatedSeeds(seed)];
}
