/**
 * Idle client connections held by a child process (so their sockets are not the benchmark's own
 * cost): each connects, sends one ApiVersions v0 request, reads the answer, and then stays open.
 */
import { spawn } from 'node:child_process';

const HOLDER = `
const net = require('net');
const [port, count] = process.argv.slice(1).map(Number);
const body = Buffer.from([0, 18, 0, 0, 0, 0, 0, 1, 0, 0]);
const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
const sockets = [];
let answered = 0, started = 0;
function one() {
  if (started >= count) return;
  started++;
  const s = net.connect(port, '127.0.0.1');
  sockets.push(s);
  s.once('connect', () => s.write(frame));
  s.once('data', () => { if (++answered === count) process.stdout.write('held\\n'); else one(); });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
}
for (let i = 0; i < 64; i++) one();
`;

export interface HeldConnections {
  close(): Promise<void>;
}

export function holdIdleConnections(port: number, count: number): Promise<HeldConnections> {
  const holder = spawn(process.execPath, ['-e', HOLDER, String(port), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('held')) return;
      resolve({
        close: () => new Promise<void>((r) => {
          holder.once('exit', () => r());
          holder.kill();
        }),
      });
    });
    holder.once('exit', (code) => reject(new Error(`connection holder exited with ${code}`)));
  });
}
