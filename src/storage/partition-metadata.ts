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
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PARTITION_METADATA_FILE = 'partition.metadata';

/** The topic id recorded in `partitionDir`, null when the file is absent or unreadable. */
export async function readPartitionTopicId(partitionDir: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(partitionDir, PARTITION_METADATA_FILE), 'utf8');
  } catch {
    return null;
  }
  const version = /^version:\s*(\d+)\s*$/m.exec(text);
  const topicId = /^topic_id:\s*(\S+)\s*$/m.exec(text);
  return version && topicId ? topicId[1] : null;
}

export async function writePartitionTopicId(partitionDir: string, topicId: string): Promise<void> {
  const path = join(partitionDir, PARTITION_METADATA_FILE);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `version: 0\ntopic_id: ${topicId}\n`);
  await rename(tmp, path);
}
