// Bytes the wire fuzzer found bugs with (test/fixtures/fuzz-regressions/), replayed on one
// connection each to an in-process broker: the broker must do what the case expects (answer
// everything, or close the connection), log no error, and keep serving; no exception may reach
// the process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { watchProcessFailures } from '../helpers/process-failures.js';
import { livenessCheck, sendWithSentinel } from '../helpers/wire-fuzz/campaign.js';
import { regressionCases } from '../helpers/wire-fuzz/report.js';

let broker: RunningBroker;
const errorLines: string[] = [];

before(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '' && (JSON.parse(line) as { level: number }).level >= 50) errorLines.push(line);
      done();
    },
  });
  broker = await startBroker({ port: 0, logger: pino({ level: 'warn' }, stream), config: { 'socket.request.max.bytes': '10485760' } });
});
after(async () => {
  await broker.stop();
});

for (const { name, case: c } of regressionCases()) {
  test(`fuzz regression ${name} on a broker: ${c.found.slice(0, 100)}`, async () => {
    const failures = watchProcessFailures();
    errorLines.length = 0;
    try {
      const outcome = await sendWithSentinel(broker.host, broker.port, c.wire.map((h) => Buffer.from(h, 'hex')), 5_000);
      if (c.expect) assert.equal(outcome, c.expect);
      assert.deepEqual(errorLines, [], 'the broker logged an error');
      assert.equal(await livenessCheck(broker.bootstrap), null, 'a clean connection is served afterwards');
    } finally {
      failures.stop();
    }
    assert.deepEqual(failures.seen, []);
  });
}
