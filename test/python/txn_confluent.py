"""Transactions with confluent-kafka-python (librdkafka) against a Tributary broker.

Run by test/integration/transactions-librdkafka.test.ts as
    /usr/bin/python3 txn_confluent.py BOOTSTRAP SCENARIO [ARGS...]
Each scenario does its work with the client's public API only and prints one JSON line with what
it saw; the test reads the topics itself (kcat, read_committed) to check the outcome. Any
unexpected KafkaException ends the program with a traceback and a non-zero exit status.

Scenarios
  commit-abort TOPIC PARTITIONS
      commits c1 (two records per partition), aborts a2 (two per partition), commits c3 (one per
      partition): read_committed must see exactly c1 and c3.
  eos IN OUT GROUP COUNT
      consume-transform-produce: reads COUNT records of IN in group GROUP (read_committed), and in
      one transaction per consumed batch produces out(value) to the same partition of OUT and sends
      the batch's next offsets with send_offsets_to_transaction(consumer_group_metadata()); then
      opens one more transaction that sends a rewound offset and a record, and aborts it. Reports
      the group's committed offsets as the consumer sees them afterwards.
  fence TOPIC
      a first producer opens a transaction and writes 'zombie'; a second one with the same
      transactional.id initialises (fencing the first) and commits 'successor'; the first then
      tries to commit. Reports the error the first producer got.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

TIMEOUT_S = 30


def producer(bootstrap, transactional_id):
    p = Producer({
        'bootstrap.servers': bootstrap,
        'transactional.id': transactional_id,
        'enable.idempotence': True,
        'transaction.timeout.ms': 60000,
        'linger.ms': 5,
    })
    p.init_transactions(TIMEOUT_S)
    return p


def commit_abort(bootstrap, topic, partitions):
    p = producer(bootstrap, 'py-commit-abort')
    for tag, count, commit in (('c1', 2, True), ('a2', 2, False), ('c3', 1, True)):
        p.begin_transaction()
        for partition in range(partitions):
            for i in range(count):
                p.produce(topic, key=('k%d' % i).encode(), value=('%s-%d-%d' % (tag, partition, i)).encode(), partition=partition)
        if commit:
            p.commit_transaction(TIMEOUT_S)
        else:
            # Delivered first, so that the abort has records on the log to abort.
            p.flush(TIMEOUT_S)
            p.abort_transaction(TIMEOUT_S)
    return {'done': True}


def eos(bootstrap, topic_in, topic_out, group, count):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'isolation.level': 'read_committed',
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'session.timeout.ms': 6000,
    })
    c.subscribe([topic_in])
    p = producer(bootstrap, 'py-eos-txn')
    processed = 0
    transactions = 0
    deadline = time.time() + TIMEOUT_S
    while processed < count:
        if time.time() > deadline:
            raise RuntimeError('only %d of %d records consumed' % (processed, count))
        batch = c.consume(num_messages=7, timeout=0.5)
        if not batch:
            continue
        next_offsets = {}
        p.begin_transaction()
        for m in batch:
            if m.error():
                raise KafkaException(m.error())
            p.produce(topic_out, key=m.key(), value=b'out(' + m.value() + b')', partition=m.partition())
            next_offsets[m.partition()] = m.offset() + 1
        offsets = [TopicPartition(topic_in, partition, offset) for partition, offset in sorted(next_offsets.items())]
        p.send_offsets_to_transaction(offsets, c.consumer_group_metadata(), TIMEOUT_S)
        p.commit_transaction(TIMEOUT_S)
        processed += len(batch)
        transactions += 1

    # An aborted transaction that rewinds every partition to offset 1 and writes a record: neither may stay.
    assignment = c.assignment()
    p.begin_transaction()
    p.produce(topic_out, value=b'aborted', partition=0)
    p.send_offsets_to_transaction([TopicPartition(topic_in, tp.partition, 1) for tp in assignment], c.consumer_group_metadata(), TIMEOUT_S)
    # Delivered first (abort_transaction purges what is still queued), so that the abort has a record to abort.
    p.flush(TIMEOUT_S)
    p.abort_transaction(TIMEOUT_S)

    committed = c.committed(assignment, timeout=TIMEOUT_S)
    c.close()
    return {
        'processed': processed,
        'transactions': transactions,
        'committed': {str(tp.partition): tp.offset for tp in committed},
    }


def fence(bootstrap, topic):
    zombie = producer(bootstrap, 'py-fenced')
    zombie.begin_transaction()
    zombie.produce(topic, value=b'zombie', partition=0)
    zombie.flush(TIMEOUT_S)
    successor = producer(bootstrap, 'py-fenced')
    successor.begin_transaction()
    successor.produce(topic, value=b'successor', partition=0)
    successor.commit_transaction(TIMEOUT_S)
    try:
        zombie.produce(topic, value=b'zombie-late', partition=0)
        zombie.commit_transaction(TIMEOUT_S)
    except KafkaException as e:
        err = e.args[0]
        return {'fenced': True, 'name': err.name(), 'fatal': err.fatal(), 'requires_abort': err.txn_requires_abort(), 'text': err.str()}
    return {'fenced': False}


def main(argv):
    bootstrap, scenario, args = argv[1], argv[2], argv[3:]
    if scenario == 'commit-abort':
        out = commit_abort(bootstrap, args[0], int(args[1]))
    elif scenario == 'eos':
        out = eos(bootstrap, args[0], args[1], args[2], int(args[3]))
    elif scenario == 'fence':
        out = fence(bootstrap, args[0])
    else:
        raise SystemExit('unknown scenario %s' % scenario)
    print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main(sys.argv)
