package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// groupState is shared by the two members of runGroup. Nobody consumes until both members hold
// claims in the same generation, so the split between them is the coordinator's assignment and
// not a race between the first member's fetches and the second member's join.
type groupState struct {
	mu       sync.Mutex
	expect   int
	latest   map[string]generation
	ready    chan struct{}
	done     chan struct{}
	consumed []map[string]interface{}
	finished bool
}

type generation struct {
	id     int32
	claims map[string][]int32
}

func (g *groupState) setup(member string, s sarama.ConsumerGroupSession) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.latest[member] = generation{id: s.GenerationID(), claims: s.Claims()}
	emit("session", map[string]interface{}{"member": member, "generation": s.GenerationID(), "claims": s.Claims()})
	a, b := g.latest["a"], g.latest["b"]
	if a.id != 0 && a.id == b.id && len(a.claims) > 0 && len(b.claims) > 0 {
		select {
		case <-g.ready:
		default:
			close(g.ready)
		}
	}
}

func (g *groupState) take(member string, s sarama.ConsumerGroupSession, m *sarama.ConsumerMessage) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fields := consumedFields(m)
	fields["member"] = member
	fields["generation"] = s.GenerationID()
	g.consumed = append(g.consumed, fields)
	s.MarkMessage(m, "")
	if len(g.consumed) >= g.expect {
		g.finishLocked()
	}
}

// stop ends the run early: after an error the test fails anyway, and waiting would only hide it.
func (g *groupState) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.finishLocked()
}

func (g *groupState) finishLocked() {
	if !g.finished {
		g.finished = true
		close(g.done)
	}
}

type member struct {
	name  string
	state *groupState
}

func (h member) Setup(s sarama.ConsumerGroupSession) error {
	h.state.setup(h.name, s)
	return nil
}

func (h member) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h member) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	select {
	case <-h.state.ready:
	case <-s.Context().Done():
		return nil
	}
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			h.state.take(h.name, s, m)
		case <-s.Context().Done():
			return nil
		}
	}
}

// runGroup runs two members ("a" and "b", each with its own client) of one consumer group over
// the topic, consuming from the earliest offset until -expect messages have arrived between them;
// both then leave (committing what they marked) and the group's committed offsets are printed.
func runGroup(opts options) {
	state := &groupState{expect: opts.expect, latest: map[string]generation{}, ready: make(chan struct{}), done: make(chan struct{})}
	config := newConfig(opts)
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Return.Errors = true
	// Member a learns of b's join at its next heartbeat; a short interval keeps that quick.
	config.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	// Member a's SyncGroup for the generation it formed alone is answered REBALANCE_IN_PROGRESS
	// once b joins (as Kafka does); Sarama retries after this backoff (2 s by default).
	config.Consumer.Group.Rebalance.Retry.Backoff = 100 * time.Millisecond
	// Leaving waits for each partition consumer's fetch in flight: keep those polls short.
	config.Consumer.MaxWaitTime = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var groups []sarama.ConsumerGroup
	for _, name := range []string{"a", "b"} {
		group, err := sarama.NewConsumerGroup([]string{opts.broker}, opts.group, config)
		if err != nil {
			fatal("join "+name, err)
		}
		groups = append(groups, group)
		wg.Add(1)
		go func(name string, group sarama.ConsumerGroup) {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := group.Consume(ctx, []string{opts.topic}, member{name: name, state: state}); err != nil {
					emit("consume-error", map[string]interface{}{"member": name, "error": errorInfo(err)})
					state.stop()
					return
				}
			}
		}(name, group)
		go func(name string, group sarama.ConsumerGroup) {
			for err := range group.Errors() {
				emit("group-error", map[string]interface{}{"member": name, "error": errorInfo(err)})
				state.stop()
			}
		}(name, group)
	}
	select {
	case <-state.done:
	case <-time.After(60 * time.Second):
		state.mu.Lock()
		n := len(state.consumed)
		state.mu.Unlock()
		emit("timeout", map[string]interface{}{"consumed": n})
	}
	cancel()
	wg.Wait()
	for _, g := range groups {
		if err := g.Close(); err != nil {
			emit("close-error", map[string]interface{}{"error": errorInfo(err)})
		}
	}
	for _, c := range state.consumed {
		emit("consumed", c)
	}
	printCommitted(opts)
}

// printCommitted prints the group's committed offset of every partition of the topic, as
// ClusterAdmin.ListConsumerGroupOffsets (OffsetFetch) reads it.
func printCommitted(opts options) {
	admin, err := sarama.NewClusterAdmin([]string{opts.broker}, newConfig(opts))
	if err != nil {
		fatal("admin", err)
	}
	defer admin.Close()
	metas, err := admin.DescribeTopics([]string{opts.topic})
	if err != nil || len(metas) != 1 {
		fatal("describe", fmt.Errorf("%v (%d topics)", err, len(metas)))
	}
	var partitions []int32
	for _, p := range metas[0].Partitions {
		partitions = append(partitions, p.ID)
	}
	sort.Slice(partitions, func(i, j int) bool { return partitions[i] < partitions[j] })
	res, err := admin.ListConsumerGroupOffsets(opts.group, map[string][]int32{opts.topic: partitions})
	if err != nil {
		fatal("offset-fetch", err)
	}
	for _, p := range partitions {
		block := res.GetBlock(opts.topic, p)
		if block == nil {
			emit("committed", map[string]interface{}{"partition": p, "offset": nil})
			continue
		}
		emit("committed", map[string]interface{}{"partition": p, "offset": block.Offset, "error": int(block.Err)})
	}
}
