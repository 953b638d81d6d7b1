// Topics list and a topic's detail: partitions (leader, replicas, ISR, offsets, size) and configs,
// with a form that edits an override (the broker applies it as IncrementalAlterConfigs would).
import { h, table, num, numHead, api, write, bytes, link, message } from './dom.js';

const topicHref = (name) => `#/topics/${encodeURIComponent(name)}`;

export async function topicsPage(view) {
  const { topics } = await api('/v1/topics');
  view.append(
    h('h1', {}, `Topics (${topics.length})`),
    table(['Name', numHead('Partitions'), numHead('Replication'), numHead('Under-replicated'), numHead('Records'), numHead('Size'), ''], topics.map((t) => [
      link(topicHref(t.name), t.name),
      num(t.partitions),
      num(t.replicationFactor),
      num(t.underReplicated),
      num(t.records),
      { v: bytes(t.sizeBytes), className: 'num' },
      link(`#/messages/${encodeURIComponent(t.name)}`, 'messages'),
    ]), 'topics-table'));
}

export async function topicPage(view, name) {
  const t = await api(`/v1/topics/${encodeURIComponent(name)}`);
  const result = h('div', { id: 'config-result' });
  const select = h('select', { name: 'name', id: 'config-name' }, t.configs.map((c) => h('option', { value: c.name }, c.name)));
  const input = h('input', { name: 'value', id: 'config-value', size: 30, placeholder: 'new value' });
  const current = () => t.configs.find((c) => c.name === select.value);
  select.addEventListener('change', () => { input.value = current()?.value ?? ''; });
  const submit = async (event, value) => {
    event.preventDefault();
    try {
      await write(`/v1/topics/${encodeURIComponent(name)}/configs`, 'POST', { configs: [{ name: select.value, value }] });
      const again = await api(`/v1/topics/${encodeURIComponent(name)}`);
      t.configs = again.configs;
      const fresh = configTable(again.configs);
      configs.replaceWith(fresh);
      configs = fresh;
      result.replaceChildren(message('info', value === null ? `${select.value} reset to its default` : `${select.value} set to ${value}`));
    } catch (err) {
      result.replaceChildren(message('error', err.message));
    }
  };
  const form = h('form', { className: 'inline', id: 'config-form', onsubmit: (e) => submit(e, input.value) },
    h('label', {}, 'Config', select),
    h('label', {}, 'Value', input),
    h('button', { type: 'submit', id: 'config-save' }, 'Set override'),
    h('button', { type: 'button', id: 'config-reset', onclick: (e) => submit(e, null) }, 'Reset to default'));
  input.value = current()?.value ?? '';
  let configs = configTable(t.configs);
  view.append(
    h('h1', {}, `Topic ${t.name}`),
    h('p', { className: 'muted' }, `id ${t.topicId} · ${t.partitions} partitions · replication ${t.replicationFactor} · ${t.records} records · ${bytes(t.sizeBytes)} · `, link(`#/messages/${encodeURIComponent(t.name)}`, 'browse messages')),
    h('h2', {}, 'Partitions'),
    table([numHead('Partition'), numHead('Leader'), 'Replicas', 'ISR', numHead('Log start'), numHead('Log end'), numHead('High watermark'), numHead('Size')], t.partitionDetails.map((p) => [
      num(p.partition), num(p.leader), p.replicas.join(', '), p.isr.join(', '), num(p.logStartOffset), num(p.logEndOffset), num(p.highWatermark), { v: bytes(p.sizeBytes), className: 'num' },
    ]), 'partitions-table'),
    h('h2', {}, 'Configs'),
    form, result, configs);
}

function configTable(configs) {
  return table(['Name', 'Value', 'Source'], configs.map((c) => [
    c.name,
    { v: c.value ?? '(null)', className: c.source === 'DYNAMIC_TOPIC_CONFIG' ? 'dynamic' : '' },
    { v: c.source, className: 'source' },
  ]), 'configs-table');
}
