/**
 * `tributary user create NAME --password P | list | delete NAME`, in the spirit of
 * `rpk security user` and kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=…]':
 * SCRAM credentials through DescribeUserScramCredentials and AlterUserScramCredentials. The
 * password is salted and hashed here (PBKDF2); the broker receives the salted password only.
 * Connect as an authorized user with TRIBUTARY_SASL_MECHANISM / _USERNAME / _PASSWORD.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.js';
import type { AlterUserScramCredentialsResponse, DescribeUserScramCredentialsResponse } from '../protocol/generated/index.js';
import { describeError } from '../protocol/error-codes.js';
import { isScramMechanism, MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS, saltPassword, SCRAM_MECHANISMS, type ScramMechanism } from '../security/sasl/scram-formulas.js';
import { formatTable } from './table.js';
import { toJson } from './json.js';
import { CliError } from './group-queries.js';
import { withConnection } from './with-connection.js';

interface Common {
  bootstrap: string;
  json?: boolean;
}

const MECHANISM_NUMBER: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const mechanismName = (n: number) => SCRAM_MECHANISMS.find((m) => MECHANISM_NUMBER[m] === n) ?? `unknown(${n})`;

function mechanismOf(text: string): ScramMechanism {
  const m = text.toUpperCase();
  if (!isScramMechanism(m)) throw new CliError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not ${text}`);
  return m;
}

async function alter(c: KafkaConnection, body: unknown): Promise<void> {
  const res = await c.request<AlterUserScramCredentialsResponse>(51, 0, body);
  const failed = res.results.filter((r) => r.errorCode !== 0);
  if (failed.length > 0) throw new CliError(failed.map((r) => `${r.user}: ${r.errorMessage ?? (describeError(r.errorCode)?.name ?? String(r.errorCode))}`).join('; '));
}

async function create(c: KafkaConnection, name: string, o: Common & { password?: string; mechanism: string; iterations: string }): Promise<void> {
  const mechanism = mechanismOf(o.mechanism);
  const password = o.password ?? process.env.TRIBUTARY_NEW_USER_PASSWORD;
  if (password === undefined || password === '') throw new CliError('give the new password with --password or TRIBUTARY_NEW_USER_PASSWORD');
  const iterations = Number(o.iterations);
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) throw new CliError(`--iterations must be a whole number from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}`);
  const salt = randomBytes(32);
  await alter(c, { deletions: [], upsertions: [{ name, mechanism: MECHANISM_NUMBER[mechanism], iterations, salt, saltedPassword: saltPassword(mechanism, password, salt, iterations) }] });
  if (o.json) console.log(toJson({ created: { user: name, mechanism, iterations } }));
  else console.log(`Created user ${name} (${mechanism}, ${iterations} iterations).`);
}

async function remove(c: KafkaConnection, name: string, o: Common & { mechanism?: string }): Promise<void> {
  let mechanisms: ScramMechanism[];
  if (o.mechanism !== undefined) mechanisms = [mechanismOf(o.mechanism)];
  else {
    const described = await c.request<DescribeUserScramCredentialsResponse>(50, 0, { users: [{ name }] });
    const found = described.results[0];
    if (!found || found.errorCode !== 0) throw new CliError(`${name}: ${found?.errorMessage ?? 'no such user'}`);
    mechanisms = found.credentialInfos.map((i) => mechanismName(i.mechanism)).filter(isScramMechanism);
  }
  await alter(c, { deletions: mechanisms.map((m) => ({ name, mechanism: MECHANISM_NUMBER[m] })), upsertions: [] });
  if (o.json) console.log(toJson({ deleted: { user: name, mechanisms } }));
  else console.log(`Deleted user ${name} (${mechanisms.join(', ')}).`);
}

async function list(c: KafkaConnection, o: Common): Promise<void> {
  const res = await c.request<DescribeUserScramCredentialsResponse>(50, 0, { users: null });
  if (res.errorCode !== 0) throw new CliError(res.errorMessage ?? (describeError(res.errorCode)?.name ?? String(res.errorCode)));
  const users = res.results.map((r) => ({ user: r.user, credentials: r.credentialInfos.map((i) => ({ mechanism: mechanismName(i.mechanism), iterations: i.iterations })) }));
  if (o.json) {
    console.log(toJson({ users }));
    return;
  }
  const rows = users.flatMap((u) => u.credentials.map((cr) => [u.user, cr.mechanism, cr.iterations]));
  console.log(rows.length > 0 ? formatTable(['USER', 'MECHANISM', 'ITERATIONS'], rows) : 'No SCRAM users.');
}

export function registerUserCommands(program: Command): void {
  const users = program
    .command('user')
    .description('SCRAM users (credentials kept by the cluster); connect as an authorized user with TRIBUTARY_SASL_MECHANISM, TRIBUTARY_SASL_USERNAME, TRIBUTARY_SASL_PASSWORD')
    .addHelpText('after', '\nExamples:\n  tributary user create alice --password alice-secret --mechanism SCRAM-SHA-512\n  TRIBUTARY_SASL_MECHANISM=PLAIN TRIBUTARY_SASL_USERNAME=admin TRIBUTARY_SASL_PASSWORD=admin-secret tributary user list -b 127.0.0.1:9094\n  tributary user delete alice');
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  const json = ['--json', 'print JSON instead of a table'] as const;
  users
    .command('create <name>')
    .description('create a user or change its password')
    .option(...bootstrap)
    .option(...json)
    .option('-p, --password <password>', 'the password (or TRIBUTARY_NEW_USER_PASSWORD, which keeps it out of the process list)')
    .option('--mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512', 'SCRAM-SHA-256')
    .option('--iterations <n>', `PBKDF2 iterations (${MIN_SCRAM_ITERATIONS}-${MAX_SCRAM_ITERATIONS})`, '8192')
    .action((name: string, o: Common & { password?: string; mechanism: string; iterations: string }) => withConnection(o, (c) => create(c, name, o)));
  users
    .command('list')
    .description('users and their SCRAM mechanisms')
    .option(...bootstrap)
    .option(...json)
    .action((o: Common) => withConnection(o, (c) => list(c, o)));
  users
    .command('delete <name>')
    .description("delete a user's credentials (every mechanism, or one)")
    .option(...bootstrap)
    .option(...json)
    .option('--mechanism <mechanism>', 'only this mechanism')
    .action((name: string, o: Common & { mechanism?: string }) => withConnection(o, (c) => remove(c, name, o)));
}
