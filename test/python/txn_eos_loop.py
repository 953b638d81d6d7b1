"""An exactly-once consume-transform-produce loop with confluent-kafka-python (librdkafka), the
way its documentation and examples build one, for test/integration/transactions-kill9.test.ts:

    /usr/bin/python3 txn_eos_loop.py BOOTSTRAP IN OUT GROUP TOTAL

It reads IN in group GROUP (read_committed, no auto commit, a static member so that a restarted
loop takes its predecessor's place at once) and, in one transaction per consumed batch, writes
out(value) with the same key to the same partition of OUT and sends the consumer's positions with
send_offsets_to_transaction. Errors are handled as librdkafka documents: a retriable one is
retried, one that requires an abort aborts the transaction and rewinds the consumer to the
committed offsets, a fatal one ends the program (exit 3). init_transactions runs before the
consumer joins, so a predecessor's open transaction is aborted (and its pending offsets dropped)
before the committed offsets are read. The program exits 0 once the group's committed offsets of
IN add up to TOTAL (IN holds TOTAL records, written without transactions).

The test kills it (or the broker) with SIGKILL at random points and starts it again.
"""
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, OFFSET_INVALID, Consumer, KafkaException, Producer

TIMEOUT_S = 30
BATCH = 10


def log(text):
    sys.stderr.write('loop: %s\n' % text)
    sys.stderr.flush()


def main(argv):
    bootstrap, topic_in, topic_out, group, total = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    common = {'bootstrap.servers': bootstrap, 'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500}
    producer = Producer(dict(common, **{
        'transactional.id': 'kill9-eos',
        'enable.idempotence': True,
        'linger.ms': 5,
    }))
    consumer = Consumer(dict(common, **{
        'group.id': group,
        'group.instance.id': 'kill9-loop',
        'isolation.level': 'read_committed',
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'session.timeout.ms': 10000,
        'heartbeat.interval.ms': 500,
        'fetch.wait.max.ms': 50,
    }))
    retry(lambda: producer.init_transactions(TIMEOUT_S), 'init_transactions')
    consumer.subscribe([topic_in])

    def rewind():
        """After an abort: back to the committed offsets, so the aborted batch is read again."""
        committed = retry(lambda: consumer.committed(consumer.assignment(), timeout=TIMEOUT_S), 'committed')
        for tp in committed:
            if tp.offset == OFFSET_INVALID:
                tp.offset = OFFSET_BEGINNING
            consumer.seek(tp)

    while True:
        batch = consumer.consume(num_messages=BATCH, timeout=0.2)
        batch = [m for m in batch if not m.error()]
        if not batch:
            assignment = consumer.assignment()
            if assignment:
                committed = retry(lambda: consumer.committed(assignment, timeout=TIMEOUT_S), 'committed')
                if sum(max(tp.offset, 0) for tp in committed) >= total:
                    log('done: committed offsets %s' % [(tp.partition, tp.offset) for tp in committed])
                    consumer.close()
                    return 0
            continue
        try:
            producer.begin_transaction()
            for m in batch:
                producer.produce(topic_out, key=m.key(), value=b'out(' + m.value() + b')', partition=m.partition())
            positions = consumer.position(consumer.assignment())
            retry(lambda: producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), TIMEOUT_S), 'send_offsets_to_transaction')
            retry(lambda: producer.commit_transaction(TIMEOUT_S), 'commit_transaction')
        except KafkaException as e:
            err = e.args[0]
            if not err.txn_requires_abort():
                raise
            log('aborting the transaction: %s' % err.str())
            retry(lambda: producer.abort_transaction(TIMEOUT_S), 'abort_transaction')
            rewind()


def retry(call, what):
    """Calls `call` again while it fails with a retriable error (librdkafka's documented contract)."""
    deadline = time.time() + 2 * TIMEOUT_S
    while True:
        try:
            return call()
        except KafkaException as e:
            err = e.args[0]
            if not err.retriable() or time.time() > deadline:
                raise
            log('%s: retrying after %s' % (what, err.str()))


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except KafkaException as e:
        err = e.args[0]
        log('fatal=%s %s: %s' % (err.fatal(), err.name(), err.str()))
        sys.exit(3)
