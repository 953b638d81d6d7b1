/**
 * List-then-watch over one etcd key range, kept alive across lost connections.
 *
 * It reads the range (a snapshot batch), then watches from the next revision. Changes arrive in
 * revision order, one batch per revision (a transaction's writes together). When the connection
 * drops it watches again from the last revision it delivered, so nothing is missed or repeated.
 * When etcd cannot replay from there (the revision was compacted, or the watch was cancelled for
 * any other reason), it reads the range again and delivers the difference from what it had
 * delivered as one snapshot batch: the listener ends up with exactly the range's contents either way.
 *
 * etcd3's own watcher also resumes, but moves its resume point to the revision in the answer to
 * the watch's creation before the replayed events arrive, so a second drop in that window would
 * skip them; and it reports compaction only as an error. Hence one etcd3 watcher per attempt here.
 */
import type { IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import type { EtcdConnection } from './etcd-client.js';
import type { KeyRange } from './etcd-keys.js';

export interface RawChange {
  readonly key: string;
  /** The new key-value, or null when the key was deleted. */
  readonly kv: IKeyValue | null;
}

export interface RangeWatchListener {
  batch(revision: number, snapshot: boolean, changes: readonly RawChange[]): void;
  connection?(state: 'lost' | 'restored', cause?: Error): void;
}

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;
const DETACH_WAIT_MS = 1000;

export class RangeWatch {
  private revision = 0;
  private known = new Map<string, number>();
  private watcher: Watcher | null = null;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private lost = false;
  private closed = false;

  private constructor(
    private readonly conn: EtcdConnection,
    private readonly range: KeyRange,
    private readonly listener: RangeWatchListener,
  ) {}

  /** Starts watching; resolves after the snapshot batch was delivered. Rejects if etcd cannot be read. */
  static async start(conn: EtcdConnection, range: KeyRange, listener: RangeWatchListener): Promise<RangeWatch> {
    const w = new RangeWatch(conn, range, listener);
    await w.list();
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.detach();
  }

  /** Reads the whole range and delivers its difference from what was delivered so far. */
  private async list(): Promise<void> {
    const { kvs, revision } = await this.conn.rangeAll(this.range);
    if (this.closed) return;
    const changes: RawChange[] = [];
    const now = new Map<string, number>();
    for (const kv of kvs) {
      const key = kv.key.toString('utf8');
      const mod = Number(kv.mod_revision);
      now.set(key, mod);
      if (this.known.get(key) !== mod) changes.push({ key, kv });
    }
    for (const key of this.known.keys()) if (!now.has(key)) changes.push({ key, kv: null });
    this.known = now;
    this.revision = Math.max(this.revision, revision);
    this.listener.batch(this.revision, true, changes);
    this.attach();
  }

  private attach(): void {
    if (this.closed) return;
    const watcher = this.conn.client
      .watch()
      .inRange({ start: this.range.start, end: this.range.end })
      .startRevision(String(this.revision + 1))
      .watcher();
    this.watcher = watcher;
    watcher.on('connected', () => {
      this.retryMs = RETRY_FIRST_MS;
      if (this.lost) {
        this.lost = false;
        this.listener.connection?.('restored');
      }
    });
    watcher.on('data', (res) => this.deliver(res));
    watcher.on('disconnected', (err) => {
      if (!this.lost) {
        this.lost = true;
        this.listener.connection?.('lost', err);
      }
      void this.detach();
      this.retry(() => this.attach());
    });
    // A cancelled watch (compaction of the revision asked for, or any other reason) cannot resume.
    // etcd3 has already dropped the watcher; cancelling it again would make etcd answer for a
    // watch id etcd3 no longer knows, which etcd3 throws on.
    watcher.on('error', () => {
      if (this.watcher === watcher) this.watcher = null;
      this.retry(() => this.list());
    });
  }

  /** Cancels the current watcher; bounded, since etcd3 waits for an answer a dropped stream never brings. */
  private async detach(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    if (!w) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, DETACH_WAIT_MS)));
    await Promise.race([w.cancel().catch(() => undefined), bound]);
    clearTimeout(timer);
  }

  /** Runs `next` after a growing delay, and again until it works. */
  private retry(next: () => void | Promise<void>): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed) return;
      Promise.resolve()
        .then(next)
        .catch((err: unknown) => {
          if (!this.lost) {
            this.lost = true;
            this.listener.connection?.('lost', err instanceof Error ? err : new Error(String(err)));
          }
          this.retry(next);
        });
    }, delay);
    this.retryTimer.unref();
  }

  private deliver(res: IWatchResponse): void {
    if (this.closed) return;
    if (res.events.length === 0) {
      // A progress notification: nothing in the range changed up to this revision.
      if (!res.created) this.revision = Math.max(this.revision, Number(res.header.revision));
      return;
    }
    let group: RawChange[] = [];
    let groupRevision = 0;
    const flush = () => {
      if (group.length === 0) return;
      this.revision = groupRevision;
      const changes = group;
      group = [];
      this.listener.batch(groupRevision, false, changes);
    };
    for (const ev of res.events) {
      const mod = Number(ev.kv.mod_revision);
      if (mod <= this.revision) continue; // already delivered (a replay after a reconnect)
      if (mod !== groupRevision) flush();
      groupRevision = mod;
      const key = ev.kv.key.toString('utf8');
      if (ev.type === 'Delete') {
        this.known.delete(key);
        group.push({ key, kv: null });
      } else {
        this.known.set(key, mod);
        group.push({ key, kv: ev.kv });
      }
    }
    flush();
  }
}
