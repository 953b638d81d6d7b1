/**
 * Messages and checks shared by the Go client tests (go-sarama, go-kafkago): deterministic
 * sample messages with awkward content (null and empty keys and values, every byte value,
 * headers), and assertions that what a client read back is exactly what was produced, in order.
 */
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { bytesField, type GoLine, type GoMessage } from './go-programs.js';
import type { KcatRecord } from './kcat.js';

/** Fixed creation times in the past (Nov 2023), one second apart, so lookups by time are exact. */
export const BASE_TIMESTAMP = 1_700_000_000_000;

export interface SampleOptions {
  /** Give messages record headers (message format v2 only). */
  headers: boolean;
  /** Distinguishes one test's values from another's. */
  tag: string;
}

/** `count` messages spread round-robin over `partitions`, message i created at BASE_TIMESTAMP + i s. */
export function sampleMessages(count: number, partitions: number, { headers, tag }: SampleOptions): GoMessage[] {
  const out: GoMessage[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + (i % 37) }, (_, j) => (i * 31 + j * 7) & 0xff));
    const value = i === 3 ? null : i === 4 ? Buffer.alloc(0) : Buffer.concat([Buffer.from(`${tag} #${i} `), bytes, Buffer.from(' é ✓')]);
    const key = i % 7 === 0 ? null : Buffer.from(`key-${i % 11}`);
    out.push({
      partition: i % partitions,
      key,
      value,
      headers: headers && i % 3 !== 0 ? [{ key: Buffer.from('source'), value: Buffer.from(tag) }, { key: Buffer.from('seq'), value: Buffer.from(String(i)) }] : [],
      timestamp: BASE_TIMESTAMP + i * 1000,
    });
  }
  return out;
}

/** The messages of each partition, in production order. */
export function byPartition(messages: GoMessage[]): Map<number, GoMessage[]> {
  const out = new Map<number, GoMessage[]>();
  for (const m of messages) out.set(m.partition, [...(out.get(m.partition) ?? []), m]);
  return out;
}

function headerList(line: GoLine): [string, string][] {
  const raw = (line.headers ?? []) as { key: unknown; value: unknown }[];
  return raw.map((h) => [bytesField(h.key)?.toString('latin1') ?? '', bytesField(h.value)?.toString('latin1') ?? '']);
}

/** An empty value read back as null (or the reverse) would be a real bug; this keeps them apart. */
function show(b: Buffer | null): string {
  return b === null ? 'null' : `0x${b.toString('hex')}`;
}

export interface ConsumedExpectation {
  /** Whether the reader is expected to see the record headers (not through message format 0/1). */
  headers: boolean;
  /** Offset of each partition's first expected message (0 unless records were deleted). */
  firstOffsets?: Map<number, number>;
  /** The reader decodes a zero-length key or value as null (kafka-go 0.2.1's readNewBytes does). */
  emptyAsNull?: boolean;
  what: string;
}

/**
 * Asserts that `consumed` ("consumed" lines of a Go program, in the order read) hold exactly
 * `expected`: per partition the same messages in production order at consecutive offsets, with
 * identical keys, values, timestamps and (when expected) headers; nothing missing or extra.
 */
export function assertConsumed(consumed: GoLine[], expected: GoMessage[], { headers, firstOffsets, emptyAsNull, what }: ConsumedExpectation): void {
  const asRead = (b: Buffer | null) => (emptyAsNull && b?.length === 0 ? null : b);
  const want = byPartition(expected);
  const got = new Map<number, GoLine[]>();
  for (const l of consumed) got.set(Number(l.partition), [...(got.get(Number(l.partition)) ?? []), l]);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: partitions read`);
  for (const [partition, messages] of want) {
    const lines = got.get(partition) ?? [];
    assert.equal(lines.length, messages.length, `${what}: partition ${partition} message count`);
    const first = firstOffsets?.get(partition) ?? 0;
    messages.forEach((m, i) => {
      const l = lines[i];
      const at = `${what}: partition ${partition} message ${i}`;
      assert.equal(l.offset, first + i, `${at}: offset`);
      assert.equal(show(bytesField(l.key)), show(asRead(m.key)), `${at}: key`);
      assert.equal(show(bytesField(l.value)), show(asRead(m.value)), `${at}: value`);
      assert.equal(l.timestamp, m.timestamp, `${at}: timestamp`);
      const wantHeaders = headers ? (m.headers ?? []).map((h): [string, string] => [h.key.toString('latin1'), h.value.toString('latin1')]) : [];
      assert.deepEqual(headerList(l), wantHeaders, `${at}: headers`);
    });
  }
}

/** The same check for what kcat read (it fetches with a modern Fetch version). */
export function assertKcatCopy(records: KcatRecord[], expected: GoMessage[], { headers, what }: { headers: boolean; what: string }): void {
  const want = byPartition(expected);
  assert.equal(records.length, expected.length, `${what}: kcat message count`);
  for (const [partition, messages] of want) {
    const got = records.filter((r) => r.partition === partition).sort((a, b) => a.offset - b.offset);
    assert.equal(got.length, messages.length, `${what}: kcat partition ${partition} count`);
    messages.forEach((m, i) => {
      const r = got[i];
      const at = `${what}: kcat partition ${partition} message ${i}`;
      assert.equal(r.offset, i, `${at}: offset`);
      assert.equal(show(r.key), show(m.key), `${at}: key`);
      assert.equal(show(r.value), show(m.value), `${at}: value`);
      assert.equal(r.timestamp, m.timestamp, `${at}: timestamp`);
      const wantHeaders = headers ? (m.headers ?? []).map((h) => `${h.key.toString()}=${h.value.toString()}`).join(',') : '';
      assert.equal(r.headers, wantHeaders, `${at}: headers`);
    });
  }
}

/** A group's committed offsets per partition, read by kafkajs (OffsetFetch v4) as a second opinion. */
export async function kafkajsCommitted(bootstrap: string, groupId: string, topic: string): Promise<Map<number, number>> {
  const kafka = new kafkajs.Kafka({ clientId: 'go-tests-offsets', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(entry.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}
