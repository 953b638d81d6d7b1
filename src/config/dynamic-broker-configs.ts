/**
 * Which broker keys may change at runtime (AlterConfigs / IncrementalAlterConfigs on a BROKER
 * resource), and the checks a change passes, in the order Kafka's DynamicBrokerConfig makes them:
 * keys Kafka reads only at start, then SSL keys without a listener prefix, then value types, then
 * per-broker keys at the cluster-wide level. Kafka answers all of these INVALID_REQUEST (its
 * ConfigAdminManager wraps the ConfigException, KAFKA-13609) with "<reason>: Set(<keys>)".
 *
 * Tributary adds one check after Kafka's: a key Kafka changes at runtime but Tributary reads only
 * at start is refused with INVALID_CONFIG, so that no stored value ever claims an effect it lacks.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { checkValue } from './config-def.js';
import { ALL_BROKER_DEFS } from './broker-configs.js';
import { TOPIC_CONFIG_DEFS } from './topic-configs.js';

/** Kafka's SslConfigs.RECONFIGURABLE_CONFIGS: dynamic only as listener.name.<l>.<key>, per broker. */
const SECURITY_KEYS = new Set([
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.certificates',
]);

/** Kafka's DynamicListenerConfig keys (SSL, SASL, listeners), per broker in Kafka. */
const LISTENER_KEYS = new Set([
  'advertised.listeners', 'listeners', 'listener.security.protocol.map', 'principal.builder.class',
  'ssl.protocol', 'ssl.provider', 'ssl.cipher.suites', 'ssl.enabled.protocols', 'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.keymanager.algorithm', 'ssl.trustmanager.algorithm',
  'ssl.endpoint.identification.algorithm', 'ssl.secure.random.implementation', 'ssl.client.auth', 'ssl.engine.factory.class',
  'sasl.mechanism.inter.broker.protocol', 'sasl.jaas.config', 'sasl.enabled.mechanisms', 'sasl.kerberos.service.name', 'sasl.kerberos.kinit.cmd',
  'sasl.kerberos.ticket.renew.window.factor', 'sasl.kerberos.ticket.renew.jitter', 'sasl.kerberos.min.time.before.relogin', 'sasl.kerberos.principal.to.local.rules',
  'sasl.login.refresh.window.factor', 'sasl.login.refresh.window.jitter', 'sasl.login.refresh.min.period.seconds', 'sasl.login.refresh.buffer.seconds',
  'max.connections', 'max.connection.creation.rate', 'num.network.threads',
]);

/** Listener keys Kafka lets the cluster-wide default hold (its ClusterLevelListenerConfigs). */
const CLUSTER_LEVEL_LISTENER_KEYS = new Set(['max.connections', 'max.connection.creation.rate', 'num.network.threads']);

/** Kafka's broker quota configs (QuotaConfig.brokerQuotaConfigs), dynamic only; Tributary has no replication throttle. */
const THROTTLE_KEYS = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second']);

/** Every key Kafka changes at runtime (DynamicBrokerConfig.AllDynamicConfigs, remote-storage keys left out). */
const KAFKA_DYNAMIC_KEYS = new Set([
  ...SECURITY_KEYS,
  ...LISTENER_KEYS,
  ...THROTTLE_KEYS,
  // LogCleaner.ReconfigurableConfigs
  'log.cleaner.threads', 'log.cleaner.dedupe.buffer.size', 'log.cleaner.io.buffer.load.factor', 'log.cleaner.io.buffer.size', 'message.max.bytes',
  'log.cleaner.io.max.bytes.per.second', 'log.cleaner.backoff.ms',
  // DynamicLogConfig: the broker synonyms of topic keys
  ...TOPIC_CONFIG_DEFS.map((d) => d.brokerSynonym).filter((s): s is string => s !== null),
  'log.local.retention.ms', 'log.local.retention.bytes', 'log.message.format.version',
  // DynamicThreadPool, metrics, SocketServer, producer state
  'num.io.threads', 'num.replica.fetchers', 'num.recovery.threads.per.data.dir', 'background.threads', 'metric.reporters',
  'max.connections.per.ip', 'max.connections.per.ip.overrides',
  'producer.id.expiration.ms', 'transaction.partition.verification.enable',
]);

/**
 * The keys Tributary applies while running: topic defaults that reach every topic without its own
 * override (the logs are reconfigured, produce reads its limits per request, the controller reads
 * unclean.leader.election.enable at each election), and the listeners'
 * connection limits. The rest of Kafka's dynamic keys are read at start here.
 */
export const LIVE_BROKER_KEYS: ReadonlySet<string> = new Set([
  'log.cleanup.policy', 'compression.type', 'log.cleaner.delete.retention.ms', 'log.flush.interval.messages', 'log.flush.interval.ms',
  'log.index.interval.bytes', 'log.cleaner.max.compaction.lag.ms', 'message.max.bytes', 'log.message.timestamp.type',
  'log.message.timestamp.before.max.ms', 'log.message.timestamp.after.max.ms', 'log.message.timestamp.difference.max.ms',
  'log.cleaner.min.cleanable.ratio', 'log.cleaner.min.compaction.lag.ms', 'min.insync.replicas', 'log.retention.bytes', 'log.retention.ms',
  'log.segment.bytes', 'log.index.size.max.bytes', 'log.roll.ms', 'log.message.downconversion.enable', 'unclean.leader.election.enable',
  'max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides', 'max.connection.creation.rate',
]);

const LISTENER_PREFIX = /^listener\.name\.[^.]*\.(.*)$/;

/** Is the key one Kafka may change at runtime (DescribeConfigs reports the others read-only)? */
export function isKafkaDynamic(name: string): boolean {
  return KAFKA_DYNAMIC_KEYS.has(name) || LISTENER_PREFIX.test(name);
}

/** Kafka's per-broker-only keys: listener configs other than the cluster-level ones, prefixed or not. */
function perBrokerOnly(name: string): boolean {
  const base = LISTENER_PREFIX.exec(name)?.[1];
  if (base !== undefined) return !CLUSTER_LEVEL_LISTENER_KEYS.has(base);
  return (SECURITY_KEYS.has(name) || LISTENER_KEYS.has(name)) && !CLUSTER_LEVEL_LISTENER_KEYS.has(name);
}

/** Scala prints a set as Set(a, b): Kafka's messages name the keys that way. */
function scalaSet(names: readonly string[]): string {
  return `Set(${names.join(', ')})`;
}

export interface ConfigRefusal {
  readonly errorCode: number;
  readonly errorMessage: string;
}

/**
 * Checks the dynamic configs a level would hold after a change (all of them, as Kafka validates
 * the resulting set); null when they may be stored. `perBroker`: the level of one broker id
 * rather than the cluster-wide default.
 */
export function validateDynamicConfigs(configs: Readonly<Record<string, string>>, perBroker: boolean): ConfigRefusal | null {
  const names = Object.keys(configs);
  const refuse = (code: number, reason: string, keys: string[]) => (keys.length === 0 ? null : { errorCode: code, errorMessage: `${reason}: ${scalaSet(keys)}` });
  const readOnly = names.filter((n) => ALL_BROKER_DEFS.has(n) && !isKafkaDynamic(n));
  const first =
    refuse(ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically', readOnly) ??
    refuse(ErrorCode.INVALID_REQUEST, 'These security configs can be dynamically updated only per-listener using the listener prefix', names.filter((n) => SECURITY_KEYS.has(n)));
  if (first) return first;
  for (const n of names) {
    const def = ALL_BROKER_DEFS.get(LISTENER_PREFIX.exec(n)?.[1] ?? n);
    const err = def ? checkValue({ ...def, name: n }, configs[n]) : null;
    if (err) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: err };
  }
  return (
    (perBroker ? null : refuse(ErrorCode.INVALID_REQUEST, 'Cannot update these configs at default cluster level, broker id must be specified', names.filter(perBrokerOnly))) ??
    refuse(ErrorCode.INVALID_CONFIG, 'Tributary has no replication throttle, so these configs would do nothing', names.filter((n) => THROTTLE_KEYS.has(n))) ??
    refuse(ErrorCode.INVALID_CONFIG, 'Tributary applies these configs only at start (set them in server.properties or with --set and restart)', names.filter((n) => isKafkaDynamic(n) && !LIVE_BROKER_KEYS.has(n) && !THROTTLE_KEYS.has(n))) ??
    refuse(ErrorCode.INVALID_CONFIG, 'Unknown broker configs', names.filter((n) => !isKafkaDynamic(n) && !ALL_BROKER_DEFS.has(n)))
  );
}
