/**
 * Transactional producing against a broker in a child process, with librdkafka
 * (Debian's python3-confluent-kafka): transactions of 1, 100 and 10,000 records of 1 KiB (begin,
 * produce, commit: AddPartitionsToTxn, the records, EndTxn, the markers), each next to the same
 * records from an idempotent producer flushed at the same boundaries, in one run. Prints figures
 * and the ratios; asserts nothing.
 *
 *   npm run build && node dist/bench/transactions.js [SCALE]   (SCALE multiplies the number of transactions, default 1)
 */
import { execFileSync } from 'node:child_process';
import { startBrokerChild } from './broker-child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scale = Number(process.argv[2] ?? 1);
/** [transactions, records per transaction]: about the same bytes for the two larger sizes. */
const SHAPES: [number, number][] = [
  [Math.round(1000 * scale), 1],
  [Math.round(300 * scale), 100],
  [Math.max(1, Math.round(3 * scale)), 10_000],
];
const size = 1024;
const work = mkdtempSync(join(tmpdir(), 'tributary-txn-bench-'));

function run(topic: string, transactions: number, perTxn: number, plain: boolean): string {
  const args = [join(root, 'bench', 'txn', 'txn_bench.py'), bootstrap, topic, String(transactions), String(perTxn), String(size), ...(plain ? ['plain'] : [])];
  return execFileSync('/usr/bin/python3', args, { encoding: 'utf8' }).trim();
}

const recordsPerSecond = (line: string): number => Number(/([\d.]+) records\/s/.exec(line)?.[1] ?? NaN);

const port = 19000 + Math.floor(Math.random() * 1000);
const broker = await startBrokerChild(join(work, 'data'), port);
const bootstrap = `127.0.0.1:${port}`;
try {
  // Warm-up: creates __transaction_state and the topics' first segments outside the measurement.
  execFileSync('/usr/bin/python3', [join(root, 'bench', 'txn', 'txn_bench.py'), bootstrap, 'bench-warm', '2', '10', String(size)]);
  console.log(`records of ${size} B, acks=all, linger.ms=5, fsync on (the defaults)`);
  for (const [transactions, perTxn] of SHAPES) {
    const plain = run(`bench-plain-${perTxn}`, transactions, perTxn, true);
    const txn = run(`bench-txn-${perTxn}`, transactions, perTxn, false);
    console.log(`\n${transactions} × ${perTxn} records`);
    console.log(`  idempotent, flushed per batch: ${plain}`);
    console.log(`  transactional, one per batch:  ${txn}`);
    console.log(`  transactional / idempotent:    ${(recordsPerSecond(txn) / recordsPerSecond(plain)).toFixed(2)}×`);
  }
} finally {
  broker.kill('SIGTERM');
  await new Promise((r) => broker.on('exit', r));
  rmSync(work, { recursive: true, force: true });
}
