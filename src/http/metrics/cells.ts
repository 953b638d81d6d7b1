/**
 * Counters and histograms for the request path: a series is a plain cell looked up once per label
 * set and kept, so an event only adds to numbers (prom-client hashes and validates the labels of
 * every inc() and observe(), even on a child, which costs more than the rest of a small request's
 * bookkeeping). Each cell keeps the text of its series' labels, built when the cell is made, so a
 * scrape writes a line per series without formatting a label (exposition.ts).
 */
import { escapeLabelValue, formatValue, header, labelString, seriesPrefix, type Exposition, type Family } from './exposition.js';

export interface CounterCell {
  value: number;
}

interface CounterEntry {
  readonly first: string | undefined;
  readonly prefix: string;
  readonly cell: CounterCell;
}

/** A counter family; `cell(values)` is the series of those label values (fewer values: fewer labels, as Kafka's all-topics series). */
export class CounterCells implements Family {
  private readonly cells = new Map<string, CounterEntry>();

  constructor(
    exposition: Exposition,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {
    exposition.add(this);
  }

  /** Runs before each rendering (a place to drop series that ended). */
  onRender: (() => void) | null = null;

  cell(...values: string[]): CounterCell {
    const key = values.join('\u0000');
    let entry = this.cells.get(key);
    if (!entry) this.cells.set(key, (entry = { first: values[0], prefix: seriesPrefix(this.name, labelString(this.labelNames, values)), cell: { value: 0 } }));
    return entry.cell;
  }

  /** Drops the series whose first label value is `first` (a deleted topic). */
  removeWhere(keep: (first: string) => boolean): void {
    for (const [key, entry] of this.cells) {
      if (entry.first !== undefined && !keep(entry.first)) this.cells.delete(key);
    }
  }

  render(out: string[]): void {
    this.onRender?.();
    out.push(header(this.name, this.help, 'counter'));
    for (const e of this.cells.values()) out.push(e.prefix + formatValue(e.cell.value));
  }

  reset(): void {
    for (const e of this.cells.values()) e.cell.value = 0;
  }
}

export class HistogramCell {
  /** Observations per bucket (not cumulative: a scrape sums them); above the last bound only the count holds them. */
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
  }
}

interface HistogramEntry {
  readonly cell: HistogramCell;
  /** `name_bucket{labels,le="b"} ` per bound, then +Inf. */
  readonly buckets: string[];
  readonly sum: string;
  readonly count: string;
}

/** A histogram family with fixed buckets (upper bounds, ascending). */
export class HistogramCells implements Family {
  private readonly cells = new Map<string, HistogramEntry>();

  constructor(
    exposition: Exposition,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    exposition.add(this);
  }

  cell(...values: string[]): HistogramCell {
    const key = values.join('\u0000');
    let entry = this.cells.get(key);
    if (!entry) this.cells.set(key, (entry = this.entry(values)));
    return entry.cell;
  }

  private entry(values: readonly string[]): HistogramEntry {
    const labels = labelString(this.labelNames, values);
    const withLe = (le: string) => `${this.name}_bucket{${labels === '' ? '' : `${labels},`}le="${escapeLabelValue(le)}"} `;
    return {
      cell: new HistogramCell(this.bounds),
      buckets: [...this.bounds.map((b) => withLe(formatValue(b))), withLe('+Inf')],
      sum: seriesPrefix(`${this.name}_sum`, labels),
      count: seriesPrefix(`${this.name}_count`, labels),
    };
  }

  render(out: string[]): void {
    out.push(header(this.name, this.help, 'histogram'));
    for (const { cell, buckets, sum, count } of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i];
        out.push(buckets[i] + formatValue(cumulative));
      }
      out.push(buckets[this.bounds.length] + formatValue(cell.count));
      out.push(sum + formatValue(cell.sum));
      out.push(count + formatValue(cell.count));
    }
  }

  reset(): void {
    this.cells.clear();
  }
}
