/**
 * How long the controller takes to move N partition leaderships when one broker's session ends,
 * against a real etcd (Debian's binary, started here): brokers 1, 2 and 3 register, broker 1 runs
 * the controller, broker 2 leads N partitions (RF=3), then broker 2's session is closed (its
 * registration goes at once, so the figure is the controller's work, not broker.session.timeout.ms).
 * Timed from the close until a separate watcher has seen every one of the N partitions with a new
 * leader. Prints figures; asserts nothing.
 *
 * With --crash, broker 2's store is closed instead (no unregistration, as after kill -9): the
 * figure then includes etcd expiring its lease after broker.session.timeout.ms (9 s, Kafka's default).
 *
 *   npm run build && node dist/bench/controller-moves.js [N ...] [--concurrency C] [--crash]   (default: 1000 10000, C 8)
 */
import { EtcdMetadataStore } from '../src/metadata/etcd/etcd-store.js';
import { newIncarnationId, type MetadataStore, type PartitionState } from '../src/metadata/metadata-store.js';
import { ControllerRunner } from '../src/controller/controller-runner.js';
import { startEtcd } from '../test/helpers/etcd.js';

const crash = process.argv.includes('--crash');
const args = process.argv.slice(2).filter((a) => a !== '--crash');
const ci = args.indexOf('--concurrency');
const concurrency = ci >= 0 ? Number(args[ci + 1]) : 8;
const sizes = args.filter((_, i) => ci < 0 || (i !== ci && i !== ci + 1)).map(Number);
const runs = sizes.length > 0 ? sizes : [1000, 10_000];
const TOPIC_SIZE = 1000;

const etcd = await startEtcd();
let round = 0;

function registration(nodeId: number) {
  return { nodeId, incarnationId: newIncarnationId(), endpoints: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + nodeId }], rack: null };
}

async function measure(n: number): Promise<void> {
  const prefix = `/tributary/bench-moves-${++round}`;
  const open = () => EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix, sessionTimeoutMs: 9000, heartbeatIntervalMs: 2000 });
  const stores: MetadataStore[] = [await open(), await open(), await open(), await open()];
  const [s1, s2, s3, reader] = stores;
  const sessions = [await s1.registerBroker(registration(1)), await s2.registerBroker(registration(2)), await s3.registerBroker(registration(3))];
  const led = (p: number): PartitionState => ({ replicas: p % 2 ? [2, 1, 3] : [2, 3, 1], isr: [1, 2, 3], leader: 2, leaderEpoch: 0, partitionEpoch: 0 });
  let created = 0;
  const t0 = performance.now();
  for (let t = 0; created < n; t++) {
    const count = Math.min(TOPIC_SIZE, n - created);
    await reader.createTopic({ name: `moves-${t}`, configs: {}, partitions: Array.from({ length: count }, (_, p) => led(p)) });
    created += count;
  }
  const createMs = performance.now() - t0;

  const runner = ControllerRunner.start({ store: s1, session: sessions[0], settings: { writeConcurrency: concurrency, autoLeaderRebalanceEnable: false } });
  await (await runner.becameController()).reconciled;

  let moved = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const watch = await reader.watch('partitions', {
    changes: (batch) => {
      if (batch.snapshot) return;
      for (const c of batch.changes) if (c.kind === 'partition' && c.state && c.state.state.leader !== 2 && c.state.state.leaderEpoch === 1) moved++;
      if (moved >= n) resolveDone();
    },
  });
  const start = performance.now();
  await (crash ? s2.close() : sessions[1].close());
  await done;
  const ms = performance.now() - start;
  console.log(`${crash ? 'after a crash (session timeout 9000 ms): ' : ''}${n} leaderships moved in ${ms.toFixed(0)} ms (${((n / ms) * 1000).toFixed(0)} partitions/s), ${concurrency} groups of up to 127 CAS in flight; creating them took ${createMs.toFixed(0)} ms`);
  await watch.close();
  await runner.close();
  await Promise.all(stores.map((s) => s.close()));
}

try {
  for (const n of runs) await measure(n);
} finally {
  await etcd.stop();
}
