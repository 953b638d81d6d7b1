/**
 * The Prometheus text exposition (format 0.0.4) of one broker's metrics, written here rather than
 * by prom-client's registry: prom-client hashes a label object for every set() of a gauge and
 * formats every label of every series anew at each scrape (entries, escapes, joins), which made a
 * scrape of an idle broker with __consumer_offsets' 50 partitions cost several milliseconds of the
 * event loop. Here a family writes its lines from label strings that are built once (cells.ts) or
 * once per scrape for all families (scrape.ts), so a scrape costs about a string concatenation per
 * series. The text reads as prom-client's: `# HELP`, `# TYPE`, then the series; families apart by a
 * blank line; values written as prom-client writes them. prom-client still renders the
 * process-wide default metrics (process-metrics.ts).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A metric family: appends its lines (header first) to `out`. */
export interface Family {
  readonly name: string;
  render(out: string[]): void;
}

export class Exposition {
  private readonly families: Family[] = [];
  private readonly names = new Set<string>();

  add<F extends Family>(family: F): F {
    if (this.names.has(family.name)) throw new Error(`a metric named ${family.name} is already registered`);
    this.names.add(family.name);
    this.families.push(family);
    return family;
  }

  text(): string {
    const out: string[] = [];
    for (const family of this.families) {
      if (out.length > 0) out.push('');
      family.render(out);
    }
    out.push('');
    return out.join('\n');
  }
}

export function header(name: string, help: string, type: MetricType): string {
  return `# HELP ${name} ${escapeText(help)}\n# TYPE ${name} ${type}`;
}

/** As prom-client writes a sample value. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value escaped as the text format wants it (backslash, newline, double quote). */
export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return escapeText(v).replace(/"/g, '\\"');
}

function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `a="x",b="y"` for the label values given (a missing value leaves its label out). */
export function labelString(names: readonly string[], values: readonly (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    out += `${out === '' ? '' : ','}${names[i]}="${escapeLabelValue(v)}"`;
  }
  return out;
}

/** `name{labels} ` or `name ` (with no labels): the part of a sample line before its value. */
export function seriesPrefix(name: string, labels: string): string {
  return labels === '' ? `${name} ` : `${name}{${labels}} `;
}

/** Hands a family's collect function one sample: its label string (labelString, or '' for none) and value. */
export type Emit = (labels: string, value: number) => void;

/**
 * A family read at scrape time (the gauges of partitions, groups, the process): `collect` emits
 * every series it has now, so a series that ended is simply not written.
 */
export class CollectedFamily implements Family {
  constructor(
    exposition: Exposition,
    readonly name: string,
    private readonly help: string,
    private readonly type: 'gauge' | 'counter',
    private readonly collect: (emit: Emit) => void,
  ) {
    exposition.add(this);
  }

  render(out: string[]): void {
    out.push(header(this.name, this.help, this.type));
    const name = this.name;
    this.collect((labels, value) => {
      out.push(labels === '' ? `${name} ${formatValue(value)}` : `${name}{${labels}} ${formatValue(value)}`);
    });
  }
}

/** A gauge of one value, read at scrape time. */
export function gauge(exposition: Exposition, name: string, help: string, value: () => number): CollectedFamily {
  return new CollectedFamily(exposition, name, help, 'gauge', (emit) => emit('', value()));
}
