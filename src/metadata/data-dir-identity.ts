/**
 * Which cluster a data directory belongs to, kept in its meta.properties as Kafka keeps it
 * (cluster.id, node.id), plus how that cluster keeps its metadata (`tributary.metadata.store`:
 * etcd, or absent for a single broker's own files). A broker refuses a directory of another
 * cluster, another node id, or a cluster of the other kind, as Kafka refuses a log directory with
 * another cluster id (InconsistentClusterIdException): opened by the wrong cluster, its partitions
 * would be set aside as belonging to no topic.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

const META_FILE = 'meta.properties';

export class DataDirMismatchError extends Error {
  override readonly name = 'DataDirMismatchError';
}

interface MetaProperties {
  clusterId: string | null;
  nodeId: number | null;
  store: string | null;
}

async function readMeta(dataDir: string): Promise<MetaProperties | null> {
  let text: string;
  try {
    text = await readFile(join(dataDir, META_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const value = (key: string) => text.match(new RegExp(`^${key.replace(/\./g, '\\.')}=(.*)$`, 'm'))?.[1]?.trim() ?? null;
  const nodeId = value('node.id');
  return { clusterId: value('cluster.id'), nodeId: nodeId === null ? null : Number(nodeId), store: value('tributary.metadata.store') };
}

/** Before a single broker opens its own metadata: refuses a directory that belongs to an etcd cluster. */
export async function checkSingleNodeDataDir(dataDir: string): Promise<void> {
  const meta = await readMeta(dataDir);
  if (meta?.store === 'etcd') {
    throw new DataDirMismatchError(`${dataDir} belongs to cluster ${meta.clusterId}, whose metadata is in etcd: start this broker with --metadata etcd://HOST:PORT (tributary.metadata.etcd.endpoints), or give it another data directory`);
  }
}

/** A cluster broker claims its directory for `clusterId` and `nodeId`, or refuses one that belongs elsewhere. */
export async function claimClusterDataDir(dataDir: string, clusterId: string, nodeId: number): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const meta = await readMeta(dataDir);
  if (meta?.clusterId && meta.clusterId !== clusterId) {
    const kind = meta.store === 'etcd' ? 'another cluster' : 'a single broker';
    throw new DataDirMismatchError(`${dataDir} belongs to ${kind} (cluster.id ${meta.clusterId} in its meta.properties), not to the cluster in etcd (cluster id ${clusterId}); give this broker another data directory`);
  }
  if (meta?.nodeId !== null && meta?.nodeId !== undefined && meta.nodeId !== nodeId) {
    throw new DataDirMismatchError(`${dataDir} is broker ${meta.nodeId}'s (node.id in its meta.properties), not broker ${nodeId}'s`);
  }
  if (meta?.clusterId === clusterId && meta.store === 'etcd') return;
  await writeFileAtomic(join(dataDir, META_FILE), `#Written by Tributary\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\ntributary.metadata.store=etcd\n`);
}
