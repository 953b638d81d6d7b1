/**
 * Development tool: records the exact request frames real clients send, as fixtures for the
 * golden-bytes tests and as seeds for the wire fuzzer. A broker runs in process behind a
 * recording proxy (scripts/capture/recording-proxy.ts); each client's session is in
 * scripts/capture/<client>-session.ts.
 *
 *   npm run build && node dist/scripts/capture-client-frames.js [OUT_DIR]   (needs kcat and /usr/bin/python3 with python3-kafka)
 *
 * For each client it keeps the first frame of every (API, version, label) and writes
 * OUT_DIR/<client>/<name>.bin (the frame without its size prefix) and OUT_DIR/<client>/index.json.
 */
import { resolve } from 'node:path';
import { startBroker } from '../src/broker/broker.js';
import { RecordingProxy, step } from './capture/recording-proxy.js';
import { kcatSession } from './capture/kcat-session.js';
import { kafkajsSession } from './capture/kafkajs-session.js';
import { platformaticSession } from './capture/platformatic-session.js';
import { kafkaPythonSession } from './capture/kafka-python-session.js';

const proxy = new RecordingProxy(resolve(process.argv[2] ?? 'test/fixtures/frames'));
const proxyPort = await proxy.listen();
const broker = await startBroker({
  port: 0,
  config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}`, 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' },
});
proxy.upstreamPort = broker.port;
const bootstrap = `127.0.0.1:${proxyPort}`;

await kcatSession(proxy, bootstrap);
await kafkajsSession(proxy, bootstrap);
await platformaticSession(proxy, bootstrap);
await step('kafka-python session', () => kafkaPythonSession(proxy, bootstrap));

console.log(proxy.finish().join('\n'));
await broker.stop();
process.exit(0);
