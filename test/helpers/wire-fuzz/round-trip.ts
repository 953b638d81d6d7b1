/** What a clean client must still be able to do after a fuzz campaign: create, produce, consume in a group. */
import kafkajs from 'kafkajs';

/** Creates `after-fuzz` (2 partitions), produces ten records with acks=all, consumes them in a group; returns their values sorted. */
export async function kafkajsRoundTrip(bootstrap: string): Promise<string[]> {
  const kafka = new kafkajs.Kafka({ clientId: 'after-fuzz', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'after-fuzz', numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'after-fuzz', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'after-fuzz', maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: ['after-fuzz'], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value?.toString() ?? '');
        if (seen.length === 10) resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen.sort();
}
