/**
 * A TCP proxy that records the first request frame of every (client, API, version, label) it
 * forwards, for the golden-frame fixtures. The broker advertises the proxy's address, so every
 * connection of every client passes through it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, connect, type Server } from 'node:net';
import { API_BY_KEY } from '../../src/protocol/generated/index.js';
import type { FixtureEntry } from './fixture-format.js';

export class RecordingProxy {
  /** The client whose frames are being recorded, and a label for Produce frames (the codec). */
  client = 'none';
  label = '';
  upstreamPort = 0;
  private readonly captured = new Map<string, FixtureEntry[]>();
  private readonly seen = new Set<string>();
  private readonly server: Server;

  constructor(private readonly outDir: string) {
    this.server = createServer((downstream) => {
      const upstream = connect(this.upstreamPort, '127.0.0.1');
      let buf = Buffer.alloc(0);
      downstream.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const size = buf.readInt32BE(0);
          this.record(Buffer.from(buf.subarray(4, 4 + size)));
          buf = buf.subarray(4 + size);
        }
        upstream.write(d);
      });
      upstream.on('data', (d) => downstream.write(d));
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
      downstream.on('error', () => upstream.destroy());
      upstream.on('error', () => downstream.destroy());
    });
  }

  listen(): Promise<number> {
    return new Promise((res) => this.server.listen(0, '127.0.0.1', () => res((this.server.address() as { port: number }).port)));
  }

  private record(frame: Buffer): void {
    if (frame.length < 4) return;
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const apiName = API_BY_KEY.get(apiKey)?.name ?? `api${apiKey}`;
    const label = apiKey === 0 ? this.label : '';
    const key = `${this.client}/${apiKey}/${apiVersion}/${label}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const name = `${apiName}-v${apiVersion}${label ? `-${label}` : ''}`;
    const dir = join(this.outDir, this.client);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.bin`), frame);
    const list = this.captured.get(this.client) ?? [];
    list.push({ file: `${name}.bin`, apiKey, apiName, apiVersion, label });
    this.captured.set(this.client, list);
  }

  /** Writes each client's index.json and returns a summary line per client. */
  finish(): string[] {
    this.server.close();
    const lines: string[] = [];
    for (const [client, list] of this.captured) {
      list.sort((a, b) => a.apiKey - b.apiKey || a.apiVersion - b.apiVersion || a.label.localeCompare(b.label));
      writeFileSync(join(this.outDir, client, 'index.json'), JSON.stringify(list, null, 1) + '\n');
      lines.push(`${client}: ${list.map((e) => e.file.replace(/\.bin$/, '')).join(', ')}`);
    }
    return lines;
  }
}

/** Runs one step of a client session; a failing step is reported and the capture goes on. */
export async function step(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    console.error(`capture step "${what}" failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
