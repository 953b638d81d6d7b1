// kafkago-check drives Debian's segmentio/kafka-go 0.2.1 (golang-github-segmentio-kafka-go-dev)
// against a broker, one scenario per run, and prints what happened as JSON lines on stdout for
// test/integration/go-kafkago.test.ts to assert on. Messages to write come on stdin, one JSON
// object a line: {"partition": n, "key": base64, "value": base64, "timestamp": ms}.
//
//	kafkago-check -broker 127.0.0.1:9092 -scenario write -topic t -codec gzip < messages.jsonl
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
)

type options struct {
	broker     string
	scenario   string
	topic      string
	codec      string
	group      string
	expect     int
	partitions int
	times      string
}

func main() {
	var opts options
	flag.StringVar(&opts.broker, "broker", "127.0.0.1:9092", "bootstrap broker host:port")
	flag.StringVar(&opts.scenario, "scenario", "", "create | write | read-group | offsets")
	flag.StringVar(&opts.topic, "topic", "", "topic")
	flag.StringVar(&opts.codec, "codec", "none", "none | gzip")
	flag.StringVar(&opts.group, "group", "", "consumer group id (read-group)")
	flag.IntVar(&opts.expect, "expect", 0, "messages read-group reads before it stops")
	flag.IntVar(&opts.partitions, "partitions", 1, "partitions (create; offsets asks each of them)")
	flag.StringVar(&opts.times, "times", "", "offsets: comma-separated timestamps in ms to look up")
	flag.Parse()
	switch opts.scenario {
	case "create":
		runCreate(opts)
	case "write":
		runWrite(opts)
	case "read-group":
		runReadGroup(opts)
	case "offsets":
		runOffsets(opts)
	default:
		fatal("scenario", fmt.Errorf("unknown scenario %q", opts.scenario))
	}
}

// runCreate creates the topic with Conn.CreateTopics (CreateTopics v0), then prints the
// partitions Conn.ReadPartitions (Metadata v1) reports for it.
func runCreate(opts options) {
	conn, err := kafka.Dial("tcp", opts.broker)
	if err != nil {
		fatal("dial", err)
	}
	defer conn.Close()
	err = conn.CreateTopics(kafka.TopicConfig{Topic: opts.topic, NumPartitions: opts.partitions, ReplicationFactor: 1})
	emit("step", map[string]interface{}{"step": "create", "error": errorInfo(err)})
	parts, err := conn.ReadPartitions(opts.topic)
	var ids []int
	for _, p := range parts {
		ids = append(ids, p.ID)
	}
	sort.Ints(ids)
	emit("step", map[string]interface{}{"step": "partitions", "error": errorInfo(err), "partitions": ids})
}

type inputMessage struct {
	Partition int    `json:"partition"`
	Key       []byte `json:"key"`
	Value     []byte `json:"value"`
	Timestamp int64  `json:"timestamp"`
}

// byContent sends each message to the partition its input line named, found by its key and value
// (the tests never repeat a key and value pair); kafka-go's Writer leaves partitioning to a Balancer.
type byContent map[string]int

func contentOf(key, value []byte) string {
	return fmt.Sprintf("%t %q %t %q", key == nil, key, value == nil, value)
}

func (b byContent) Balance(msg kafka.Message, partitions ...int) int {
	return b[contentOf(msg.Key, msg.Value)]
}

// runWrite writes the stdin messages with one Writer.WriteMessages call (Produce v2, message
// format v1, compressed with -codec) and prints one "written" line with the outcome.
func runWrite(opts options) {
	var msgs []kafka.Message
	balancer := byContent{}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		var m inputMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			fatal("stdin", err)
		}
		balancer[contentOf(m.Key, m.Value)] = m.Partition
		msg := kafka.Message{Key: m.Key, Value: m.Value}
		if m.Timestamp > 0 {
			msg.Time = time.Unix(0, m.Timestamp*int64(time.Millisecond))
		}
		msgs = append(msgs, msg)
	}
	config := kafka.WriterConfig{Brokers: []string{opts.broker}, Topic: opts.topic, Balancer: balancer, BatchSize: len(msgs) + 1, BatchTimeout: 10 * time.Millisecond, MaxAttempts: 1, RequiredAcks: -1}
	if opts.codec == "gzip" {
		config.CompressionCodec = gzip.NewCompressionCodec()
	} else if opts.codec != "none" {
		fatal("codec", fmt.Errorf("unknown codec %q", opts.codec))
	}
	w := kafka.NewWriter(config)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := w.WriteMessages(ctx, msgs...)
	emit("written", map[string]interface{}{"count": len(msgs), "error": errorInfo(err)})
	if err := w.Close(); err != nil {
		fatal("close", err)
	}
}

// runReadGroup reads -expect messages with a group Reader (ReadMessage commits each one
// synchronously: CommitInterval 0) and prints them in the order read, then closes the Reader.
func runReadGroup(opts options) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{opts.broker}, GroupID: opts.group, Topic: opts.topic,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond,
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
		// The Reader retries every error quietly; its log on stderr says what the broker answered.
		ErrorLogger: log.New(os.Stderr, "[kafka-go] ", log.Lmicroseconds),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < opts.expect; i++ {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			stats := r.Stats()
			emit("read-error", map[string]interface{}{"read": i, "error": errorInfo(err), "fetches": stats.Fetches, "fetchErrors": stats.Errors, "dials": stats.Dials})
			break
		}
		emit("consumed", map[string]interface{}{"partition": m.Partition, "offset": m.Offset, "key": m.Key, "value": m.Value, "timestamp": millis(m.Time)})
	}
	if err := r.Close(); err != nil {
		emit("close-error", map[string]interface{}{"error": errorInfo(err)})
	}
}

// runOffsets prints, for every partition, Conn.ReadFirstOffset, Conn.ReadLastOffset and
// Conn.ReadOffset(t) for each -times t (ListOffsets v1 on a connection to the leader).
func runOffsets(opts options) {
	var times []int64
	for _, s := range strings.Split(opts.times, ",") {
		if s == "" {
			continue
		}
		t, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fatal("times", err)
		}
		times = append(times, t)
	}
	for p := 0; p < opts.partitions; p++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := kafka.DialLeader(ctx, "tcp", opts.broker, opts.topic, p)
		cancel()
		if err != nil {
			fatal("dial-leader", err)
		}
		first, err := conn.ReadFirstOffset()
		emit("offset", map[string]interface{}{"partition": p, "query": "first", "offset": first, "error": errorInfo(err)})
		last, err := conn.ReadLastOffset()
		emit("offset", map[string]interface{}{"partition": p, "query": "last", "offset": last, "error": errorInfo(err)})
		for _, t := range times {
			offset, err := conn.ReadOffset(time.Unix(0, t*int64(time.Millisecond)))
			emit("offset", map[string]interface{}{"partition": p, "query": "time", "time": t, "offset": offset, "error": errorInfo(err)})
		}
		conn.Close()
	}
}

var stdout = json.NewEncoder(os.Stdout)

func emit(event string, fields map[string]interface{}) {
	line := map[string]interface{}{"event": event}
	for k, v := range fields {
		line[k] = v
	}
	if err := stdout.Encode(line); err != nil {
		os.Exit(3)
	}
}

// errorInfo turns a kafka-go error into {"code": Kafka error code or -1, "message": text}, or nil.
func errorInfo(err error) interface{} {
	if err == nil {
		return nil
	}
	code := -1
	if e, ok := err.(kafka.Error); ok {
		code = int(e)
	}
	return map[string]interface{}{"code": code, "message": err.Error()}
}

func fatal(step string, err error) {
	emit("fatal", map[string]interface{}{"step": step, "error": errorInfo(err)})
	os.Exit(2)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return t.UnixNano() / 1e6
}
