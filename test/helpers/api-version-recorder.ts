/**
 * A TCP proxy in front of one broker that records the (API key, version) of every request a
 * client sends through it, read from each request frame's header. The broker advertises the
 * proxy's address (advertised.listeners), so every connection a client opens, after the bootstrap
 * one too, passes through it: what it records is everything the client sent.
 *
 * It can also lose one response on purpose: `loseResponse(apiKey, n)` lets the n-th request of
 * that API reach the broker, swallows the broker's answer to it and drops the connection, as a
 * link failing at the worst moment would. The client sees a network error for a request the
 * broker did carry out (a produce it must not store twice when retried).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { API_BY_KEY, type ApiVersionsResponse } from '../../src/protocol/generated/index.js';
import { RawClient } from './raw-client.js';
import { startBroker, type RunningBroker } from './broker.js';

export interface ApiVersionUse {
  /** The recorder's label when the request went through (which client, which configuration). */
  client: string;
  apiKey: number;
  apiVersion: number;
  name: string;
  count: number;
}

/** Splits a byte stream into Kafka frames (4-byte size, then the frame). */
class FrameSplitter {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 0 || this.buffered.length < 4 + size) return;
      this.onFrame(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
    }
  }
}

export class ApiVersionRecorder {
  private readonly used = new Map<string, ApiVersionUse>();
  private recent = new Map<string, ApiVersionUse>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private upstreamPort = 0;
  private losing: { apiKey: number; remaining: number } | null = null;
  /** Responses swallowed by loseResponse. */
  lostResponses = 0;
  /** Recorded with every request from now on: set it to the client about to run. */
  label = '';

  private constructor() {
    this.server = createServer((client) => this.carry(client));
  }

  static async start(): Promise<ApiVersionRecorder> {
    const recorder = new ApiVersionRecorder();
    await new Promise<void>((res) => recorder.server.listen(0, '127.0.0.1', res));
    return recorder;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Points the proxy at the broker (started after the proxy, since it advertises the proxy's port). */
  target(port: number): void {
    this.upstreamPort = port;
  }

  /** Swallows the answer to the `nth` (1-based) request of `apiKey` from now on, then drops that connection. */
  loseResponse(apiKey: number, nth: number): void {
    this.losing = { apiKey, remaining: nth };
  }

  /** Every (client, API, version) recorded, by client, API key, version. */
  uses(): ApiVersionUse[] {
    return sorted(this.used);
  }

  /** Starts a new count for `usesSinceMark` (`uses` keeps everything). */
  mark(): void {
    this.recent = new Map();
  }

  /** What was recorded since the last `mark()`. */
  usesSinceMark(): ApiVersionUse[] {
    return sorted(this.recent);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
  }

  private carry(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    /** Correlation id of the request whose response this connection is to lose. */
    let doomed: number | null = null;
    const requests = new FrameSplitter((frame) => {
      if (frame.length < 8) return;
      const apiKey = frame.readInt16BE(0);
      const apiVersion = frame.readInt16BE(2);
      const key = `${this.label}/${apiKey}/${apiVersion}`;
      const use = this.used.get(key) ?? { client: this.label, apiKey, apiVersion, name: API_BY_KEY.get(apiKey)?.name ?? `api${apiKey}`, count: 0 };
      use.count++;
      this.used.set(key, use);
      const sinceMark = this.recent.get(key) ?? { ...use, count: 0 };
      sinceMark.count++;
      this.recent.set(key, sinceMark);
      if (this.losing && this.losing.apiKey === apiKey && --this.losing.remaining === 0) {
        this.losing = null;
        doomed = frame.readInt32BE(4);
      }
    });
    // Responses are held back frame by frame only so that the doomed one can be recognised.
    const responses = new FrameSplitter((frame) => {
      if (doomed !== null && frame.length >= 4 && frame.readInt32BE(0) === doomed) {
        this.lostResponses++;
        drop();
        return;
      }
      const size = Buffer.alloc(4);
      size.writeInt32BE(frame.length);
      client.write(Buffer.concat([size, frame]));
    });
    client.on('data', (chunk: Buffer) => {
      requests.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => responses.push(chunk));
  }
}

function sorted(uses: Map<string, ApiVersionUse>): ApiVersionUse[] {
  return [...uses.values()].sort((a, b) => a.client.localeCompare(b.client) || a.apiKey - b.apiKey || a.apiVersion - b.apiVersion);
}

/** The broker's own ApiVersions table (asked with ApiVersions v3 on a connection of its own). */
export async function servedVersions(bootstrap: string): Promise<Map<number, { min: number; max: number }>> {
  const client = await RawClient.open(bootstrap);
  try {
    client.sendRequest(18, 3, 1, { clientSoftwareName: 'api-version-recorder', clientSoftwareVersion: '1' });
    const res = await client.response(18, 3);
    if (!res) throw new Error('the broker closed the connection instead of answering ApiVersions');
    const body = res.body as ApiVersionsResponse;
    return new Map(body.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
  } finally {
    client.close();
  }
}

/** The uses whose version the broker's table does not cover. */
export function unserved(uses: ApiVersionUse[], served: Map<number, { min: number; max: number }>): ApiVersionUse[] {
  return uses.filter((u) => {
    const range = served.get(u.apiKey);
    return !range || u.apiVersion < range.min || u.apiVersion > range.max;
  });
}

/** One line per client: "client: Name vN ×count, ...". */
export function formatUses(uses: ApiVersionUse[]): string {
  const byClient = new Map<string, string[]>();
  for (const u of uses) byClient.set(u.client, [...(byClient.get(u.client) ?? []), `${u.name} v${u.apiVersion} (key ${u.apiKey}) ×${u.count}`]);
  return [...byClient].map(([client, list]) => `${client || 'unlabelled'}: ${list.join(', ')}`).join('\n');
}

/**
 * An in-process broker whose clients all go through a recording proxy: the broker advertises the
 * proxy's address, so every connection after the bootstrap one is recorded too.
 */
export async function startRecordedBroker(): Promise<{ broker: RunningBroker; recorder: ApiVersionRecorder; stop: () => Promise<void> }> {
  const recorder = await ApiVersionRecorder.start();
  const broker = await startBroker({
    port: 0,
    config: { 'advertised.listeners': `PLAINTEXT://${recorder.bootstrap}`, 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' },
  });
  recorder.target(broker.port);
  return {
    broker,
    recorder,
    stop: async () => {
      await broker.stop();
      await recorder.close();
    },
  };
}
