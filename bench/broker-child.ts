/** A broker as a child process for the benchmarks (`tributary start`, JSON logs), resolved once it is ready. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `settings`: extra `key=value` config (each passed as --set); one setting `listeners` replaces --listen.
 * `adminListener`: the admin HTTP server's host:port, or 'off' (the default here: benchmarks measure the broker alone).
 * `nodeArgs`: options for node itself (`--cpu-prof`, which NODE_OPTIONS does not take).
 */
export function startBrokerChild(dataDir: string, port: number, settings: string[] = [], adminListener = 'off', nodeArgs: string[] = []): Promise<ChildProcess> {
  const listen = settings.some((s) => s.startsWith('listeners=')) ? [] : ['--listen', `127.0.0.1:${port}`];
  const set = settings.flatMap((s) => ['--set', s]);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'tributary.js'), 'start', '--data-dir', dataDir, ...listen, ...set, '--log-format', 'json', '--admin-listener', adminListener], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('broker ready')) res(child);
    });
    child.on('exit', (code) => rej(new Error(`broker exited with ${code}`)));
  });
}
