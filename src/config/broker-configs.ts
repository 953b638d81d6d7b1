/**
 * Broker-level configuration keys with Kafka's names and defaults, and the typed view the broker
 * reads. Sources, lowest first: defaults, a server.properties file, `--set key=value` overrides,
 * then the dynamic configs kept in the metadata store (the cluster-wide default, then this
 * broker's own), which change while the broker runs (broker/dynamic-configs.ts).
 */
import { atLeast, between, checkValue, ConfigError, ConfigType, oneOf, parseProperties, type ConfigDef } from './config-def.js';
import { TOPIC_CONFIG_DEFS } from './topic-configs.js';
import { parsePerIpOverrides } from './per-ip-overrides.js';
import { parseListeners, type ListenersConfig } from './listeners.js';
import { LISTENER_CONFIG_DEFS, SSL_CONFIG_DEFS } from './tls-configs.js';
import { AUTHORIZER_CONFIG_DEFS } from './authorizer-configs.js';
import { adminAuthentication, parseAdminListener, validAdminListener, type AdminAuthentication, type AdminListener } from './admin-listener.js';

function validPerIpOverrides(v: string): string | null {
  try {
    parsePerIpOverrides(v);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function validEtcdEndpoints(v: string): string | null {
  const bad = v.split(',').map((e) => e.trim()).filter((e) => e !== '' && !/^(https?:\/\/)?[^/:\s]+:\d{1,5}\/?$/.test(e));
  return bad.length === 0 ? null : `etcd endpoints must be http://HOST:PORT or https://HOST:PORT, got ${bad.join(', ')}`;
}

function validEtcdPrefix(v: string): string | null {
  return /^(\/[^/\s]+)+$/.test(v) ? null : `an etcd prefix looks like /tributary/name, got "${v}"`;
}

function def(name: string, type: ConfigType, defaultValue: string | null, doc: string, validate?: (v: string) => string | null): ConfigDef {
  return { name, type, defaultValue, doc, validate };
}

export const BROKER_CONFIG_DEFS: readonly ConfigDef[] = [
  def('node.id', ConfigType.Int, '1', 'This broker\'s id in the cluster (broker.id is accepted too).', atLeast(0)),
  def('listeners', ConfigType.List, 'PLAINTEXT://127.0.0.1:9092', 'Where the broker listens: NAME://host:port,... (an empty host: every interface). Each name has a security protocol (listener.security.protocol.map).'),
  def('advertised.listeners', ConfigType.List, null, 'What clients are told to connect to, per listener name (a subset of listeners); a listener left out advertises its bound address.'),
  ...LISTENER_CONFIG_DEFS,
  ...SSL_CONFIG_DEFS,
  def('log.dirs', ConfigType.List, './data', 'The data directory (log.dir is accepted too).'),
  def('num.partitions', ConfigType.Int, '1', 'Partitions of an auto-created topic or of a CreateTopics request asking for the default.', atLeast(1)),
  def('default.replication.factor', ConfigType.Int, '1', 'Replication factor of auto-created topics.', atLeast(1)),
  def('auto.create.topics.enable', ConfigType.Boolean, 'true', 'Create a topic when a client asks for its metadata.'),
  def('delete.topic.enable', ConfigType.Boolean, 'true', 'Allow DeleteTopics.'),
  // Admin tools read the broker's Kafka version from this key (Kafka UI turns IncrementalAlterConfigs and config
  // documentation on from 2.3 and 2.6): it names the Kafka release whose protocol Tributary's ApiVersions table
  // mostly matches. Setting it changes nothing but what is reported.
  def('inter.broker.protocol.version', ConfigType.String, '3.7-IV4', 'Reported for admin tools that read the broker\'s Kafka version from it; Tributary serves every version in its ApiVersions table whatever this says.'),
  def('message.max.bytes', ConfigType.Int, '1048588', 'Largest record batch a topic accepts unless it sets max.message.bytes.', atLeast(0)),
  def('socket.request.max.bytes', ConfigType.Int, '104857600', 'Largest request frame; a larger one closes the connection.', atLeast(1)),
  def('connections.max.idle.ms', ConfigType.Long, '600000', 'Idle connections are closed after this long.', atLeast(1)),
  def('fetch.max.bytes', ConfigType.Int, '57671680', 'Most bytes one Fetch answer holds, whatever the client asks (bounds memory per request).', atLeast(1024)),
  def('max.incremental.fetch.session.cache.slots', ConfigType.Int, '1000', 'Most incremental fetch sessions (KIP-227) the broker keeps; 0 turns them off.', atLeast(0)),
  def('min.incremental.fetch.session.eviction.ms', ConfigType.Int, '120000', 'How long a fetch session must be unused (or exist) before a new one may evict it.', atLeast(0)),
  def('queued.max.requests', ConfigType.Int, '500', 'Accepted for compatibility and ignored: Tributary has no request queue between network and I/O threads (see the README); tributary.connection.max.inflight.requests bounds requests per connection.', atLeast(1)),
  def('queued.max.request.bytes', ConfigType.Long, '-1', 'Bytes of requests read and not yet answered, over all connections, before no connection is read (-1: unbounded).'),
  def('max.connections', ConfigType.Int, '2147483647', 'Connections the listener serves at once; a connection above it is closed when accepted.', atLeast(0)),
  def('max.connections.per.ip', ConfigType.Int, '2147483647', 'Connections one IP address may have open; one above it is closed when accepted.', atLeast(0)),
  def('max.connection.creation.rate', ConfigType.Int, '2147483647', 'New connections per second the listener accepts (over the quota windows); one over it is closed when accepted.', atLeast(0)),
  def('max.connections.per.ip.overrides', ConfigType.String, '', 'Per-address exceptions to max.connections.per.ip: "address:count,..." (IP addresses; host names are not resolved).', validPerIpOverrides),
  def('tributary.connection.max.inflight.requests', ConfigType.Int, '500', 'Requests one connection may have started and not yet answered; further pipelined requests wait unread.', atLeast(1)),
  def('tributary.connection.max.inflight.bytes', ConfigType.Long, '67108864', 'Bytes one connection may hold (requests under way, the most their answers may take, answers waiting for their turn, unsent output) before it starts no further request and stops reading.', atLeast(1)),
  def('log.retention.hours', ConfigType.Int, '168', 'Retention in hours, used when log.retention.ms and .minutes are unset.'),
  def('log.retention.minutes', ConfigType.Int, null, 'Retention in minutes, used when log.retention.ms is unset.'),
  def('log.retention.ms', ConfigType.Long, null, 'Retention in milliseconds; -1 keeps records for ever.'),
  def('log.roll.hours', ConfigType.Int, '168', 'Segment age in hours, used when log.roll.ms is unset.', atLeast(1)),
  def('log.roll.ms', ConfigType.Long, null, 'Segment age in milliseconds after which it is rolled.'),
  def('log.cleaner.enable', ConfigType.Boolean, 'true', 'Run the log cleaner, which compacts topics with cleanup.policy=compact (__consumer_offsets among them).'),
  def('log.cleaner.backoff.ms', ConfigType.Long, '15000', 'How long the cleaner waits when no compacted log is worth cleaning.', atLeast(1)),
  def('log.cleaner.threads', ConfigType.Int, '1', 'Cleaner threads; 0 turns the cleaner off. Tributary runs one cleaning pass at a time per broker whatever the number.', atLeast(0)),
  def('log.cleaner.dedupe.buffer.size', ConfigType.Long, '134217728', 'Most memory the offset map of a cleaning pass takes; a pass whose dirty part holds more keys cleans up to where the map is full and continues in the next.', atLeast(0)),
  def('log.cleaner.io.buffer.size', ConfigType.Int, '524288', 'Memory for the cleaner\'s read chunk and write buffer (half each).', atLeast(0)),
  def('log.cleaner.io.buffer.load.factor', ConfigType.Double, '0.9', 'How full the offset map may get before it counts as full.', between(0.01, 1)),
  def('producer.id.expiration.ms', ConfigType.Int, '86400000', 'An idempotent producer idle this long is forgotten by the partitions it wrote to.', atLeast(1)),
  def('producer.id.expiration.check.interval.ms', ConfigType.Int, '600000', 'How often idle producer ids are looked for.', atLeast(1)),
  def('log.retention.check.interval.ms', ConfigType.Long, '300000', 'How often retention is applied.', atLeast(1)),
  def('group.initial.rebalance.delay.ms', ConfigType.Int, '3000', 'Wait before the first rebalance of a new group.', atLeast(0)),
  def('offsets.topic.replication.factor', ConfigType.Int, '3', 'Replication factor of __consumer_offsets; a cluster with fewer live brokers creates it with as many as it has (a lone broker: 1).', atLeast(1)),
  // Replication between brokers (followers fetch from leaders), with Kafka's names and defaults.
  def('replica.lag.time.max.ms', ConfigType.Long, '30000', 'A follower that has not caught up with its leader for this long leaves the ISR.', atLeast(1)),
  def('replica.fetch.wait.max.ms', ConfigType.Int, '500', 'How long a follower\'s fetch may wait at the leader for new records; below replica.lag.time.max.ms.', atLeast(0)),
  def('replica.fetch.min.bytes', ConfigType.Int, '1', 'Bytes a follower\'s fetch waits for.', atLeast(1)),
  def('replica.fetch.max.bytes', ConfigType.Int, '1048576', 'Bytes a follower asks for per partition (a larger first batch still comes whole).', atLeast(0)),
  def('replica.fetch.response.max.bytes', ConfigType.Int, '10485760', 'Bytes a follower asks for per fetch.', atLeast(0)),
  def('replica.fetch.backoff.ms', ConfigType.Int, '1000', 'Pause of a follower\'s fetcher after an error.', atLeast(0)),
  def('replica.socket.timeout.ms', ConfigType.Int, '30000', 'How long a follower waits for its leader to answer one request.', atLeast(1)),
  def('offsets.commit.timeout.ms', ConfigType.Int, '5000', 'How long an offset commit waits for the in-sync replicas of its __consumer_offsets partition.', atLeast(1)),
  def('offsets.topic.num.partitions', ConfigType.Int, '50', 'Partitions of __consumer_offsets.', atLeast(1)),
  // The transaction coordinator (src/coordinator/txn/), Kafka's names and defaults.
  def('transaction.state.log.num.partitions', ConfigType.Int, '50', 'Partitions of __transaction_state.', atLeast(1)),
  def('transaction.state.log.replication.factor', ConfigType.Int, '3', 'Replication factor of __transaction_state; a cluster with fewer live brokers creates it with as many as it has (a lone broker: 1).', atLeast(1)),
  def('transaction.state.log.min.isr', ConfigType.Int, '2', 'min.insync.replicas of __transaction_state (at most its replication factor).', atLeast(1)),
  def('transaction.state.log.segment.bytes', ConfigType.Int, '104857600', 'segment.bytes of __transaction_state.', atLeast(14)),
  def('transaction.max.timeout.ms', ConfigType.Int, '900000', 'Longest transaction.timeout.ms a producer may ask for; InitProducerId answers INVALID_TRANSACTION_TIMEOUT above it.', atLeast(1)),
  def('transactional.id.expiration.ms', ConfigType.Int, '604800000', 'A transactional id with no transaction open and no update for this long is removed.', atLeast(1)),
  def('transaction.abort.timed.out.transaction.cleanup.interval.ms', ConfigType.Int, '10000', 'How often transactions open longer than their timeout are looked for and aborted.', atLeast(1)),
  def('transaction.remove.expired.transaction.cleanup.interval.ms', ConfigType.Int, '3600000', 'How often expired transactional ids are removed.', atLeast(1)),
  def('transaction.state.log.load.buffer.size', ConfigType.Int, '5242880', 'Bytes read at a time when a __transaction_state partition is loaded.', atLeast(1)),
  def('transaction.partition.verification.enable', ConfigType.Boolean, 'true', 'Before the first transactional batch of a producer is appended to a partition, ask the transaction coordinator whether the partition is in its ongoing transaction (KIP-890); INVALID_TXN_STATE if not.'),
  def('request.timeout.ms', ConfigType.Int, '30000', 'How long the transaction coordinator waits for a __transaction_state write or a marker to be replicated.', atLeast(1)),
  def('offset.metadata.max.bytes', ConfigType.Int, '4096', 'Largest metadata string an offset commit may carry.', atLeast(0)),
  def('offsets.retention.minutes', ConfigType.Int, '10080', 'How long offsets of an empty group are kept.', atLeast(1)),
  def('offsets.retention.check.interval.ms', ConfigType.Long, '600000', 'How often expired offsets are removed.', atLeast(1)),
  def('group.min.session.timeout.ms', ConfigType.Int, '6000', 'Shortest session timeout a member may ask for.'),
  def('group.max.session.timeout.ms', ConfigType.Int, '1800000', 'Longest session timeout a member may ask for.'),
  def('group.max.size', ConfigType.Int, '2147483647', 'Most members a group may have.', atLeast(1)),
  def('log.message.timestamp.type', ConfigType.String, 'CreateTime', 'Default message.timestamp.type of topics.', oneOf('CreateTime', 'LogAppendTime')),
  def('log.message.downconversion.enable', ConfigType.Boolean, 'true', 'Default message.downconversion.enable of topics: whether Fetch v0-3 get stored batches down-converted to magic 0/1.'),
  // Tributary's own limits (Kafka has none): one request must not make the broker create partitions
  // for minutes and grow its memory without bound. See the README's configuration section.
  def('tributary.topic.max.partitions', ConfigType.Int, '1000', 'Most partitions one topic may have; CreateTopics, CreatePartitions and auto-creation beyond it answer INVALID_PARTITIONS.', atLeast(1)),
  def('tributary.broker.max.partitions', ConfigType.Int, '5000', 'Most partitions of all topics (internal ones included) this broker holds; creations beyond it answer POLICY_VIOLATION.', atLeast(1)),
  // Authentication (src/security/sasl/); each key may be set per listener with listener.name.<name>.<key>.
  def('sasl.enabled.mechanisms', ConfigType.List, 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512', 'SASL mechanisms offered on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (Kafka defaults to GSSAPI, which Tributary does not implement).'),
  def('sasl.mechanism.inter.broker.protocol', ConfigType.String, 'GSSAPI', 'SASL mechanism brokers authenticate with when the inter-broker listener uses SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with the username and password options of that listener\'s JAAS entry for it (Kafka\'s default, GSSAPI, is not implemented).'),
  { ...def('sasl.jaas.config', ConfigType.Password, null, 'JAAS login module for PLAIN: org.apache.kafka.common.security.plain.PlainLoginModule required user_<name>="<password>" ...; (per listener and mechanism: listener.name.<l>.plain.sasl.jaas.config).'), sensitive: true },
  def('connections.max.reauth.ms', ConfigType.Long, '0', 'Lifetime of an authenticated SASL session (KIP-368): clients re-authenticate before it ends or are disconnected; 0: sessions never end.', atLeast(0)),
  def('connection.failed.authentication.delay.ms', ConfigType.Int, '100', 'How long a failed authentication waits before its answer and the closing of the connection (slows down password guessing).', atLeast(0)),
  def('sasl.oauthbearer.jwks.endpoint.url', ConfigType.String, null, 'Where OAUTHBEARER\'s token signing keys are: an http(s) JWKS endpoint or a file: URL of a JWKS file.'),
  def('sasl.oauthbearer.jwks.endpoint.refresh.ms', ConfigType.Long, '3600000', 'How long keys fetched from an http(s) JWKS endpoint are kept before they are fetched again.', atLeast(1)),
  def('sasl.oauthbearer.expected.audience', ConfigType.List, '', 'Audiences a token must name (one of them) in its aud claim; empty: not checked.'),
  def('sasl.oauthbearer.expected.issuer', ConfigType.String, '', 'The issuer a token\'s iss claim must be; empty: not checked.'),
  def('sasl.oauthbearer.sub.claim.name', ConfigType.String, 'sub', 'The claim holding the principal name.'),
  def('sasl.oauthbearer.clock.skew.seconds', ConfigType.Int, '30', 'Tolerated clock difference with the token issuer when checking exp and nbf.', atLeast(0)),
  // Client quotas (src/security/quota/), set with AlterClientQuotas.
  def('quota.window.num', ConfigType.Int, '11', 'Windows a client\'s byte rate is measured over (the oldest is dropped as a new one starts).', atLeast(1)),
  def('quota.window.size.seconds', ConfigType.Int, '1', 'Length of each quota window.', atLeast(1)),
  // Operability: the admin HTTP server (src/http/).
  def('tributary.admin.listener', ConfigType.String, '', 'host:port (or http://host:port) of the admin HTTP server (GET /metrics, /health, /ready, the console); https://host:port serves TLS with the ssl.* keys, listener.name.admin.ssl.* winning over them. Empty: none. `tributary start` uses 127.0.0.1:9644 unless set.', validAdminListener),
  def('tributary.admin.authentication', ConfigType.String, '', 'How the admin HTTP server authenticates its users: basic (HTTP Basic, checked against the SCRAM credentials and the PLAIN users of sasl.jaas.config, or listener.name.admin.plain.sasl.jaas.config) or none. Empty: basic when a listener uses SASL, else none. /health and /ready are always open.', oneOf('', 'none', 'basic')),
  // Cluster metadata (a cluster keeps it in etcd; a single broker in its data directory).
  def('tributary.metadata.etcd.endpoints', ConfigType.List, '', 'etcd client URLs (http://HOST:PORT,... or https://HOST:PORT,... for TLS) of the cluster\'s metadata store; empty: a single broker keeping its metadata in its data directory.', validEtcdEndpoints),
  def('tributary.metadata.etcd.ssl.truststore.location', ConfigType.String, null, 'PEM file of the CA certificates etcd\'s server certificate must chain to (https:// endpoints); unset: Node\'s bundled CAs.'),
  def('tributary.metadata.etcd.ssl.keystore.location', ConfigType.String, null, 'PEM file with the unencrypted private key and certificate chain the broker presents to etcd (its --client-cert-auth); unset: none.'),
  def('tributary.metadata.etcd.prefix', ConfigType.String, '/tributary/default', 'The etcd key prefix under which this cluster\'s metadata lives; clusters sharing an etcd need different ones.', validEtcdPrefix),
  // Shorter than KRaft's 9000/2000: a dead leader's partitions move in about 4 s (a renewal is one message on an open gRPC stream).
  def('broker.session.timeout.ms', ConfigType.Int, '4000', 'A broker that has not renewed its registration for this long is gone and its leaderships move (the TTL of its etcd lease, rounded up to whole seconds).', atLeast(1000)),
  def('tributary.broker.crash.detection.enable', ConfigType.Boolean, 'true', 'When a link to a peer broker drops and the peer\'s port then refuses connections (its process died, its host lives), end the peer\'s session at once instead of after broker.session.timeout.ms, so its leaderships move in well under a second. Turn off where a firewall rejects rather than drops traffic between live brokers.'),
  def('broker.heartbeat.interval.ms', ConfigType.Int, '1000', 'How often a broker renews its registration; well below broker.session.timeout.ms.', atLeast(1)),
  // The controller (src/controller/), Kafka's names and defaults.
  def('broker.rack', ConfigType.String, null, 'The rack of this broker; when every broker has one, replicas of new partitions are spread over racks.'),
  def('auto.leader.rebalance.enable', ConfigType.Boolean, 'true', 'The controller moves leadership back to preferred replicas when a broker leads too few of the partitions it is preferred for.'),
  def('leader.imbalance.check.interval.seconds', ConfigType.Long, '300', 'How often the controller checks the leader balance.', atLeast(1)),
  def('leader.imbalance.per.broker.percentage', ConfigType.Int, '10', 'Share (percent) of a broker\'s preferred partitions led elsewhere above which the controller rebalances them.', between(0, 100)),
  def('controlled.shutdown.enable', ConfigType.Boolean, 'true', 'A broker that shuts down moves the leadership of its partitions to other in-sync replicas first.'),
  def('controlled.shutdown.max.retries', ConfigType.Int, '3', 'Further attempts of a controlled shutdown that failed or left partitions led by the broker.', atLeast(0)),
  def('controlled.shutdown.retry.backoff.ms', ConfigType.Long, '5000', 'Wait between controlled shutdown attempts.', atLeast(0)),
  // ACL authorization (src/security/acl/).
  ...AUTHORIZER_CONFIG_DEFS,
];

/** Broker keys that supply topic defaults, minus the ones defined above under the same name. */
const TOPIC_SYNONYM_DEFS: ConfigDef[] = TOPIC_CONFIG_DEFS.filter((t) => t.brokerSynonym !== null && !BROKER_CONFIG_DEFS.some((b) => b.name === t.brokerSynonym)).map(
  (t) => ({ ...t, name: t.brokerSynonym as string }),
);

export const ALL_BROKER_DEFS: ReadonlyMap<string, ConfigDef> = new Map([...BROKER_CONFIG_DEFS, ...TOPIC_SYNONYM_DEFS].map((d) => [d.name, d]));

const ALIASES: Record<string, string> = { 'broker.id': 'node.id', 'log.dir': 'log.dirs' };

export { ConfigError };

/** Kafka's ConfigSource codes for a broker key's value. */
export const SOURCE_DYNAMIC_BROKER = 2;
export const SOURCE_DYNAMIC_DEFAULT_BROKER = 3;
export const SOURCE_STATIC_BROKER = 4;
export const SOURCE_DEFAULT = 5;

/** The layers a broker key may take its value from, highest first, as Kafka lists them in DescribeConfigs synonyms. */
export type ConfigLayer = typeof SOURCE_DYNAMIC_BROKER | typeof SOURCE_DYNAMIC_DEFAULT_BROKER | typeof SOURCE_STATIC_BROKER | typeof SOURCE_DEFAULT;
export const CONFIG_LAYERS: readonly ConfigLayer[] = [SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER, SOURCE_STATIC_BROKER, SOURCE_DEFAULT];

/** The broker's configuration: raw string values by Kafka key, with typed accessors. */
export class BrokerConfig {
  private readonly values = new Map<string, string>();
  private dynamicBroker: ReadonlyMap<string, string> = new Map();
  private dynamicDefault: ReadonlyMap<string, string> = new Map();

  /** Builds a config from layered key/value sources; unknown keys are kept (Kafka warns and ignores them). */
  constructor(...sources: Iterable<[string, string]>[]) {
    for (const source of sources) {
      for (const [rawKey, value] of source) {
        const key = ALIASES[rawKey] ?? rawKey;
        const d = ALL_BROKER_DEFS.get(key);
        if (d) {
          const err = checkValue(d, value);
          if (err) throw new ConfigError(err);
        }
        this.values.set(key, value.trim());
      }
    }
  }

  static fromProperties(text: string, overrides: Iterable<[string, string]> = []): BrokerConfig {
    return new BrokerConfig(parseProperties(text), overrides);
  }

  /** Every statically set key and value (server.properties, --set). */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  /** The value set explicitly, if any: this broker's dynamic one, else the cluster-wide dynamic default, else the static one. */
  explicit(key: string): string | undefined {
    const k = ALIASES[key] ?? key;
    return this.dynamicBroker.get(k) ?? this.dynamicDefault.get(k) ?? this.values.get(k);
  }

  /** Replaces one dynamic layer (values already validated); readers see it at once. */
  setDynamic(layer: typeof SOURCE_DYNAMIC_BROKER | typeof SOURCE_DYNAMIC_DEFAULT_BROKER, values: ReadonlyMap<string, string>): void {
    if (layer === SOURCE_DYNAMIC_BROKER) this.dynamicBroker = new Map(values);
    else this.dynamicDefault = new Map(values);
  }

  /** The key's value in one layer only, if that layer has it. */
  layerValue(key: string, layer: ConfigLayer): string | undefined {
    const k = ALIASES[key] ?? key;
    if (layer === SOURCE_DYNAMIC_BROKER) return this.dynamicBroker.get(k);
    if (layer === SOURCE_DYNAMIC_DEFAULT_BROKER) return this.dynamicDefault.get(k);
    if (layer === SOURCE_STATIC_BROKER) return this.values.get(k);
    return ALL_BROKER_DEFS.get(k)?.defaultValue ?? undefined;
  }

  /** One dynamic layer's keys and values. */
  dynamicEntries(layer: typeof SOURCE_DYNAMIC_BROKER | typeof SOURCE_DYNAMIC_DEFAULT_BROKER): Map<string, string> {
    return new Map(layer === SOURCE_DYNAMIC_BROKER ? this.dynamicBroker : this.dynamicDefault);
  }

  get(key: string): string | null {
    return this.explicit(key) ?? ALL_BROKER_DEFS.get(key)?.defaultValue ?? null;
  }

  int(key: string): number {
    const v = this.get(key);
    if (v === null) throw new ConfigError(`${key} has no value`);
    return Number(v);
  }

  bool(key: string): boolean {
    return this.get(key)?.toLowerCase() === 'true';
  }

  get nodeId(): number {
    return this.int('node.id');
  }

  /** broker.rack, or null when unset. */
  get rack(): string | null {
    const v = this.get('broker.rack');
    return v === null || v === undefined || v === '' ? null : v;
  }

  get dataDir(): string {
    return (this.get('log.dirs') ?? './data').split(',')[0].trim();
  }

  private parsedListeners: ListenersConfig | null = null;

  /** listeners, advertised.listeners, the protocol map and the inter-broker listener, checked as Kafka checks them. */
  get listeners(): ListenersConfig {
    this.parsedListeners ??= parseListeners(this);
    return this.parsedListeners;
  }

  /** tributary.admin.listener as host, port and scheme, or null when the admin HTTP server is off. */
  get adminListener(): AdminListener | null {
    return parseAdminListener(this.get('tributary.admin.listener'));
  }

  /** tributary.admin.authentication, resolved against the listeners' security protocols. */
  get adminAuthentication(): AdminAuthentication {
    return adminAuthentication(this.explicit('tributary.admin.authentication'), this.listeners.listeners.map((l) => l.securityProtocol));
  }

  /** tributary.metadata.etcd.endpoints as a list; empty for a single broker with its metadata on its own disk. */
  get etcdEndpoints(): string[] {
    return (this.get('tributary.metadata.etcd.endpoints') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
  }

  /** max.connections.per.ip.overrides as address → count. */
  get perIpOverrides(): Map<string, number> {
    return parsePerIpOverrides(this.get('max.connections.per.ip.overrides') ?? '');
  }

  /** Retention in ms, from log.retention.ms, else .minutes, else .hours, as Kafka resolves it. */
  get retentionMs(): string {
    const ms = this.explicit('log.retention.ms');
    if (ms !== undefined) return ms;
    const minutes = this.explicit('log.retention.minutes');
    if (minutes !== undefined) return String(Number(minutes) * 60_000);
    return String(this.int('log.retention.hours') * 3_600_000);
  }

  get rollMs(): string {
    return this.explicit('log.roll.ms') ?? String(this.int('log.roll.hours') * 3_600_000);
  }

  /** The broker-level value that is the default of a topic key (or the topic key's own default). */
  topicDefault(brokerSynonym: string | null, fallback: string | null): string | null {
    if (brokerSynonym === 'log.retention.ms') return this.retentionMs;
    if (brokerSynonym === 'log.roll.ms') return this.rollMs;
    if (brokerSynonym === null) return fallback;
    return this.explicit(brokerSynonym) ?? fallback;
  }
}
