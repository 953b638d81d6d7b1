/** Runs Debian's kcat (librdkafka) as a child process, the way a user would. */
import { spawn } from 'node:child_process';

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kcat with `args`, feeding `input` on stdin; rejects when it runs past `timeoutMs`. */
export function kcat(args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<KcatResult> {
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
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
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
export function kcatRecords(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<KcatRecord[]> {
  return new Promise((resolve, reject) => {
    // A short fetch wait: -e ends at the partition ends, and a long poll there only adds time.
    const args = ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.wait.max.ms=10', '-f', '%p %o %T %K %S %h\\n%k%s\\n'];
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (code !== 0) {
        reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${Buffer.concat(err).toString()}`));
        return;
      }
      try {
        resolve(parseKcatRecords(Buffer.concat(out)));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
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
