/**
 * `tributary config get [KEY...]` (a broker's configuration, DescribeConfigs),
 * `tributary config set KEY=VALUE...` and `config delete KEY...` (dynamic broker configs,
 * IncrementalAlterConfigs, as kafka-configs.sh --alter --entity-type brokers) and
 * `tributary topic config TOPIC` (a topic's, with where each value comes from), through
 * @platformatic/kafka. A dynamic config is set for one broker (--broker ID) or, by default, as
 * the cluster-wide default (resource name "", which any broker accepts).
 */
import type { Command } from 'commander';
import type { Admin } from '@platformatic/kafka';
import { formatTable } from './table.js';
import { toJson } from './json.js';
import { CliError } from './group-queries.js';
import { clientOptions, kafkaClient, oneLine } from './client-options.js';
import { LIVE_BROKER_KEYS } from '../config/dynamic-broker-configs.js';
import { onBootstrapConnection } from './bootstrap-connection.js';
import { alterBroker, type AlterOptions } from './config-alter.js';

interface Common {
  bootstrap: string;
  json?: boolean;
}

const TOPIC = 2 as const;
const BROKER = 4 as const;
const SOURCES: Record<number, string> = { 1: 'dynamic-topic', 2: 'dynamic-broker', 3: 'dynamic-default-broker', 4: 'static-broker', 5: 'default', 6: 'dynamic-broker-logger', 7: 'client-metrics', 8: 'group' };

/** The node id of the broker at the bootstrap address (or, when it cannot be told, the controller's). */
async function bootstrapBrokerId(admin: Admin, bootstrap: string): Promise<string> {
  const md = await admin.metadata({ topics: [] });
  const first = bootstrap.split(',')[0].trim();
  for (const [id, b] of md.brokers) if (`${b.host}:${b.port}` === first) return String(id);
  return String(md.brokers.size === 1 ? [...md.brokers.keys()][0] : md.controllerId);
}

/**
 * DescribeConfigs of the cluster-wide resource "" over one connection to the bootstrap broker:
 * @platformatic/kafka's Admin routes a BROKER resource to the broker whose id is Number(name), 0 for "".
 */
async function describeClusterDefault(o: Common, keys: string[]): Promise<{ name: string; value?: string | null; configSource: number; readOnly: boolean; isSensitive: boolean }[]> {
  const { describeConfigsV4 } = await kafkaClient();
  const result = await onBootstrapConnection(o.bootstrap, (connection) => describeConfigsV4.api.async(connection, [{ resourceType: BROKER, resourceName: '', configurationKeys: keys.length > 0 ? keys : null }], false, false));
  const [r] = result.results;
  if (r && r.errorCode !== 0) throw new CliError(r.errorMessage ?? `error ${r.errorCode}`);
  return r?.configs ?? [];
}

async function describe(o: Common & { clusterDefault?: boolean }, resourceType: typeof TOPIC | typeof BROKER, resourceName: string, keys: string[]): Promise<void> {
  const { Admin } = await kafkaClient();
  const admin = new Admin(clientOptions(o.bootstrap));
  try {
    const clusterDefault = resourceType === BROKER && o.clusterDefault === true;
    const name = clusterDefault ? '' : resourceType === BROKER && resourceName === '' ? await bootstrapBrokerId(admin, o.bootstrap) : resourceName;
    const configs = clusterDefault
      ? await describeClusterDefault(o, keys)
      : (await admin.describeConfigs({ resources: [{ resourceType, resourceName: name, configurationKeys: keys.length > 0 ? keys : null }], includeDocumentation: false }))[0]?.configs;
    const rows = (configs ?? []).map((c) => ({ name: c.name, value: c.isSensitive ? '(sensitive)' : (c.value ?? null), source: SOURCES[c.configSource] ?? String(c.configSource), readOnly: c.readOnly }));
    const unknown = clusterDefault ? [] : keys.filter((k) => !rows.some((r) => r.name === k));
    if (unknown.length > 0) throw new CliError(`no such config: ${unknown.join(', ')}`);
    if (o.json) console.log(toJson({ resource: clusterDefault ? '<cluster-default>' : name, configs: rows.map((r) => ({ ...r })) }));
    else console.log(formatTable(['NAME', 'VALUE', 'SOURCE'], rows.sort((a, b) => a.name.localeCompare(b.name)).map((r) => [r.name, r.value ?? '-', r.source])));
  } catch (err) {
    console.error(err instanceof CliError ? err.message : oneLine(err));
    process.exitCode = 1;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

export function registerConfigCommands(program: Command, topic: Command): void {
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  const json = ['--json', 'print JSON instead of a table'] as const;
  const config = program.command('config').description("a broker's configuration");
  config
    .command('get [keys...]')
    .description('the configuration of a broker (every key, or those named), with where each value comes from')
    .option(...bootstrap)
    .option(...json)
    .option('--broker <id>', 'which broker (default: the one at --bootstrap)', '')
    .option('--cluster-default', 'only the cluster-wide dynamic defaults')
    .addHelpText('after', '\nSources: dynamic-broker (config set --broker), dynamic-default-broker (config set), static-broker (server.properties, --set), default.\n\nExamples:\n  tributary config get\n  tributary config get log.retention.ms min.insync.replicas --json\n  tributary config get --cluster-default')
    .action((keys: string[], o: Common & { broker: string; clusterDefault?: boolean }) => describe(o, BROKER, o.broker, keys));
  const level = [
    ['--broker <id>', "this broker's own dynamic config (DYNAMIC_BROKER_CONFIG), above the cluster-wide default"],
    ['--cluster-default', 'the cluster-wide default of every broker (DYNAMIC_DEFAULT_BROKER_CONFIG), the default level'],
  ] as const;
  config
    .command('set <key=value...>')
    .description('set dynamic broker configs, applied at once and kept in the metadata store (IncrementalAlterConfigs)')
    .option(...bootstrap)
    .option(...json)
    .option(...level[0])
    .option(...level[1])
    .option('--dry-run', 'only check the change (validateOnly)')
    .addHelpText(
      'after',
      `\nPrecedence: --broker ID > --cluster-default > server.properties/--set > Kafka's default. Changeable at runtime:
  ${[...LIVE_BROKER_KEYS].sort().join(', ')}.
Other keys are read at start: set them in server.properties (or with --set) and restart.
Topic configs: tributary topic alter-config TOPIC --set key=value

Examples:
  tributary config set log.retention.ms=86400000
  tributary config set max.connections=500 --broker 1
  tributary config delete log.retention.ms`,
    )
    .action((kvs: string[], o: AlterOptions) => alterBroker(o, kvs, []));
  config
    .command('delete <keys...>')
    .description('remove dynamic broker configs: the value falls back to the level below (IncrementalAlterConfigs DELETE)')
    .option(...bootstrap)
    .option(...json)
    .option(...level[0])
    .option(...level[1])
    .option('--dry-run', 'only check the change (validateOnly)')
    .addHelpText('after', '\nExamples:\n  tributary config delete log.retention.ms\n  tributary config delete max.connections --broker 1')
    .action((keys: string[], o: AlterOptions) => alterBroker(o, [], keys));
  topic
    .command('config <topic> [keys...]')
    .description("a topic's configs (every key, or those named) with their sources")
    .option(...bootstrap)
    .option(...json)
    .action((name: string, keys: string[], o: Common) => describe(o, TOPIC, name, keys));
}
