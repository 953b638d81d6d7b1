// The message browser: a topic's partition from an offset, from a timestamp, or the records whose
// key contains a text; keys, values and headers shown as text, pretty JSON, or hex. The query
// lives in the URL (#/messages/<topic>?partition=&mode=&at=&key=&format=), so a view can be shared.
import { h, table, num, numHead, api, link, message, shown } from './dom.js';

export async function messagesPage(view, topicName, query) {
  const { topics } = await api('/v1/topics');
  if (topics.length === 0) { view.append(h('h1', {}, 'Messages'), message('info', 'No topics yet.')); return; }
  const topic = topics.find((t) => t.name === topicName) ?? topics.find((t) => !t.internal) ?? topics[0];
  const partition = Math.min(Math.max(0, Number(query.get('partition') ?? 0) || 0), topic.partitions - 1);
  const mode = ['offset', 'timestamp', 'key'].includes(query.get('mode')) ? query.get('mode') : 'offset';
  const format = ['text', 'json', 'hex'].includes(query.get('format')) ? query.get('format') : 'json';
  const at = query.get('at') ?? '';
  const key = query.get('key') ?? '';
  const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 50) || 50));

  const topicSelect = h('select', { name: 'topic', id: 'msg-topic' }, topics.map((t) => h('option', { value: t.name, selected: t.name === topic.name }, t.name)));
  const partitionSelect = h('select', { name: 'partition', id: 'msg-partition' }, Array.from({ length: topic.partitions }, (_, i) => h('option', { value: String(i), selected: i === partition }, String(i))));
  const modeSelect = h('select', { name: 'mode', id: 'msg-mode' }, [['offset', 'from offset'], ['timestamp', 'from timestamp (ms or ISO date)'], ['key', 'key contains']].map(([v, l]) => h('option', { value: v, selected: v === mode }, l)));
  const atInput = h('input', { name: 'at', id: 'msg-at', value: at, size: 24, placeholder: 'offset or timestamp' });
  const keyInput = h('input', { name: 'key', id: 'msg-key', value: key, size: 16, placeholder: 'key text' });
  const formatSelect = h('select', { name: 'format', id: 'msg-format' }, ['json', 'text', 'hex'].map((v) => h('option', { value: v, selected: v === format }, v)));
  const go = (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ partition: partitionSelect.value, mode: modeSelect.value, at: atInput.value, key: keyInput.value, format: formatSelect.value, limit: String(limit) });
    location.hash = `#/messages/${encodeURIComponent(topicSelect.value)}?${q}`;
  };
  topicSelect.addEventListener('change', go);
  view.append(
    h('h1', {}, 'Messages of ', link(`#/topics/${encodeURIComponent(topic.name)}`, topic.name)),
    h('form', { className: 'inline', id: 'msg-form', onsubmit: go },
      h('label', {}, 'Topic', topicSelect), h('label', {}, 'Partition', partitionSelect), h('label', {}, 'Start', modeSelect),
      h('label', {}, 'Offset / timestamp', atInput), h('label', {}, 'Key contains', keyInput), h('label', {}, 'Show as', formatSelect),
      h('button', { type: 'submit', id: 'msg-go' }, 'Show')));

  const params = new URLSearchParams({ limit: String(limit) });
  if (mode === 'timestamp' && at !== '') {
    const ts = /^\d+$/.test(at) ? Number(at) : Date.parse(at);
    if (Number.isNaN(ts)) { view.append(message('error', `Not a timestamp: ${at}`)); return; }
    params.set('timestamp', String(ts));
  } else if (at !== '' && /^\d+$/.test(at)) params.set('offset', at);
  else if (at !== '' && mode !== 'key') { view.append(message('error', `Not an offset: ${at}`)); return; }
  if (key !== '') params.set('key', key);
  const page = await api(`/v1/topics/${encodeURIComponent(topic.name)}/partitions/${partition}/records?${params}`);
  const why = { limit: `the first ${limit} matching records`, bytes: 'the scan reached its byte bound', end: 'reached the high watermark' }[page.stoppedBy];
  const next = new URLSearchParams({ partition: String(partition), mode: mode === 'timestamp' ? 'offset' : mode, at: String(page.nextOffset), key, format, limit: String(limit) });
  view.append(
    h('p', { className: 'muted', id: 'msg-summary' },
      `${page.records.length} records from offset ${page.startOffset} (log ${page.logStartOffset}–${page.highWatermark}); ${why}. `,
      page.stoppedBy === 'end' ? null : link(`#/messages/${encodeURIComponent(topic.name)}?${next}`, `next from ${page.nextOffset}`)),
    table([numHead('Offset'), 'Timestamp', 'Key', 'Value', 'Headers'], page.records.map((r) => [
      num(r.offset),
      new Date(r.timestamp).toISOString(),
      field(r.key, format === 'hex' ? 'hex' : 'text'),
      field(r.value, format, r.truncated),
      r.headers.length === 0 ? '' : h('div', { className: 'headers' }, r.headers.map((hd) => h('div', {}, h('b', {}, hd.key), ': ', hd.value === null ? '(null)' : shown(hd.value, format === 'hex' ? 'hex' : 'text')))),
    ]), 'records-table'));
}

function field(b64, format, truncated) {
  if (b64 === null) return h('span', { className: 'muted' }, '(null)');
  return h('pre', { className: 'value' }, shown(b64, format), truncated ? h('span', { className: 'muted' }, '\n… (cut)') : null);
}
