/**
 * Collects what a kafkajs client reports through its logger at error level (where it reports
 * every failed request and send; its warnings are about its own configuration) and sorts
 * each into a Kafka error type (by kafkajs' own table of protocol error messages), a connection
 * failure (closed, refused, timed out: what a broker going away looks like), or unknown. A test
 * asserts on the types a client saw, e.g. only retriable ones during a rolling restart.
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const require = createRequire(import.meta.url);
const { errorCodes } = require('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; code: number; message: string }[] };

const CONNECTION = [/connect ECONNREFUSED/, /Closed connection/, /Connection (error|timeout)/, /ECONNRESET/, /EPIPE/, /socket hang up/, /Request .* timed out/, /has disconnected/, /broker .* not connected/i];

export interface ClientErrorLog {
  readonly logCreator: kafkajs.logCreator;
  /** Kafka error types seen (kafkajs' names, e.g. NOT_LEADER_FOR_PARTITION), with counts. */
  readonly types: Map<string, number>;
  /** How many entries were connection failures. */
  readonly connectionFailures: () => number;
  /** Entries that were neither: each one's text. */
  readonly unknown: string[];
}

export function collectClientErrors(): ClientErrorLog {
  const types = new Map<string, number>();
  const unknown: string[] = [];
  let connection = 0;
  const classify = (text: string) => {
    const known = errorCodes.find((e) => text.includes(e.message));
    if (known) types.set(known.type, (types.get(known.type) ?? 0) + 1);
    else if (CONNECTION.some((re) => re.test(text))) connection++;
    else unknown.push(text);
  };
  const logCreator: kafkajs.logCreator = () => ({ level, log }) => {
    if (level !== kafkajs.logLevel.ERROR) return;
    const error = (log as { error?: unknown }).error;
    classify(typeof error === 'string' ? `${log.message}: ${error}` : log.message);
  };
  return { logCreator, types, connectionFailures: () => connection, unknown };
}
