/**
 * Kafka's `partition.metadata` file: which topic (by id) a partition directory belongs to, so a
 * directory left from an older topic of the same name is never taken for the new one.
 *
 *   version: 0
 *   topic_id: <22 characters, URL-safe base64 of the 16-byte id>
 *
 * Written through a temporary file and a rename, without fsync: a file lost or cut short by a crash
 * reads as absent, which is taken as "no owner recorded" (as for directories from before this file
 * existed) and is written again at the next open. Only a complete file can disown a directory.
 */
import { join } from 'node:path';
import { readFileOrNull, writeWholeFile, type FileSystem } from './file-system.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';

/** The topic id recorded in `partitionDir`, null when the file is absent or unreadable. */
export async function readPartitionTopicId(fs: FileSystem, partitionDir: string): Promise<string | null> {
  const bytes = await readFileOrNull(fs, join(partitionDir, PARTITION_METADATA_FILE));
  if (!bytes) return null;
  const text = bytes.toString('utf8');
  const version = /^version:\s*(\d+)\s*$/m.exec(text);
  const topicId = /^topic_id:\s*(\S+)\s*$/m.exec(text);
  return version && topicId ? topicId[1] : null;
}

export async function writePartitionTopicId(fs: FileSystem, partitionDir: string, topicId: string): Promise<void> {
  const path = join(partitionDir, PARTITION_METADATA_FILE);
  const tmp = `${path}.tmp`;
  await writeWholeFile(fs, tmp, Buffer.from(`version: 0\ntopic_id: ${topicId}\n`));
  await fs.rename(tmp, path);
}
