// Bundles the `tributary` command (tsc's output under dist/src/cli) into dist/cli/ with esbuild:
// Node's ES module loader costs about a millisecond per module, and the command's start path
// imports some 550 of them; a few chunks load in a fraction of that. npm packages stay external
// (loaded from node_modules as usual), and each dynamic import() becomes its own chunk, so what
// loads lazily today (the admin server, the etcd store, the CLI's Kafka client) still does.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
