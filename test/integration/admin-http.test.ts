// The admin HTTP server around start and stop, and under hostile input: /ready says 503 while the
// broker loads its logs (held back through the file-system seam), 200 once it serves; the server
// goes with the broker; oversized headers, unknown methods, garbage, announced bodies and
// slowloris connections get short answers or a cut connection, and never stop the broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import kafkajs from 'kafkajs';
import { startBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/free-port.js';
import { httpGet } from '../helpers/prometheus.js';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';

const { Kafka, logLevel } = kafkajs;

async function poll<T>(what: string, attempt: () => Promise<T | undefined>, boundMs = 10_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const got = await attempt().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A file system whose every call waits until `release` is called: the broker's start stops at its logs. */
function heldFileSystem(): { fs: FileSystem; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const fs = new Proxy(nodeFileSystem, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        await gate;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { fs, release };
}

test('/ready is 503 with a reason while the logs load, 200 once the broker serves; the server stops with the broker', async () => {
  const port = await freePort();
  const address = { host: '127.0.0.1', port };
  const held = heldFileSystem();
  const starting = startBroker({ port: 0, fileSystem: held.fs, config: { 'tributary.admin.listener': `127.0.0.1:${port}` } });
  try {
    const notReady = await poll('the admin server', async () => {
      const r = await httpGet(address, '/ready');
      return r.status === 503 ? r : undefined;
    });
    assert.equal(JSON.parse(notReady.body).ready, false);
    assert.match(JSON.parse(notReady.body).reason, /^starting/);
    assert.equal((await httpGet(address, '/health')).status, 200, 'alive while starting');
    const early = await httpGet(address, '/metrics');
    assert.equal(early.status, 200);
    assert.match(early.body, /kafka_server_kafkaserver_brokerstate 1\n/);
  } finally {
    held.release();
  }
  const broker = await starting;
  assert.deepEqual(broker.adminAddress, address);
  const ready = await httpGet(address, '/ready');
  assert.equal(ready.status, 200);
  await broker.stop();
  await assert.rejects(httpGet(address, '/health'), /ECONNREFUSED/, 'the admin server closed with the broker');
});

test('the embedding API starts no admin server unless asked', async () => {
  const broker = await startBroker({ port: 0, storage: 'memory' });
  try {
    assert.equal(broker.adminAddress, null);
  } finally {
    await broker.stop();
  }
});

/** Sends raw bytes and collects what comes back until the server closes the connection. */
function raw(port: number, bytes: string | Buffer, boundMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the admin server kept the connection open'));
    }, boundMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}

test('hostile HTTP input gets short answers or a closed connection, and the broker keeps serving', async () => {
  const broker = await startBroker({ port: 0, storage: 'memory', config: { 'tributary.admin.listener': '127.0.0.1:0' } });
  const admin = broker.adminAddress as { host: string; port: number };
  try {
    const huge = await raw(admin.port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    const many = await raw(admin.port, `GET /health HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: y`).join('\r\n')}\r\n\r\n`);
    assert.match(many, /^HTTP\/1\.1 431 /);
    assert.match(await raw(admin.port, 'BREW /pot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 (400|405) /);
    assert.match(await raw(admin.port, 'PROPFIND /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 405 /);
    assert.match(await raw(admin.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a])), /^(HTTP\/1\.1 400 |)/);
    assert.match(await raw(admin.port, 'GET http://evil.example/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 404 /);
    // A body is never read: the answer comes, then the connection closes, whatever the body's size.
    const withBody = await raw(admin.port, 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\npartial');
    assert.match(withBody, /^HTTP\/1\.1 200 /);
    assert.match(withBody, /connection: close/i);
    const chunked = await raw(admin.port, 'POST /ready HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n');
    assert.match(chunked, /^HTTP\/1\.1 405 /);

    // Slowloris: more connections than the server takes, each sending a header byte now and then.
    const slow: Socket[] = [];
    const closed = new Set<Socket>();
    for (let i = 0; i < 80; i++) {
      const s = connect(admin.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closed.add(s));
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      slow.push(s);
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('X-a: b\r\n');
    }, 500);
    try {
      // The Kafka listener is not affected meanwhile.
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const client = kafka.admin();
      await client.connect();
      await client.createTopics({ topics: [{ topic: 'still-serving' }] });
      assert.ok((await client.listTopics()).includes('still-serving'));
      await client.disconnect();
      // headersTimeout cuts every slow sender off (5 s), and the server answers again.
      await poll('the slow connections to be cut', async () => (closed.size === slow.length ? true : undefined), 20_000);
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
    assert.equal((await httpGet(admin, '/health')).status, 200);
    assert.equal((await httpGet(admin, '/metrics')).status, 200);
  } finally {
    await broker.stop();
  }
});
