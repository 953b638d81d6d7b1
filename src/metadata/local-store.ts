/**
 * The single-node metadata store: cluster identity and the topic table, kept durably in the data
 * directory.
 *
 *   meta.properties        Kafka's format: version, cluster.id, node.id
 *   __tributary_topics.json  {"topics": [{"name", "topicId", "partitions", "configs": {key: value}}]}
 *
 * Every change rewrites the topic table atomically (see atomic-file.ts) before it is visible, and
 * changes are applied one at a time in the order they were asked for. Changes name the topic id
 * they are meant for, so a late change never lands on a newer topic of the same name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';

export interface TopicRecord {
  readonly name: string;
  /** Kafka's topic id: 16 random bytes in URL-safe base64. */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic-level overrides only; defaults come from the broker config. */
  readonly configs: Readonly<Record<string, string>>;
}

interface TopicFile {
  topics: TopicRecord[];
}

const TOPICS_FILE = '__tributary_topics.json';
const META_FILE = 'meta.properties';

/** A Kafka-style id: 16 random bytes, URL-safe base64, never all zeroes. */
export function newKafkaId(): string {
  let bytes = randomBytes(16);
  while (bytes.every((b) => b === 0)) bytes = randomBytes(16);
  return bytes.toString('base64url');
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class LocalMetadataStore {
  private readonly byName = new Map<string, TopicRecord>();
  private readonly byId = new Map<string, TopicRecord>();
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    readonly clusterId: string,
  ) {}

  static async open(dataDir: string, nodeId: number): Promise<LocalMetadataStore> {
    await mkdir(dataDir, { recursive: true });
    const metaPath = join(dataDir, META_FILE);
    const meta = await readOptional(metaPath);
    let clusterId = meta?.match(/^cluster\.id=(.+)$/m)?.[1]?.trim();
    if (!clusterId) {
      clusterId = newKafkaId();
      await writeFileAtomic(metaPath, `#Written by Tributary\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\n`);
    }
    const store = new LocalMetadataStore(dataDir, clusterId);
    const text = await readOptional(join(dataDir, TOPICS_FILE));
    if (text !== null) {
      const parsed = JSON.parse(text) as TopicFile;
      for (const t of parsed.topics) store.index(t);
    }
    return store;
  }

  private index(t: TopicRecord): void {
    this.byName.set(t.name, t);
    this.byId.set(t.topicId, t);
  }

  topics(): TopicRecord[] {
    return [...this.byName.values()];
  }

  topic(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }

  topicById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }

  /**
   * Applies one change: `plan` looks at the table and says which record to put or remove (or
   * throws a KafkaError to refuse). The new table is written durably before the change becomes
   * visible, so a failed write leaves the table as it was. Changes run one after another.
   */
  private change<T>(plan: () => { put?: TopicRecord; remove?: TopicRecord; result: T }): Promise<T> {
    const run = this.queue.then(async () => {
      const { put, remove, result } = plan();
      if (!put && !remove) return result;
      const next = new Map(this.byName);
      if (remove) next.delete(remove.name);
      if (put) next.set(put.name, put);
      await writeFileAtomic(join(this.dataDir, TOPICS_FILE), JSON.stringify({ topics: [...next.values()] } satisfies TopicFile, null, 1));
      if (remove) {
        this.byName.delete(remove.name);
        this.byId.delete(remove.topicId);
      }
      if (put) {
        const replaced = this.byName.get(put.name);
        if (replaced && replaced.topicId !== put.topicId) this.byId.delete(replaced.topicId);
        this.index(put);
      }
      return result;
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Adds a topic whose partitions are ready. Idempotent: adding the same record again is a no-op;
   * another topic of that name is refused with TOPIC_ALREADY_EXISTS.
   */
  createTopic(topic: TopicRecord): Promise<TopicRecord> {
    return this.change(() => {
      const existing = this.byName.get(topic.name);
      if (existing?.topicId === topic.topicId) return { result: existing };
      if (existing) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
      const t: TopicRecord = { ...topic, configs: { ...topic.configs } };
      return { put: t, result: t };
    });
  }

  /** Removes the topic `name` if it is still the one with `topicId`; resolves with what was removed. */
  deleteTopic(name: string, topicId: string): Promise<TopicRecord | undefined> {
    return this.change(() => {
      const t = this.byName.get(name);
      return t?.topicId === topicId ? { remove: t, result: t } : { result: undefined };
    });
  }

  /** Grows a topic to `partitions` (never shrinks it: asking for fewer or as many is a no-op). */
  setPartitionCount(name: string, topicId: string, partitions: number): Promise<TopicRecord> {
    return this.update(name, topicId, (t) => (partitions > t.partitions ? { ...t, partitions } : t));
  }

  setConfigs(name: string, topicId: string, configs: Record<string, string>): Promise<TopicRecord> {
    return this.update(name, topicId, (t) => ({ ...t, configs: { ...configs } }));
  }

  private update(name: string, topicId: string, fn: (t: TopicRecord) => TopicRecord): Promise<TopicRecord> {
    return this.change(() => {
      const t = this.byName.get(name);
      if (t?.topicId !== topicId) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic ${name} with id ${topicId} does not exist.`);
      const next = fn(t);
      return next === t ? { result: t } : { put: next, result: next };
    });
  }
}
