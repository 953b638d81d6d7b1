package main

import (
	"sort"

	"github.com/Shopify/sarama"
)

// runAdmin walks one topic through ClusterAdmin's life cycle: create (and create again), list,
// describe, add partitions, describe and alter its configs, delete; plus DescribeCluster and a
// broker config. Every step prints a "step" line with its error (null when none) and what it read.
func runAdmin(opts options) {
	admin, err := sarama.NewClusterAdmin([]string{opts.broker}, newConfig(opts))
	if err != nil {
		fatal("connect", err)
	}
	defer admin.Close()
	topic := opts.topic
	retention := "3600000"
	detail := &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention}}

	brokers, controller, err := admin.DescribeCluster()
	var brokerIDs []int32
	for _, b := range brokers {
		brokerIDs = append(brokerIDs, b.ID())
	}
	emit("step", map[string]interface{}{"step": "describe-cluster", "error": errorInfo(err), "brokers": brokerIDs, "controller": controller})

	emit("step", map[string]interface{}{"step": "create", "error": errorInfo(admin.CreateTopic(topic, detail, false))})
	emit("step", map[string]interface{}{"step": "create-again", "error": errorInfo(admin.CreateTopic(topic, detail, false))})
	emit("step", map[string]interface{}{"step": "create-validate-only", "error": errorInfo(admin.CreateTopic(topic+"-validated", detail, true))})

	listed, err := admin.ListTopics()
	listing := map[string]interface{}{"step": "list", "error": errorInfo(err), "present": false}
	if d, ok := listed[topic]; ok {
		listing["present"] = true
		listing["partitions"] = d.NumPartitions
		listing["replicationFactor"] = d.ReplicationFactor
		listing["configs"] = configValues(d.ConfigEntries)
	}
	_, listing["validatedPresent"] = listed[topic+"-validated"]
	emit("step", listing)

	describeTopic(admin, "describe", topic)
	emit("step", map[string]interface{}{"step": "create-partitions", "error": errorInfo(admin.CreatePartitions(topic, 5, nil, false))})
	emit("step", map[string]interface{}{"step": "create-partitions-fewer", "error": errorInfo(admin.CreatePartitions(topic, 2, nil, false))})
	describeTopic(admin, "describe-after-partitions", topic)

	topicResource := sarama.ConfigResource{Type: sarama.TopicResource, Name: topic}
	describeConfig(admin, "describe-config", topicResource)
	newRetention, compact := "7200000", "compact"
	err = admin.AlterConfig(sarama.TopicResource, topic, map[string]*string{"retention.ms": &newRetention, "cleanup.policy": &compact}, false)
	emit("step", map[string]interface{}{"step": "alter-config", "error": errorInfo(err)})
	describeConfig(admin, "describe-config-after-alter", topicResource)
	bogus := "1"
	err = admin.AlterConfig(sarama.TopicResource, topic, map[string]*string{"no.such.config": &bogus}, false)
	emit("step", map[string]interface{}{"step": "alter-config-unknown", "error": errorInfo(err)})
	// Sarama 1.22.1's BrokerResource is 5 (off by one: it numbers from KIP-133's ACL resource types);
	// Kafka's BROKER resource type is 4, which Sarama calls ClusterResource.
	describeConfig(admin, "describe-broker-config", sarama.ConfigResource{Type: sarama.ClusterResource, Name: "1"})

	emit("step", map[string]interface{}{"step": "delete", "error": errorInfo(admin.DeleteTopic(topic))})
	emit("step", map[string]interface{}{"step": "delete-again", "error": errorInfo(admin.DeleteTopic(topic))})
	describeTopic(admin, "describe-after-delete", topic)
	listed, err = admin.ListTopics()
	_, present := listed[topic]
	emit("step", map[string]interface{}{"step": "list-after-delete", "error": errorInfo(err), "present": present})
}

func describeTopic(admin sarama.ClusterAdmin, step, topic string) {
	metas, err := admin.DescribeTopics([]string{topic})
	line := map[string]interface{}{"step": step, "error": errorInfo(err)}
	var topics []interface{}
	for _, m := range metas {
		var parts []interface{}
		for _, p := range m.Partitions {
			parts = append(parts, map[string]interface{}{"id": p.ID, "error": int(p.Err), "leader": p.Leader, "replicas": p.Replicas, "isr": p.Isr})
		}
		sort.Slice(parts, func(i, j int) bool {
			return parts[i].(map[string]interface{})["id"].(int32) < parts[j].(map[string]interface{})["id"].(int32)
		})
		topics = append(topics, map[string]interface{}{"name": m.Name, "error": int(m.Err), "internal": m.IsInternal, "partitions": parts})
	}
	line["topics"] = topics
	emit("step", line)
}

func describeConfig(admin sarama.ClusterAdmin, step string, resource sarama.ConfigResource) {
	entries, err := admin.DescribeConfig(resource)
	configs := map[string]interface{}{}
	for _, e := range entries {
		configs[e.Name] = map[string]interface{}{"value": e.Value, "default": e.Default, "readOnly": e.ReadOnly, "sensitive": e.Sensitive}
	}
	emit("step", map[string]interface{}{"step": step, "error": errorInfo(err), "configs": configs})
}

func configValues(entries map[string]*string) map[string]string {
	out := map[string]string{}
	for k, v := range entries {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}
