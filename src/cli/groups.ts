/**
 * `tributary groups list | describe GROUP | reset-offsets GROUP --topic T --to-…`, in the spirit of
 * kafka-consumer-groups.sh: resets apply only to empty groups, and only with --execute. In a
 * cluster, from any broker: a group's requests go to its coordinator, end offsets to each
 * partition's leader, and the list is every broker's.
 */
import type { Command } from 'commander';
import { formatTable } from './table.js';
import { assignedPartitions, CliError, commitOffsets, committedOffsets, deleteGroup, describeGroup, listGroups, topicPartitions, type CommittedRow } from './group-queries.js';
import { describeError } from '../protocol/error-codes.js';
import { withRoutes } from './with-connection.js';
import type { ClusterRoutes } from './cluster-routes.js';

interface Common {
  bootstrap: string;
}

async function describe(routes: ClusterRoutes, groupId: string): Promise<void> {
  const c = await routes.coordinator(groupId);
  const g = await describeGroup(c, groupId);
  console.log(`Group ${groupId}: state ${g.groupState}, protocol ${g.protocolType || '-'}/${g.protocolData || '-'}, ${g.members.length} member(s)\n`);
  const owner = new Map<string, string>();
  if (g.members.length > 0) {
    const rows = g.members.map((m) => {
      const parts = assignedPartitions(m.memberAssignment);
      for (const p of parts) owner.set(p, m.memberId);
      return [m.memberId, m.groupInstanceId ?? '-', m.clientId, m.clientHost, parts.join(',') || '-'];
    });
    console.log(formatTable(['MEMBER-ID', 'INSTANCE-ID', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'], rows) + '\n');
  }
  const committed = await committedOffsets(c, groupId);
  const ends = await routes.offsetsAt(committed, -1n);
  const rows = committed
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((r) => {
      const end = ends.get(`${r.topic}-${r.partition}`) ?? -1n;
      const lag = r.offset >= 0n && end >= 0n ? String(end - r.offset) : '-';
      return [r.topic, r.partition, r.offset, end, lag, owner.get(`${r.topic}-${r.partition}`) ?? '-'];
    });
  console.log(rows.length > 0 ? formatTable(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID'], rows) : 'No committed offsets.');
}

interface ResetOptions extends Common {
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toDatetime?: string;
  execute?: boolean;
}

async function reset(routes: ClusterRoutes, groupId: string, o: ResetOptions): Promise<void> {
  const chosen = [o.toEarliest, o.toLatest, o.toOffset !== undefined, o.toDatetime !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new CliError('give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO');
  const c = await routes.coordinator(groupId);
  const g = await describeGroup(c, groupId);
  if (g.groupState !== 'Empty' && g.groupState !== 'Dead') throw new CliError(`group ${groupId} is ${g.groupState}: offsets can only be reset while it has no members`);
  const partitions = (await topicPartitions(routes.bootstrap, o.topic)).map((partition) => ({ topic: o.topic, partition }));
  const earliest = await routes.offsetsAt(partitions, -2n);
  const latest = await routes.offsetsAt(partitions, -1n);
  let target: Map<string, bigint>;
  if (o.toEarliest) target = earliest;
  else if (o.toLatest) target = latest;
  else if (o.toOffset !== undefined) target = new Map(partitions.map((p) => [`${p.topic}-${p.partition}`, BigInt(o.toOffset as string)]));
  else {
    const ms = Date.parse(o.toDatetime as string);
    if (Number.isNaN(ms)) throw new CliError(`cannot read --to-datetime ${o.toDatetime}`);
    const found = await routes.offsetsAt(partitions, BigInt(ms));
    // Past the last record: the end of the log, as Kafka's tool does.
    target = new Map([...found].map(([k, v]) => [k, v < 0n ? (latest.get(k) ?? 0n) : v]));
  }
  const rows: CommittedRow[] = partitions.map((p) => {
    const key = `${p.topic}-${p.partition}`;
    const lo = earliest.get(key) ?? 0n;
    const hi = latest.get(key) ?? 0n;
    const want = target.get(key) ?? hi;
    return { ...p, offset: want < lo ? lo : want > hi ? hi : want };
  });
  console.log(formatTable(['TOPIC', 'PARTITION', 'NEW-OFFSET'], rows.map((r) => [r.topic, r.partition, r.offset])));
  if (!o.execute) {
    console.log('\nDry run: add --execute to commit these offsets.');
    return;
  }
  await commitOffsets(c, groupId, rows);
  console.log(`\nCommitted new offsets for group ${groupId}.`);
}

export function registerGroups(program: Command): void {
  const groups = program.command('group').alias('groups').description('inspect consumer groups, reset their offsets, delete them');
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  groups
    .command('list')
    .description('list consumer groups')
    .option(...bootstrap)
    .action((o: Common) =>
      withRoutes(o, async (routes) => {
        // Each broker lists the groups it coordinates: ask them all, as kafka-consumer-groups.sh --list does.
        const lists = await Promise.all((await routes.brokerAddresses()).map(async (address) => listGroups(await routes.at(address))));
        const list = [...new Map(lists.flat().map((g) => [g.groupId, g])).values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
        console.log(list.length > 0 ? formatTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], list.map((g) => [g.groupId, g.groupState, g.protocolType || '-'])) : 'No groups.');
      }),
    );
  groups
    .command('describe <group>')
    .description('members, assignments, committed offsets and lag of a group')
    .option(...bootstrap)
    .action((group: string, o: Common) => withRoutes(o, (routes) => describe(routes, group)));
  groups
    .command('reset-offsets <group>')
    .description('move an empty group\'s committed offsets (dry run unless --execute)')
    .option(...bootstrap)
    .requiredOption('--topic <topic>', 'the topic whose offsets to reset')
    .option('--to-earliest', 'the log start offset')
    .option('--to-latest', 'the log end offset')
    .option('--to-offset <n>', 'an absolute offset (clamped to the log)')
    .option('--to-datetime <iso>', 'the first offset at or after a time, e.g. 2026-11-24T10:00:00Z')
    .option('--execute', 'commit the new offsets')
    .action((group: string, o: ResetOptions) => withRoutes(o, (routes) => reset(routes, group, o)));
  groups
    .command('delete <groups...>')
    .description('delete empty groups and their committed offsets (DeleteGroups at each group\'s coordinator)')
    .option(...bootstrap)
    .action((names: string[], o: Common) =>
      withRoutes(o, async (routes) => {
        // Each group on its own: one that cannot be deleted (or whose coordinator is not found) does not stop the others.
        const failed: string[] = [];
        for (const groupId of names) {
          try {
            const code = await deleteGroup(await routes.coordinator(groupId), groupId);
            if (code === 0) console.log(`Deleted group ${groupId}.`);
            else failed.push(`${groupId}: ${describeError(code)?.name ?? code} (${describeError(code)?.message ?? 'unknown error'})`);
          } catch (err) {
            if (!(err instanceof CliError)) throw err;
            failed.push(err.message);
          }
        }
        if (failed.length > 0) throw new CliError(failed.join('; '));
      }),
    );
}
