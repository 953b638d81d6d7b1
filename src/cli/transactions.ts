/**
 * `tributary transactions list | describe ID | describe-producers --topic T --partition P | abort …`,
 * in the spirit of kafka-transactions.sh: list and describe what the transaction coordinators
 * hold, show a partition's producers and their open transactions, and abort a hanging one (a
 * transaction whose marker never came and that holds the partition's last stable offset back).
 * Tables by default, `--json` for scripts; an error is one line on stderr and a failing exit code.
 */
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.js';
import { formatTable } from './table.js';
import { toJson } from './json.js';
import { CliError } from './group-queries.js';
import { withConnection } from './with-connection.js';
import { abortTransaction, describeProducers, describeTransaction, listTransactions, type AbortSpec } from './transaction-queries.js';

interface Common {
  bootstrap: string;
  json?: boolean;
}

/** A whole number from an option, within [min, max]. */
function integer(option: string, text: string, min: bigint, max: bigint): bigint {
  if (!/^-?\d+$/.test(text)) throw new CliError(`${option} must be a whole number, not ${text}`);
  const n = BigInt(text);
  if (n < min || n > max) throw new CliError(`${option} must be between ${min} and ${max}, not ${text}`);
  return n;
}

const INT16 = [-(2n ** 15n), 2n ** 15n - 1n] as const;
const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const csv = (text: string | undefined): string[] => (text === undefined ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== ''));
const orDash = (n: bigint) => (n < 0n ? '-' : n);

interface ListOptions extends Common {
  states?: string;
  producerIds?: string;
  durationFilter?: string;
}

async function list(c: KafkaConnection, o: ListOptions): Promise<void> {
  const filters = {
    states: csv(o.states),
    producerIds: csv(o.producerIds).map((id) => integer('--producer-ids', id, 0n, INT64[1])),
    durationMs: o.durationFilter === undefined ? -1n : integer('--duration-filter', o.durationFilter, INT64[0], INT64[1]),
  };
  const { listings, unknownStateFilters } = await listTransactions(c, filters);
  if (unknownStateFilters.length > 0) {
    // As Kafka's admin client, a warning: the unknown names just match nothing.
    console.error(`Unknown transaction state(s) ${unknownStateFilters.join(', ')}: they match nothing (the states are listed in --help)`);
  }
  if (o.json) {
    console.log(toJson({ transactions: listings.map((l) => ({ ...l })), unknownStateFilters }));
    return;
  }
  const rows = listings.map((l) => [l.transactionalId, l.coordinator, l.producerId, l.state]);
  console.log(rows.length > 0 ? formatTable(['TRANSACTIONAL-ID', 'COORDINATOR', 'PRODUCER-ID', 'STATE'], rows) : 'No transactions.');
}

async function describe(c: KafkaConnection, transactionalId: string, o: Common): Promise<void> {
  const d = await describeTransaction(c, transactionalId);
  if (o.json) {
    console.log(toJson({ ...d, partitions: d.partitions.map((p) => ({ ...p })) }));
    return;
  }
  const duration = d.startTimeMs >= 0n ? BigInt(Date.now()) - d.startTimeMs : -1n;
  const partitions = d.partitions.map((p) => `${p.topic}-${p.partition}`).join(',') || '-';
  const row = [d.coordinatorId, d.transactionalId, d.producerId, d.producerEpoch, d.state, d.timeoutMs, orDash(d.startTimeMs), orDash(duration), partitions];
  console.log(formatTable(['COORDINATOR', 'TRANSACTIONAL-ID', 'PRODUCER-ID', 'PRODUCER-EPOCH', 'STATE', 'TIMEOUT-MS', 'START-TIME-MS', 'DURATION-MS', 'PARTITIONS'], [row]));
}

interface PartitionOptions extends Common {
  topic: string;
  partition: string;
}

const partitionOf = (o: PartitionOptions) => Number(integer('--partition', o.partition, 0n, INT32[1]));

async function producers(c: KafkaConnection, o: PartitionOptions & { brokerId?: string }): Promise<void> {
  const brokerId = o.brokerId === undefined ? undefined : Number(integer('--broker-id', o.brokerId, 0n, INT32[1]));
  const partition = partitionOf(o);
  const rows = await describeProducers(c, o.topic, partition, brokerId);
  if (o.json) {
    console.log(toJson({ topic: o.topic, partition, producers: rows.map((r) => ({ ...r })) }));
    return;
  }
  const table = rows.map((r) => [r.producerId, r.producerEpoch, r.coordinatorEpoch, r.lastSequence, r.lastTimestamp, orDash(r.currentTxnStartOffset)]);
  console.log(table.length > 0 ? formatTable(['PRODUCER-ID', 'PRODUCER-EPOCH', 'COORDINATOR-EPOCH', 'LAST-SEQUENCE', 'LAST-TIMESTAMP', 'TXN-START-OFFSET'], table) : `No active producers on ${o.topic}-${partition}.`);
}

interface AbortOptions extends PartitionOptions {
  startOffset?: string;
  producerId?: string;
  producerEpoch?: string;
  coordinatorEpoch?: string;
}

/** The transaction to abort: named by its producer, or found by its start offset (DescribeProducers), as kafka-transactions.sh does. */
async function abortSpec(c: KafkaConnection, o: AbortOptions): Promise<AbortSpec> {
  const partition = partitionOf(o);
  const byProducer = [o.producerId, o.producerEpoch, o.coordinatorEpoch];
  if ((o.startOffset === undefined) === byProducer.every((v) => v === undefined)) {
    throw new CliError('name the transaction to abort with either --start-offset or all of --producer-id, --producer-epoch and --coordinator-epoch');
  }
  if (o.startOffset !== undefined) {
    const start = integer('--start-offset', o.startOffset, 0n, INT64[1]);
    const found = (await describeProducers(c, o.topic, partition)).find((p) => p.currentTxnStartOffset === start);
    if (!found) throw new CliError(`no open transaction starts at offset ${start} on ${o.topic}-${partition}`);
    return { topic: o.topic, partition, producerId: found.producerId, producerEpoch: found.producerEpoch, coordinatorEpoch: Math.max(0, found.coordinatorEpoch) };
  }
  if (byProducer.some((v) => v === undefined)) throw new CliError('--producer-id, --producer-epoch and --coordinator-epoch go together');
  return {
    topic: o.topic,
    partition,
    producerId: integer('--producer-id', o.producerId as string, 0n, INT64[1]),
    producerEpoch: Number(integer('--producer-epoch', o.producerEpoch as string, 0n, INT16[1])),
    // A producer that never saw a marker shows coordinator epoch -1; 0 is at most any real one (Kafka's tool does the same).
    coordinatorEpoch: Math.max(0, Number(integer('--coordinator-epoch', o.coordinatorEpoch as string, INT32[0], INT32[1]))),
  };
}

async function abort(c: KafkaConnection, o: AbortOptions): Promise<void> {
  const spec = await abortSpec(c, o);
  await abortTransaction(c, spec);
  if (o.json) console.log(toJson({ aborted: { ...spec } }));
  else console.log(`Aborted the transaction of producer ${spec.producerId} (epoch ${spec.producerEpoch}) on ${spec.topic}-${spec.partition}.`);
}

export function registerTransactionCommands(program: Command): void {
  const txns = program.command('transactions').description('inspect transactions and producers, abort hanging transactions');
  const bootstrap = ['-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092'] as const;
  const json = ['--json', 'print JSON instead of a table'] as const;
  txns
    .command('list')
    .description('the transactional ids of every coordinator')
    .option(...bootstrap)
    .option(...json)
    .option('--states <names>', 'only these states, separated by commas (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead)')
    .option('--producer-ids <ids>', 'only these producer ids, separated by commas')
    .option('--duration-filter <ms>', 'only transactions started longer ago than this')
    .action((o: ListOptions) => withConnection(o, (c) => list(c, o)));
  txns
    .command('describe <transactional-id>')
    .description('state, producer, timeout, start time and partitions of a transactional id')
    .option(...bootstrap)
    .option(...json)
    .action((id: string, o: Common) => withConnection(o, (c) => describe(c, id, o)));
  txns
    .command('describe-producers')
    .description("a partition's active producers and the start offsets of their open transactions")
    .option(...bootstrap)
    .option(...json)
    .requiredOption('--topic <topic>', 'topic name')
    .requiredOption('--partition <n>', 'partition number')
    .option('--broker-id <id>', 'ask this replica instead of the leader')
    .action((o: PartitionOptions & { brokerId?: string }) => withConnection(o, (c) => producers(c, o)));
  txns
    .command('abort')
    .description('abort a hanging transaction on one partition (an ABORT marker written at its leader)')
    .option(...bootstrap)
    .option(...json)
    .requiredOption('--topic <topic>', 'topic name')
    .requiredOption('--partition <n>', 'partition number')
    .option('--start-offset <offset>', 'the first offset of the transaction (its producer is found with describe-producers)')
    .option('--producer-id <id>', 'the producer id (with --producer-epoch and --coordinator-epoch)')
    .option('--producer-epoch <epoch>', 'the producer epoch')
    .option('--coordinator-epoch <epoch>', 'the coordinator epoch (-1 from describe-producers is sent as 0)')
    .action((o: AbortOptions) => withConnection(o, (c) => abort(c, o)));
}
