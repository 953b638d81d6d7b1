/**
 * Controller election in etcd, as Kafka did it with ZooKeeper: the controller is whoever created
 * `<prefix>/controller`, a key held by the winner's broker-session lease, so it disappears with the
 * session (a crashed controller is replaced after broker.session.timeout.ms, a resigning one at
 * once). The key's create revision is the controller epoch: it grows with every election, and a
 * controller's writes can be fenced by comparing it in the same transaction.
 *
 * (etcd3's Election helper queues candidates under their own leases and does not recover its
 * observer loop from a lost connection; one key on the existing session lease is what Kafka's
 * controller needs.)
 */
import type { ControllerInfo, ControllerLeadership } from '../metadata-store.js';
import { decodeController, encode } from '../metadata-codec.js';
import { createdAt, deleteOp, getOp, putOp, rangeResult, type EtcdConnection } from './etcd-client.js';
import { keyRange, type EtcdKeys } from './etcd-keys.js';
import { RangeWatch } from './range-watch.js';
import type { IKeyValue } from 'etcd3';

export function controllerInfo(kv: IKeyValue): ControllerInfo {
  return { nodeId: decodeController(kv.value), epoch: Number(kv.create_revision) };
}

/** The session a campaign runs under. */
export interface Candidate {
  readonly nodeId: number;
  readonly leaseId: string;
  /** Resolves when the session ends; the campaign or the leadership ends with it. */
  readonly ended: Promise<unknown>;
  isEnded(): boolean;
}

/** Resolves once `until` says the controller key's contents are acceptable, or the candidate's session ends. */
async function watchController(conn: EtcdConnection, keys: EtcdKeys, candidate: Candidate, until: (kv: IKeyValue | null) => boolean): Promise<void> {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let current: IKeyValue | null = null;
  const watch = await RangeWatch.start(conn, keyRange(keys.controller), {
    // Every batch, the first included (empty when there is no controller), is judged on the key's state after it.
    batch: (_revision, _snapshot, changes) => {
      for (const c of changes) current = c.kv;
      if (until(current)) done();
    },
  });
  try {
    await Promise.race([finished, candidate.ended]);
  } finally {
    await watch.close();
  }
}

export async function campaignForController(conn: EtcdConnection, keys: EtcdKeys, candidate: Candidate): Promise<ControllerLeadership> {
  const key = keys.controller;
  for (;;) {
    if (candidate.isEnded()) throw new Error(`broker ${candidate.nodeId}'s session ended before it became the controller`);
    const res = await conn.txn('controller election', [createdAt(key, 0)], [putOp(key, encode({ nodeId: candidate.nodeId }), candidate.leaseId)], [getOp(key)]);
    if (res.succeeded) return leadership(conn, keys, candidate, Number(res.header.revision));
    const current = rangeResult(res, 0);
    // Our own earlier attempt, whose answer was lost, may have won.
    if (current && current.lease === candidate.leaseId) return leadership(conn, keys, candidate, Number(current.create_revision));
    await watchController(conn, keys, candidate, (kv) => kv === null);
  }
}

function leadership(conn: EtcdConnection, keys: EtcdKeys, candidate: Candidate, epoch: number): ControllerLeadership {
  const key = keys.controller;
  let resigned = false;
  const ended = watchController(conn, keys, candidate, (kv) => resigned || kv === null || Number(kv.create_revision) !== epoch).catch(() => undefined);
  return {
    nodeId: candidate.nodeId,
    epoch,
    ended,
    async resign() {
      resigned = true;
      await conn.txn('controller resignation', [createdAt(key, epoch)], [deleteOp(key)]);
      await ended;
    },
  };
}
