/*
 * A librdkafka client for the end-to-end benchmark (bench/end-to-end.ts builds and runs it).
 *
 *   rdkafka-bench produce BOOTSTRAP TOPIC COUNT SIZE [RATE]   prints "produced N bytes B seconds S"
 *                                                              and, with RATE (msgs/s), latency lines
 *   rdkafka-bench consume BOOTSTRAP TOPIC COUNT              prints "consumed N bytes B seconds S"
 *
 *   rdkafka-bench pace BOOTSTRAP TOPIC PARTITIONS RATE         an idempotent producer (acks=all) writing
 *                                                              "k<partition>-<n>" round-robin over the
 *                                                              partitions at RATE msgs/s until SIGTERM,
 *                                                              then flushing; one line per delivery report:
 *                                                              "ack P VALUE SENT_MS ACKED_MS" (wall clock)
 *                                                              or "err P VALUE REASON"
 *
 * Latency is the time from rd_kafka_produce() to the delivery report (acks=all), per message.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long delivered = 0, failed = 0;
static double *latencies = NULL;
static long latency_count = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk; (void)opaque;
  if (m->err) { failed++; return; }
  delivered++;
  if (latencies && m->_private) {
    double sent = *(double *)m->_private;
    latencies[latency_count++] = now_s() - sent;
    free(m->_private);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Extra client properties from RDKAFKA_BENCH_CONF ("key=value;key=value"), e.g. security.protocol=SSL. */
static void extra_conf(rd_kafka_conf_t *conf) {
  const char *env = getenv("RDKAFKA_BENCH_CONF");
  if (!env || !*env) return;
  char *copy = strdup(env), *save = NULL;
  for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) { fprintf(stderr, "RDKAFKA_BENCH_CONF: %s is not key=value\n", kv); exit(2); }
    *eq = 0;
    char err[512];
    if (rd_kafka_conf_set(conf, kv, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) { fprintf(stderr, "%s: %s\n", kv, err); exit(2); }
  }
  free(copy);
}

static rd_kafka_conf_t *base_conf(const char *bootstrap) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK) { fprintf(stderr, "%s\n", err); exit(2); }
  extra_conf(conf);
  return conf;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) { fprintf(stderr, "%s: %s\n", k, err); exit(2); }
}

static int produce(const char *bootstrap, const char *topic, long count, int size, long rate) {
  char err[512];
  rd_kafka_conf_t *conf = base_conf(bootstrap);
  set(conf, "acks", "all");
  set(conf, "linger.ms", rate ? "0" : "5");
  set(conf, "batch.size", "262144");
  set(conf, "queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  for (int i = 0; i < size; i++) payload[i] = 'a' + (i % 26);
  if (rate) latencies = calloc(count, sizeof(double));
  double start = now_s();
  for (long i = 0; i < count; i++) {
    if (rate) {
      /* Sleep until the message is due (serving delivery reports meanwhile): spinning here would
       * take a whole core from the brokers on a small machine. */
      double due = start + (double)i / rate;
      for (double wait = due - now_s(); wait > 0; wait = due - now_s()) {
        if (wait >= 0.001) rd_kafka_poll(rk, (int)(wait * 1000));
        else {
          struct timespec pause = {0, (long)(wait * 1e9)};
          rd_kafka_poll(rk, 0);
          nanosleep(&pause, NULL);
        }
      }
    }
    double *sent = NULL;
    if (rate) { sent = malloc(sizeof(double)); *sent = now_s(); }
    while (rd_kafka_produce(t, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, sent) == -1) rd_kafka_poll(rk, 10);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double secs = now_s() - start;
  printf("produced %ld bytes %ld seconds %.3f failed %ld\n", delivered, delivered * (long)size, secs, failed);
  if (rate && latency_count > 0) {
    qsort(latencies, latency_count, sizeof(double), cmp_double);
    printf("latency_ms p50 %.3f p99 %.3f max %.3f\n", latencies[latency_count / 2] * 1000, latencies[(long)(latency_count * 0.99)] * 1000, latencies[latency_count - 1] * 1000);
  }
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk);
  return failed ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic, long count) {
  char err[512];
  rd_kafka_conf_t *conf = base_conf(bootstrap);
  set(conf, "fetch.max.bytes", "52428800");
  set(conf, "queued.max.messages.kbytes", "262144");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  double start = now_s();
  if (rd_kafka_consume_start(t, 0, RD_KAFKA_OFFSET_BEGINNING) == -1) { fprintf(stderr, "consume_start failed\n"); return 2; }
  long got = 0, bytes = 0;
  while (got < count && now_s() - start < 300) {
    rd_kafka_message_t *m = rd_kafka_consume(t, 0, 1000);
    if (!m) continue;
    if (!m->err) { got++; bytes += m->len; }
    rd_kafka_message_destroy(m);
  }
  double secs = now_s() - start;
  printf("consumed %ld bytes %ld seconds %.3f\n", got, bytes, secs);
  rd_kafka_consume_stop(t, 0);
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk);
  return got == count ? 0 : 1;
}

static volatile sig_atomic_t stop_requested = 0;
static void on_sigterm(int sig) { (void)sig; stop_requested = 1; }

static double wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct paced { int partition; long n; double sent_ms; };

static void on_paced_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk; (void)opaque;
  struct paced *p = m->_private;
  if (m->err) printf("err %d k%d-%ld %s\n", p->partition, p->partition, p->n, rd_kafka_err2str(m->err));
  else printf("ack %d k%d-%ld %.1f %.1f\n", p->partition, p->partition, p->n, p->sent_ms, wall_ms());
  free(p);
}

static int pace(const char *bootstrap, const char *topic, int partitions, long rate) {
  char err[512];
  rd_kafka_conf_t *conf = base_conf(bootstrap);
  set(conf, "enable.idempotence", "true");
  set(conf, "linger.ms", "0");
  /* For diagnosis: RDKAFKA_DEBUG=eos,msg,topic,broker prints librdkafka's own account on stderr. */
  if (getenv("RDKAFKA_DEBUG")) set(conf, "debug", getenv("RDKAFKA_DEBUG"));
  rd_kafka_conf_set_dr_msg_cb(conf, on_paced_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGTERM, on_sigterm);
  double start = now_s();
  for (long i = 0; !stop_requested; i++) {
    double due = start + (double)i / rate;
    for (double wait = due - now_s(); wait > 0 && !stop_requested; wait = due - now_s()) rd_kafka_poll(rk, wait >= 0.001 ? (int)(wait * 1000) : 0);
    struct paced *p = malloc(sizeof *p);
    p->partition = (int)(i % partitions);
    p->n = i;
    p->sent_ms = wall_ms();
    char value[64];
    int len = snprintf(value, sizeof value, "k%d-%ld", p->partition, i);
    while (rd_kafka_produce(t, p->partition, RD_KAFKA_MSG_F_COPY, value, len, NULL, 0, p) == -1) rd_kafka_poll(rk, 10);
  }
  rd_kafka_flush(rk, 120000);
  printf("done %d\n", rd_kafka_outq_len(rk));
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 6 && strcmp(argv[1], "produce") == 0) return produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), argc > 6 ? atol(argv[6]) : 0);
  if (argc >= 6 && strcmp(argv[1], "pace") == 0) return pace(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
  if (argc >= 5 && strcmp(argv[1], "consume") == 0) return consume(argv[2], argv[3], atol(argv[4]));
  fprintf(stderr, "usage: rdkafka-bench produce BOOTSTRAP TOPIC COUNT SIZE [RATE] | consume BOOTSTRAP TOPIC COUNT | pace BOOTSTRAP TOPIC PARTITIONS RATE\n");
  return 2;
}
