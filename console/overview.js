// Overview: cluster identity and health, the brokers, and produce/consume rates of the last minute.
import { h, table, num, numHead, api, sparkline, bytes, every } from './dom.js';

function card(label, value, className, id) {
  return h('div', { className: 'card', id }, h('div', { className: 'label' }, label), h('div', { className: `value ${className ?? ''}` }, value));
}

function chart(title, values, unit, id) {
  const now = values.length > 1 ? values[values.length - 2] : 0; // the last full second
  return h('div', { className: 'chart', id },
    h('div', { className: 'title' }, title, ' · ', h('span', { className: 'now' }, unit === 'bytes' ? `${bytes(now)}/s` : `${now}/s`)),
    sparkline(values));
}

export async function overviewPage(view) {
  const cluster = await api('/v1/cluster');
  const health = cluster.health;
  const charts = h('div', { className: 'charts', id: 'rate-charts' });
  view.append(
    h('h1', {}, 'Cluster'),
    h('div', { className: 'cards' },
      card('Cluster id', cluster.clusterId ?? '–', '', 'card-cluster-id'),
      card('Health', health.healthy ? 'healthy' : 'degraded', health.healthy ? 'ok' : 'bad', 'card-health'),
      card('Ready', cluster.readiness.ready ? 'ready' : cluster.readiness.reason, cluster.readiness.ready ? 'ok' : 'bad', 'card-ready'),
      card('Brokers', String(cluster.brokers.length), '', 'card-brokers'),
      card('Topics', String(health.topics), '', 'card-topics'),
      card('Partitions', String(health.partitions), '', 'card-partitions'),
      card('Offline partitions', String(health.offlinePartitions), health.offlinePartitions > 0 ? 'bad' : 'ok', 'card-offline'),
      card('Under-replicated', String(health.underReplicatedPartitions), health.underReplicatedPartitions > 0 ? 'bad' : 'ok', 'card-urp')),
    h('h2', {}, 'Brokers'),
    table([numHead('Id'), 'Listeners', 'Rack', 'Controller', 'Alive'], cluster.brokers.map((b) => [
      num(b.nodeId),
      b.listeners.map((l) => `${l.name} ${l.host}:${l.port}`).join(', ') || '–',
      b.rack ?? '–',
      b.controller ? 'yes' : '',
      { v: b.alive ? 'alive' : 'down', className: b.alive ? 'ok' : 'bad' },
    ]), 'brokers-table'),
    h('h2', {}, 'Traffic (last minute, this broker)'),
    charts);
  const draw = async () => {
    const r = await api('/v1/rates');
    charts.replaceChildren(
      chart('Produced records', r.messagesIn, 'records', 'chart-messages-in'),
      chart('Produced bytes', r.bytesIn, 'bytes', 'chart-bytes-in'),
      chart('Consumed bytes', r.bytesOut, 'bytes', 'chart-bytes-out'));
    charts.dataset.updated = String(r.endSecond);
  };
  await draw();
  return every(2000, draw);
}
