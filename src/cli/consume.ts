/**
 * `tributary consume TOPIC`: records from the beginning, the end, an offset or a timestamp, in a
 * consumer group (committing) or on its own (a throwaway group that commits nothing), printed as
 * values, in a kcat-style format (-f) or as JSON lines; -n stops after that many, -e at the end of
 * what the partitions held when it started, and Ctrl-C or SIGTERM ends it the same way (committing
 * what was printed). Through @platformatic/kafka's consumer.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Admin, Consumer } from '@platformatic/kafka';
import { CliError } from './group-queries.js';
import { clientOptions, kafkaClient, oneLine } from './client-options.js';
import { formatRecord, jsonRecord, type PrintableRecord } from './record-format.js';

interface ConsumeOptions {
  bootstrap: string;
  offset: string;
  timestamp?: string;
  group?: string;
  partition?: string;
  count?: string;
  exit?: boolean;
  format: string;
  json?: boolean;
}

/** The offset each partition starts at (from the broker's ListOffsets), when the start is not the group's. */
async function startOffsets(admin: Admin, topic: string, partitions: number[], o: ConsumeOptions): Promise<Map<number, bigint> | null> {
  const ask = async (timestamp: bigint) => {
    const listed = await admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, timestamp })) }] });
    return new Map(listed[0].partitions.map((p) => [p.partitionIndex, p.offset]));
  };
  if (o.timestamp !== undefined) {
    if (!/^\d+$/.test(o.timestamp)) throw new CliError(`--timestamp takes milliseconds since the epoch, not ${o.timestamp}`);
    const found = await ask(BigInt(o.timestamp));
    const ends = await ask(-1n);
    // No record at or after the time: start at the end, as kafka-console-consumer does.
    return new Map(partitions.map((p) => [p, (found.get(p) ?? -1n) < 0n ? (ends.get(p) ?? 0n) : (found.get(p) as bigint)]));
  }
  if (o.offset === 'beginning') return ask(-2n);
  if (o.offset === 'end') return ask(-1n);
  if (o.offset === 'stored') return null;
  if (!/^\d+$/.test(o.offset)) throw new CliError(`--offset takes beginning, end, stored or an offset, not ${o.offset}`);
  return new Map(partitions.map((p) => [p, BigInt(o.offset)]));
}

async function consume(topic: string, o: ConsumeOptions): Promise<void> {
  const limit = o.count === undefined ? Infinity : Number(o.count);
  if (!(limit > 0)) throw new CliError(`--count must be a positive number, not ${o.count}`);
  const { Admin, Consumer } = await kafkaClient();
  const admin = new Admin(clientOptions(o.bootstrap));
  let consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null = null;
  // Ctrl-C or SIGTERM ends a run that has no -n or -e like its end: what was printed is
  // committed and the member leaves its group (as Kafka's console consumer does on close).
  let interrupted!: () => void;
  const interruption = new Promise<null>((resolve) => (interrupted = () => resolve(null)));
  try {
    const metadata = await admin.metadata({ topics: [topic] });
    const t = metadata.topics.get(topic);
    if (!t) throw new CliError(`topic ${topic} does not exist`);
    const all = Array.from({ length: t.partitionsCount }, (_, i) => i);
    const partitions = o.partition === undefined ? all : [Number(o.partition)];
    if (partitions.some((p) => !all.includes(p))) throw new CliError(`${topic} has no partition ${o.partition}`);
    const starts = await startOffsets(admin, topic, partitions, o);
    const ends = o.exit ? new Map((await admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, timestamp: -1n })) }] }))[0].partitions.map((p) => [p.partitionIndex, p.offset])) : null;
    const group = o.group ?? `tributary-cli-${randomUUID()}`;
    consumer = new Consumer({ ...clientOptions(o.bootstrap), groupId: group });
    const stream = await consumer.consume({
      topics: [topic],
      // Committed at the end, up to the last record printed (an interval commit could miss it).
      autocommit: false,
      mode: starts === null ? 'committed' : 'manual',
      fallbackMode: 'earliest',
      offsets: starts === null ? undefined : partitions.map((p) => ({ topic, partition: p, offset: starts.get(p) ?? 0n })),
    });
    const position = new Map(partitions.map((p) => [p, starts?.get(p) ?? 0n]));
    const done = () => ends !== null && partitions.every((p) => (position.get(p) ?? 0n) >= (ends.get(p) ?? 0n));
    let printed = 0;
    const lastOf = new Map<number, { commit(): void | Promise<void> }>();
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    if (!done() && limit > 0) {
      const records = stream[Symbol.asyncIterator]();
      for (;;) {
        const pending = records.next();
        const next = await Promise.race([pending, interruption]);
        if (next === null) {
          // Closing the stream below settles the read still waiting; whatever it brings is dropped.
          pending.catch(() => undefined);
          break;
        }
        if (next.done === true) break;
        const m = next.value;
        if (!partitions.includes(m.partition)) continue;
        lastOf.set(m.partition, m);
        const record: PrintableRecord = { topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers: m.headers };
        process.stdout.write(o.json ? `${jsonRecord(record)}\n` : formatRecord(o.format, record));
        position.set(m.partition, m.offset + 1n);
        if (++printed >= limit || done()) break;
      }
    }
    if (o.group !== undefined) for (const m of lastOf.values()) await m.commit();
    await stream.close();
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await consumer?.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}

export function registerConsumeCommand(program: Command): void {
  program
    .command('consume <topic>')
    .description('print records of a topic')
    .option('-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092')
    .option('-o, --offset <where>', 'beginning, end, stored (the group\'s committed offsets) or an offset', 'beginning')
    .option('-t, --timestamp <ms>', 'start at the first record at or after this time (ms since the epoch)')
    .option('-g, --group <group>', 'consume in this consumer group and commit (default: no group, nothing committed)')
    .option('-p, --partition <n>', 'only this partition')
    .option('-n, --count <n>', 'stop after this many records')
    .option('-e, --exit', 'stop at the end of what the partitions held at the start')
    .option('-f, --format <format>', 'kcat-style: %t topic, %p partition, %o offset, %T timestamp, %k key, %v value, %h headers, %K/%S key/value lengths', '%v\\n')
    .option('--json', 'one JSON object per record: topic, partition, offset, timestamp, key, value, headers')
    .addHelpText('after', "\nExamples:\n  tributary consume greetings -e\n  tributary consume orders -g audit -f '%p:%o %k=%v\\n'\n  tributary consume orders --timestamp 1767225600000 -n 10 --json")
    .action(async (topic: string, o: ConsumeOptions) => {
      if (o.group !== undefined && o.offset === 'beginning' && !process.argv.some((a) => a === '-o' || a.startsWith('--offset'))) o.offset = 'stored';
      try {
        await consume(topic, o);
      } catch (err) {
        console.error(err instanceof CliError ? err.message : oneLine(err));
        process.exitCode = 1;
      }
    });
}
