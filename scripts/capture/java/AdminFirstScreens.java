// Development tool, not run by the tests: replays with the Java AdminClient and KafkaConsumer the
// calls that AKHQ, Kafka UI and Cruise Control make to fill their first screens (as read in their
// sources; docs/admin-tools.md says which), so that scripts/capture-admin-requests.ts can log what a
// Java client sends for them. Written against the 2.1.1 client API: calls that client does not
// have (listOffsets, listPartitionReassignments, electLeaders, incrementalAlterConfigs,
// DescribeCluster) are replayed by test/integration/admin-tools.test.ts instead.
//
//   javac -cp 'LIBS/*' -d OUT AdminFirstScreens.java && java -cp "OUT:LIBS/*" AdminFirstScreens BOOTSTRAP akhq|kafka-ui|cruise-control
import java.time.Duration;
import java.util.*;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class AdminFirstScreens {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("client.id", "first-screen-" + args[1]);
    try (AdminClient admin = AdminClient.create(props)) {
      switch (args[1]) {
        case "akhq": akhq(admin, props); break;
        case "kafka-ui": kafkaUi(admin, props); break;
        case "cruise-control": cruiseControl(admin, props); break;
        default: throw new IllegalArgumentException(args[1]);
      }
    }
  }

  static KafkaConsumer<byte[], byte[]> consumer(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    return new KafkaConsumer<>(p);
  }

  static List<TopicPartition> partitions(Map<String, TopicDescription> topics) {
    return topics.values().stream().flatMap(t -> t.partitions().stream().map(p -> new TopicPartition(t.name(), p.partition()))).collect(Collectors.toList());
  }

  static List<Integer> brokerIds(AdminClient admin) throws Exception {
    return admin.describeCluster().nodes().get().stream().map(Node::id).collect(Collectors.toList());
  }

  static void logDirs(AdminClient admin) throws Exception {
    admin.describeLogDirs(brokerIds(admin)).all().get().forEach((broker, dirs) -> dirs.forEach((dir, info) -> {
      long size = info.replicaInfos.values().stream().mapToLong(r -> r.size).sum();
      System.out.println("logdir broker=" + broker + " dir=" + dir + " error=" + info.error + " replicas=" + info.replicaInfos.size() + " bytes=" + size);
    }));
  }

  static void groups(AdminClient admin, KafkaConsumer<byte[], byte[]> consumer) throws Exception {
    List<String> ids = admin.listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).collect(Collectors.toList());
    for (ConsumerGroupDescription g : admin.describeConsumerGroups(ids).all().get().values()) {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, Long> ends = consumer.endOffsets(committed.keySet());
      long lag = committed.entrySet().stream().mapToLong(e -> ends.get(e.getKey()) - e.getValue().offset()).sum();
      System.out.println("group " + g.groupId() + " state=" + g.state() + " members=" + g.members().size() + " coordinator=" + g.coordinator().id() + " lag=" + lag);
    }
  }

  // AKHQ's topic list (TopicRepository, LogDirRepository, ConsumerGroupRepository, RecordRepository.getLastRecord).
  static void akhq(AdminClient admin, Properties props) throws Exception {
    Collection<TopicListing> listings = admin.listTopics(new ListTopicsOptions().listInternal(true)).listings().get();
    Map<String, TopicDescription> topics = admin.describeTopics(listings.stream().map(TopicListing::name).collect(Collectors.toList())).all().get();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(props)) {
      List<TopicPartition> tps = partitions(topics);
      Map<TopicPartition, Long> zero = tps.stream().collect(Collectors.toMap(tp -> tp, tp -> 0L));
      Map<TopicPartition, OffsetAndTimestamp> begins = consumer.offsetsForTimes(zero);
      Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
      System.out.println("topics=" + topics.size() + " partitions=" + tps.size() + " begins=" + begins.size() + " endSum=" + ends.values().stream().mapToLong(Long::longValue).sum());
      logDirs(admin);
      groups(admin, consumer);
      List<TopicPartition> nonEmpty = tps.stream().filter(tp -> ends.get(tp) > 0 && !tp.topic().startsWith("__")).collect(Collectors.toList());
      consumer.assign(nonEmpty);
      for (TopicPartition tp : nonEmpty) consumer.seek(tp, ends.get(tp) - 1);
      int records = 0;
      for (int i = 0; i < 20 && records < nonEmpty.size(); i++) records += consumer.poll(Duration.ofMillis(200)).count();
      System.out.println("last records read=" + records + " of " + nonEmpty.size());
    }
  }

  // Kafka UI's ReactiveAdminClient.create and StatisticsService, then its topic and consumer lists.
  static void kafkaUi(AdminClient admin, Properties props) throws Exception {
    Node controller = admin.describeCluster().controller().get();
    Config broker = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(controller.id())))).all().get().values().iterator().next();
    System.out.println("inter.broker.protocol.version=" + broker.get("inter.broker.protocol.version").value() + " delete.topic.enable=" + broker.get("delete.topic.enable").value());
    try {
      System.out.println("acls=" + admin.describeAcls(AclBindingFilter.ANY).values().get().size());
    } catch (java.util.concurrent.ExecutionException e) {
      // Kafka UI takes SecurityDisabledException as "no authorizer" and hides its ACL pages.
      if (!(e.getCause() instanceof org.apache.kafka.common.errors.SecurityDisabledException)) throw e;
      System.out.println("acls: security disabled");
    }
    logDirs(admin);
    Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
    Map<String, TopicDescription> topics = admin.describeTopics(names).all().get();
    List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).collect(Collectors.toList());
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources, new DescribeConfigsOptions().includeSynonyms(true)).all().get();
    long withSynonyms = configs.values().stream().flatMap(c -> c.entries().stream()).filter(e -> !e.synonyms().isEmpty()).count();
    System.out.println("topics=" + topics.size() + " topicConfigs=" + configs.size() + " entriesWithSynonyms=" + withSynonyms);
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(props)) {
      List<TopicPartition> tps = partitions(topics);
      System.out.println("beginSum=" + consumer.beginningOffsets(tps).values().stream().mapToLong(Long::longValue).sum() + " endSum=" + consumer.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum());
      groups(admin, consumer);
    }
  }

  // Cruise Control's start-up: sample store topics (KafkaSampleStore), cluster configs
  // (KafkaAdminTopicConfigProvider), the metrics sampler's consumer, the broker and disk failure detectors.
  static void cruiseControl(AdminClient admin, Properties props) throws Exception {
    System.out.println("brokers=" + admin.describeCluster().nodes().get().size());
    Config cluster = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, ""))).all().get().values().iterator().next();
    System.out.println("cluster config entries=" + cluster.entries().size());
    for (String name : List.of("__KafkaCruiseControlPartitionMetricSamples", "__KafkaCruiseControlModelTrainingSamples", "__CruiseControlMetrics")) {
      try {
        admin.createTopics(List.of(new NewTopic(name, 2, (short) 1).configs(Map.of("cleanup.policy", "delete", "retention.ms", "3600000")))).all().get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name);
      System.out.println(name + " retention.ms=" + admin.describeConfigs(List.of(r)).all().get().get(r).get("retention.ms").value()
          + " partitions=" + admin.describeTopics(List.of(name)).all().get().get(name).partitions().size());
    }
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(props)) {
      Map<String, List<PartitionInfo>> all = consumer.listTopics();
      List<TopicPartition> metrics = consumer.partitionsFor("__CruiseControlMetrics").stream().map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toList());
      consumer.assign(metrics);
      Map<TopicPartition, Long> ends = consumer.endOffsets(metrics);
      Map<TopicPartition, OffsetAndTimestamp> since = consumer.offsetsForTimes(metrics.stream().collect(Collectors.toMap(tp -> tp, tp -> System.currentTimeMillis() - 60000)));
      for (TopicPartition tp : metrics) consumer.seek(tp, since.get(tp) != null ? since.get(tp).offset() : ends.get(tp));
      System.out.println("topics=" + all.size() + " metric samples=" + consumer.poll(Duration.ofMillis(300)).count() + " begin=" + consumer.beginningOffsets(metrics).size());
    }
    logDirs(admin);
    List<ConfigResource> resources = admin.listTopics().names().get().stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).collect(Collectors.toList());
    long minIsr = admin.describeConfigs(resources).all().get().values().stream().filter(c -> c.get("min.insync.replicas") != null).count();
    System.out.println("topics with min.insync.replicas=" + minIsr);
  }
}
