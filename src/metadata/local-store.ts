/**
 * The single-node metadata store: cluster identity and the topic table, kept durably in the data
 * directory.
 *
 *   meta.properties        Kafka's format: version, cluster.id, node.id
 *   __tributary_topics.json  {"topics": [{"name", "topicId", "partitions", "configs": {key: value}}]}
 *
 * Every change rewrites the topic table atomically (see atomic-file.ts) before it is visible, and
 * changes are applied one at a time in the order they were asked for.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

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

  /** Applies one change to the table and persists it; changes run one after another. */
  private change<T>(apply: () => T): Promise<T> {
    const run = this.queue.then(async () => {
      const result = apply();
      await writeFileAtomic(join(this.dataDir, TOPICS_FILE), JSON.stringify({ topics: this.topics() } satisfies TopicFile, null, 1));
      return result;
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<TopicRecord> {
    return this.change(() => {
      if (this.byName.has(name)) throw new Error(`topic ${name} exists`);
      const t: TopicRecord = { name, topicId: newKafkaId(), partitions, configs: { ...configs } };
      this.index(t);
      return t;
    });
  }

  deleteTopic(name: string): Promise<TopicRecord | undefined> {
    return this.change(() => {
      const t = this.byName.get(name);
      if (t) {
        this.byName.delete(name);
        this.byId.delete(t.topicId);
      }
      return t;
    });
  }

  setPartitionCount(name: string, partitions: number): Promise<TopicRecord> {
    return this.update(name, (t) => ({ ...t, partitions }));
  }

  setConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord> {
    return this.update(name, (t) => ({ ...t, configs: { ...configs } }));
  }

  private update(name: string, fn: (t: TopicRecord) => TopicRecord): Promise<TopicRecord> {
    return this.change(() => {
      const t = this.byName.get(name);
      if (!t) throw new Error(`no topic ${name}`);
      const next = fn(t);
      this.index(next);
      return next;
    });
  }
}
