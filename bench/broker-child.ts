/** A broker as a child process for the benchmarks (`tributary start`, JSON logs), resolved once it is ready. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `adminListener`: the admin HTTP server's host:port, or 'off' (the default here: benchmarks measure the broker alone). */
export function startBrokerChild(dataDir: string, port: number, adminListener = 'off'): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'tributary.js'), 'start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--log-format', 'json', '--admin-listener', adminListener], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('broker ready')) res(child);
    });
    child.on('exit', (code) => rej(new Error(`broker exited with ${code}`)));
  });
}
