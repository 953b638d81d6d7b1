package main

import (
	"github.com/Shopify/sarama"
)

// runOffsets answers each -queries pair partition:time with Client.GetOffset (ListOffsets): the
// first offset whose timestamp is at or after time (ms), or -1 latest / -2 earliest.
func runOffsets(opts options) {
	client, err := sarama.NewClient([]string{opts.broker}, newConfig(opts))
	if err != nil {
		fatal("connect", err)
	}
	defer client.Close()
	for _, q := range parseQueries(opts.queries) {
		offset, err := client.GetOffset(opts.topic, q.partition, q.value)
		emit("offset", map[string]interface{}{"partition": q.partition, "time": q.value, "offset": offset, "error": errorInfo(err)})
	}
}

// runDeleteRecords deletes the records below each -queries pair partition:offset with
// ClusterAdmin.DeleteRecords, then prints each partition's earliest offset as ListOffsets reads it.
func runDeleteRecords(opts options) {
	config := newConfig(opts)
	admin, err := sarama.NewClusterAdmin([]string{opts.broker}, config)
	if err != nil {
		fatal("admin", err)
	}
	defer admin.Close()
	queries := parseQueries(opts.queries)
	offsets := map[int32]int64{}
	for _, q := range queries {
		offsets[q.partition] = q.value
	}
	emit("step", map[string]interface{}{"step": "delete-records", "error": errorInfo(admin.DeleteRecords(opts.topic, offsets))})
	client, err := sarama.NewClient([]string{opts.broker}, config)
	if err != nil {
		fatal("connect", err)
	}
	defer client.Close()
	for _, q := range queries {
		first, err := client.GetOffset(opts.topic, q.partition, sarama.OffsetOldest)
		emit("earliest", map[string]interface{}{"partition": q.partition, "offset": first, "error": errorInfo(err)})
	}
}
