"""Transactional producing with librdkafka (confluent-kafka-python), for bench/transactions.ts.

  txn_bench.py BOOTSTRAP TOPIC TRANSACTIONS RECORDS_PER_TXN SIZE [plain]

Runs TRANSACTIONS transactions of RECORDS_PER_TXN records of SIZE bytes each (begin, produce,
commit), timing each commit, after one untimed warm-up transaction (the topic's metadata); with "plain" it sends the same records with an idempotent producer
and no transactions, for the ratio. Prints one line of figures.
"""
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, transactions, per_txn, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
plain = len(sys.argv) > 6 and sys.argv[6] == 'plain'
value = b'x' * size
conf = {'bootstrap.servers': bootstrap, 'linger.ms': 5, 'enable.idempotence': True, 'acks': 'all'}
if not plain:
    conf['transactional.id'] = f'bench-{topic}'
producer = Producer(conf)
failures = []
def delivered(err, _msg):
    if err is not None:
        failures.append(err)
if not plain:
    producer.init_transactions(30)
# One warm-up batch outside the clock: the client learns the new topic's metadata and leader.
if not plain:
    producer.begin_transaction()
producer.produce(topic, value, on_delivery=delivered)
if plain:
    producer.flush(30)
else:
    producer.commit_transaction(30)
commits = []
start = time.perf_counter()
for t in range(transactions):
    if not plain:
        producer.begin_transaction()
    for _ in range(per_txn):
        while True:
            try:
                producer.produce(topic, value, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
    if plain:
        producer.flush(30)
    else:
        c0 = time.perf_counter()
        producer.commit_transaction(30)
        commits.append((time.perf_counter() - c0) * 1000)
elapsed = time.perf_counter() - start
if failures:
    print(f'FAILED deliveries: {len(failures)}: {failures[0]}')
    sys.exit(1)
records = transactions * per_txn
line = f'{records} records in {elapsed:.2f} s: {records / elapsed:.0f} records/s, {records * size / elapsed / 1e6:.1f} MB/s, {transactions / elapsed:.1f} batches/s'
if commits:
    commits.sort()
    pick = lambda q: commits[min(len(commits) - 1, int(q * len(commits)))]
    line += f'; commit latency p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms'
print(line)
