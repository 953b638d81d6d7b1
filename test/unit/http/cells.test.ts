// The request path's counter and histogram cells, rendered through a prom-client registry: the
// exposition must read as prom-client's own (cumulative buckets, +Inf equal to the count, _sum).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { CounterCells, HistogramCells } from '../../../src/http/metrics/cells.js';

test('histogram cells render cumulative buckets, +Inf, sum and count per label set', async () => {
  const registry = new Registry();
  const h = new HistogramCells(registry, 'x_ms', 'help', ['request'], [1, 10]);
  const produce = h.cell('Produce');
  for (const v of [0.5, 1, 5, 10, 50]) produce.observe(v);
  h.cell('Fetch').observe(2);
  const text = await registry.metrics();
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
  const registry = new Registry();
  const c = new CounterCells(registry, 'y_total', 'help', ['topic']);
  c.cell('a').value += 3;
  c.cell('b').value += 1;
  c.cell().value += 4;
  let text = await registry.metrics();
  assert.match(text, /y_total\{topic="a"\} 3\n/);
  assert.match(text, /y_total 4\n/);
  c.onRender = () => c.removeWhere((topic) => topic !== 'b');
  text = await registry.metrics();
  assert.doesNotMatch(text, /topic="b"/);
  assert.match(text, /y_total\{topic="a"\} 3\n/);
  assert.match(text, /y_total 4\n/, 'the series without labels stays');
});
