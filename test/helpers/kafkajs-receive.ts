/** Runs a subscribed kafkajs consumer until it has received `count` values (or fails after a generous bound). */
import type { Consumer } from 'kafkajs';

export async function receiveValues(consumer: Consumer, count: number, boundMs = 30_000): Promise<string[]> {
  const received: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push(message.value?.toString() ?? '');
      if (received.length === count) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  // The bound only turns a hang into a failure; nothing here measures time.
  await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`received ${received.length} of ${count}`)), boundMs)))]);
  clearTimeout(timer);
  return received;
}
