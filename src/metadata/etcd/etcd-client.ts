/**
 * The one place that talks to the etcd3 client: how it is configured (deadlines, retries, gRPC
 * keepalive), the few KV calls the store needs (paged range reads at one revision, transactions),
 * and what an unreachable etcd becomes: a MetadataUnavailableError that names the endpoints.
 *
 * Revisions and lease ids travel as decimal strings in etcd3; they are converted to numbers here
 * (a revision would need 2^53 writes to lose precision).
 */
import { Etcd3, isRecoverableError, type ICompare, type IKeyValue, type IRequestOp, type ITxnResponse } from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, isBrokenCircuitError, retry } from 'cockatiel';
import { MetadataUnavailableError } from '../metadata-errors.js';
import type { KeyRange } from './etcd-keys.js';

/** PEM material for https:// endpoints: the CAs etcd's certificate must chain to, and a client certificate for --client-cert-auth. */
export interface EtcdTls {
  readonly rootCertificate: Buffer;
  readonly privateKey?: Buffer;
  readonly certChain?: Buffer;
}

export interface EtcdConnectionOptions {
  /** Client URLs, e.g. http://127.0.0.1:2379, or https:// ones with `tls`. */
  readonly endpoints: readonly string[];
  /** For https:// endpoints (without it they are verified against gRPC's default CAs). */
  readonly tls?: EtcdTls;
  /** How long one call may take before it fails as unavailable (default 5000 ms). */
  readonly requestTimeoutMs?: number;
}

/** Keys per page of a range read: keeps each response far below gRPC's 4 MiB receive limit. */
const RANGE_PAGE = 500;

export class EtcdConnection {
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  private readonly requestTimeoutMs: number;

  constructor(options: EtcdConnectionOptions) {
    if (options.endpoints.length === 0) throw new Error('no etcd endpoints given');
    for (const e of options.endpoints) {
      if (!/^(https?:\/\/)?[^/:]+:\d+\/?$/.test(e)) throw new Error(`etcd endpoint "${e}" is not http(s)://HOST:PORT`);
    }
    this.endpoints = options.endpoints;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.client = new Etcd3({
      hosts: [...options.endpoints],
      ...(options.tls ? { credentials: { rootCertificate: options.tls.rootCertificate, privateKey: options.tls.privateKey, certChain: options.tls.certChain } } : {}),
      // Unary calls get a deadline, so a black-holed etcd fails them instead of hanging; streams
      // (watches, lease keepalives) live as long as the connection and are watched separately.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + this.requestTimeoutMs }),
      faultHandling: {
        // Skip an endpoint that failed three times in a row for a second, then try it again.
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
        // One attempt per endpoint with a short backoff; past that the caller sees unavailability.
        global: retry(handleWhen(isRecoverableError), { maxAttempts: options.endpoints.length, backoff: new ExponentialBackoff({ initialDelay: 20, maxDelay: 200 }) }),
        // No watchBackoff: range-watch.ts re-places its watchers itself, with its own delays.
      },
      grpcOptions: {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        // Finds a dead link under a watch or a keepalive stream. etcd answers pings more often
        // than every 5 s, or pings on a connection without streams, with GOAWAY.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5000,
      },
    });
  }

  /** Runs one etcd operation; an unreachable etcd becomes a MetadataUnavailableError. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.translate(what, err);
    }
  }

  /** The error a caller should see for `err`. */
  translate(what: string, err: unknown): Error {
    if (err instanceof MetadataUnavailableError) return err;
    // etcd3 marks unavailable, deadline-exceeded, cancelled and aborted calls as recoverable; an
    // open circuit breaker means every endpoint failed just now.
    if (err instanceof Error && (isRecoverableError(err) || isBrokenCircuitError(err))) {
      return new MetadataUnavailableError(`etcd (${this.endpoints.join(',')}) is unreachable: ${what} failed: ${err.message}`, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  /**
   * Every key in the range at one revision, read page by page. If etcd compacts that revision
   * between two pages, the read starts again at the latest one.
   */
  async rangeAll(range: KeyRange): Promise<{ kvs: IKeyValue[]; revision: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rangeAt(range);
      } catch (err) {
        if (attempt >= 3 || !(err instanceof Error) || !/required revision has been compacted/.test(err.message)) throw err;
      }
    }
  }

  private async rangeAt(range: KeyRange): Promise<{ kvs: IKeyValue[]; revision: number }> {
    const kvs: IKeyValue[] = [];
    let start = range.start;
    let revision: number | undefined;
    for (;;) {
      const res = await this.call('range read', () =>
        this.client.kv.range({ key: start, range_end: range.end, limit: RANGE_PAGE, revision: revision ?? 0 }),
      );
      revision ??= Number(res.header.revision);
      kvs.push(...res.kvs);
      if (!res.more || res.kvs.length === 0) return { kvs, revision };
      start = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  async get(key: string): Promise<{ kv: IKeyValue | null; revision: number }> {
    const res = await this.call('read', () => this.client.kv.range({ key: Buffer.from(key) }));
    return { kv: res.kvs[0] ?? null, revision: Number(res.header.revision) };
  }

  txn(what: string, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[] = []): Promise<ITxnResponse> {
    return this.call(what, () => this.client.kv.txn({ compare, success, failure }));
  }

  close(): void {
    this.client.close();
  }
}

/** The key's create revision equals `revision` (0: the key does not exist). */
export function createdAt(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: revision };
}

/** The key was last modified at `revision` (0: the key does not exist). */
export function modifiedAt(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: revision };
}

export function putOp(key: string, value: Buffer, lease?: string): IRequestOp {
  return { request_put: { key: Buffer.from(key), value, ...(lease === undefined ? {} : { lease }) } };
}

export function getOp(key: string): IRequestOp {
  return { request_range: { key: Buffer.from(key) } };
}

export function deleteOp(key: string): IRequestOp {
  return { request_delete_range: { key: Buffer.from(key) } };
}

export function deleteRangeOp(range: KeyRange): IRequestOp {
  return { request_delete_range: { key: range.start, range_end: range.end } };
}

/** The key-value a get op in a transaction's answer found, if any. */
export function rangeResult(res: ITxnResponse, index: number): IKeyValue | null {
  return res.responses[index]?.response_range?.kvs[0] ?? null;
}

export function revisionOf(value: string | number): number {
  return Number(value);
}
