/**
 * Every request one in-process broker served, read from its request diagnostics channel
 * (src/server/request-trace.ts): API key, version, how it ended and the error codes in its answer.
 * Unlike the recording proxy (api-version-recorder.ts) it sees the decoded answer, so a test can
 * say "every request this tool sent was answered without an error", not only "was sent".
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { REQUEST_CHANNEL_NAME, type RequestTrace } from '../../src/broker/observed.js';
import type { RunningBroker } from '../../src/broker/broker.js';
import { collectErrorCodes } from '../../src/http/metrics/request-metrics.js';
import { describeError } from '../../src/protocol/error-codes.js';

export interface LoggedApi {
  apiKey: number;
  name: string;
  /** Versions seen, ascending. */
  versions: number[];
  count: number;
  /** Requests whose connection closed, by either side, before their answer was written. */
  unanswered: number;
  /** Error names found in answers, with how many entries carried each (NONE left out). */
  errors: Map<string, number>;
}

export class RequestLog {
  private readonly apis = new Map<number, LoggedApi>();
  private readonly onRequest = (message: unknown) => this.observe(message as RequestTrace);

  /** `clientIds`: keep only requests from these client ids (other clients of the broker are left out). */
  constructor(
    private readonly broker: RunningBroker,
    private readonly clientIds: readonly string[] | null = null,
  ) {
    subscribe(REQUEST_CHANNEL_NAME, this.onRequest);
  }

  stop(): void {
    unsubscribe(REQUEST_CHANNEL_NAME, this.onRequest);
  }

  /** Forgets what was logged so far (to look at one phase of a run alone). */
  clear(): void {
    this.apis.clear();
  }

  /** What was logged, by API key. */
  entries(): LoggedApi[] {
    return [...this.apis.values()].sort((a, b) => a.apiKey - b.apiKey);
  }

  /** One line per API: "key name vA-vB ×n [errors]". */
  format(): string {
    return this.entries()
      .map((e) => {
        const versions = e.versions.length === 1 ? `v${e.versions[0]}` : `v${e.versions.join(',v')}`;
        const errors = [...e.errors].map(([name, n]) => `${name}×${n}`).join(' ');
        return `${String(e.apiKey).padStart(2)} ${e.name} ${versions} ×${e.count}${e.unanswered ? ` unanswered×${e.unanswered}` : ''}${errors ? ` errors: ${errors}` : ''}`;
      })
      .join('\n');
  }

  private observe(t: RequestTrace): void {
    // Several brokers may run in one process: keep this one's requests (it owns its config object).
    if (t.broker.config !== this.broker.config) return;
    if (this.clientIds && !this.clientIds.includes(t.clientId ?? '')) return;
    let e = this.apis.get(t.apiKey);
    if (!e) this.apis.set(t.apiKey, (e = { apiKey: t.apiKey, name: t.apiName, versions: [], count: 0, unanswered: 0, errors: new Map() }));
    e.count++;
    if (!e.versions.includes(t.apiVersion)) e.versions = [...e.versions, t.apiVersion].sort((a, b) => a - b);
    if (t.outcome === 'close') e.unanswered++;
    if (t.response === null) return;
    const codes = new Map<number, number>();
    collectErrorCodes(t.response, codes, 0);
    for (const [code, n] of codes) {
      if (code === 0) continue;
      const name = describeError(code)?.name ?? `error ${code}`;
      e.errors.set(name, (e.errors.get(name) ?? 0) + n);
    }
  }
}
