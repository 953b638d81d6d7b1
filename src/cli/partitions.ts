/**
 * `tributary partition reassign --topic T --partition P --replicas 1,2,3 [--wait]` (or --cancel)
 * and `tributary partition reassignments [--topic T]`, in the spirit of
 * kafka-reassign-partitions.sh: the controller adds the new replicas, waits until they are in
 * sync, then drops the old ones; --wait follows it until it completes.
 */
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.js';
import { formatTable } from './table.js';
import { CliError } from './group-queries.js';
import { withConnection } from './with-connection.js';
import { describeTopic, listReassignments, reassignPartition } from './cluster-queries.js';

interface ReassignOptions {
  bootstrap: string;
  topic: string;
  partition: string;
  replicas?: string;
  cancel?: boolean;
  wait?: boolean;
  waitTimeoutMs: string;
}

function brokerList(text: string): number[] {
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new CliError(`--replicas must be broker ids separated by commas, not ${text}`);
  return ids.map(Number);
}

async function reassign(c: KafkaConnection, o: ReassignOptions): Promise<void> {
  if (!/^\d+$/.test(o.partition)) throw new CliError(`--partition must be a partition number, not ${o.partition}`);
  if ((o.replicas === undefined) === (o.cancel !== true)) throw new CliError('give exactly one of --replicas 1,2,3 and --cancel');
  const partition = Number(o.partition);
  const name = `${o.topic}-${partition}`;
  const replicas = o.replicas === undefined ? null : brokerList(o.replicas);
  await reassignPartition(c, o.topic, partition, replicas);
  console.log(replicas ? `Reassignment of ${name} to replicas ${replicas.join(',')} started.` : `Reassignment of ${name} cancelled.`);
  if (!o.wait || !replicas) return;
  const deadline = Date.now() + Number(o.waitTimeoutMs);
  for (;;) {
    const ongoing = (await listReassignments(c, o.topic)).find((r) => r.partition === partition);
    if (!ongoing) break;
    if (Date.now() > deadline) throw new CliError(`${name} is still being reassigned (adding ${ongoing.adding.join(',') || '-'}, removing ${ongoing.removing.join(',') || '-'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const p = (await describeTopic(c, o.topic)).partitions.find((x) => x.partition === partition);
  console.log(`Reassignment of ${name} complete: replicas ${p?.replicas.join(',') ?? '?'}, leader ${p?.leader ?? '?'}, ISR ${p?.isr.join(',') ?? '?'}.`);
}

export function registerPartitionCommands(program: Command): void {
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  const partition = program.command('partition').description('partition replicas');
  partition
    .command('reassign')
    .description('move a partition to new replicas (the first leads by preference), or cancel a reassignment under way')
    .option(...bootstrap)
    .requiredOption('--topic <topic>', 'the topic')
    .requiredOption('--partition <n>', 'the partition')
    .option('--replicas <ids>', 'the new replica list, e.g. 1,2,3')
    .option('--cancel', 'cancel the reassignment under way: back to the replicas before it')
    .option('--wait', 'wait until the reassignment completes')
    .option('--wait-timeout-ms <ms>', 'how long --wait waits', '300000')
    .action((o: ReassignOptions) => withConnection(o, (c) => reassign(c, o)));
  partition
    .command('reassignments')
    .description('the reassignments under way')
    .option(...bootstrap)
    .option('--topic <topic>', 'only this topic')
    .action((o: { bootstrap: string; topic?: string }) =>
      withConnection(o, async (c) => {
        const rows = await listReassignments(c, o.topic);
        const ids = (l: number[]) => (l.length > 0 ? l.join(',') : '-');
        console.log(rows.length > 0 ? formatTable(['TOPIC', 'PARTITION', 'REPLICAS', 'ADDING', 'REMOVING'], rows.map((r) => [r.topic, r.partition, ids(r.replicas), ids(r.adding), ids(r.removing)])) : 'No reassignments in progress.');
      }),
    );
}
