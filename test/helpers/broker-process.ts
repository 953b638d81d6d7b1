/**
 * One broker as a child process, started as a user starts it (`tributary start`, no etcd), on a
 * fixed port and data directory, so that a test can kill it with SIGKILL and start it again as
 * itself: clients that knew it reconnect to the same address. Its last output lines are kept for
 * a failing test's message. (test/helpers/process-cluster.ts does the same for etcd clusters.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const READY = 'Tributary broker ready';
const START_BOUND_MS = 30_000;


export class BrokerProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly config: Record<string, string>,
  ) {}

  /** Starts a broker on a free port with `dataDir`; resolves once it says it is ready. */
  static async start(dataDir: string, config: Record<string, string> = {}): Promise<BrokerProcess> {
    const broker = new BrokerProcess(await freePort(), dataDir, config);
    await broker.start();
    return broker;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** The last lines the broker printed, for a failing test's message. */
  logTail(lines = 30): string {
    return this.output.slice(-lines).join('');
  }

  /** Starts the broker (again) on its port and data directory. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the broker is running');
    const sets = Object.entries(this.config).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const args = [CLI, 'start', '--listen', this.bootstrap, '--data-dir', this.dataDir, '--log-format', 'json', '--log-level', 'info', '--set', 'tributary.admin.listener=', ...sets];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.output.push(`[broker exited: code ${code}, signal ${signal}]\n`);
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the broker did not start within ${START_BOUND_MS} ms:\n${this.logTail()}`)), START_BOUND_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        keep(chunk);
        if (chunk.toString('utf8').includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the broker exited while starting:\n${this.logTail()}`));
      });
    });
  }

  /** SIGKILL: the process ends at once, mid-write if it was writing. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: a clean shutdown. */
  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
