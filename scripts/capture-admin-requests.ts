/**
 * Development tool: a broker in process that logs every request it serves (API key, version, error
 * codes in the answer), for capturing what an admin tool or a client program sends. Run the tool
 * against the printed bootstrap address; each line typed on stdin ends a phase: the requests
 * logged since the last one are printed under that line's text and forgotten. End of input prints
 * the last phase and stops the broker.
 *
 *   npm run build && node dist/scripts/capture-admin-requests.js [PORT]
 *
 * docs/admin-tools.md says which programs were captured this way.
 */
import { createInterface } from 'node:readline';
import { startBroker } from '../src/broker/broker.js';
import { RequestLog } from '../test/helpers/request-log.js';

const port = Number(process.argv[2] ?? 0);
const broker = await startBroker({ port, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
const log = new RequestLog(broker);
console.log(`bootstrap ${broker.bootstrap}`);

const printPhase = (title: string) => {
  console.log(`== ${title}\n${log.format() || '(no requests)'}`);
  log.clear();
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) printPhase(line.trim() || 'phase');
printPhase('end');
log.stop();
await broker.stop();
