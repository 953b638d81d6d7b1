// The request path's counter and histogram cells and the scrape-time families, written by our
// exposition: the text must read as prom-client's own (cumulative buckets, +Inf equal to the count,
// _sum, escaped label values) and parse as Prometheus text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Registry } from 'prom-client';
import { CounterCells, HistogramCells } from '../../../src/http/metrics/cells.js';
import { CollectedFamily, Exposition, gauge, labelString } from '../../../src/http/metrics/exposition.js';

test('histogram cells render cumulative buckets, +Inf, sum and count per label set', async () => {
  const registry = new Exposition();
  const h = new HistogramCells(registry, 'x_ms', 'help', ['request'], [1, 10]);
  const produce = h.cell('Produce');
  for (const v of [0.5, 1, 5, 10, 50]) produce.observe(v);
  h.cell('Fetch').observe(2);
  const text = registry.text();
  assert.match(text, /# TYPE x_ms histogram/);
  assert.match(text, /x_ms_bucket\{request="Produce",le="1"\} 2\n/, 'a value on a bound falls in that bucket');
  assert.match(text, /x_ms_bucket\{request="Produce",le="10"\} 4\n/);
  assert.match(text, /x_ms_bucket\{request="Produce",le="\+Inf"\} 5\n/, 'above the last bound: only +Inf');
  assert.match(text, /x_ms_sum\{request="Produce"\} 66.5\n/);
  assert.match(text, /x_ms_count\{request="Produce"\} 5\n/);
  assert.match(text, /x_ms_bucket\{request="Fetch",le="1"\} 0\n/);
  assert.equal(h.cell('Produce'), produce, 'a label set keeps its cell');
});

test('counter cells: a series per label set, fewer values for fewer labels, removal of ended series', async () => {
  const registry = new Exposition();
  const c = new CounterCells(registry, 'y_total', 'help', ['topic']);
  c.cell('a').value += 3;
  c.cell('b').value += 1;
  c.cell().value += 4;
  let text = registry.text();
  assert.match(text, /y_total\{topic="a"\} 3\n/);
  assert.match(text, /y_total 4\n/);
  c.onRender = () => c.removeWhere((topic) => topic !== 'b');
  text = registry.text();
  assert.doesNotMatch(text, /topic="b"/);
  assert.match(text, /y_total\{topic="a"\} 3\n/);
  assert.match(text, /y_total 4\n/, 'the series without labels stays');
});

// Histograms are left out: prom-client writes `le` first, the cells after the other labels (as
// before); label order means nothing to Prometheus, and the first test covers their text.
test('the exposition writes the same text as prom-client for the same counters and gauges', async () => {
  const odd = 'a "quoted" \\ back\nline';
  const ours = new Exposition();
  const theirs = new Registry();
  const c = new CounterCells(ours, 'c_total', 'a counter with a \\ and a\nnewline', ['topic']);
  c.cell(odd).value = 3;
  c.cell().value = 1.5;
  const pc = new Counter({ name: 'c_total', help: 'a counter with a \\ and a\nnewline', labelNames: ['topic'], registers: [theirs] });
  pc.inc({ topic: odd }, 3);
  pc.inc(1.5);
  new CollectedFamily(ours, 'g', 'a gauge', 'gauge', (emit) => {
    emit(labelString(['topic', 'partition'], [odd, '0']), 7);
    emit(labelString(['topic', 'partition'], ['t', '1']), Number.NaN);
  });
  const pg = new Gauge({ name: 'g', help: 'a gauge', labelNames: ['topic', 'partition'], registers: [theirs] });
  pg.set({ topic: odd, partition: '0' }, 7);
  pg.set({ topic: 't', partition: '1' }, Number.NaN);
  gauge(ours, 'one', 'one value', () => Number.POSITIVE_INFINITY);
  new Gauge({ name: 'one', help: 'one value', registers: [theirs] }).set(Number.POSITIVE_INFINITY);
  new CollectedFamily(ours, 'empty', 'no series now', 'gauge', () => undefined);
  new Gauge({ name: 'empty', help: 'no series now', labelNames: ['x'], registers: [theirs] });
  assert.equal(ours.text(), await theirs.metrics());
});

test('a family name is registered once', () => {
  const e = new Exposition();
  gauge(e, 'x', 'help', () => 1);
  assert.throws(() => gauge(e, 'x', 'help', () => 2), /already registered/);
});
