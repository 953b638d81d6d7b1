// Consumer groups, and a group's members, assignments, committed offsets and lag, refreshed live.
import { h, table, num, numHead, api, link, every } from './dom.js';

const groupHref = (id) => `#/groups/${encodeURIComponent(id)}`;

export async function groupsPage(view) {
  const holder = h('div', {});
  const draw = async () => {
    const { groups } = await api('/v1/groups');
    holder.replaceChildren(
      h('h1', {}, `Consumer groups (${groups.length})`),
      table(['Group', 'State', 'Protocol type', numHead('Members'), numHead('Total lag')], groups.map((g) => [link(groupHref(g.groupId), g.groupId), g.state, g.protocolType || '–', num(g.members), num(g.totalLag)]), 'groups-table'));
  };
  await draw();
  view.append(holder);
  return every(2000, draw);
}

export async function groupPage(view, id) {
  const holder = h('div', {});
  const draw = async () => {
    const g = await api(`/v1/groups/${encodeURIComponent(id)}`);
    holder.replaceChildren(
      h('h1', {}, `Group ${g.groupId}`),
      h('p', { className: 'muted', id: 'group-summary' }, `state ${g.state} · protocol ${g.protocol || '–'} · generation ${g.generationId} · ${g.members} members · total lag `, h('b', { id: 'group-total-lag' }, g.totalLag === null ? '–' : String(g.totalLag))),
      h('h2', {}, 'Members'),
      table(['Member', 'Client id', 'Host', 'Assigned partitions'], g.memberDetails.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment.map((a) => `${a.topic}-${a.partition}`).join(', ') || '–']), 'members-table'),
      h('h2', {}, 'Offsets and lag'),
      table(['Topic', numHead('Partition'), numHead('Committed'), numHead('High watermark'), numHead('Lag')], g.offsets.map((o) => [link(`#/topics/${encodeURIComponent(o.topic)}`, o.topic), num(o.partition), num(o.committedOffset), num(o.highWatermark), num(o.lag)]), 'offsets-table'));
    holder.dataset.updated = String(Date.now());
  };
  await draw();
  view.append(holder);
  return every(2000, draw);
}
