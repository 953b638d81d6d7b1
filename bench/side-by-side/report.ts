/** The benchmark's table: medians per system and, for two systems, the ratio of the first to the second. */
export interface Row {
  figure: string;
  values: number[][];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function shown(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function printTable(names: string[], rows: Row[]): void {
  const header = ['figure', ...names, ...(names.length === 2 ? [`${names[0]} / ${names[1]}`] : [])];
  const body = rows.map((r) => {
    const medians = r.values.map(median);
    const cells = [r.figure, ...medians.map((m, i) => `${shown(m)} (${r.values[i].map(shown).join(' ')})`)];
    if (names.length === 2) cells.push(shown(medians[0] / medians[1]));
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const b of body) console.log(line(b));
}
