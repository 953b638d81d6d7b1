/**
 * Scrapes a broker's admin server and parses the exposition with the Prometheus project's own
 * Python client parser (Debian's python3-prometheus-client, prometheus_client.parser), so a test
 * reads the text as Prometheus tooling does, not as our own code writes it.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: string;
}
interface ParsedFamily {
  name: string;
  type: string;
  samples: ParsedSample[];
}

const PARSER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = [{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": repr(s.value)} for s in f.samples]} for f in text_string_to_metric_families(sys.stdin.read())]
json.dump(out, sys.stdout)
`;

function parse(text: string): ParsedFamily[] {
  const run = spawnSync('/usr/bin/python3', ['-c', PARSER], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`the Prometheus parser refused the exposition: ${run.stderr}`);
  return JSON.parse(run.stdout) as ParsedFamily[];
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One plain HTTP request (no keep-alive), answering status, headers and body. */
export function httpGet(address: { host: string; port: number }, path: string, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address.host, port: address.port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export class Metrics {
  private readonly families: ParsedFamily[];
  private readonly bySample = new Map<string, ParsedSample[]>();

  constructor(readonly text: string) {
    this.families = parse(text);
    for (const f of this.families) {
      for (const s of f.samples) {
        const list = this.bySample.get(s.name) ?? [];
        list.push(s);
        this.bySample.set(s.name, list);
      }
    }
  }

  /** The family type ('counter', 'gauge', 'histogram'), by family or sample name. */
  type(name: string): string | undefined {
    return this.families.find((f) => f.name === name || `${f.name}_total` === name)?.type;
  }

  /** The samples named `name`, each with its labels (an empty object when none). */
  samples(name: string): { labels: Record<string, string>; value: number }[] {
    return (this.bySample.get(name) ?? []).map((s) => ({ labels: s.labels, value: Number(s.value === 'inf' ? Infinity : s.value) }));
  }

  /** The value of the sample whose labels are exactly `labels`; undefined when there is none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    return this.samples(name).find((s) => sameLabels(s.labels, labels))?.value;
  }

  /** A histogram's count, sum and cumulative buckets (by `le`) for the series whose labels are exactly `labels`. */
  histogram(name: string, labels: Record<string, string> = {}): { count: number; sum: number; buckets: Record<string, number> } | undefined {
    const count = this.value(`${name}_count`, labels);
    if (count === undefined) return undefined;
    const buckets: Record<string, number> = {};
    for (const b of this.samples(`${name}_bucket`)) {
      const { le, ...rest } = b.labels;
      if (sameLabels(rest, labels)) buckets[le] = b.value;
    }
    return { count, sum: this.value(`${name}_sum`, labels) ?? NaN, buckets };
  }
}

export async function scrape(address: { host: string; port: number }): Promise<Metrics> {
  const answer = await httpGet(address, '/metrics');
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
  return new Metrics(answer.body);
}

/** Scrapes until `check` holds (metrics computed from events land just after the answers that caused them). */
export async function scrapeUntil(address: { host: string; port: number }, check: (m: Metrics) => boolean, what: string, boundMs = 10_000): Promise<Metrics> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const m = await scrape(address);
    if (check(m)) return m;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what} within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
