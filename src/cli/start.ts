/**
 * `tributary start`: run a broker until SIGTERM or SIGINT, then shut down cleanly (stop accepting,
 * answer in-flight requests, flush and close the logs).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pino } from 'pino';
import { BrokerConfig, ConfigError } from '../config/broker-configs.js';
import { startBroker } from '../broker/broker.js';

interface StartOptions {
  dataDir?: string;
  listen?: string;
  nodeId?: string;
  metadata?: string;
  adminListener?: string;
  config?: string;
  set: string[];
  logLevel: string;
  logFormat: string;
}

/** Redpanda's admin API port, on loopback: without SASL listeners the admin server authenticates no one. */
export const DEFAULT_ADMIN_LISTENER = '127.0.0.1:9644';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function overrides(opts: StartOptions): [string, string][] {
  const out: [string, string][] = [];
  for (const kv of opts.set) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${kv}"`);
    out.push([kv.slice(0, eq).trim(), kv.slice(eq + 1)]);
  }
  if (opts.dataDir) out.push(['log.dirs', opts.dataDir]);
  if (opts.nodeId) out.push(['node.id', opts.nodeId]);
  if (opts.metadata) out.push(['tributary.metadata.etcd.endpoints', etcdEndpoints(opts.metadata)]);
  if (opts.adminListener !== undefined) out.push(['tributary.admin.listener', opts.adminListener === 'off' ? '' : opts.adminListener]);
  return out;
}

/**
 * `--listen HOST:PORT`: the address of the first configured listener, whose name and security
 * protocol stay (a SASL or SSL broker is not turned into a PLAINTEXT one), or one PLAINTEXT
 * listener when `listeners` is not set.
 */
export function withListenAddress(config: BrokerConfig, listen: string): BrokerConfig {
  if (config.explicit('listeners') === undefined) return new BrokerConfig(config.entries(), [['listeners', `PLAINTEXT://${listen}`]]);
  const [first, ...rest] = config.listeners.listeners;
  const endpoint = (name: string, host: string, port: number) => `${name}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new BrokerConfig(config.entries(), [['listeners', [`${first.name}://${listen}`, ...rest.map((l) => endpoint(l.name, l.host, l.port))].join(',')]]);
}

/**
 * `etcd://HOST:PORT[,HOST:PORT…]`, or `etcds://…` for TLS (or http:// and https:// URLs), as the
 * etcd client URLs the config key takes.
 */
export function etcdEndpoints(metadata: string): string {
  const secure = metadata.startsWith('etcds://');
  const rest = secure ? metadata.slice('etcds://'.length) : metadata.startsWith('etcd://') ? metadata.slice('etcd://'.length) : metadata;
  return rest
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .map((e) => (e.startsWith('http://') || e.startsWith('https://') ? e : `${secure ? 'https' : 'http'}://${e}`))
    .join(',');
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start a broker: alone, or with --metadata as a member of a cluster whose metadata is in etcd')
    .option('--data-dir <dir>', 'data directory (log.dirs)', undefined)
    .option('--listen <host:port>', 'address of the first listener, keeping its name and protocol; without listeners configured, one PLAINTEXT listener (default 127.0.0.1:9092)')
    .option('--node-id <n>', 'broker id (node.id, default 1)')
    .option('--metadata <etcd://host:port,...>', 'join the cluster whose metadata lives in this etcd (tributary.metadata.etcd.endpoints); etcds://host:port,... over TLS')
    .option('--admin-listener <[https://]host:port|off>', `admin HTTP server with /metrics, /health, /ready and the console (tributary.admin.listener, default ${DEFAULT_ADMIN_LISTENER}; https:// for TLS with the ssl.* keys; off: none)`)
    .option('--config <file>', 'a Kafka-style server.properties file')
    .option('--set <key=value>', 'override one config key (repeatable)', collect, [])
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .option('--log-format <format>', 'pretty (one line per event) or json', 'pretty')
    .action(async (opts: StartOptions) => {
      const logger =
        opts.logFormat === 'json'
          ? pino({ level: opts.logLevel })
          : pino({ level: opts.logLevel }, (await import('pino-pretty')).default({ singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
      let config: BrokerConfig;
      try {
        const file = opts.config ? readFileSync(opts.config, 'utf8') : '';
        config = BrokerConfig.fromProperties(file, overrides(opts));
        if (opts.listen) config = withListenAddress(config, opts.listen);
        if (!config.explicit('log.dirs')) config = new BrokerConfig(config.entries(), [['log.dirs', './data']]);
        // The embedding API leaves the admin server off unless asked; a broker run as a service has one.
        if (config.explicit('tributary.admin.listener') === undefined) config = new BrokerConfig(config.entries(), [['tributary.admin.listener', DEFAULT_ADMIN_LISTENER]]);
      } catch (err) {
        logger.fatal((err as Error).message);
        process.exitCode = 2;
        return;
      }
      const broker = await startBroker({ logger }, config);
      const shutdown = (signal: string) => {
        logger.info(`${signal}: shutting down`);
        broker.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
