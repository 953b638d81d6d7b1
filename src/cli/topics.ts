/**
 * `tributary topic create | list | delete | add-partitions | alter-config`, in the spirit of
 * `rpk topic` and kafka-topics.sh, through @platformatic/kafka's admin client (CreateTopics,
 * DeleteTopics, CreatePartitions, IncrementalAlterConfigs) and, for `list`, the project's own
 * client (one Metadata request). `topic describe` is in cluster.ts. Tables for people, --json for
 * scripts, one-line errors with a failing exit code.
 */
import type { Command } from 'commander';
import type { Admin } from '@platformatic/kafka';
import { formatTable } from './table.js';
import { toJson } from './json.js';
import { CliError } from './group-queries.js';
import { clientOptions, kafkaClient, oneLine } from './client-options.js';
import { withConnection } from './with-connection.js';
import { listTopics } from './cluster-queries.js';

interface Common {
  bootstrap: string;
  json?: boolean;
}

const TOPIC_RESOURCE = 2 as const;
const SET = 0 as const;
const DELETE = 1 as const;

async function withAdmin(o: Common, fn: (admin: Admin) => Promise<void>): Promise<void> {
  const { Admin } = await kafkaClient();
  const admin = new Admin(clientOptions(o.bootstrap));
  try {
    await fn(admin);
  } catch (err) {
    console.error(err instanceof CliError ? err.message : oneLine(err));
    process.exitCode = 1;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function positive(option: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${option} must be a whole number of at least 1, not ${text}`);
  return n;
}

/** key=value pairs from repeated options. */
function pairs(option: string, values: string[]): { name: string; value: string }[] {
  return values.map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new CliError(`${option} takes key=value, not ${kv}`);
    return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
  });
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerTopicCommands(topic: Command): void {
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  const json = ['--json', 'print JSON instead of text'] as const;
  topic
    .command('create <topics...>')
    .description('create topics')
    .option(...bootstrap)
    .option(...json)
    .option('-p, --partitions <n>', 'partitions per topic', '1')
    .option('-r, --replicas <n>', 'replication factor (default: the broker\'s default.replication.factor)')
    .option('-c, --config <key=value>', 'a topic config (repeatable), e.g. cleanup.policy=compact', collect, [])
    .addHelpText('after', '\nExample:\n  tributary topic create orders -p 6 -c retention.ms=86400000 -c cleanup.policy=compact')
    .action((names: string[], o: Common & { partitions: string; replicas?: string; config: string[] }) =>
      withAdmin(o, async (admin) => {
        const partitions = positive('--partitions', o.partitions);
        const replicas = o.replicas === undefined ? -1 : positive('--replicas', o.replicas);
        const created = await admin.createTopics({ topics: names, partitions, replicas, configs: pairs('--config', o.config) });
        if (o.json) console.log(toJson({ created: created.map((t) => ({ topic: t.name, partitions: t.partitions, replicas: t.replicas })) }));
        else console.log(formatTable(['TOPIC', 'PARTITIONS', 'REPLICAS'], created.map((t) => [t.name, t.partitions, t.replicas])));
      }),
    );
  topic
    .command('list')
    .description('the topics of the cluster')
    .option(...bootstrap)
    .option(...json)
    .option('-i, --internal', 'include internal topics (__consumer_offsets, __transaction_state)')
    .action((o: Common & { internal?: boolean }) =>
      // The project's own client: @platformatic/kafka's metadata leaves internal topics out.
      withConnection(o, async (c) => {
        const rows = (await listTopics(c)).filter((t) => o.internal === true || !t.internal).map(({ topic, partitions, replicas }) => ({ topic, partitions, replicas }));
        if (o.json) console.log(toJson({ topics: rows }));
        else console.log(rows.length > 0 ? formatTable(['TOPIC', 'PARTITIONS', 'REPLICAS'], rows.map((r) => [r.topic, r.partitions, r.replicas])) : 'No topics.');
      }),
    );
  topic
    .command('delete <topics...>')
    .description('delete topics and their data')
    .option(...bootstrap)
    .option(...json)
    .action((names: string[], o: Common) =>
      withAdmin(o, async (admin) => {
        await admin.deleteTopics({ topics: names });
        if (o.json) console.log(toJson({ deleted: names }));
        else console.log(`Deleted ${names.join(', ')}.`);
      }),
    );
  topic
    .command('add-partitions <topic>')
    .description('raise a topic\'s partition count')
    .option(...bootstrap)
    .option(...json)
    .requiredOption('-t, --total <n>', 'the partition count wanted (more than now)')
    .action((name: string, o: Common & { total: string }) =>
      withAdmin(o, async (admin) => {
        const count = positive('--total', o.total);
        await admin.createPartitions({ topics: [{ name, count }] });
        if (o.json) console.log(toJson({ topic: name, partitions: count }));
        else console.log(`${name} has ${count} partitions.`);
      }),
    );
  topic
    .command('alter-config <topic>')
    .description('set or delete topic configs (IncrementalAlterConfigs)')
    .option(...bootstrap)
    .option(...json)
    .option('-s, --set <key=value>', 'set a config (repeatable)', collect, [])
    .option('-d, --delete <key>', 'go back to the default for a config (repeatable)', collect, [])
    .addHelpText('after', '\nExample:\n  tributary topic alter-config orders --set retention.ms=3600000 --delete cleanup.policy')
    .action((name: string, o: Common & { set: string[]; delete: string[] }) =>
      withAdmin(o, async (admin) => {
        const sets = pairs('--set', o.set);
        if (sets.length === 0 && o.delete.length === 0) throw new CliError('give at least one --set or --delete');
        const configs = [...sets.map((s) => ({ name: s.name, configOperation: SET, value: s.value })), ...o.delete.map((k) => ({ name: k, configOperation: DELETE, value: null }))];
        await admin.incrementalAlterConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configs }] });
        if (o.json) console.log(toJson({ topic: name, set: Object.fromEntries(sets.map((s) => [s.name, s.value])), deleted: o.delete }));
        else console.log(`Altered ${name}: ${[...sets.map((s) => `${s.name}=${s.value}`), ...o.delete.map((k) => `${k} (default)`)].join(', ')}.`);
      }),
    );
}
