// A broker that cannot bind one of its addresses says which address, for what, and why, once, and
// starts nothing: the Kafka listener and the admin HTTP server alike. From the command line that
// is one line and exit status 1, not a logged stack trace beside it. The case users meet: a
// second broker on one host left at the admin server's default address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../../src/broker/broker.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/storage.js';

const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

/** Something else listening on a loopback port. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

test('a taken Kafka port or admin address fails the start with the address, the user of it and the reason', async () => {
  const { port, server } = await occupy();
  try {
    await assert.rejects(startBroker({ port }), (err: Error) => {
      assert.match(err.message, new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port} for listener PLAINTEXT: the address is in use .*\\(EADDRINUSE\\)$`));
      return true;
    });
    await assert.rejects(startBroker({ port: 0, config: { 'tributary.admin.listener': `127.0.0.1:${port}` } }), (err: Error) => {
      assert.match(err.message, new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port} for the admin HTTP server \\(tributary\\.admin\\.listener\\): the address is in use; brokers sharing a host need an admin address each \\(--admin-listener HOST:PORT, or off\\) \\(EADDRINUSE\\)$`));
      return true;
    });
  } finally {
    server.close();
  }
  // Nothing of the failed starts holds the port: it binds now.
  const broker = await startBroker({ port });
  assert.equal(broker.port, port);
  await broker.stop();
});

test('tributary start with its admin address taken prints one line and exits with status 1', async () => {
  const { port, server } = await occupy();
  const { dir, cleanup } = await tempDir('tributary-bind-');
  try {
    const kafkaPort = await freePort();
    const child = spawn(process.execPath, [CLI, 'start', '--listen', `127.0.0.1:${kafkaPort}`, '--admin-listener', `127.0.0.1:${port}`, '--data-dir', dir, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 1, `exit status; output:\n${stdout}${stderr}`);
    assert.equal(stderr.trim(), `cannot listen on 127.0.0.1:${port} for the admin HTTP server (tributary.admin.listener): the address is in use; brokers sharing a host need an admin address each (--admin-listener HOST:PORT, or off) (EADDRINUSE)`);
    const errorLines = stdout.split('\n').filter((l) => l.startsWith('{') && (JSON.parse(l) as { level: number }).level >= 50);
    assert.deepEqual(errorLines, [], 'no error logged beside the message');
  } finally {
    server.close();
    await cleanup();
  }
});
