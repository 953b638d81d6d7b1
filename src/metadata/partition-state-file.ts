/**
 * A single node's partition states, kept in the data directory next to the topic table:
 *
 *   __tributary_partition_states.json
 *     {"revision": 42, "topics": {"<topic id>": {"0": {"state": {replicas, isr, leader, leaderEpoch, partitionEpoch}, "version": 17}}}}
 *
 * A partition with no entry has the state a lone broker gives it: itself as the only replica,
 * leader and in-sync replica, epochs 0, version 1. So topics created before this file existed, or
 * by code that writes the topic table alone, read correctly, and the file only grows with changes.
 * `revision` is the last version handed out; versions grow across restarts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { checkPartitionState } from './metadata-codec.js';
import type { PartitionState, VersionedPartitionState } from './metadata-store.js';

const FILE = '__tributary_partition_states.json';

interface Entry {
  state: PartitionState;
  version: number;
}

interface FileShape {
  revision: number;
  topics: Record<string, Record<string, Entry>>;
}

export class PartitionStateFile {
  private constructor(
    private readonly path: string,
    private readonly nodeId: number,
    private revision: number,
    private readonly topics: Map<string, Map<number, Entry>>,
  ) {}

  static async open(dataDir: string, nodeId: number): Promise<PartitionStateFile> {
    const path = join(dataDir, FILE);
    const topics = new Map<string, Map<number, Entry>>();
    let revision = 1;
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      const parsed = JSON.parse(text) as FileShape;
      revision = parsed.revision;
      for (const [topicId, partitions] of Object.entries(parsed.topics)) {
        const m = new Map<number, Entry>();
        for (const [p, e] of Object.entries(partitions)) m.set(Number(p), { state: checkPartitionState(e.state), version: e.version });
        topics.set(topicId, m);
      }
    }
    return new PartitionStateFile(path, nodeId, revision, topics);
  }

  /** The last revision handed out; the caller takes the next ones for its own changes. */
  get lastRevision(): number {
    return this.revision;
  }

  nextRevision(): number {
    return ++this.revision;
  }

  defaultState(): PartitionState {
    return { replicas: [this.nodeId], isr: [this.nodeId], leader: this.nodeId, leaderEpoch: 0, partitionEpoch: 0 };
  }

  get(topicId: string, partition: number): VersionedPartitionState {
    const e = this.topics.get(topicId)?.get(partition);
    return { partition, state: e?.state ?? this.defaultState(), version: e?.version ?? 1 };
  }

  /** Sets the states of partitions from `from` on, each at a new version, and saves. */
  async put(topicId: string, from: number, states: readonly PartitionState[]): Promise<VersionedPartitionState[]> {
    let m = this.topics.get(topicId);
    if (!m) this.topics.set(topicId, (m = new Map()));
    const written: VersionedPartitionState[] = [];
    states.forEach((state, i) => {
      const version = this.nextRevision();
      m.set(from + i, { state, version });
      written.push({ partition: from + i, state, version });
    });
    await this.save();
    return written;
  }

  async deleteTopic(topicId: string): Promise<void> {
    if (this.topics.delete(topicId)) await this.save();
  }

  private async save(): Promise<void> {
    const topics: FileShape['topics'] = {};
    for (const [topicId, m] of this.topics) topics[topicId] = Object.fromEntries([...m].map(([p, e]) => [String(p), e]));
    await writeFileAtomic(this.path, JSON.stringify({ revision: this.revision, topics } satisfies FileShape));
  }
}
