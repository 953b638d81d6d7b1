/**
 * `tributary cluster info`, `tributary topic describe TOPIC` and `tributary leader elect`, in the
 * spirit of kafka-metadata/kafka-topics.sh --describe and kafka-leader-election.sh: brokers and
 * controller; a topic's partitions with leader, replicas, ISR and offline replicas; preferred or
 * unclean leader elections sent to the controller.
 */
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.js';
import { withConnection } from './with-connection.js';
import { registerTopicCommands } from './topics.js';
import { registerConfigCommands } from './configs.js';
import { formatTable } from './table.js';
import { CliError } from './group-queries.js';
import { clusterHealth, clusterInfo, describeTopic, electLeaders, errorName, type ElectionRow } from './cluster-queries.js';
import { toJson } from './json.js';

interface Common {
  bootstrap: string;
}

const list = (ids: readonly number[]) => (ids.length > 0 ? ids.join(',') : '-');

async function info(c: KafkaConnection): Promise<void> {
  const i = await clusterInfo(c);
  console.log(`Cluster id: ${i.clusterId ?? '-'}`);
  console.log(`Controller: ${i.controllerId >= 0 ? `broker ${i.controllerId}` : 'none'}`);
  console.log(`Brokers: ${i.brokers.length}\n`);
  const rows = i.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? '-', b.nodeId === i.controllerId ? 'yes' : '']);
  console.log(formatTable(['ID', 'HOST', 'PORT', 'RACK', 'CONTROLLER'], rows));
}

async function health(c: KafkaConnection, o: { json?: boolean; exitStatus?: boolean }): Promise<void> {
  const h = await clusterHealth(c);
  if (o.exitStatus && !h.healthy) process.exitCode = 1;
  if (o.json) {
    console.log(toJson({ ...h }));
    return;
  }
  const names = (xs: readonly (string | number)[]) => (xs.length > 0 ? xs.join(', ') : '-');
  console.log(`Healthy:                      ${h.healthy}`);
  console.log(`Controller:                   ${h.controllerId >= 0 ? h.controllerId : 'none'}`);
  console.log(`Live brokers:                 ${names(h.liveBrokers)}`);
  console.log(`Brokers down:                 ${names(h.brokersDown)}`);
  console.log(`Leaderless partitions:        ${names(h.leaderlessPartitions)}`);
  console.log(`Under-replicated partitions:  ${names(h.underReplicatedPartitions)}`);
}

async function describe(c: KafkaConnection, topic: string): Promise<void> {
  const t = await describeTopic(c, topic);
  const rf = Math.max(0, ...t.partitions.map((p) => p.replicas.length));
  console.log(`Topic: ${t.name}  TopicId: ${t.topicId}  PartitionCount: ${t.partitions.length}  ReplicationFactor: ${rf}\n`);
  const rows = t.partitions.map((p) => [p.partition, p.leader >= 0 ? p.leader : 'none', p.leaderEpoch, list(p.replicas), list(p.isr), list(p.offline)]);
  console.log(formatTable(['PARTITION', 'LEADER', 'LEADER-EPOCH', 'REPLICAS', 'ISR', 'OFFLINE'], rows));
}

interface ElectOptions extends Common {
  topic?: string;
  partition?: string;
  unclean?: boolean;
}

/** The partitions to elect for: one, every one of a topic, or (null) every one in the cluster. */
async function electionTarget(c: KafkaConnection, o: ElectOptions): Promise<{ topic: string; partitions: number[] }[] | null> {
  if (o.topic === undefined) {
    if (o.partition !== undefined) throw new CliError('--partition needs --topic');
    return null;
  }
  if (o.partition !== undefined) {
    if (!/^\d+$/.test(o.partition)) throw new CliError(`--partition must be a partition number, not ${o.partition}`);
    return [{ topic: o.topic, partitions: [Number(o.partition)] }];
  }
  return [{ topic: o.topic, partitions: (await describeTopic(c, o.topic)).partitions.map((p) => p.partition) }];
}

/** Prints the outcome as kafka-leader-election.sh does; errors set a failing exit code. */
function report(kind: string, rows: readonly ElectionRow[]): void {
  const name = (r: ElectionRow) => `${r.topic}-${r.partition}`;
  const elected = rows.filter((r) => r.errorCode === 0);
  const notNeeded = rows.filter((r) => errorName(r.errorCode) === 'ELECTION_NOT_NEEDED');
  const failed = rows.filter((r) => r.errorCode !== 0 && errorName(r.errorCode) !== 'ELECTION_NOT_NEEDED');
  if (elected.length > 0) console.log(`Successfully completed leader election (${kind}) for partitions ${elected.map(name).join(', ')}`);
  if (notNeeded.length > 0) console.log(`Valid replica already elected for partitions ${notNeeded.map(name).join(', ')}`);
  if (rows.length === 0) console.log('No partition needed a leader election.');
  for (const r of failed) console.error(`Error completing leader election (${kind}) for partition ${name(r)}: ${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`);
  if (failed.length > 0) process.exitCode = 1;
}

export function registerClusterCommands(program: Command): void {
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  const cluster = program.command('cluster').description('the cluster as a whole');
  cluster
    .command('info')
    .description('cluster id, controller and live brokers')
    .option(...bootstrap)
    .action((o: Common) => withConnection(o, info));
  cluster
    .command('health')
    .description('brokers down, leaderless and under-replicated partitions (as rpk cluster health)')
    .option(...bootstrap)
    .option('--json', 'print JSON')
    .option('--exit-status', 'exit with 1 when the cluster is not healthy (for scripts and probes)')
    .action((o: Common & { json?: boolean; exitStatus?: boolean }) => withConnection(o, (c) => health(c, o)));
  const topic = program.command('topic').description('create, list, describe, change and delete topics');
  topic
    .command('describe <topic>')
    .description('partitions with leader, leader epoch, replicas, in-sync replicas and offline replicas')
    .option(...bootstrap)
    .action((name: string, o: Common) => withConnection(o, (c) => describe(c, name)));
  registerTopicCommands(topic);
  registerConfigCommands(program, topic);
  program
    .command('leader')
    .description('partition leadership')
    .command('elect')
    .description('elect leaders at the controller: the preferred replica, or with --unclean any live replica of a leaderless partition')
    .option(...bootstrap)
    .option('--topic <topic>', 'only this topic (every partition of it without --partition)')
    .option('--partition <n>', 'only this partition of --topic')
    .option('--unclean', 'unclean election: a partition without a live leader gets any live replica, possibly losing records')
    .action((o: ElectOptions) =>
      withConnection(o, async (c) => {
        const target = await electionTarget(c, o);
        report(o.unclean ? 'UNCLEAN' : 'PREFERRED', await electLeaders(c, o.unclean === true, target));
      }),
    );
}
