/** A kcat balanced consumer (-G) as a child process, with the assignments it reports on stderr. */
import { spawn, type ChildProcess } from 'node:child_process';

export class KcatGroupMember {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  exited = false;

  constructor(bootstrap: string, group: string, topics: string[], extra: string[] = []) {
    const args = ['-u', '-b', bootstrap, '-G', group, '-X', 'heartbeat.interval.ms=300', '-X', 'session.timeout.ms=2000', '-o', 'beginning', '-f', '%p:%o:%s\n', ...extra, ...topics];
    this.child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', () => (this.exited = true));
  }

  /**
   * The partitions this member holds now, replaying the assignment lines kcat prints: eager
   * rebalances assign the whole set; cooperative ones add and remove increments.
   */
  owned(topic: string): number[] {
    const held = new Set<number>();
    for (const line of this.stderr.split('\n')) {
      const parts = [...line.matchAll(new RegExp(`${topic} \\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1]));
      if (/incremental assignment/.test(line)) parts.forEach((p) => held.add(p));
      else if (/incremental revoke/.test(line)) parts.forEach((p) => held.delete(p));
      else if (/rebalanced.*assigned:/.test(line)) {
        held.clear();
        parts.forEach((p) => held.add(p));
      } else if (/rebalanced.*revoked:/.test(line)) held.clear();
    }
    return [...held].sort((a, b) => a - b);
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
