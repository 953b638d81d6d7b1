/**
 * `tributary produce TOPIC`: one record per input line (stdin, or --file), as kcat -P and
 * `rpk topic produce`: optional key separator, headers, a fixed partition, compression and acks;
 * through @platformatic/kafka's producer, in batches. On long inputs a progress line with
 * records/s goes to stderr (when it is a terminal, or with --progress); the summary at the end
 * says how many records were acknowledged.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { MessageToProduce } from '@platformatic/kafka';
import { CliError } from './group-queries.js';
import { clientOptions, kafkaClient, oneLine } from './client-options.js';
import { toJson } from './json.js';

interface ProduceOptions {
  bootstrap: string;
  keySeparator?: string;
  header: string[];
  partition?: string;
  compression: string;
  acks: string;
  file?: string;
  progress?: boolean;
  json?: boolean;
}

const BATCH_RECORDS = 1000;
const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
type Compression = (typeof COMPRESSIONS)[number];

function acksOf(text: string): number {
  if (text === 'all' || text === '-1') return -1;
  if (text === '1' || text === '0') return Number(text);
  throw new CliError(`--acks must be all, 1 or 0, not ${text}`);
}

function headersOf(values: string[]): Map<Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  for (const kv of values) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new CliError(`--header takes key=value, not ${kv}`);
    headers.set(Buffer.from(kv.slice(0, eq)), Buffer.from(kv.slice(eq + 1)));
  }
  return headers;
}

async function produce(topic: string, o: ProduceOptions): Promise<void> {
  const acks = acksOf(o.acks);
  if (!(COMPRESSIONS as readonly string[]).includes(o.compression)) throw new CliError(`--compression must be one of ${COMPRESSIONS.join(', ')}`);
  const partition = o.partition === undefined ? undefined : Number(o.partition);
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) throw new CliError(`--partition must be a partition number, not ${o.partition}`);
  const headers = headersOf(o.header);
  const { Producer } = await kafkaClient();
  const producer = new Producer({ ...clientOptions(o.bootstrap), acks, compression: o.compression as Compression, autocreateTopics: true });
  const input = createInterface({ input: o.file ? createReadStream(o.file) : process.stdin, crlfDelay: Infinity });
  const showProgress = o.progress === true || (o.progress !== false && process.stderr.isTTY === true);
  const started = Date.now();
  let sent = 0;
  let lastProgress = started;
  let batch: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await producer.send({ messages: batch });
    sent += batch.length;
    batch = [];
    const now = Date.now();
    if (showProgress && now - lastProgress >= 1000) {
      lastProgress = now;
      process.stderr.write(`\r${sent} records, ${Math.round((sent * 1000) / (now - started))} records/s`);
    }
  };
  try {
    for await (const line of input) {
      let key: Buffer | undefined;
      let value = line;
      if (o.keySeparator !== undefined) {
        const at = line.indexOf(o.keySeparator);
        if (at >= 0) {
          key = Buffer.from(line.slice(0, at));
          value = line.slice(at + o.keySeparator.length);
        }
      }
      batch.push({ topic, key, value: Buffer.from(value), headers: headers.size > 0 ? headers : undefined, partition });
      if (batch.length >= BATCH_RECORDS) await flush();
    }
    await flush();
  } finally {
    await producer.close().catch(() => undefined);
  }
  const seconds = (Date.now() - started) / 1000;
  if (showProgress) process.stderr.write('\n');
  if (o.json) console.log(toJson({ topic, records: sent, seconds }));
  else console.error(`Produced ${sent} records to ${topic}${acks === 0 ? ' (acks=0: not acknowledged)' : ''}.`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerProduceCommand(program: Command): void {
  program
    .command('produce <topic>')
    .description('produce one record per line of stdin (or --file)')
    .option('-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092')
    .option('-k, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'a header for every record (repeatable)', collect, [])
    .option('-p, --partition <n>', 'produce to this partition (default: by key, or spread)')
    .option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd (zstd needs Node.js 22.15 or later)', 'none')
    .option('-a, --acks <acks>', 'all, 1 or 0', 'all')
    .option('-f, --file <path>', 'read records from a file instead of stdin')
    .option('--progress', 'show records/s on stderr even when it is not a terminal')
    .option('--no-progress', 'never show progress')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText('after', '\nExamples:\n  echo hello | tributary produce greetings\n  printf "k1:v1\\nk2:v2\\n" | tributary produce orders -k : -H source=cli -z zstd')
    .action(async (topic: string, o: ProduceOptions) => {
      try {
        await produce(topic, o);
      } catch (err) {
        console.error(err instanceof CliError ? err.message : oneLine(err));
        process.exitCode = 1;
      }
    });
}
