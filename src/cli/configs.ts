/**
 * `tributary config get [KEY...]` (a broker's configuration, DescribeConfigs) and
 * `tributary topic config TOPIC` (a topic's, with where each value comes from), as rpk cluster
 * config get / kafka-configs.sh --describe, through @platformatic/kafka. Broker configs are static
 * in Tributary (server.properties and --set, read at start); `config set` says so.
 */
import type { Command } from 'commander';
import type { Admin } from '@platformatic/kafka';
import { formatTable } from './table.js';
import { toJson } from './json.js';
import { CliError } from './group-queries.js';
import { clientOptions, kafkaClient, oneLine } from './client-options.js';

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

async function describe(o: Common, resourceType: typeof TOPIC | typeof BROKER, resourceName: string, keys: string[]): Promise<void> {
  const { Admin } = await kafkaClient();
  const admin = new Admin(clientOptions(o.bootstrap));
  try {
    const name = resourceType === BROKER && resourceName === '' ? await bootstrapBrokerId(admin, o.bootstrap) : resourceName;
    const [described] = await admin.describeConfigs({ resources: [{ resourceType, resourceName: name, configurationKeys: keys.length > 0 ? keys : null }], includeDocumentation: false });
    const rows = (described?.configs ?? []).map((c) => ({ name: c.name, value: c.isSensitive ? '(sensitive)' : (c.value ?? null), source: SOURCES[c.configSource] ?? String(c.configSource), readOnly: c.readOnly }));
    const unknown = keys.filter((k) => !rows.some((r) => r.name === k));
    if (unknown.length > 0) throw new CliError(`no such config: ${unknown.join(', ')}`);
    if (o.json) console.log(toJson({ resource: name, configs: rows.map((r) => ({ ...r })) }));
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
    .addHelpText('after', '\nExamples:\n  tributary config get\n  tributary config get log.retention.ms min.insync.replicas --json')
    .action((keys: string[], o: Common & { broker: string }) => describe(o, BROKER, o.broker, keys));
  config
    .command('set <key=value>')
    .description('(not available: broker configs are static, see the help)')
    .option(...bootstrap)
    .addHelpText('after', "\nTributary reads broker configs at start from server.properties and --set; change them there and restart the broker.\nTopic configs change at runtime: tributary topic alter-config TOPIC --set key=value")
    .action(() => {
      console.error('broker configs are static in Tributary: set them in server.properties (or with --set) and restart; topic configs change with `tributary topic alter-config`');
      process.exitCode = 1;
    });
  topic
    .command('config <topic> [keys...]')
    .description("a topic's configs (every key, or those named) with their sources")
    .option(...bootstrap)
    .option(...json)
    .action((name: string, keys: string[], o: Common) => describe(o, TOPIC, name, keys));
}
