/** The parent's side of broker-child.ts: start it, watch for its exit, read its error log lines and stats. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerLoad } from '../../../src/server/listener.js';

export interface ChildStats {
  maxRssBytes: number;
  rssBytes: number;
  load: ServerLoad;
}

interface Message {
  type: string;
  port?: number;
  dataDir?: string;
}

interface LogEntry {
  level?: number;
  msg?: string;
  err?: { message?: string };
}

const CHILD = fileURLToPath(new URL('./broker-child.js', import.meta.url));

export class BrokerChild {
  /** Set when the process exits; before stop() that is a crash. */
  exit: { code: number | null; signal: string | null } | null = null;
  /** Error-level log lines by message: handler failures and connections closed by the failure boundary. */
  readonly errors = new Map<string, number>();
  /** The last output lines, for a crash report. */
  readonly tail: string[] = [];
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get crashed(): boolean {
    return this.exit !== null && !this.stopping;
  }

  static start(config: Record<string, string>): Promise<BrokerChild> {
    // The data directory is made and removed here, so a killed or crashed child leaves nothing behind.
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-fuzz-'));
    const child = fork(CHILD, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, WIRE_FUZZ_BROKER_CONFIG: JSON.stringify(config), WIRE_FUZZ_DATA_DIR: dataDir } });
    return new Promise((resolve, reject) => {
      let broker: BrokerChild | null = null;
      const early: string[] = [];
      const onLine = (line: string) => (broker ? broker.onLine(line) : early.push(line));
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      child.on('message', (m: Message) => {
        if (m.type !== 'ready' || broker) return;
        broker = new BrokerChild(child, m.port ?? 0, m.dataDir ?? '');
        for (const l of early) broker.onLine(l);
        resolve(broker);
      });
      child.on('exit', (code, signal) => {
        rmSync(dataDir, { recursive: true, force: true });
        if (broker) broker.exit = { code, signal };
        else reject(new Error(`the broker child exited before it was ready (code ${code}, signal ${signal}):\n${early.join('\n')}`));
      });
    });
  }

  private onLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 80) this.tail.shift();
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      // Not pino JSON: an uncaught exception's stack on stderr, most likely. Keep it as an error.
      this.errors.set(line.slice(0, 300), (this.errors.get(line.slice(0, 300)) ?? 0) + 1);
      return;
    }
    if ((entry.level ?? 0) < 50) return;
    const key = `${entry.msg ?? '?'}${entry.err?.message ? ` (${entry.err.message})` : ''}`.slice(0, 300);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  stats(): Promise<ChildStats> {
    return new Promise((resolve, reject) => {
      if (this.exit) return reject(new Error('the broker child has exited'));
      const onMessage = (m: Message & Partial<ChildStats>) => {
        if (m.type !== 'stats') return;
        this.child.off('message', onMessage);
        resolve(m as ChildStats);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats' });
    });
  }

  /** Asks the broker to stop cleanly; resolves with its exit. */
  stop(): Promise<{ code: number | null; signal: string | null }> {
    if (this.exit) return Promise.resolve(this.exit);
    this.stopping = true;
    return new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.send({ type: 'stop' });
    });
  }

  kill(): void {
    this.stopping = true;
    this.child.kill('SIGKILL');
  }
}
