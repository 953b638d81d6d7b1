// Frames and faults that must cost one connection, never the process: every socket callback of a
// connection sits inside its failure boundary.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { watchProcessFailures, type ProcessFailures } from '../helpers/process-failures.js';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { encodeRequestFrame } from '../../src/protocol/request-codec.js';
import { parseRequestHeader } from '../../src/protocol/headers.js';
import { MAX_ELEMENTS_PER_MESSAGE } from '../../src/protocol/reader.js';
import type { Dispatched, Dispatcher } from '../../src/server/dispatch.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/index.js';

let broker: RunningBroker;
let failures: ProcessFailures;

before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.stop();
});
beforeEach(() => {
  failures = watchProcessFailures();
});
afterEach(() => {
  failures.stop();
  assert.deepEqual(failures.seen, [], 'an exception reached the process');
});

async function assertServes(bootstrap = broker.bootstrap): Promise<void> {
  const c = await RawClient.open(bootstrap);
  c.sendRequest(18, 3, 77, { clientSoftwareName: 'check', clientSoftwareVersion: '1' });
  const res = await c.response(18, 3);
  assert.equal(res?.correlationId, 77);
  assert.equal((res?.body as ApiVersionsResponse).errorCode, 0);
  c.close();
}

test('a size-0 frame (00 00 00 00) alone closes that connection; the broker keeps serving', async () => {
  const c = await RawClient.open(broker.bootstrap);
  c.send(Buffer.from([0, 0, 0, 0]));
  assert.equal(await c.nextFrame(), null, 'the connection is closed without an answer');
  await assertServes();
});

test('a size-0 frame followed by more bytes, and one split over two writes, close the connection', async () => {
  const glued = await RawClient.open(broker.bootstrap);
  glued.send(Buffer.from([0, 0, 0, 0, 0, 0, 0, 10, 0, 18]));
  assert.equal(await glued.nextFrame(), null);
  const split = await RawClient.open(broker.bootstrap);
  split.send(Buffer.from([0, 0]));
  await new Promise((resolve) => setImmediate(resolve));
  split.send(Buffer.from([0, 0]));
  assert.equal(await split.nextFrame(), null);
  await assertServes();
});

test('frames shorter than a request header close the connection', async () => {
  for (let size = 1; size < 8; size++) {
    const c = await RawClient.open(broker.bootstrap);
    const frame = Buffer.alloc(4 + size, 0x12);
    frame.writeInt32BE(size, 0);
    c.send(frame);
    assert.equal(await c.nextFrame(), null, `a ${size}-byte frame`);
  }
  await assertServes();
});

/**
 * A broker whose dispatch misbehaves for frames from client ids starting with "fault:", the way a
 * decoder or handler bug would: it throws before returning a promise, rejects with a TypeError, or
 * resolves with a response the socket cannot write (the error then surfaces in the promise
 * continuation that writes responses). Every other frame takes the real path.
 */
async function faultyBroker(logLines: string[]): Promise<RunningBroker> {
  const wrapDispatcher = (next: Dispatcher): Dispatcher => (frame, services, session, log): Dispatched => {
    const clientId = parseRequestHeader(frame).header.clientId ?? '';
    if (clientId === 'fault:throw') throw new TypeError('decoder bug (thrown)');
    if (clientId === 'fault:reject') return { responseBytesEstimate: 0, answer: Promise.reject(new RangeError('handler bug (rejected)')) };
    if (clientId === 'fault:unwritable') return { responseBytesEstimate: 0, answer: Promise.resolve({ kind: 'response', chunks: [42 as unknown as Buffer] }) };
    return next(frame, services, session, log);
  };
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return startBroker({ port: 0, wrapDispatcher, logger: pino({ level: 'warn' }, stream) });
}

function apiVersionsFrame(correlationId: number, clientId: string): Buffer[] {
  return encodeRequestFrame(18, 3, correlationId, clientId, { clientSoftwareName: 'fault', clientSoftwareVersion: '1' });
}

// For an unwritable response the boundary closes the socket from inside the write, so whether the
// answer written just before it still leaves is not promised.
for (const [fault, answersFirst] of [['fault:throw', true], ['fault:reject', true], ['fault:unwritable', false]] as const) {
  test(`a request whose dispatch fails outside any handler (${fault}) closes its connection with one log line`, async () => {
    const lines: string[] = [];
    const faulty = await faultyBroker(lines);
    try {
      const bystander = await RawClient.open(faulty.bootstrap);
      const c = await RawClient.open(faulty.bootstrap);
      // A good request, the faulty one, then another good one, pipelined in one write.
      c.send([...apiVersionsFrame(1, 'good'), ...apiVersionsFrame(2, fault), ...apiVersionsFrame(3, 'good')]);
      if (answersFirst) assert.equal((await c.response(18, 3))?.correlationId, 1, 'the request before the fault is answered');
      for (;;) {
        const frame = await c.nextFrame();
        if (frame === null) break;
        assert.equal(frame.readInt32BE(0), 1, 'nothing after the faulty request is answered');
      }
      bystander.send(apiVersionsFrame(9, 'bystander'));
      assert.equal((await bystander.response(18, 3))?.correlationId, 9, 'another open connection is untouched');
      bystander.close();
      await assertServes(faulty.bootstrap);
      const closing = lines.filter((l) => l.includes('closing connection'));
      assert.equal(closing.length, 1, `one log line for the closed connection, got: ${lines.join('\n')}`);
    } finally {
      await faulty.stop();
    }
  });
}

test('a request decoding to more than 2^20 array elements closes its connection before it is built', async () => {
  // Metadata v1 with 2^20 + 1 empty topic names: 2 MiB on the wire, gigabytes once decoded
  // (a 40 MiB frame of them held a broker for minutes at 3 GiB of RSS before the cap).
  const count = MAX_ELEMENTS_PER_MESSAGE + 1;
  const body = Buffer.concat([Buffer.from('0003000100000007ffff', 'hex'), Buffer.alloc(4), Buffer.alloc(2 * count)]);
  body.writeInt32BE(count, 10);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length, 0);
  const c = await RawClient.open(broker.bootstrap);
  c.send([prefix, body]);
  assert.equal(await c.nextFrame(), null);
  await assertServes();
});
