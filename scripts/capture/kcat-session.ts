/** What kcat (librdkafka) sends: metadata, producing with each codec, plain and group consuming, offset queries. */
import { spawn } from 'node:child_process';
import type { RecordingProxy } from './recording-proxy.js';
import { CAPTURE_MESSAGES } from './fixture-format.js';
import { step } from './recording-proxy.js';

/** Runs kcat without blocking the event loop (the broker and proxy run in this process). */
function kcat(args: string[], input = '', killAfterMs = 0): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const timer = killAfterMs > 0 ? setTimeout(() => child.kill('SIGINT'), killAfterMs) : undefined;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || signal !== null) res();
      else rej(new Error(`kcat ${args.join(' ')} failed: ${err}`));
    });
    child.stdin.end(input);
  });
}

export async function kcatSession(proxy: RecordingProxy, bootstrap: string): Promise<void> {
  proxy.client = 'kcat';
  const lines = CAPTURE_MESSAGES.map((m) => `${m.key}\t${m.value}`).join('\n') + '\n';
  await kcat(['-b', bootstrap, '-L']);
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    proxy.label = codec;
    await kcat(['-b', bootstrap, '-P', '-t', 'golden-kcat', '-z', codec, '-K', '\t', '-H', 'source=kcat', '-X', 'linger.ms=50'], lines);
  }
  proxy.label = 'idempotent';
  await step('kcat idempotent produce', () => kcat(['-b', bootstrap, '-P', '-t', 'golden-kcat', '-X', 'enable.idempotence=true', '-K', '\t', '-H', 'source=kcat', '-p', '0'], lines));
  proxy.label = '';
  await kcat(['-b', bootstrap, '-C', '-t', 'golden-kcat', '-o', 'beginning', '-e', '-q']);
  await step('kcat offsets query', () => kcat(['-b', bootstrap, '-Q', '-t', 'golden-kcat:0:1000']));
  // A balanced consumer group: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch,
  // OffsetCommit, LeaveGroup. It runs until told to stop.
  await step('kcat group consumer', () => kcat(['-b', bootstrap, '-G', 'golden-kcat-group', '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100', 'golden-kcat'], '', 8000));
}
