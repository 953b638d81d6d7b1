import { get } from 'node:http';

/** Sums of series in a Prometheus text exposition: enough for the benchmark's before/after deltas. */

/**
 * The sum over the series of one metric; `withoutLabel` skips series that carry that label (a
 * per-topic series beside the all-topics one would otherwise be counted twice).
 */
export function metricSum(text: string, name: string, withoutLabel?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (withoutLabel && rest.startsWith('{') && rest.slice(0, rest.indexOf('}')).includes(`${withoutLabel}=`)) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** One scrape on a fresh connection (a kept-alive one may be closed by the server between phases). */
export function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    }).on('error', reject);
  });
}
