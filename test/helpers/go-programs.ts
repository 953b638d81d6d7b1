/**
 * The Go test programs under test/go/ (Sarama and kafka-go from Debian's packages), built with
 * Debian's golang-go in GOPATH mode, offline, and run as child processes the way kcat is run.
 *
 * A program is built at most once per source: the binary is kept in dist/go-bin/ under a hash of
 * its .go files, the Go toolchain's version and the Debian packages' versions, so test files and
 * later runs reuse it (Go's own build cache, dist/go-cache, makes a rebuild after an edit quick).
 * Without `go` or the packages it fails at once and says what to install.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (this file runs as dist/test/helpers/go-programs.js). */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GOPATH_SYSTEM = '/usr/share/gocode';
const PACKAGES = ['golang-go', 'golang-github-shopify-sarama-dev', 'golang-github-segmentio-kafka-go-dev'];
const MISSING = `install Debian's ${PACKAGES.join(' ')} (apt-get install ${PACKAGES.join(' ')}; .ci/run does it)`;

export type GoProgram = 'sarama-check' | 'kafkago-check';

/** GOPATH mode, offline: only Debian's sources in /usr/share/gocode, no module proxy, no network. */
function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `${join(REPO, 'dist/go-path')}:${GOPATH_SYSTEM}`,
    GOCACHE: join(REPO, 'dist/go-cache'),
    GOFLAGS: '',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    // DataDog/zstd (Sarama's zstd) is cgo; its C warnings are not ours to fix.
    CGO_CFLAGS: '-O2 -Wno-deprecated-declarations',
  };
}

async function fingerprint(program: GoProgram): Promise<string> {
  const hash = createHash('sha256');
  const dir = join(REPO, 'test/go', program);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.go')).sort()) {
    hash.update(file).update('\0').update(readFileSync(join(dir, file))).update('\0');
  }
  const toolchain = await run('go', ['version'], { env: goEnv() }).catch((err: Error) => {
    throw new Error(`cannot run go (${err.message}): ${MISSING}`);
  });
  hash.update(toolchain.stdout);
  const versions = await run('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n', ...PACKAGES.slice(1)]).catch(() => ({ stdout: 'no dpkg' }));
  hash.update(versions.stdout);
  return hash.digest('hex').slice(0, 16);
}

const builds = new Map<GoProgram, Promise<string>>();

/** The path of `program`'s binary, building it first when no binary of its current source exists. */
export function goProgram(program: GoProgram): Promise<string> {
  let build = builds.get(program);
  if (!build) {
    build = buildProgram(program);
    builds.set(program, build);
  }
  return build;
}

async function buildProgram(program: GoProgram): Promise<string> {
  if (!existsSync(join(GOPATH_SYSTEM, 'src/github.com/Shopify/sarama')) || !existsSync(join(GOPATH_SYSTEM, 'src/github.com/segmentio/kafka-go'))) {
    throw new Error(`the Go client sources are not in ${GOPATH_SYSTEM}: ${MISSING}`);
  }
  const binDir = join(REPO, 'dist/go-bin');
  const binary = join(binDir, `${program}-${await fingerprint(program)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(binDir, { recursive: true });
  // Built under a name of its own and renamed into place, so a test file building the same
  // program at the same time never runs a half-written binary.
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await run('go', ['build', '-o', partial, '.'], { cwd: join(REPO, 'test/go', program), env: goEnv(), timeout: 300_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`go build of test/go/${program} failed: ${e.stderr ?? e.message}`);
  }
  renameSync(partial, binary);
  // Binaries of older sources of this program are of no further use.
  for (const old of readdirSync(binDir)) {
    if (old.startsWith(`${program}-`) && !old.endsWith('.partial') && join(binDir, old) !== binary) rmSync(join(binDir, old), { force: true });
  }
  return binary;
}

export interface GoResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines. */
  lines: GoLine[];
}

/** One JSON line a program printed: `event` names what it reports, the rest is per event. */
export interface GoLine {
  event: string;
  [field: string]: unknown;
}

/** Runs `program` with `args`, feeding `input` on stdin; rejects when it runs past `timeoutMs`. */
export async function runGo(program: GoProgram, args: string[], input = '', timeoutMs = 120_000): Promise<GoResult> {
  const binary = await goProgram(program);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} ${args.join(' ')} timed out after ${timeoutMs} ms; stdout: ${Buffer.concat(out).toString().slice(-3000)} stderr: ${Buffer.concat(err).toString().slice(-3000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as GoLine);
      resolvePromise({ code, stdout, stderr: Buffer.concat(err).toString('utf8'), lines });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** A message as the Go programs take it on stdin ([]byte fields are base64, as encoding/json reads them). */
export interface GoMessage {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: { key: Buffer; value: Buffer }[];
  /** ms since the epoch; 0 lets the client choose. */
  timestamp: number;
}

export function toJsonLines(messages: GoMessage[]): string {
  const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'));
  return messages
    .map((m) => JSON.stringify({ partition: m.partition, key: b64(m.key), value: b64(m.value), headers: m.headers?.map((h) => ({ key: b64(h.key), value: b64(h.value) })), timestamp: m.timestamp }))
    .join('\n') + '\n';
}

/** Decodes a base64 field of a Go line ([]byte as encoding/json writes it; null stays null). */
export function bytesField(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new Error(`expected a base64 string, got ${JSON.stringify(value)}`);
  return Buffer.from(value, 'base64');
}

/** The lines of one event, failing with the whole output when a program reported a fatal error. */
export function events(result: GoResult, event: string): GoLine[] {
  const fatal = result.lines.find((l) => l.event === 'fatal');
  if (fatal) throw new Error(`the Go program failed: ${JSON.stringify(fatal)}\nstderr: ${result.stderr.slice(-3000)}`);
  return result.lines.filter((l) => l.event === event);
}
