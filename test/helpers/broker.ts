/** Starts an in-process broker on a free port for one test file, and stops it afterwards. */
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/broker/broker.js';

export async function withBroker<T>(options: BrokerOptions, fn: (broker: RunningBroker) => Promise<T>): Promise<T> {
  const broker = await startBroker({ port: 0, ...options });
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

export { startBroker, type RunningBroker };
