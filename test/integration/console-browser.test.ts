// The web console in a real browser (Debian's chromium driven by playwright-core): a broker with
// topics, keyed records with headers and JSON values (one of them a <script> tag), and a live
// consumer group that committed part way. Each page is loaded and what it shows is checked (tables,
// counts, lag, the script shown as text and never run); a config edited through the form is then
// seen by kafkajs describeConfigs. Screenshots go to test-output/console/ (printed at the start).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../helpers/broker.js';

const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = kafkajs;

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(fileURLToPath(import.meta.url), '../../../../test-output/console');
const BASE_TS = 1_700_000_000_000;
const XSS = '<script>window.__xss = 1; alert(1)</script><img src=x onerror="window.__xss = 2">';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run the console's browser tests`;

describe('web console in headless Chromium', { skip }, () => {
  let broker: RunningBroker;
  let browser: Browser;
  let page: Page;
  let base: string;
  const kafka = () => new Kafka({ clientId: 'console-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  let client: ReturnType<typeof kafka>;
  let consumer: ReturnType<ReturnType<typeof kafka>['consumer']>;
  const dialogs: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    console.log(`console screenshots: ${SHOTS}`);
    broker = await startBroker({ port: 0, config: { 'tributary.admin.listener': '127.0.0.1:0' } });
    assert.ok(broker.adminAddress);
    base = `http://127.0.0.1:${broker.adminAddress.port}`;
    client = kafka();
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'audit-log', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    // Partition 0: ten JSON orders (gzip, one batch), then the hostile value: 11 records.
    await producer.send({
      topic: 'orders',
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 10 }, (_, i) => ({
        partition: 0,
        key: `order-${i}`,
        value: JSON.stringify({ id: i, amount: 10 + i, currency: 'EUR' }),
        headers: { source: 'web', trace: `t-${i}` },
        timestamp: String(BASE_TS + i * 1000),
      })),
    });
    await producer.send({ topic: 'orders', messages: [{ partition: 0, key: 'xss', value: XSS, headers: { '<b>bold</b>': '<img src=x onerror="window.__xss = 3">' }, timestamp: String(BASE_TS + 10_000) }] });
    await producer.send({ topic: 'orders', messages: [{ partition: 1, key: 'p1', value: 'plain text' }, { partition: 2, key: null, value: Buffer.from([0, 1, 2, 0xff]) }] });
    await producer.send({ topic: 'audit-log', messages: [{ key: 'a', value: 'x' }] });
    await producer.disconnect();
    // A live group that committed part way on partition 0 (5 of 11: lag 6).
    consumer = client.consumer({ groupId: 'billing', maxWaitTimeInMs: 100 });
    const joined = new Promise<void>((ok) => consumer.on(consumer.events.GROUP_JOIN, () => ok()));
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
    await joined;
    await consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '5' }]);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await consumer?.disconnect();
    await broker?.stop();
  });

  // (Code run in the page is given as text: this file is compiled without the DOM's types.)
  async function open(hash: string): Promise<void> {
    const url = `${base}/console/${hash}`;
    if (page.url() === url) await page.reload();
    else if (page.url().startsWith(`${base}/console/`)) await page.evaluate(`document.body.dataset.ready = 'false'; location.hash = ${JSON.stringify(hash)}`);
    else await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
  }

  const cells = (selector: string) => page.$$eval(`${selector} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const shot = (name: string) => page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });

  test('overview: the broker, health, and produce rates charted from /v1/rates', async () => {
    await open('#/');
    const brokers = await cells('#brokers-table');
    assert.equal(brokers.length, 1);
    assert.equal(brokers[0][0], '1');
    assert.match(brokers[0][1], new RegExp(`PLAINTEXT 127\\.0\\.0\\.1:${broker.port}`));
    assert.equal(brokers[0][3], 'yes');
    assert.equal(brokers[0][4], 'alive');
    assert.equal(await page.textContent('#card-health .value'), 'healthy');
    assert.equal(await page.textContent('#card-topics .value'), '3'); // orders, audit-log, __consumer_offsets
    assert.equal(await page.locator('#rate-charts svg polyline').count(), 3);
    // Every record produced in this file falls in the chart's minute.
    const rates = (await page.evaluate("fetch('/v1/rates').then((r) => r.json())")) as { messagesIn: number[] };
    assert.equal(rates.messagesIn.reduce((a, b) => a + b, 0), 14);
    await shot('overview');
  });

  test('topics list and a topic: partitions with offsets, configs with source', async () => {
    await open('#/topics');
    const topics = await cells('#topics-table');
    const orders = topics.find((r) => r[0] === 'orders');
    assert.ok(orders, 'orders is listed');
    assert.deepEqual(orders.slice(1, 5), ['3', '1', '0', '13']);
    await shot('topics');
    await page.click('#topics-table a[href="#/topics/orders"]');
    await page.waitForSelector('body[data-ready="true"] #partitions-table');
    const partitions = await cells('#partitions-table');
    assert.deepEqual(partitions.map((p) => [p[0], p[1], p[2], p[3], p[4], p[6]]), [
      ['0', '1', '1', '1', '0', '11'],
      ['1', '1', '1', '1', '0', '1'],
      ['2', '1', '1', '1', '0', '1'],
    ]);
    const retention = (await cells('#configs-table')).find((r) => r[0] === 'retention.ms');
    assert.deepEqual(retention, ['retention.ms', '604800000', 'DEFAULT_CONFIG']);
    await shot('topic-orders');
  });

  test('a config edited through the form is what kafkajs describeConfigs reads; a bad value shows Kafka\'s error', async () => {
    await open('#/topics/orders');
    await page.selectOption('#config-name', 'retention.ms');
    await page.fill('#config-value', '3600000');
    await page.click('#config-save');
    await page.waitForSelector('#config-result .message.info');
    assert.equal(await page.textContent('#config-result'), 'retention.ms set to 3600000');
    const row = (await cells('#configs-table')).find((r) => r[0] === 'retention.ms');
    assert.deepEqual(row, ['retention.ms', '3600000', 'DYNAMIC_TOPIC_CONFIG']);
    const admin = client.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms'] }] });
      assert.equal(described.resources[0].configEntries[0].configValue, '3600000');
    } finally {
      await admin.disconnect();
    }
    // Reset to default: the override goes (IncrementalAlterConfigs DELETE).
    await page.selectOption('#config-name', 'segment.ms');
    await page.fill('#config-value', '7200000');
    await page.click('#config-save');
    await page.locator('#config-result').filter({ hasText: 'segment.ms set to 7200000' }).waitFor();
    assert.deepEqual((await cells('#configs-table')).find((r) => r[0] === 'segment.ms'), ['segment.ms', '7200000', 'DYNAMIC_TOPIC_CONFIG']);
    await page.click('#config-reset');
    await page.locator('#config-result').filter({ hasText: 'segment.ms reset to its default' }).waitFor();
    assert.deepEqual((await cells('#configs-table')).find((r) => r[0] === 'segment.ms'), ['segment.ms', '604800000', 'DEFAULT_CONFIG']);
    await page.selectOption('#config-name', 'cleanup.policy');
    await page.fill('#config-value', 'shred');
    await page.click('#config-save');
    await page.waitForSelector('#config-result .message.error');
    assert.match((await page.textContent('#config-result')) ?? '', /cleanup\.policy/);
    await shot('topic-config-edit');
  });

  test('message browser: records from an offset, JSON pretty-printed, headers, the script tag shown as text and never run', async () => {
    await open('#/messages/orders?partition=0&mode=offset&at=0&format=json');
    const rows = await cells('#records-table');
    assert.equal(rows.length, 11);
    assert.deepEqual(rows.map((r) => r[0]), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    assert.equal(rows[3][1], new Date(BASE_TS + 3000).toISOString());
    assert.equal(rows[3][2], 'order-3');
    assert.equal(rows[3][3], JSON.stringify({ id: 3, amount: 13, currency: 'EUR' }, null, 2));
    assert.equal(rows[3][4], 'source: webtrace: t-3');
    assert.equal(rows[10][2], 'xss');
    assert.equal(rows[10][3], XSS, 'the hostile value is shown as its text');
    assert.equal(rows[10][4], '<b>bold</b>: <img src=x onerror="window.__xss = 3">', 'and so are its header\'s key and value');
    assert.equal(await page.locator('#records-table script, #records-table img, #records-table b b').count(), 0, 'no element was made of them');
    assert.equal(await page.evaluate('window.__xss'), undefined, 'it never ran');
    assert.deepEqual(dialogs, []);
    await shot('messages-json');
  });

  test('message browser: from a timestamp, by key substring, and as hex', async () => {
    await open(`#/messages/orders?partition=0&mode=timestamp&at=${BASE_TS + 7000}`);
    assert.deepEqual((await cells('#records-table')).map((r) => r[0]), ['7', '8', '9', '10']);
    await open('#/messages/orders?partition=0&mode=key&key=der-4');
    const byKey = await cells('#records-table');
    assert.deepEqual(byKey.map((r) => [r[0], r[2]]), [['4', 'order-4']]);
    await shot('messages-key-search');
    await open('#/messages/orders?partition=2&mode=offset&at=0&format=hex');
    const hexRows = await cells('#records-table');
    assert.equal(hexRows.length, 1);
    assert.equal(hexRows[0][2], '(null)');
    assert.equal(hexRows[0][3], '00000000  00 01 02 ff');
    await shot('messages-hex');
  });

  test('consumer groups: members, assignments and lag, refreshed live as the group commits', async () => {
    await open('#/groups');
    const groups = await cells('#groups-table');
    assert.deepEqual(groups, [['billing', 'Stable', 'consumer', '1', '6']]);
    await shot('groups');
    await open('#/groups/billing');
    const members = await cells('#members-table');
    assert.equal(members.length, 1);
    assert.equal(members[0][1], 'console-test');
    assert.match(members[0][2], /127\.0\.0\.1/);
    assert.equal(members[0][3], 'orders-0, orders-1, orders-2');
    assert.deepEqual(await cells('#offsets-table'), [['orders', '0', '5', '11', '6']]);
    await shot('group-billing');
    // The page polls: a new commit shows without a reload.
    await consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '9' }]);
    // (A locator, not waitForFunction: the console's Content-Security-Policy forbids eval.)
    await page.locator('#group-total-lag').filter({ hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    assert.deepEqual(await cells('#offsets-table'), [['orders', '0', '9', '11', '2']]);
  });

  test('writes refuse cross-site requests; bad queries get JSON errors', async () => {
    const post = (headers: Record<string, string>) => fetch(`${base}/v1/topics/orders/configs`, { method: 'POST', headers, body: JSON.stringify({ configs: [{ name: 'retention.ms', value: '1' }] }) });
    assert.equal((await post({ 'content-type': 'text/plain', 'x-tributary-console': '1' })).status, 415);
    assert.equal((await post({ 'content-type': 'application/json' })).status, 403);
    const cross = await post({ 'content-type': 'application/json', 'x-tributary-console': '1', origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    assert.match(((await cross.json()) as { error: string }).error, /cross-origin/);
    const bad = await fetch(`${base}/v1/topics/orders/partitions/0/records?limit=100000`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /limit must be between 1 and 500/);
    assert.equal((await fetch(`${base}/v1/topics/nope`)).status, 404);
    assert.equal((await fetch(`${base}/v1/topics/orders/partitions/7/records`)).status, 404);
    // The edit refused above left the value the form set.
    const t = (await (await fetch(`${base}/v1/topics/orders`)).json()) as { configs: { name: string; value: string }[] };
    assert.equal(t.configs.find((c) => c.name === 'retention.ms')?.value, '3600000');
  });
});
