/**
 * Where a cluster's metadata lives in etcd. Everything is under one prefix
 * (`tributary.metadata.etcd.prefix`, default /tributary/default), so several clusters can share
 * one etcd:
 *
 *   <prefix>/cluster-id                      the cluster id (Kafka-style, 22 chars), written once
 *   <prefix>/topics/<name>                   topic id, partition count, config overrides
 *   <prefix>/partitions/<topic id>/<n>       partition n's state (replicas, ISR, leader, epochs)
 *   <prefix>/brokers/<node id>               a broker's registration, under its session lease
 *   <prefix>/controller                      the controller's node id, under its session lease
 *   <prefix>/producer-ids                    the first producer id of the next block
 *   <prefix>/security/<kind>/<key>           SCRAM credentials, ACLs, quotas (key URI-encoded)
 *
 * Partition states are keyed by topic id, not name: a topic deleted and created again under the
 * same name gets new keys, so a stale writer cannot touch the new topic's partitions.
 */

/** The half-open key range [start, end) that etcd calls a range. */
export interface KeyRange {
  readonly start: Buffer;
  readonly end: Buffer;
}

/** The range of keys that start with `prefix` (etcd's "prefix" is end = prefix with its last byte + 1). */
export function prefixRange(prefix: string): KeyRange {
  const start = Buffer.from(prefix, 'utf8');
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return { start, end: end.subarray(0, i + 1) };
    }
  }
  return { start, end: Buffer.from([0]) };
}

/** The range holding exactly one key. */
export function keyRange(key: string): KeyRange {
  const start = Buffer.from(key, 'utf8');
  return { start, end: Buffer.concat([start, Buffer.from([0])]) };
}

export class EtcdKeys {
  readonly root: string;

  constructor(prefix: string) {
    if (!prefix.startsWith('/') || prefix.endsWith('/') || prefix.includes('//')) throw new Error(`etcd prefix must look like /a/b, got "${prefix}"`);
    this.root = prefix;
  }

  get clusterId(): string {
    return `${this.root}/cluster-id`;
  }

  get controller(): string {
    return `${this.root}/controller`;
  }

  get producerIds(): string {
    return `${this.root}/producer-ids`;
  }

  get topicsPrefix(): string {
    return `${this.root}/topics/`;
  }

  topic(name: string): string {
    return this.topicsPrefix + name;
  }

  get brokersPrefix(): string {
    return `${this.root}/brokers/`;
  }

  broker(nodeId: number): string {
    return this.brokersPrefix + String(nodeId);
  }

  get partitionsPrefix(): string {
    return `${this.root}/partitions/`;
  }

  partitionsOf(topicId: string): string {
    return `${this.partitionsPrefix}${topicId}/`;
  }

  partition(topicId: string, partition: number): string {
    return this.partitionsOf(topicId) + String(partition);
  }

  securityPrefix(kind: string): string {
    return `${this.root}/security/${kind}/`;
  }

  /** Security keys are free text (user names, resource names): encoded, so '/' cannot nest them. */
  security(kind: string, key: string): string {
    return this.securityPrefix(kind) + encodeURIComponent(key);
  }

  parseSecurity(kind: string, key: string): string | null {
    const prefix = this.securityPrefix(kind);
    if (!key.startsWith(prefix)) return null;
    try {
      return decodeURIComponent(key.slice(prefix.length));
    } catch {
      return null;
    }
  }

  /** The topic name, node id or (topic id, partition) a key under one of the prefixes names. */
  parseTopic(key: string): string | null {
    return key.startsWith(this.topicsPrefix) ? key.slice(this.topicsPrefix.length) : null;
  }

  parseBroker(key: string): number | null {
    if (!key.startsWith(this.brokersPrefix)) return null;
    const id = key.slice(this.brokersPrefix.length);
    return /^\d{1,10}$/.test(id) ? Number(id) : null;
  }

  parsePartition(key: string): { topicId: string; partition: number } | null {
    if (!key.startsWith(this.partitionsPrefix)) return null;
    const m = /^([A-Za-z0-9_-]{22})\/(\d{1,9})$/.exec(key.slice(this.partitionsPrefix.length));
    return m ? { topicId: m[1], partition: Number(m[2]) } : null;
  }
}
