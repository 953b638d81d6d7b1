// sarama-check drives Debian's Sarama 1.22.1 (golang-github-shopify-sarama-dev) against a broker,
// one scenario per run, and prints what happened as JSON lines on stdout for the TypeScript
// integration tests to assert on (test/integration/go-sarama.test.ts). Messages to produce come
// on stdin, one JSON object a line (see inputMessage). It decides nothing itself: every outcome,
// including errors, is printed, and the test judges it.
//
//	sarama-check -broker 127.0.0.1:9092 -version 2.1.0 -scenario produce -topic t -codec gzip -producer sync < messages.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

type options struct {
	broker      string
	version     sarama.KafkaVersion
	scenario    string
	topic       string
	codec       string
	producer    string
	group       string
	expect      int
	partitions  int
	topicConfig string
	queries     string
	verbose     bool
}

func main() {
	var opts options
	var version string
	flag.StringVar(&opts.broker, "broker", "127.0.0.1:9092", "bootstrap broker host:port")
	flag.StringVar(&version, "version", "2.1.0", "sarama config.Version (Kafka version the client assumes)")
	flag.StringVar(&opts.scenario, "scenario", "", "admin | produce | consume | group | offsets | delete-records")
	flag.StringVar(&opts.topic, "topic", "", "topic")
	flag.StringVar(&opts.codec, "codec", "none", "none | gzip | snappy | lz4 | zstd")
	flag.StringVar(&opts.producer, "producer", "sync", "sync | async | idempotent")
	flag.StringVar(&opts.group, "group", "", "consumer group id")
	flag.IntVar(&opts.expect, "expect", 0, "messages the group scenario waits for")
	flag.IntVar(&opts.partitions, "partitions", 0, "produce: first create the topic with this many partitions (CreateTopics)")
	flag.StringVar(&opts.topicConfig, "topic-config", "", "produce: name=value pairs, comma separated, for the topic it creates")
	flag.StringVar(&opts.queries, "queries", "", "partition:value pairs, comma separated (offsets: value is a timestamp in ms, -1 latest, -2 earliest; delete-records: value is the offset)")
	flag.BoolVar(&opts.verbose, "verbose", false, "Sarama's own log on stderr")
	flag.Parse()
	v, err := sarama.ParseKafkaVersion(version)
	if err != nil {
		fatal("version", err)
	}
	opts.version = v
	if opts.verbose {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Lmicroseconds)
	} else {
		sarama.Logger = log.New(ioutil.Discard, "", 0)
	}
	switch opts.scenario {
	case "admin":
		runAdmin(opts)
	case "produce":
		runProduce(opts, readMessages())
	case "consume":
		runConsume(opts)
	case "group":
		runGroup(opts)
	case "offsets":
		runOffsets(opts)
	case "delete-records":
		runDeleteRecords(opts)
	default:
		fatal("scenario", fmt.Errorf("unknown scenario %q", opts.scenario))
	}
}

// newConfig is the configuration every scenario starts from: the requested protocol version,
// a client id the broker's logs show, and short retry backoffs so a refused request is reported
// quickly rather than retried for long.
func newConfig(opts options) *sarama.Config {
	c := sarama.NewConfig()
	c.Version = opts.version
	c.ClientID = "sarama-check"
	c.Metadata.Retry.Max = 3
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	return c
}

// inputMessage is one message to produce; []byte fields travel as base64, as encoding/json does.
type inputMessage struct {
	Partition int32         `json:"partition"`
	Key       []byte        `json:"key"`
	Value     []byte        `json:"value"`
	Headers   []inputHeader `json:"headers"`
	Timestamp int64         `json:"timestamp"`
}

type inputHeader struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

func readMessages() []inputMessage {
	var msgs []inputMessage
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
		msgs = append(msgs, m)
	}
	if err := scanner.Err(); err != nil {
		fatal("stdin", err)
	}
	return msgs
}

// query is one partition:value pair of -queries.
type query struct {
	partition int32
	value     int64
}

func parseQueries(s string) []query {
	var out []query
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		pv := strings.SplitN(part, ":", 2)
		if len(pv) != 2 {
			fatal("queries", fmt.Errorf("%q is not partition:value", part))
		}
		p, err1 := strconv.ParseInt(pv[0], 10, 32)
		v, err2 := strconv.ParseInt(pv[1], 10, 64)
		if err1 != nil || err2 != nil {
			fatal("queries", fmt.Errorf("%q is not partition:value", part))
		}
		out = append(out, query{partition: int32(p), value: v})
	}
	return out
}

var stdout = json.NewEncoder(os.Stdout)

// emit prints one result line: {"event": event, ...fields}.
func emit(event string, fields map[string]interface{}) {
	line := map[string]interface{}{"event": event}
	for k, v := range fields {
		line[k] = v
	}
	if err := stdout.Encode(line); err != nil {
		os.Exit(3)
	}
}

// errorInfo turns a Sarama error into {"code": Kafka error code or -1, "message": text}, or nil.
func errorInfo(err error) interface{} {
	if err == nil {
		return nil
	}
	code := -1
	switch e := err.(type) {
	case sarama.KError:
		code = int(e)
	case *sarama.TopicError:
		code = int(e.Err)
	case *sarama.TopicPartitionError:
		code = int(e.Err)
	case sarama.ProducerErrors:
		if len(e) > 0 {
			return errorInfo(e[0].Err)
		}
	case *sarama.ProducerError:
		return errorInfo(e.Err)
	case *sarama.ConsumerError:
		return errorInfo(e.Err)
	}
	return map[string]interface{}{"code": code, "message": err.Error()}
}

// fatal reports an error the scenario cannot go on from and exits non-zero.
func fatal(step string, err error) {
	emit("fatal", map[string]interface{}{"step": step, "error": errorInfo(err)})
	os.Exit(2)
}

func millis(t interface{ UnixNano() int64 }) int64 {
	return t.UnixNano() / 1e6
}
