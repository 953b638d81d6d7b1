// Exactly once under kill -9: a consume-transform-produce loop (test/python/txn_eos_loop.py,
// librdkafka's transactional producer and a read_committed consumer) copies a numbered input
// topic to an output topic, one transaction per batch, with the consumed offsets committed in the
// same transaction. The test kills the loop (first case) or the broker (second case; a child
// process on a fixed port and data directory) with SIGKILL several times, each time once the
// output's read_uncommitted end has passed a seeded random threshold, and starts it again. At the
// end the output read with read_committed must hold every input record exactly once, in order, and
// the group's committed offsets must be the input's end: whatever was cut half way was aborted.
// A third case kills the loop and the broker in turn, so the broker recovers over aborted
// transactions (their index entries) and the loop's restarts meet a recovered coordinator.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../helpers/broker-process.js';
import { Prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/storage.js';
import { latestOffsets, readTopic, values } from '../helpers/txn-reads.js';

const PYTHON = '/usr/bin/python3';
const LOOP = fileURLToPath(new URL('../../../test/python/txn_eos_loop.py', import.meta.url));
const { Kafka, logLevel } = kafkajs;

const RECORDS = 2000;
const PARTITIONS = [0, 1, 2];
const CONFIG = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3' };
/** How long one case may take before it is declared stuck (it takes seconds when the broker works). */
const CASE_BOUND_MS = 60_000;

/** The loop as a child process; `exit` resolves with its exit code (null when killed). */
class Loop {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  exitCode: number | null | undefined = undefined;
  private stderr = '';

  constructor(args: string[]) {
    this.child = spawn(PYTHON, [LOOP, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  tail(): string {
    return this.stderr.split('\n').slice(-12).join('\n');
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}

interface KillPoint {
  /** Kill once the output's read_uncommitted end (records and markers) has reached this. */
  end: number;
  /** And only while a transaction has records in the output (high watermark past the last stable offset). */
  inTransaction: boolean;
}

/**
 * The seeded kill points: spread over the run, never near its end; most of them inside a
 * transaction (which has then to be aborted or, once its commit was logged, completed), the others
 * wherever the loop is at that moment.
 */
function killPoints(seed: number, kills: number): KillPoint[] {
  const prng = new Prng(seed);
  const span = (RECORDS * 0.8) / (kills + 1);
  return Array.from({ length: kills }, (_, i) => ({ end: Math.round(span * (i + 1) + (prng.next() - 0.5) * span * 0.6), inTransaction: prng.chance(0.75) }));
}

/** Whom each kill hits: always the loop, always the broker, or each in turn (the loop first, so the broker restarts over aborted transactions). */
type Victims = 'loop' | 'broker' | 'both';

async function runCase(t: TestContext, victim: Victims, seed: number, kills: number): Promise<void> {
  const { dir, cleanup } = await tempDir(`tributary-kill9-${victim}-`);
  const IN = `k9-in-${victim}`;
  const OUT = `k9-out-${victim}`;
  const GROUP = `k9-group-${victim}`;
  const broker = await BrokerProcess.start(dir, CONFIG);
  const loops: Loop[] = [];
  const unexpected: string[] = [];
  try {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [IN, OUT].map((topic) => ({ topic, numPartitions: PARTITIONS.length })) });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: IN, acks: -1, messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `in-${i}`, partition: i % PARTITIONS.length })) });
    await producer.disconnect();
    await admin.disconnect();

    const loopArgs = [broker.bootstrap, IN, OUT, GROUP, String(RECORDS)];
    let loop = new Loop(loopArgs);
    loops.push(loop);
    const deadline = Date.now() + CASE_BOUND_MS;
    const stuck = (what: string) => new Error(`stuck waiting for ${what}; loop: ${loop.tail()}\nbroker: ${broker.logTail(10)}`);
    /** A loop that ended on its own with an error is restarted (and reported at the end). */
    const reviveLoop = () => {
      if (loop.running || loop.exitCode === 0) return;
      unexpected.push(`exit ${loop.exitCode}: ${loop.tail()}`);
      if (unexpected.length > 5) throw new Error(`the loop keeps failing:\n${unexpected.join('\n---\n')}`);
      loop = new Loop(loopArgs);
      loops.push(loop);
    };
    const sum = (offsets: number[]) => offsets.reduce((a, b) => a + b, 0);
    /** The output's summed high watermark and last stable offset (-1 while the broker is away). */
    const outputEnds = async () => {
      if (!broker.running) return { end: -1, lso: -1 };
      const [end, lso] = await Promise.all([0, 1].map(async (isolation) => sum(await latestOffsets(broker.bootstrap, OUT, PARTITIONS, isolation as 0 | 1).catch(() => [-1]))));
      return { end, lso };
    };

    const points = killPoints(seed, kills);
    const at: string[] = [];
    for (const [i, point] of points.entries()) {
      let seen = await outputEnds();
      while (loop.exitCode !== 0 && (seen.end < point.end || (point.inTransaction && seen.end <= seen.lso))) {
        if (Date.now() > deadline) throw stuck(`the output end to pass ${point.end} (kill ${i + 1}), it is ${seen.end}`);
        reviveLoop();
        await new Promise((r) => setTimeout(r, 5));
        seen = await outputEnds();
      }
      // A fast loop can finish before the last points come (it then waited for a transaction
      // to be open past its point): the kills that did land still count; too few fails below.
      if (loop.exitCode === 0) break;
      const hit = victim === 'both' ? (i % 2 === 0 ? 'loop' : 'broker') : victim;
      at.push(`${hit} at ${seen.end}${seen.end > seen.lso ? ' (in a transaction)' : ''}`);
      if (hit === 'loop') {
        await loop.kill();
        loop = new Loop(loopArgs);
        loops.push(loop);
      } else {
        await broker.kill();
        await broker.start();
      }
    }
    t.diagnostic(`killed the ${at.join(', ')}`);
    assert.ok(at.length >= Math.ceil(kills / 2), `only ${at.length} of ${kills} kills landed before the loop finished: ${at.join(', ')}`);

    // Let the last loop finish: it exits 0 once the committed offsets reach the input's end.
    while (loop.exitCode !== 0) {
      if (Date.now() > deadline) throw stuck('the loop to finish');
      reviveLoop();
      await Promise.race([loop.exit, new Promise((r) => setTimeout(r, 100))]);
    }

    const committed = await readTopic(broker.bootstrap, OUT, 'read_committed');
    for (const p of PARTITIONS) {
      const got = committed.filter((s) => s.startsWith(`${p}:`)).map((s) => s.split(':').slice(2).join(':'));
      const want = Array.from({ length: RECORDS }, (_, i) => i).filter((i) => i % PARTITIONS.length === p).map((i) => `out(in-${i})`);
      const counts = new Map<string, number>();
      for (const v of got) counts.set(v, (counts.get(v) ?? 0) + 1);
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v} x${n}`);
      const missing = want.filter((v) => !counts.has(v));
      assert.deepEqual({ duplicated: duplicated.slice(0, 10), missing: missing.slice(0, 10) }, { duplicated: [], missing: [] }, `partition ${p}: ${duplicated.length} duplicated, ${missing.length} missing`);
      assert.deepEqual(got, want, `partition ${p} holds each input record once, in input order`);
    }
    const uncommitted = (await readTopic(broker.bootstrap, OUT, 'read_uncommitted')).length;
    t.diagnostic(`${uncommitted - RECORDS} aborted records in the output; ${loops.length} loop runs`);
    assert.deepEqual(await latestOffsets(broker.bootstrap, OUT, PARTITIONS, 1), await latestOffsets(broker.bootstrap, OUT, PARTITIONS, 0), 'no transaction is left open on the output');

    const check = kafka.admin();
    await check.connect();
    try {
      const offsets = await check.fetchOffsets({ groupId: GROUP, topics: [IN] });
      const want = PARTITIONS.map((p) => [p, String(Array.from({ length: RECORDS }, (_, i) => i).filter((i) => i % PARTITIONS.length === p).length)]);
      assert.deepEqual(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(), want, 'the group\'s committed offsets are the input\'s end');
    } finally {
      await check.disconnect();
    }
    assert.deepEqual(unexpected, [], 'the loop never failed on its own (a broker restart must not be fatal to a transactional producer)');
  } finally {
    for (const l of loops) await l.kill();
    await broker.stop();
    await cleanup();
  }
}

test('a broker killed after aborted transactions (and with one open) restarts, still hides them, and the open one is aborted', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = await tempDir('tributary-kill9-aborts-');
  const broker = await BrokerProcess.start(dir, CONFIG);
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
  const txnProducer = async () => {
    const p = kafka.producer({ transactionalId: 'k9-aborts', idempotent: true, maxInFlightRequests: 1, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
    await p.connect();
    return p;
  };
  const first = await txnProducer();
  let second: Awaited<ReturnType<typeof txnProducer>> | null = null;
  try {
    const one = async (value: string, end: 'commit' | 'abort' | 'open') => {
      const t = await first.transaction();
      await t.send({ topic: 'k9-aborts', messages: [{ value, partition: 0 }] });
      if (end === 'commit') await t.commit();
      if (end === 'abort') await t.abort();
    };
    await one('c0', 'commit'); // 0, marker 1
    await one('a0', 'abort'); // 2, marker 3
    await one('a1', 'abort'); // 4, marker 5
    await one('c1', 'commit'); // 6, marker 7
    await one('a2', 'abort'); // 8, marker 9
    await one('open', 'open'); // 10, no marker yet
    await broker.kill();
    await broker.start();
    assert.deepEqual(await readTopic(broker.bootstrap, 'k9-aborts', 'read_committed'), ['0:0:c0', '0:6:c1'], 'read_committed after the crash: the committed records, up to the open transaction');
    second = await txnProducer();
    const t = await second.transaction(); // aborts the open transaction
    await t.send({ topic: 'k9-aborts', messages: [{ value: 'c2', partition: 0 }] });
    await t.commit();
    assert.deepEqual(values(await readTopic(broker.bootstrap, 'k9-aborts', 'read_committed')), ['c0', 'c1', 'c2']);
    assert.deepEqual(values(await readTopic(broker.bootstrap, 'k9-aborts', 'read_uncommitted')), ['c0', 'a0', 'a1', 'c1', 'a2', 'open', 'c2']);
    assert.deepEqual(await latestOffsets(broker.bootstrap, 'k9-aborts', [0], 1), await latestOffsets(broker.bootstrap, 'k9-aborts', [0], 0), 'nothing is left open');
  } finally {
    await first.disconnect().catch(() => undefined);
    await second?.disconnect().catch(() => undefined);
    await broker.stop();
    await cleanup();
  }
});

test('kill -9 of the consume-transform-produce loop, 4 times: the output holds every input record exactly once', { timeout: 150_000 }, async (t) => {
  await runCase(t, 'loop', 0x5eed01, 4);
});

test('kill -9 of the broker, 3 times, under a running loop: the output holds every input record exactly once', { timeout: 150_000 }, async (t) => {
  await runCase(t, 'broker', 0x5eed02, 3);
});

test('kill -9 of the loop and of the broker in turn, 4 times: the output holds every input record exactly once', { timeout: 150_000 }, async (t) => {
  await runCase(t, 'both', 0x5eed03, 4);
});
