/**
 * Counters and histograms for the request path, cheaper than prom-client's own: prom-client hashes
 * and validates the labels of every inc() and observe(), even on a child, which costs more than the
 * rest of a small request's bookkeeping. Here a series is a plain cell looked up once per label
 * set and kept; an event adds to numbers. The registry renders them like prom-client's metrics
 * (they implement the `get()` its text formatter reads), so the exposition is the same.
 */
import type { Metric, Registry } from 'prom-client';

interface Rendered {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: { metricName?: string; labels: Record<string, string | number>; value: number }[];
  aggregator: 'sum';
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((n, i) => {
    if (values[i] !== undefined) out[n] = values[i];
  });
  return out;
}

export interface CounterCell {
  value: number;
}

/** A counter family; `cell(values)` is the series of those label values (fewer values: fewer labels, as Kafka's all-topics series). */
export class CounterCells {
  private readonly cells = new Map<string, { labels: Record<string, string>; cell: CounterCell }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  readonly type = 'counter';
  /** Runs before each rendering (a place to drop series that ended). */
  onRender: (() => void) | null = null;

  cell(...values: string[]): CounterCell {
    const key = values.join('\u0000');
    let entry = this.cells.get(key);
    if (!entry) this.cells.set(key, (entry = { labels: labelsOf(this.labelNames, values), cell: { value: 0 } }));
    return entry.cell;
  }

  /** Drops the series whose first label value is `first` (a deleted topic). */
  removeWhere(keep: (first: string) => boolean): void {
    for (const [key, entry] of this.cells) {
      const first = entry.labels[this.labelNames[0]];
      if (first !== undefined && !keep(first)) this.cells.delete(key);
    }
  }

  get(): Rendered {
    this.onRender?.();
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values: [...this.cells.values()].map((e) => ({ labels: e.labels, value: e.cell.value })) };
  }

  reset(): void {
    for (const e of this.cells.values()) e.cell.value = 0;
  }
}

export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
    // Above the last bound: only +Inf (the count) holds it.
  }
}

/** A histogram family with fixed buckets (upper bounds, ascending). */
export class HistogramCells {
  private readonly cells = new Map<string, { labels: Record<string, string>; cell: HistogramCell }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  readonly type = 'histogram';

  cell(...values: string[]): HistogramCell {
    const key = values.join('\u0000');
    let entry = this.cells.get(key);
    if (!entry) this.cells.set(key, (entry = { labels: labelsOf(this.labelNames, values), cell: new HistogramCell(this.bounds) }));
    return entry.cell;
  }

  get(): Rendered {
    const values: Rendered['values'] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += cell.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  reset(): void {
    this.cells.clear();
  }
}
