/**
 * Development tool: records the exact request frames real clients send, as fixtures for the
 * golden-bytes tests. A broker runs in process behind a recording proxy; the broker advertises the
 * proxy's address, so every connection of every client passes through it.
 *
 *   npm run build && node dist/scripts/capture-client-frames.js [OUT_DIR]   (needs kcat on PATH)
 *
 * For each client it keeps the first frame of every (API, version, label) and writes
 * OUT_DIR/<client>/<name>.bin (the frame without its size prefix) and OUT_DIR/<client>/index.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer, connect, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker } from '../src/broker.js';
import { API_BY_KEY } from '../src/protocol/generated/index.js';
import { registerKafkajsCodecs } from '../test/helpers/kafkajs-codecs.js';
import { CAPTURE_MESSAGES, type FixtureEntry } from './capture/fixture-format.js';

const outDir = resolve(process.argv[2] ?? 'test/fixtures/frames');
let currentClient = 'none';
let currentLabel = '';
const captured = new Map<string, FixtureEntry[]>();
const seen = new Set<string>();

function record(frame: Buffer): void {
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const apiName = API_BY_KEY.get(apiKey)?.name ?? `api${apiKey}`;
  const label = apiKey === 0 ? currentLabel : '';
  const key = `${currentClient}/${apiKey}/${apiVersion}/${label}`;
  if (seen.has(key)) return;
  seen.add(key);
  const name = `${apiName}-v${apiVersion}${label ? `-${label}` : ''}`;
  const dir = join(outDir, currentClient);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.bin`), frame);
  const list = captured.get(currentClient) ?? [];
  list.push({ file: `${name}.bin`, apiKey, apiName, apiVersion, label });
  captured.set(currentClient, list);
}

/** A proxy that records every request frame it forwards to the broker (whose port is known later). */
let brokerPort = 0;
const proxy: Server = createServer((client) => {
  const upstream = connect(brokerPort, '127.0.0.1');
  let buf = Buffer.alloc(0);
  client.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0);
      record(Buffer.from(buf.subarray(4, 4 + size)));
      buf = buf.subarray(4 + size);
    }
    upstream.write(d);
  });
  upstream.on('data', (d) => client.write(d));
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
const proxyPort = await new Promise<number>((res) => proxy.listen(0, '127.0.0.1', () => res((proxy.address() as { port: number }).port)));
const broker = await startBroker({ port: 0, config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}`, 'group.initial.rebalance.delay.ms': '0' } });
brokerPort = broker.port;

/** Runs kcat without blocking the event loop (the broker and proxy run in this process). */
function kcat(args: string[], input = ''): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`kcat ${args.join(' ')} failed: ${err}`))));
    child.stdin.end(input);
  });
}

const bootstrap = `127.0.0.1:${proxyPort}`;
const lines = CAPTURE_MESSAGES.map((m) => `${m.key}\t${m.value}`).join('\n') + '\n';

currentClient = 'kcat';
await kcat(['-b', bootstrap, '-L']);
for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  currentLabel = codec;
  await kcat(['-b', bootstrap, '-P', '-t', 'golden-kcat', '-z', codec, '-K', '\t', '-H', 'source=kcat', '-X', 'linger.ms=50'], lines);
}
currentLabel = '';
await kcat(['-b', bootstrap, '-C', '-t', 'golden-kcat', '-o', 'beginning', '-e', '-q']);

currentClient = 'kafkajs';
registerKafkajsCodecs();
const kafka = new kafkajs.Kafka({ clientId: 'golden', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.fetchTopicMetadata({ topics: ['golden-kcat'] });
await admin.disconnect();
const producer = kafka.producer();
await producer.connect();
for (const [codec, type] of [['none', 0], ['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]] as const) {
  currentLabel = codec;
  await producer.send({ topic: 'golden-kafkajs', compression: type, messages: CAPTURE_MESSAGES.map((m) => ({ key: m.key, value: m.value, headers: { source: 'kafkajs' }, partition: 0 })) });
}
await producer.disconnect();
currentLabel = '';

currentClient = 'platformatic';
const pAdmin = new Admin({ clientId: 'golden', bootstrapBrokers: [bootstrap] });
await pAdmin.createTopics({ topics: ['golden-platformatic'], partitions: 1, replicas: 1 });
const md = await pAdmin.metadata({ topics: ['golden-platformatic'] });
await pAdmin.close();
for (const codec of ['none', 'gzip', 'snappy', 'lz4'] as const) {
  currentLabel = codec;
  const p = new Producer({ clientId: 'golden', bootstrapBrokers: [bootstrap], serializers: stringSerializers, compression: codec });
  await p.send({ messages: CAPTURE_MESSAGES.map((m) => ({ topic: 'golden-platformatic', partition: 0, key: m.key, value: m.value, headers: { source: 'platformatic' } })) });
  await p.close();
}
currentLabel = '';
const consumer = new Consumer({ clientId: 'golden', groupId: 'golden', bootstrapBrokers: [bootstrap] });
await consumer.fetch({ node: 1, maxWaitTime: 10, topics: [{ topicId: md.topics.get('golden-platformatic')?.id ?? '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }] });
await consumer.close();

for (const [client, list] of captured) writeFileSync(join(outDir, client, 'index.json'), JSON.stringify(list, null, 1) + '\n');
console.log([...captured].map(([c, l]) => `${c}: ${l.map((e) => e.file).join(', ')}`).join('\n'));
proxy.close();
await broker.stop();
process.exit(0);
