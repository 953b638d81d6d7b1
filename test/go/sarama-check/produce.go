package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

var codecs = map[string]sarama.CompressionCodec{
	"none":   sarama.CompressionNone,
	"gzip":   sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy,
	"lz4":    sarama.CompressionLZ4,
	"zstd":   sarama.CompressionZSTD,
}

func producerConfig(opts options) *sarama.Config {
	c := newConfig(opts)
	codec, ok := codecs[opts.codec]
	if !ok {
		fatal("codec", fmt.Errorf("unknown codec %q", opts.codec))
	}
	c.Producer.Compression = codec
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	// A refused batch (e.g. zstd) is reported at once instead of after retries with backoff.
	c.Producer.Retry.Max = 0
	// Batches of several records, so that a batch's own fields (max timestamp, offsets) matter.
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	if opts.producer == "idempotent" {
		c.Producer.Idempotent = true
		c.Producer.Retry.Max = 5
		c.Producer.Retry.Backoff = 50 * time.Millisecond
		c.Net.MaxOpenRequests = 1
	}
	return c
}

func toProducerMessage(topic string, i int, m inputMessage) *sarama.ProducerMessage {
	pm := &sarama.ProducerMessage{Topic: topic, Partition: m.Partition, Metadata: i}
	if m.Key != nil {
		pm.Key = sarama.ByteEncoder(m.Key)
	}
	if m.Value != nil {
		pm.Value = sarama.ByteEncoder(m.Value)
	}
	for _, h := range m.Headers {
		pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: h.Key, Value: h.Value})
	}
	if m.Timestamp > 0 {
		pm.Timestamp = time.Unix(0, m.Timestamp*int64(time.Millisecond))
	}
	return pm
}

// runProduce sends the stdin messages with a SyncProducer (one SendMessages call) or an
// AsyncProducer ("async", and "idempotent", which is async with Producer.Idempotent), then prints
// one "produced" line per message, in input order: its partition and offset, or its error.
func runProduce(opts options, msgs []inputMessage) {
	config := producerConfig(opts)
	if opts.partitions > 0 {
		createTopic(opts)
	}
	results := make([]map[string]interface{}, len(msgs))
	record := func(pm *sarama.ProducerMessage, err error) {
		i := pm.Metadata.(int)
		results[i] = map[string]interface{}{"index": i, "partition": pm.Partition, "offset": pm.Offset, "error": errorInfo(err)}
	}
	if opts.producer == "sync" {
		producer, err := sarama.NewSyncProducer([]string{opts.broker}, config)
		if err != nil {
			fatal("connect", err)
		}
		var pms []*sarama.ProducerMessage
		for i, m := range msgs {
			pms = append(pms, toProducerMessage(opts.topic, i, m))
		}
		err = producer.SendMessages(pms)
		failed := map[*sarama.ProducerMessage]error{}
		if errs, ok := err.(sarama.ProducerErrors); ok {
			for _, e := range errs {
				failed[e.Msg] = e.Err
			}
		} else if err != nil {
			fatal("send", err)
		}
		for _, pm := range pms {
			record(pm, failed[pm])
		}
		if err := producer.Close(); err != nil {
			fatal("close", err)
		}
	} else {
		producer, err := sarama.NewAsyncProducer([]string{opts.broker}, config)
		if err != nil {
			fatal("connect", err)
		}
		go func() {
			for i, m := range msgs {
				producer.Input() <- toProducerMessage(opts.topic, i, m)
			}
		}()
		for n := 0; n < len(msgs); n++ {
			select {
			case pm := <-producer.Successes():
				record(pm, nil)
			case e := <-producer.Errors():
				record(e.Msg, e.Err)
			}
		}
		if err := producer.Close(); err != nil {
			fatal("close", err)
		}
	}
	for _, r := range results {
		emit("produced", r)
	}
}

// runConsume reads every partition of the topic from its earliest offset up to the high
// watermark seen at the start, partition by partition, with Sarama's partition consumer, and
// prints one "consumed" line per message.
func runConsume(opts options) {
	config := newConfig(opts)
	// A fetch error (e.g. a refused version) ends the run at once instead of being retried quietly.
	config.Consumer.Return.Errors = true
	// The read stops at the high watermark; a long poll there would only wait before Close.
	config.Consumer.MaxWaitTime = 10 * time.Millisecond
	client, err := sarama.NewClient([]string{opts.broker}, config)
	if err != nil {
		fatal("connect", err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		fatal("consumer", err)
	}
	defer consumer.Close()
	partitions, err := client.Partitions(opts.topic)
	if err != nil {
		fatal("partitions", err)
	}
	for _, p := range partitions {
		first, err1 := client.GetOffset(opts.topic, p, sarama.OffsetOldest)
		end, err2 := client.GetOffset(opts.topic, p, sarama.OffsetNewest)
		if err1 != nil || err2 != nil {
			fatal("offsets", fmt.Errorf("partition %d: %v %v", p, err1, err2))
		}
		emit("partition", map[string]interface{}{"partition": p, "first": first, "end": end})
		if first >= end {
			continue
		}
		pc, err := consumer.ConsumePartition(opts.topic, p, first)
		if err != nil {
			fatal("consume", err)
		}
		timeout := time.After(30 * time.Second)
		for next := first; next < end; {
			select {
			case m := <-pc.Messages():
				emit("consumed", consumedFields(m))
				next = m.Offset + 1
			case e := <-pc.Errors():
				fatal("consume", e)
			case <-timeout:
				fatal("consume", fmt.Errorf("partition %d: no message at offset %d within 30 s", p, next))
			}
		}
		pc.Close()
	}
}

func consumedFields(m *sarama.ConsumerMessage) map[string]interface{} {
	var headers []interface{}
	for _, h := range m.Headers {
		headers = append(headers, map[string]interface{}{"key": h.Key, "value": h.Value})
	}
	return map[string]interface{}{
		"partition": m.Partition, "offset": m.Offset, "key": m.Key, "value": m.Value, "headers": headers,
		"timestamp": timestampMillis(m.Timestamp), "blockTimestamp": timestampMillis(m.BlockTimestamp),
	}
}

// timestampMillis is -1 for a zero time (Sarama leaves timestamps unset below message format 1).
func timestampMillis(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return millis(t)
}

// createTopic creates -topic with -partitions partitions through ClusterAdmin, before producing.
func createTopic(opts options) {
	admin, err := sarama.NewClusterAdmin([]string{opts.broker}, newConfig(opts))
	if err != nil {
		fatal("admin", err)
	}
	defer admin.Close()
	configs := map[string]*string{}
	for _, pair := range strings.Split(opts.topicConfig, ",") {
		if kv := strings.SplitN(pair, "=", 2); len(kv) == 2 {
			value := kv[1]
			configs[kv[0]] = &value
		}
	}
	err = admin.CreateTopic(opts.topic, &sarama.TopicDetail{NumPartitions: int32(opts.partitions), ReplicationFactor: 1, ConfigEntries: configs}, false)
	emit("step", map[string]interface{}{"step": "create-topic", "error": errorInfo(err)})
}
