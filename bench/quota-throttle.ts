/**
 * A producer over its byte-rate quota: a broker in a child process (Kafka's default quota windows,
 * 11 × 1 s), producer_byte_rate set for one client id with AlterClientQuotas, then a kafkajs
 * producer sending 64 × 1 KiB batches as fast as they are acknowledged for the whole run. Prints the
 * rate it achieved against the quota (record bytes; the quota also counts request framing, a few
 * per cent) and how many answers carried a throttle time. Asserts nothing.
 *
 *   npm run build && node dist/bench/quota-throttle.js [SECONDS=30] [QUOTA_BYTES_PER_S=1048576]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerChild } from './broker-child.js';

const seconds = Number(process.argv[2] ?? 30);
const quota = Number(process.argv[3] ?? 1024 * 1024);
const work = mkdtempSync(join(tmpdir(), 'tributary-quota-bench-'));
const port = 19000 + Math.floor(Math.random() * 1000);
const broker = await startBrokerChild(join(work, 'data'), port);
const bootstrap = `127.0.0.1:${port}`;
try {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [bootstrap] });
  await admin.createTopics({ topics: ['quota-bench'], partitions: 1, replicas: 1 });
  await admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'client-id', entityName: 'bench-quota' }], ops: [{ key: 'producer_byte_rate', value: quota, remove: false }] }] });
  await admin.close();

  const kafka = new Kafka({ clientId: 'bench-quota', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  let throttled = 0;
  producer.on(producer.events.REQUEST, (e: { payload: { apiName: string; duration: number } }) => {
    if (e.payload.apiName === 'Produce' && e.payload.duration > 50) throttled++;
  });
  await producer.connect();
  const value = Buffer.alloc(1024, 0x62);
  const messages = Array.from({ length: 64 }, () => ({ value }));
  const start = Date.now();
  const end = start + seconds * 1000;
  let bytes = 0;
  let perSecond: number[] = [];
  let lastMark = start;
  let sinceMark = 0;
  while (Date.now() < end) {
    await producer.send({ topic: 'quota-bench', acks: 1, messages });
    bytes += 64 * 1024;
    sinceMark += 64 * 1024;
    const now = Date.now();
    if (now - lastMark >= 5000) {
      perSecond.push(Math.round((sinceMark * 1000) / (now - lastMark)));
      lastMark = now;
      sinceMark = 0;
    }
  }
  const elapsed = (Date.now() - start) / 1000;
  await producer.disconnect();
  const achieved = bytes / elapsed;
  console.log(`quota           ${quota} B/s (producer_byte_rate, client id bench-quota; 11 windows of 1 s)`);
  console.log(`achieved        ${Math.round(achieved)} B/s over ${elapsed.toFixed(1)} s (${(achieved / quota).toFixed(3)}× the quota, ${((achieved / quota - 1) * 100).toFixed(1)} %)`);
  console.log(`per 5 s         ${perSecond.join(', ')} B/s`);
  console.log(`slow answers    ${throttled} Produce requests took over 50 ms (waited out a throttle)`);
  perSecond = [];
} finally {
  broker.kill('SIGTERM');
  await new Promise((resolve) => broker.once('exit', resolve));
  rmSync(work, { recursive: true, force: true });
}
