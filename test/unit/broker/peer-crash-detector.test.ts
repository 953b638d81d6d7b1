// The peer crash detector ends a peer's registration only on proof its process is gone: this broker
// had reached it at that broker epoch, a link to it failed, and its port now refuses connections.
// The probe is injected, so every outcome is played without a real crash; the store is the single
// node's, which holds several registrations like etcd does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import pino from 'pino';
import { PeerCrashDetector, probePort, type ProbeOutcome } from '../../../src/broker/peer-crash-detector.js';
import { ClusterView } from '../../../src/metadata/cluster-view.js';
import { SingleNodeMetadataStore } from '../../../src/metadata/single-node-store.js';
import { newIncarnationId } from '../../../src/metadata/metadata-store.js';

const silent = pino({ level: 'silent' });
/** The re-probes of a listening port follow each other at once here: the probe is a script. */
const NO_PAUSES = [0, 0, 0];

function registration(nodeId: number) {
  return { nodeId, incarnationId: newIncarnationId(), endpoints: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9100 + nodeId }], rack: null };
}

test('a peer is ended only when reached before at its epoch and its port refuses, once per epoch', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-crash-detect-'));
  const store = await SingleNodeMetadataStore.open(dir, 1);
  const view = await ClusterView.open(store);
  try {
    await store.registerBroker(registration(1));
    const peer = await store.registerBroker(registration(2));
    await view.waitFor(() => view.broker(2) !== undefined);
    const outcomes: ProbeOutcome[] = [];
    const probed: string[] = [];
    const detector = new PeerCrashDetector(view, store, silent, (id) => view.broker(id)?.endpoints[0], async (host, port) => {
      probed.push(`${host}:${port}`);
      return outcomes.shift() ?? 'unknown';
    }, NO_PAUSES);

    outcomes.push('refused');
    await detector.lost(2);
    assert.deepEqual(probed, [], 'never reached: not judged (a wrong advertised address is not a crash)');
    outcomes.length = 0;

    detector.reached(2);
    outcomes.push('listening', 'listening', 'listening', 'unknown');
    await detector.lost(2);
    assert.equal(probed.length, 3, 'a listening port is probed three times (a dying process closes its listener last)');
    await detector.lost(2);
    assert.equal(probed.length, 4, 'a silent port is not probed again');
    assert.ok(view.broker(2), 'a listening or silent port proves nothing');

    outcomes.push('listening', 'refused');
    await detector.lost(2);
    assert.equal(probed.length, 6);
    assert.ok(probed.every((a) => a === '127.0.0.1:9102'));
    assert.equal((await peer.ended).reason, 'expired');
    await view.waitFor(() => view.broker(2) === undefined);

    // The node comes back at a new epoch: not judged until this broker reaches it again.
    const back = await store.registerBroker(registration(2));
    await view.waitFor(() => view.broker(2)?.epoch === back.broker.epoch);
    outcomes.push('refused');
    await detector.lost(2);
    assert.equal(probed.length, 6);
    assert.equal(view.broker(2)?.epoch, back.broker.epoch);
  } finally {
    await view.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a follower fetching on a connection that ends is judged like a dropped link', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-crash-detect-'));
  const store = await SingleNodeMetadataStore.open(dir, 1);
  const view = await ClusterView.open(store);
  try {
    const follower = await store.registerBroker(registration(3));
    await view.waitFor(() => view.broker(3) !== undefined);
    let probes = 0;
    let judged: () => void = () => undefined;
    const probedOnce = new Promise<void>((resolve) => (judged = resolve));
    const detector = new PeerCrashDetector(view, store, silent, (id) => view.broker(id)?.endpoints[0], async () => {
      probes++;
      judged();
      return 'refused';
    }, NO_PAUSES);
    const connection = new AbortController();
    detector.inbound(3, connection.signal);
    detector.inbound(3, connection.signal); // the next fetch on the same connection
    assert.equal(probes, 0, 'an open connection is not judged');
    connection.abort();
    await probedOnce;
    assert.equal((await follower.ended).reason, 'expired');
    assert.equal(probes, 1, 'one connection end, one probe');
  } finally {
    await view.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the probe tells a listening port from a refusing one', async () => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  assert.equal(await probePort('127.0.0.1', port), 'listening');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.equal(await probePort('127.0.0.1', port), 'refused');
});
