/** Runs Debian's kcat (librdkafka) as a child process, the way a user would. */
import { spawn } from 'node:child_process';

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kcat with `args`, feeding `input` on stdin; rejects when it runs past `timeoutMs`. Output as bytes. */
function runKcat(args: string[], input: string | Buffer | undefined, timeoutMs: number): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Runs kcat with `args`, feeding `input` on stdin; rejects when it runs past `timeoutMs`. */
export async function kcat(args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<KcatResult> {
  const { code, stdout, stderr } = await runKcat(args, input, timeoutMs);
  return { code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
}

/** kcat's JSON consumer output (-J), one object per line. */
export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  broker: number;
  headers?: string[];
  key: string | null;
  payload: string | null;
}

export function parseJsonLines(stdout: string): KcatMessage[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage);
}

/** A message as kcatRecords reads it: keys and values byte for byte. */
export interface KcatRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** kcat's `%h`: "name=value" pairs joined by commas ("" without headers; text only). */
  headers: string;
}

/**
 * Reads every message of `topic` from the beginning to the end with kcat, keys and values byte
 * for byte (kcat -J would re-encode binary payloads as text): each message is printed as a line
 * `partition offset timestamp keyLength valueLength headers`, then the key and value bytes.
 */
export async function kcatRecords(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<KcatRecord[]> {
  // A short fetch wait: -e ends at the partition ends, and a long poll there only adds time.
  const args = ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.wait.max.ms=10', '-f', '%p %o %T %K %S %h\\n%k%s\\n'];
  const { code, stdout, stderr } = await runKcat(args, undefined, timeoutMs);
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${code}: ${stderr.toString()}`);
  return parseKcatRecords(stdout);
}

function parseKcatRecords(out: Buffer): KcatRecord[] {
  const records: KcatRecord[] = [];
  let at = 0;
  const take = (length: number): Buffer | null => {
    if (length < 0) return null;
    const bytes = out.subarray(at, at + length);
    at += length;
    return Buffer.from(bytes);
  };
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) throw new Error(`kcat output ends inside a message header at byte ${at}`);
    const [partition, offset, timestamp, keyLength, valueLength, ...headers] = out.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    const key = take(Number(keyLength));
    const value = take(Number(valueLength));
    if (out[at] !== 0x0a) throw new Error(`kcat output: no newline after message ${partition}/${offset}`);
    at++;
    records.push({ partition: Number(partition), offset: Number(offset), timestamp: Number(timestamp), key, value, headers: headers.join(' ') });
  }
  return records;
}
