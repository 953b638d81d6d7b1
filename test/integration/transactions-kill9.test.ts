// Exactly once under kill -9: a consume-transform-produce loop (test/python/txn_eos_loop.py,
// librdkafka's transactional producer and a read_committed consumer) copies a numbered input
// topic to an output topic, one transaction per batch, with the consumed offsets committed in the
// same transaction. The test kills the loop (first case) or the broker (second case; a child
// process on a fixed port and data directory) with SIGKILL several times, each time once the
// output's read_uncommitted end has passed a seeded random threshold, and starts it again. At the
// end the output read with read_committed must hold every input record exactly once, in order, and
// the group's committed offsets must be the input's end: whatever was cut half way was aborted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../helpers/broker-process.js';
import { Prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/storage.js';
import { latestOffsets, readTopic } from '../helpers/txn-reads.js';

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

/** The seeded thresholds of the output's read_uncommitted end at which to kill: spread over the run, never near its end. */
function killPoints(seed: number, kills: number): number[] {
  const prng = new Prng(seed);
  const span = (RECORDS * 0.8) / (kills + 1);
  return Array.from({ length: kills }, (_, i) => Math.round(span * (i + 1) + (prng.next() - 0.5) * span * 0.6));
}

async function runCase(t: TestContext, victim: 'loop' | 'broker', seed: number, kills: number): Promise<void> {
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
    const outputEnd = async () => (broker.running ? (await latestOffsets(broker.bootstrap, OUT, PARTITIONS, 0).catch(() => [-1])).reduce((a, b) => a + b, 0) : -1);

    const points = killPoints(seed, kills);
    const at: string[] = [];
    for (const [i, point] of points.entries()) {
      let end = await outputEnd();
      while (end < point) {
        if (Date.now() > deadline) throw stuck(`the output end to pass ${point} (kill ${i + 1}), it is ${end}`);
        if (loop.exitCode === 0) throw new Error(`the loop finished before kill ${i + 1} at output end ${point}`);
        reviveLoop();
        await new Promise((r) => setTimeout(r, 10));
        end = await outputEnd();
      }
      const lso = (await latestOffsets(broker.bootstrap, OUT, PARTITIONS, 1).catch(() => [-1])).reduce((a, b) => a + b, 0);
      at.push(`${end}${end > lso ? ' (in a transaction)' : ''}`);
      if (victim === 'loop') {
        await loop.kill();
        loop = new Loop(loopArgs);
        loops.push(loop);
      } else {
        await broker.kill();
        await broker.start();
      }
    }
    t.diagnostic(`killed the ${victim} at output ends ${at.join(', ')}`);

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

test('kill -9 of the consume-transform-produce loop, 4 times: the output holds every input record exactly once', { timeout: 150_000 }, async (t) => {
  await runCase(t, 'loop', 0x5eed01, 4);
});

test('kill -9 of the broker, 3 times, under a running loop: the output holds every input record exactly once', { timeout: 150_000 }, async (t) => {
  await runCase(t, 'broker', 0x5eed02, 3);
});
