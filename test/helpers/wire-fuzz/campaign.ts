/**
 * The wire fuzzer's driver: rounds of mutated frames sent pipelined to a running broker over TCP
 * from several connections at once, with liveness checks (ApiVersions and Metadata on a clean
 * connection) every few thousand frames.
 *
 * Round r is built from its own Rng (seed, r), on a fresh connection: a run replays the same
 * frames from the same seed, whatever the interleaving, and one round can be replayed alone. A
 * round ends with a clean ApiVersions request (the sentinel): its answer proves that the broker
 * got through every frame before it. A round ends otherwise when the broker closes the connection
 * (what an undecodable frame earns), or, after `stallMs` without either, it is counted as stalled
 * and dropped (a lying size prefix rightly leaves the broker waiting for bytes, as would a long
 * poll a mutation made very long).
 */
import { connect, type Socket } from 'node:net';
import { encodeRequestFrame } from '../../../src/protocol/request-codec.js';
import { Rng } from '../protocol-samples.js';
import { RawClient } from '../raw-client.js';
import type { ApiVersionsResponse } from '../../../src/protocol/generated/index.js';
import { mutateFrame, onWire, type WireFrame } from './mutate.js';
import { mutateFields } from './semantic.js';
import type { SeedFrame } from './seeds.js';

export interface CampaignOptions {
  seed: number;
  frames: number;
  connections: number;
  livenessEvery: number;
  stallMs: number;
  bootstrap: string;
  seeds: readonly SeedFrame[];
  /** False once the broker process is gone: the campaign stops. */
  brokerAlive: () => boolean;
  /** Replay only this round. */
  onlyRound?: number;
  /** Number of the first round (a soak runs the campaign in segments). */
  firstRound?: number;
  progress?: (line: string) => void;
}

export interface RoundRecord {
  round: number;
  wire: WireFrame[];
}

export interface CampaignResult {
  framesSent: number;
  rounds: number;
  answered: number;
  closedByBroker: number;
  stalled: number;
  /** Stalled rounds that had no lying size prefix and no long-waiting API: worth a look. */
  suspiciousStalls: RoundRecord[];
  livenessChecks: number;
  livenessFailures: string[];
  /** Rounds on the wire when the broker died. */
  inFlightAtCrash: RoundRecord[];
}

/** Mixes the campaign seed and a round number into a 32-bit Rng seed. */
export function roundSeed(seed: number, round: number): number {
  let h = (seed ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** API keys whose requests may legitimately take long: long polls, rebalances, acks=all, creating many partitions. */
const WAITING_APIS = new Set([0, 1, 11, 14, 19, 37]);

/**
 * Builds the frames of round `round`: 1 to 8 requests: some clean, some with mutated field
 * values (still well formed, see semantic.ts), the rest mutated byte by byte. Rounds
 * are short because the first undecodable frame ends the connection, and what follows it is
 * never read.
 */
export function buildRound(seed: number, round: number, seeds: readonly SeedFrame[]): RoundRecord {
  const rng = new Rng(roundSeed(seed, round));
  const bodies = seeds.map((s) => s.frame);
  const count = 1 + rng.int(8);
  const wire: WireFrame[] = [];
  for (let i = 0; i < count; i++) {
    const base = bodies[rng.int(bodies.length)];
    const next = bodies[rng.int(bodies.length)];
    const roll = rng.next();
    const fields = roll >= 0.15 && roll < 0.55 ? mutateFields(base, rng) : null;
    if (roll < 0.15) wire.push(onWire(base, next, rng, ['clean']));
    else if (fields !== null) wire.push(onWire(fields, next, rng, ['fieldValues']));
    else {
      const { frame, applied } = mutateFrame(base, rng, bodies);
      wire.push(onWire(frame, next, rng, applied));
    }
  }
  return { round, wire };
}

const SENTINEL_BASE = 0x5e000000;

function sentinel(round: number): { correlationId: number; bytes: Buffer } {
  const correlationId = (SENTINEL_BASE | (round & 0xffffff)) | 0;
  return { correlationId, bytes: Buffer.concat(encodeRequestFrame(18, 3, correlationId, 'wire-fuzz', { clientSoftwareName: 'wire-fuzz', clientSoftwareVersion: '1' })) };
}

export type Outcome = 'answered' | 'closed' | 'stalled';

/**
 * Writes `chunks` and a sentinel ApiVersions on a fresh connection; resolves when the sentinel is
 * answered, the broker closes the connection, or `stallMs` passes without either.
 */
export function sendWithSentinel(host: string, port: number, chunks: readonly Buffer[], stallMs: number, round = 0): Promise<Outcome> {
  const { correlationId, bytes } = sentinel(round);
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('stalled'), stallMs);
    const socket: Socket = connect(port, host, () => socket.write(Buffer.concat([...chunks, bytes])));
    socket.on('data', (d: Buffer) => {
      buffered = buffered.length === 0 ? d : Buffer.concat([buffered, d]);
      while (buffered.length >= 8) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) break;
        if (buffered.readInt32BE(4) === correlationId) return finish('answered');
        buffered = buffered.subarray(4 + size);
      }
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}

/** ApiVersions and Metadata on a clean connection; returns why it failed, or null. */
export async function livenessCheck(bootstrap: string): Promise<string | null> {
  let client: RawClient | null = null;
  try {
    client = await RawClient.open(bootstrap);
    client.sendRequest(18, 3, 1, { clientSoftwareName: 'liveness', clientSoftwareVersion: '1' });
    client.sendRequest(3, 12, 2, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const versions = await client.response(18, 3);
    if (versions?.correlationId !== 1 || (versions.body as ApiVersionsResponse).errorCode !== 0) return `ApiVersions not answered: ${JSON.stringify(versions?.correlationId)}`;
    const metadata = await client.response(3, 12);
    if (metadata?.correlationId !== 2) return 'Metadata not answered';
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    client?.close();
  }
}

function suspicious(record: RoundRecord): boolean {
  return record.wire.every((w) => !w.lying && !WAITING_APIS.has(w.bytes.length >= 6 ? w.bytes.readInt16BE(4) : -1));
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const [host, portText] = o.bootstrap.split(':');
  const port = Number(portText);
  const result: CampaignResult = { framesSent: 0, rounds: 0, answered: 0, closedByBroker: 0, stalled: 0, suspiciousStalls: [], livenessChecks: 0, livenessFailures: [], inFlightAtCrash: [] };
  const inFlight = new Set<RoundRecord>();
  let nextRound = o.onlyRound ?? o.firstRound ?? 0;
  let nextLiveness = o.livenessEvery;
  const liveness: Promise<void>[] = [];
  const check = () =>
    liveness.push(
      livenessCheck(o.bootstrap).then((failure) => {
        result.livenessChecks++;
        if (failure && o.brokerAlive()) result.livenessFailures.push(`after ${result.framesSent} frames: ${failure}`);
      }),
    );
  const worker = async () => {
    while (o.brokerAlive() && (o.onlyRound === undefined ? result.framesSent < o.frames : nextRound === o.onlyRound)) {
      const record = buildRound(o.seed, nextRound++, o.seeds);
      inFlight.add(record);
      result.framesSent += record.wire.length;
      result.rounds++;
      const outcome = await sendWithSentinel(host, port, record.wire.map((w) => w.bytes), o.stallMs, record.round);
      inFlight.delete(record);
      if (outcome === 'answered') result.answered++;
      else if (outcome === 'closed') result.closedByBroker++;
      else {
        result.stalled++;
        if (suspicious(record) && result.suspiciousStalls.length < 20) result.suspiciousStalls.push(record);
      }
      if (!o.brokerAlive()) {
        result.inFlightAtCrash.push(record, ...inFlight);
        return;
      }
      if (result.framesSent >= nextLiveness) {
        nextLiveness += o.livenessEvery;
        check();
        o.progress?.(`${result.framesSent} frames, ${result.rounds} rounds, ${result.stalled} stalled, ${result.livenessFailures.length} liveness failures`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.onlyRound === undefined ? o.connections : 1 }, worker));
  if (o.brokerAlive()) check();
  await Promise.all(liveness);
  return result;
}
