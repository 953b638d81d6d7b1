// The console's JSON API against a real broker: record pages bounded by count and bytes that go on
// where they stopped, transaction markers skipped, compressed batches decoded, key and timestamp
// searches; config edits with Kafka's errors; and every bad input answered with a JSON error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;
const BASE_TS = 1_700_000_000_000;

interface Page {
  startOffset: number;
  nextOffset: number;
  highWatermark: number;
  stoppedBy: string;
  records: { offset: number; timestamp: number; key: string | null; value: string | null; valueSize: number; truncated: boolean; headers: { key: string; value: string | null }[] }[];
}

describe('console JSON API', () => {
  let broker: RunningBroker;
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const records = async (query: string): Promise<Page> => {
    const r = await get(`/v1/topics/logs/partitions/0/records?${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as unknown as Page;
  };
  const text = (b64: string | null) => (b64 === null ? null : Buffer.from(b64, 'base64').toString());

  before(async () => {
    broker = await startBroker({ port: 0, config: { 'tributary.admin.listener': '127.0.0.1:0' } });
    assert.ok(broker.adminAddress);
    base = `http://127.0.0.1:${broker.adminAddress.port}`;
    const kafka = new Kafka({ clientId: 'console-api', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'logs', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Offsets 0-9 gzip-compressed, 10-19 plain.
    for (const compression of [CompressionTypes.GZIP, CompressionTypes.None]) {
      const first = compression === CompressionTypes.GZIP ? 0 : 10;
      await producer.send({ topic: 'logs', compression, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k-${first + i}`, value: `v-${first + i}`, timestamp: String(BASE_TS + (first + i) * 1000), headers: { n: String(first + i) } })) });
    }
    await producer.disconnect();
    // Offsets 20, 21 in a committed transaction; its marker takes offset 22.
    const txn = kafka.producer({ transactionalId: 'console-txn', idempotent: true, maxInFlightRequests: 1 });
    await txn.connect();
    const t = await txn.transaction();
    await t.send({ topic: 'logs', messages: [{ key: 'txn-a', value: 'in a transaction', timestamp: String(BASE_TS + 20_000) }, { key: 'txn-b', value: 'also', timestamp: String(BASE_TS + 21_000) }] });
    await t.commit();
    await txn.disconnect();
    // EndTxn is answered once the commit is decided; the marker is written after it, as in Kafka, so
    // the reads below wait until the partition's end (the latest offset) is past it.
    const offsets = kafka.admin();
    await offsets.connect();
    const deadline = Date.now() + 30_000;
    while ((await offsets.fetchTopicOffsets('logs'))[0].offset !== '23') {
      assert.ok(Date.now() < deadline, 'the commit marker was not written within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await offsets.disconnect();
  });

  after(async () => {
    await broker?.stop();
  });

  test('a partition read whole: compressed and plain batches decoded, the transaction marker skipped', async () => {
    const page = await records('limit=500');
    assert.equal(page.highWatermark, 23);
    assert.equal(page.stoppedBy, 'end');
    assert.equal(page.nextOffset, 23);
    assert.deepEqual(page.records.map((r) => r.offset), Array.from({ length: 22 }, (_, i) => i));
    assert.equal(text(page.records[3].key), 'k-3');
    assert.equal(text(page.records[3].value), 'v-3');
    assert.equal(page.records[3].timestamp, BASE_TS + 3000);
    assert.deepEqual(page.records[3].headers.map((h) => [h.key, text(h.value)]), [['n', '3']]);
    assert.equal(text(page.records[21].value), 'also');
  });

  test('pages bounded by count go on where they stopped; a byte bound stops after the first batch', async () => {
    const first = await records('offset=0&limit=4');
    assert.deepEqual([first.stoppedBy, first.nextOffset, first.records.map((r) => r.offset)], ['limit', 4, [0, 1, 2, 3]]);
    const second = await records(`offset=${first.nextOffset}&limit=4`);
    assert.deepEqual(second.records.map((r) => r.offset), [4, 5, 6, 7]);
    const bytes = await records('offset=0&maxBytes=1&limit=500');
    assert.equal(bytes.stoppedBy, 'bytes');
    assert.deepEqual(bytes.records.map((r) => r.offset), Array.from({ length: 10 }, (_, i) => i), 'the whole first batch');
    assert.equal(bytes.nextOffset, 10);
  });

  test('large values: each cut at 64 KiB (marked truncated), an answer stops at 4 MiB of them', async () => {
    const kafka = new Kafka({ clientId: 'console-api', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 14; i++) await producer.send({ topic: 'big', messages: Array.from({ length: 5 }, () => ({ value: Buffer.alloc(100_000, 'x') })) });
    await producer.disconnect();
    const r = await get('/v1/topics/big/partitions/0/records?limit=500');
    assert.equal(r.status, 200);
    const page = r.body as unknown as Page;
    assert.equal(page.stoppedBy, 'bytes');
    assert.equal(page.records.length, 64, '64 values of 64 KiB make 4 MiB');
    assert.equal(page.nextOffset, 64);
    assert.ok(page.records.every((x) => x.truncated && x.valueSize === 100_000 && Buffer.from(x.value ?? '', 'base64').length === 64 * 1024));
  });

  test('by timestamp and by key', async () => {
    const ts = await records(`timestamp=${BASE_TS + 15_500}`);
    assert.equal(ts.startOffset, 16);
    assert.deepEqual(ts.records.map((r) => r.offset), [16, 17, 18, 19, 20, 21]);
    const later = await records(`timestamp=${BASE_TS + 99_000}`);
    // The transaction marker (offset 22) carries the time it was written: ListOffsets would name it too; it is not shown.
    assert.deepEqual([later.startOffset, later.nextOffset, later.records.length], [22, 23, 0]);
    const key = await records('key=txn');
    assert.deepEqual(key.records.map((r) => text(r.key)), ['txn-a', 'txn-b']);
    const one = await records('key=k-1&limit=500');
    assert.deepEqual(one.records.map((r) => text(r.key)), ['k-1', 'k-10', 'k-11', 'k-12', 'k-13', 'k-14', 'k-15', 'k-16', 'k-17', 'k-18', 'k-19']);
    assert.equal((await records('key=nothing-like-it')).records.length, 0);
  });

  test('bad inputs get a JSON error with a message', async () => {
    const cases: [string, number, RegExp][] = [
      ['/v1/topics/logs/partitions/x/records', 400, /partition must be a number/],
      ['/v1/topics/logs/partitions/0/records?offset=-1', 400, /offset must be between/],
      ['/v1/topics/logs/partitions/0/records?offset=1e5', 400, /offset must be an integer/],
      ['/v1/topics/logs/partitions/0/records?offset=1&timestamp=1', 400, /not both/],
      [`/v1/topics/logs/partitions/0/records?key=${'k'.repeat(300)}`, 400, /key is longer than 256/],
      ['/v1/topics/logs/partitions/0/records?limit=0', 400, /limit must be between 1 and 500/],
      ['/v1/topics/logs/partitions/3/records', 404, /no copy of logs-3/],
      ['/v1/topics/nope/partitions/0/records', 404, /nope does not exist/],
      [`/v1/topics/${'t'.repeat(250)}`, 400, /topic name must be 1 to 249/],
      ['/v1/topics/%E0%A4%A', 400, /percent-encoding/],
      ['/v1/groups/nobody', 404, /not known/],
      ['/v1/topics/logs/configs', 405, /GET is not served/],
      ['/v1/what', 404, /no such console endpoint/],
    ];
    for (const [path, status, message] of cases) {
      const r = await get(path);
      assert.equal(r.status, status, path);
      assert.match(String(r.body.error), message, path);
    }
  });

  test('config edits: applied, refused with Kafka\'s error, and guarded', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/topics/logs/configs`, { method: 'PATCH', headers: { 'content-type': 'application/json; charset=utf-8', 'x-tributary-console': '1', ...headers }, body });
    // (retention.ms -1: the records' timestamps are from 2023, and must outlive the test.)
    const ok = await post(JSON.stringify({ configs: [{ name: 'retention.ms', value: '-1' }, { name: 'max.message.bytes', value: '2000000' }] }));
    assert.equal(ok.status, 200);
    const config = async (name: string) => {
      const t = (await get('/v1/topics/logs')).body as { configs: { name: string; value: string; source: string }[] };
      const c = t.configs.find((x) => x.name === name);
      return c ? [c.value, c.source] : null;
    };
    assert.deepEqual(await config('retention.ms'), ['-1', 'DYNAMIC_TOPIC_CONFIG']);
    assert.deepEqual(await config('max.message.bytes'), ['2000000', 'DYNAMIC_TOPIC_CONFIG']);
    const reset = await post(JSON.stringify({ configs: [{ name: 'max.message.bytes', value: null }] }));
    assert.equal(reset.status, 200);
    assert.deepEqual(await config('max.message.bytes'), ['1048588', 'DEFAULT_CONFIG']);
    const unknown = await post(JSON.stringify({ configs: [{ name: 'no.such.config', value: '1' }] }));
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { error: 'Unknown topic config name: no.such.config', errorCode: 40, errorName: 'INVALID_CONFIG', errorMessage: 'Unknown topic config name: no.such.config' });
    assert.equal((await post('{not json')).status, 400);
    assert.equal((await post(JSON.stringify({ configs: [] }))).status, 400);
    assert.equal((await post(JSON.stringify({ configs: [{ name: 'retention.ms', value: 5 }] }))).status, 400);
    assert.equal((await post(JSON.stringify({ configs: [{ name: 'x', value: 'y'.repeat(70_000) }] }))).status, 413);
    assert.equal((await post('{}', { origin: `http://127.0.0.1:${broker.adminAddress?.port}` })).status, 400, 'same origin passes the guard');
    assert.equal((await post('{}', { origin: 'null' })).status, 403);
    const missing = await fetch(`${base}/v1/topics/missing/configs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tributary-console': '1' }, body: JSON.stringify({ configs: [{ name: 'retention.ms', value: '1' }] }) });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errorName: string }).errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
  });

  test('HEAD answers without a body; the pages are served with a Content-Security-Policy; / leads to them', async () => {
    const head = await fetch(`${base}/v1/topics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const page = await fetch(`${base}/console/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<title>Tributary console<\/title>/);
    assert.equal((await fetch(`${base}/console/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(`${base}/console/../package.json`)).status, 404);
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    assert.deepEqual([root.status, root.headers.get('location')], [302, '/console/']);
  });

  test('a request naming another host (a DNS-rebinding page) is refused; /metrics still answers any name', async () => {
    const port = broker.adminAddress?.port ?? 0;
    const withHost = (path: string, host: string, method = 'GET') =>
      new Promise<{ status: number; body: string }>((resolvePromise, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method, headers: { host, 'content-type': 'application/json', 'x-tributary-console': '1', origin: `http://${host}` } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(method === 'POST' ? JSON.stringify({ configs: [{ name: 'retention.ms', value: '1' }] }) : undefined);
      });
    const evil = await withHost('/v1/topics/logs/configs', `rebound.example:${port}`, 'POST');
    assert.equal(evil.status, 403);
    assert.match(evil.body, /not Host rebound\.example/);
    assert.equal((await withHost('/v1/topics', `rebound.example:${port}`)).status, 403);
    assert.equal((await withHost('/console/', `rebound.example:${port}`)).status, 403);
    assert.equal((await withHost('/v1/topics', `localhost:${port}`)).status, 200);
    assert.equal((await withHost('/v1/topics', `[::1]:${port}`)).status, 200);
    assert.equal((await withHost('/metrics', `prometheus-target.example:${port}`)).status, 200);
    const t = (await get('/v1/topics/logs')).body as { configs: { name: string; value: string }[] };
    assert.equal(t.configs.find((c) => c.name === 'retention.ms')?.value, '-1', 'the refused write changed nothing');
  });
});

test('with ACLs enforced the console shows no records and changes no configs (it authenticates no one)', async () => {
  const broker = await startBroker({
    port: 0,
    config: { 'tributary.admin.listener': '127.0.0.1:0', 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:ANONYMOUS' },
  });
  try {
    const base = `http://127.0.0.1:${broker.adminAddress?.port ?? 0}`;
    const kafka = new Kafka({ clientId: 'console-acl', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'secret', messages: [{ value: 'classified' }] });
    await producer.disconnect();
    const records = await fetch(`${base}/v1/topics/secret/partitions/0/records?offset=0`);
    assert.equal(records.status, 403);
    const body = (await records.json()) as { error: string };
    assert.match(body.error, /ACLs are enforced/);
    assert.ok(!JSON.stringify(body).includes('classified'));
    const edit = await fetch(`${base}/v1/topics/secret/configs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tributary-console': '1' }, body: JSON.stringify({ configs: [{ name: 'retention.ms', value: '1' }] }) });
    assert.equal(edit.status, 403);
    // What it shows of the cluster stays.
    assert.equal((await fetch(`${base}/v1/cluster`)).status, 200);
  } finally {
    await broker.stop();
  }
});
