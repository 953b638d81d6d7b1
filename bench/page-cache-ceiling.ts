/**
 * What writing the same bytes into the page cache costs once against three times, on this data
 * disk and these cores: the ceiling under the replicated-throughput figure (cluster-throughput.ts).
 *
 * A broker append is a write of new file data; a three-broker cluster on one machine writes every
 * acknowledged byte three times. On a VM whose freed memory goes back to the host (virtio-balloon
 * free page reporting), each new page-cache page costs a host fault on first touch, so these writes,
 * not the brokers' code, set the pace: measured here with plain writes (1 MiB, no fsync, no
 * network, no JavaScript in the loop), one child process per stream, all streams at once.
 *
 *   as a library: await pageCacheCeiling(dir, streams, bytesPerStream) → MB/s of all streams together
 *   as a child:   node page-cache-ceiling.js write FILE BYTES
 */
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHUNK = 1 << 20;
const self = fileURLToPath(import.meta.url);

/** Writes `bytes` of new data to `file` in 1 MiB writes (the child's whole job). */
function writeNewFile(file: string, bytes: number): void {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const fd = openSync(file, 'w');
  try {
    for (let at = 0; at < bytes; at += CHUNK) writeSync(fd, chunk, 0, Math.min(CHUNK, bytes - at), at);
  } finally {
    closeSync(fd);
  }
}

/**
 * `streams` processes each write `bytesPerStream` of new data into their own file under `dir`, all
 * at once; returns the MB/s of all of them together (wall time from the first start to the last
 * exit, process start included: about 40 ms, small beside the seconds measured). Removes its files.
 */
export async function pageCacheCeiling(dir: string, streams: number, bytesPerStream: number): Promise<number> {
  const where = join(dir, `page-cache-ceiling-${process.pid}-${Date.now()}`);
  mkdirSync(where, { recursive: true });
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: streams }, (_, i) =>
        new Promise<void>((resolve, reject) => {
          fork(self, ['write', join(where, `stream-${i}`), String(bytesPerStream)], { stdio: 'inherit' })
            .on('error', reject)
            .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`page-cache writer exited with ${code}`))));
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    return (streams * bytesPerStream) / seconds / 1e6;
  } finally {
    rmSync(where, { recursive: true, force: true });
  }
}

if (process.argv[1] === self && process.argv[2] === 'write') writeNewFile(process.argv[3], Number(process.argv[4]));
