/**
 * A broker in a child process for the wire fuzzer: a crash shows as this process's exit. It
 * reports its port when ready and answers `stats` (peak RSS, server load) and `stop` over IPC.
 * Broker config comes as JSON in WIRE_FUZZ_BROKER_CONFIG, the data directory (owned by the
 * parent, which removes it however this process ends) in WIRE_FUZZ_DATA_DIR; logs (pino JSON) go
 * to stdout.
 */
import { startBroker } from '../../../src/broker/broker.js';

interface Command {
  type: 'stats' | 'stop';
}

const config = JSON.parse(process.env.WIRE_FUZZ_BROKER_CONFIG ?? '{}') as Record<string, string>;
const broker = await startBroker({ port: 0, config, dataDir: process.env.WIRE_FUZZ_DATA_DIR, logLevel: process.env.TRIBUTARY_LOG_LEVEL ?? 'error' });
const send = (m: unknown) => process.send?.(m);
send({ type: 'ready', port: broker.port, dataDir: broker.dataDir });
process.on('message', (m: Command) => {
  if (m.type === 'stats') {
    send({ type: 'stats', maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: process.memoryUsage().rss, load: broker.serverLoad() });
  } else if (m.type === 'stop') {
    void broker.stop().then(() => process.exit(0));
  }
});
// The parent going away must not leave a broker behind.
process.on('disconnect', () => void broker.stop().then(() => process.exit(0)));
