// `tributary user create | list | delete`, run as a user runs them (a child process) against a
// SASL_PLAINTEXT broker, authenticating as a PLAIN admin through TRIBUTARY_SASL_* variables; the
// user it creates then authenticates with kcat (SCRAM-SHA-512), and no longer once deleted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";';
const ADMIN_ENV = { TRIBUTARY_SASL_MECHANISM: 'PLAIN', TRIBUTARY_SASL_USERNAME: 'admin', TRIBUTARY_SASL_PASSWORD: 'admin-secret' };

let broker: RunningBroker;

async function tributary(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'user', ...args, '-b', broker.bootstrap], { timeout: 30_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const scramKcat = (password: string) => ['-b', broker.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=dora', '-X', `sasl.password=${password}`];

before(async () => {
  broker = await startBroker({ port: 0, config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': JAAS, 'connection.failed.authentication.delay.ms': '0' } });
});

after(async () => {
  await broker?.stop();
});

test('create, list and delete a SCRAM user; the user authenticates with kcat in between', async () => {
  const created = await tributary(ADMIN_ENV, 'create', 'dora', '--password', 'dora-secret', '--mechanism', 'SCRAM-SHA-512', '--iterations', '4096');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created user dora \(SCRAM-SHA-512, 4096 iterations\)/);
  const listed = await tributary(ADMIN_ENV, 'list', '--json');
  assert.deepEqual(JSON.parse(listed.stdout), { users: [{ user: 'dora', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }] });
  const table = await tributary(ADMIN_ENV, 'list');
  assert.match(table.stdout, /USER\s+MECHANISM\s+ITERATIONS\n.*dora\s+SCRAM-SHA-512\s+4096/);

  const produced = await kcat([...scramKcat('dora-secret'), '-P', '-t', 'dora-topic'], 'one\ntwo\n');
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat([...scramKcat('dora-secret'), '-C', '-t', 'dora-topic', '-o', 'beginning', '-e', '-q']);
  assert.deepEqual(consumed.stdout.trim().split('\n'), ['one', 'two']);

  const deleted = await tributary(ADMIN_ENV, 'delete', 'dora');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /Deleted user dora \(SCRAM-SHA-512\)/);
  const refused = await kcat([...scramKcat('dora-secret'), '-L', '-m', '2']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /[Aa]uthentication failed/);
});

test('errors are one line and a failing exit code', async () => {
  const badAuth = await tributary({ ...ADMIN_ENV, TRIBUTARY_SASL_PASSWORD: 'wrong' }, 'list');
  assert.notEqual(badAuth.code, 0);
  assert.match(badAuth.stderr.trim(), /^SASL authentication failed: Authentication failed: Invalid username or password$/);
  const fewIterations = await tributary(ADMIN_ENV, 'create', 'eve', '--password', 'x', '--iterations', '10');
  assert.notEqual(fewIterations.code, 0);
  assert.match(fewIterations.stderr.trim(), /^--iterations must be/);
  const missing = await tributary(ADMIN_ENV, 'delete', 'nobody');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr.trim(), /^nobody: Attempt to describe a user credential that does not exist$/);
});
