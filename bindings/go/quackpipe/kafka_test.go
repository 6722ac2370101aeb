package quackpipe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// mock is the embedded Kafka cluster of this package's tests; each test uses
// its own topics and groups.
var mock *MockCluster

func TestMain(m *testing.M) {
	var err error
	if mock, err = NewMockCluster(1); err != nil {
		fmt.Fprintln(os.Stderr, "mock cluster:", err)
		os.Exit(1)
	}
	code := m.Run()
	mock.Close()
	os.Exit(code)
}

var serial atomic.Int64

func unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, serial.Add(1)) }

// makeEvent is a valid raw event with a fresh scan_id, from the first sample.
func makeEvent(t *testing.T, device string, fields map[string]any) []byte {
	t.Helper()
	lines := bytes.Split(readTestdata(t, "events.jsonl"), []byte("\n"))
	var event map[string]any
	if err := json.Unmarshal(lines[0], &event); err != nil {
		t.Fatal(err)
	}
	event["device_id"] = device
	event["scan_id"] = fmt.Sprintf("6f1c2a4e-0000-4000-8000-%012x", serial.Add(1))
	for k, v := range fields {
		event[k] = v
	}
	out, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func runnerConf(t *testing.T, group string, props map[string]string) *Conf {
	t.Helper()
	all := map[string]string{"bootstrap.servers": mock.Bootstrap(), "group.id": group,
		"auto.offset.reset": "earliest", "session.timeout.ms": "6000",
		"heartbeat.interval.ms": "500"}
	for k, v := range props {
		all[k] = v
	}
	return newConf(t, all)
}

func newProducer(t *testing.T, props map[string]string) *Producer {
	t.Helper()
	all := map[string]string{"bootstrap.servers": mock.Bootstrap()}
	for k, v := range props {
		all[k] = v
	}
	p, err := NewProducer(newConf(t, all))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// nextEvent is the next event message; notices on the way are acked.
func nextEvent(t *testing.T, r *Runner) *Message {
	t.Helper()
	for {
		m, err := r.Next(15000)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if m.Kind == MessageEvent {
			return m
		}
		if m.Topic != "" || len(m.Assignment) == 0 {
			t.Fatalf("notice %+v", m)
		}
		if err := r.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
}

// waitInFlight returns once another goroutine is inside a call on g.
func waitInFlight(g *guard) {
	for {
		g.mu.Lock()
		n := g.inflight
		g.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRoundTripWithHeadersAndTheDeadLetterQueue(t *testing.T) {
	t.Parallel() // waits on the mock's timers most of the time
	topic, dlq := unique("events"), unique("dlq")
	if err := mock.CreateTopic(topic, 1); err != nil {
		t.Fatal(err)
	}
	var reports []DeliveryReport
	p := newProducer(t, nil)
	p.SetDeliveryFunc(func(r DeliveryReport) { reports = append(reports, r) })
	first, second := makeEvent(t, "dev-a", nil), makeEvent(t, "dev-a", nil)
	if err := p.Publish(topic, []byte("dev-a"), first, Header{"trace", []byte("t-1")},
		Header{"null", nil}, Header{"trace", []byte("t-2")}); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(topic, []byte("dev-a"), []byte(`{"schema_version":1,`)); err != nil {
		t.Fatal(err)
	}
	ev, err := Decode(second)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PublishEvent(topic, ev); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(10000); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.Stats(); st != (ProducerStats{Queued: 3, Delivered: 3}) {
		t.Fatalf("stats %+v", st)
	}
	for i, r := range reports {
		if r.Topic != topic || r.Partition != 0 || r.Offset != int64(i) || string(r.Key) != "dev-a" || r.Err != nil {
			t.Fatalf("report %d: %+v", i, r)
		}
	}
	if len(reports) != 3 {
		t.Fatalf("%d reports", len(reports))
	}

	r, err := NewRunner(runnerConf(t, unique("g"), map[string]string{"qp.topic.dlq": dlq}), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := nextEvent(t, r)
	if m.Topic != topic || m.Partition != 0 || m.Offset != 0 || string(m.Key) != "dev-a" ||
		!bytes.Equal(m.Value, first) || m.Timestamp <= 0 || m.RetryCount != 0 || m.DecodeErr != nil {
		t.Fatalf("message %+v", m)
	}
	if len(m.Headers) != 2 || string(m.Headers["trace"]) != "t-2" || m.Headers["null"] != nil ||
		len(m.HeaderList) != 3 || string(m.HeaderList[0].Value) != "t-1" {
		t.Fatalf("headers %q %q", m.Headers, m.HeaderList)
	}
	if m.Event == nil || m.Event.DeviceID != "dev-a" || m.Event.Gps.Lat != 48.8566 {
		t.Fatalf("event %+v", m.Event)
	}
	if _, err := m.Event.EncodeRow(); err != nil {
		t.Fatal(err)
	}
	if err := r.Ack(m); err != nil {
		t.Fatal(err)
	}
	// The message and its event are released with the ack.
	if _, err := m.Event.Encode(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after ack: %v", err)
	}
	if err := r.Ack(m); !errors.Is(err, ErrClosed) || !m.Released() {
		t.Fatalf("second ack: %v", err)
	}
	if m.Event.DeviceID != "dev-a" {
		t.Fatal("the copied fields must stay")
	}

	// Offset 1 failed to decode: it went to the dead-letter topic instead.
	m = nextEvent(t, r)
	if want, _ := ev.Encode(); m.Offset != 2 || !bytes.Equal(m.Value, want) || m.Headers != nil {
		t.Fatalf("message %+v", m)
	}
	r.Ack(m)
	st, err := r.Stats()
	if err != nil || st.Consumed != 3 || st.Acked != 2 || st.DecodeFailed != 1 || st.Held != 0 ||
		len(st.Partitions) != 1 || st.Partitions[0].Topic != topic || st.Partitions[0].Position != 3 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if err := r.Close(); err != nil { // waits for the dead-letter write
		t.Fatal(err)
	}
	if _, err := r.Next(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}

	reader, err := NewRunner(runnerConf(t, unique("g"), map[string]string{"qp.runner.decode": "none"}), dlq)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	dead := nextEvent(t, reader)
	h := dead.Headers
	if string(dead.Value) != `{"schema_version":1,` || dead.Event != nil ||
		string(h["qp.error.code"]) != "QP_ERR_JSON" || !bytes.HasPrefix(h["qp.error.text"], []byte("offset ")) ||
		string(h["qp.source.topic"]) != topic || string(h["qp.source.partition"]) != "0" ||
		string(h["qp.source.offset"]) != "1" || string(h["qp.retry.count"]) != "0" {
		t.Fatalf("dead letter %+v %q", dead, h)
	}
	reader.Ack(dead)
}

func TestDeliveryFuncRunsInPollAndFlush(t *testing.T) {
	topic := unique("delivery")
	mock.CreateTopic(topic, 2)
	p := newProducer(t, map[string]string{"linger.ms": "0"})
	var reports []DeliveryReport
	p.SetDeliveryFunc(func(r DeliveryReport) { reports = append(reports, r) })
	p.Publish(topic, []byte("k1"), []byte("one"))
	for i := 0; i < 200 && len(reports) == 0; i++ {
		if err := p.Poll(50); err != nil {
			t.Fatal(err)
		}
	}
	if len(reports) != 1 || reports[0].Err != nil || reports[0].Offset != 0 {
		t.Fatalf("after Poll: %+v", reports)
	}
	p.Publish(topic, nil, []byte("two"))
	p.Publish(topic, nil, nil) // a tombstone
	if err := p.Flush(10000); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 3 || reports[1].Key != nil || reports[2].Err != nil {
		t.Fatalf("after Flush: %+v", reports)
	}
	// Publishing from inside the delivery function is allowed.
	p.SetDeliveryFunc(func(r DeliveryReport) {
		reports = append(reports, r)
		if string(r.Key) == "first" {
			if err := p.Publish(topic, []byte("second"), []byte("x")); err != nil {
				t.Errorf("Publish in the delivery function: %v", err)
			}
		}
	})
	p.Publish(topic, []byte("first"), []byte("x"))
	p.Flush(10000)
	p.Flush(10000)
	if len(reports) != 5 || string(reports[4].Key) != "second" {
		t.Fatalf("reports %+v", reports)
	}
}

func TestDeliveryFailureAndCloseReportTheError(t *testing.T) {
	t.Parallel() // waits on the mock's timers most of the time
	conf := newConf(t, map[string]string{"bootstrap.servers": "127.0.0.1:1",
		"message.timeout.ms": "100", "socket.connection.setup.timeout.ms": "1000"})
	p, err := NewProducer(conf)
	if err != nil {
		t.Fatal(err)
	}
	var reports []DeliveryReport
	p.SetDeliveryFunc(func(r DeliveryReport) { reports = append(reports, r) })
	p.Publish(unique("nowhere"), nil, []byte("lost"))
	if err := p.Flush(50); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Flush(50): %v", err)
	}
	p.Flush(5000)
	if len(reports) != 1 || !errors.Is(reports[0].Err, ErrTimeout) {
		t.Fatalf("reports %+v", reports)
	}
	p.Publish(unique("nowhere"), nil, []byte("dropped"))
	n, err := p.CloseTimeout(0)
	var qerr *Error
	if n != 1 || !errors.As(err, &qerr) || !strings.Contains(qerr.Detail, "1 events undelivered") {
		t.Fatalf("CloseTimeout: %d %v", n, err)
	}
	if len(reports) != 2 || !errors.Is(reports[1].Err, ErrClosed) {
		t.Fatalf("reports %+v", reports)
	}
	if err := p.Publish("t", nil, []byte("after")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestProducerWakeupAndCloseFromAnotherGoroutine(t *testing.T) {
	p := newProducer(t, nil)
	results := make(chan error, 2)
	// Poll(-1) may also return early with nothing served (a wakeup consumed
	// by an earlier call leaves librdkafka's queue yielded): loop.
	pollUntilStopped := func() {
		for {
			if err := p.Poll(-1); err != nil {
				results <- err
				return
			}
		}
	}
	go pollUntilStopped()
	waitInFlight(p.g)
	p.Wakeup()
	if err := <-results; !errors.Is(err, ErrWakeup) {
		t.Fatalf("Poll: %v", err)
	}
	go pollUntilStopped()
	waitInFlight(p.g)
	if err := p.Close(); err != nil { // wakes the poll, waits, frees
		t.Fatal(err)
	}
	// Woken inside Poll, or refused at the next one if it was between two.
	if err := <-results; !errors.Is(err, ErrWakeup) && !errors.Is(err, ErrClosed) {
		t.Fatalf("Poll during Close: %v", err)
	}
	if err := p.Poll(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Poll after Close: %v", err)
	}
	p.Wakeup() // nothing to wake, no crash
	if _, err := p.Stats(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
}

func TestProducerTakesTheConfOver(t *testing.T) {
	conf := newConf(t, map[string]string{"bootstrap.servers": mock.Bootstrap()})
	p, err := NewProducer(conf)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := conf.Set("acks", "all"); !errors.Is(err, ErrClosed) {
		t.Fatalf("conf after hand-over: %v", err)
	}
	bad := newConf(t, map[string]string{"bootstrap.servers": mock.Bootstrap(), "acks": "bogus"})
	if _, err := NewProducer(bad); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewProducer(bad): %v", err)
	}
	if err := bad.Set("acks", "all"); !errors.Is(err, ErrClosed) {
		t.Fatalf("a failed constructor takes the conf over too: %v", err)
	}
}

func TestAdminEnsureAndCheckTopics(t *testing.T) {
	names := map[string]string{"bootstrap.servers": mock.Bootstrap()}
	for _, topic := range []string{"events", "enriched", "alerts", "dlq"} {
		names["qp.topic."+topic] = unique(topic)
	}
	a, err := NewAdmin(newConf(t, names))
	if err != nil {
		t.Fatal(err)
	}
	var qerr *Error
	if err := a.CheckTopics(10000); !errors.Is(err, ErrNotFound) || !errors.As(err, &qerr) ||
		!strings.Contains(qerr.Detail, names["qp.topic.events"]) {
		t.Fatalf("CheckTopics before: %v", err)
	}
	for i := 0; i < 2; i++ { // twice is harmless
		if err := a.EnsureTopics(10000); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.CheckTopics(10000); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := a.CheckTopics(10000); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}

	// A topic with fewer partitions than configured is reported, not changed.
	names["qp.topic.events"] = unique("events")
	mock.CreateTopic(names["qp.topic.events"], 1)
	a, err = NewAdmin(newConf(t, names))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.EnsureTopics(10000); !errors.Is(err, ErrKafka) || !errors.As(err, &qerr) ||
		qerr.Code.String() != "QP_ERR_TOPIC_MISMATCH" || !strings.Contains(qerr.Detail, "partitions") {
		t.Fatalf("EnsureTopics with a short topic: %v", err)
	}
}

func TestMockCluster(t *testing.T) {
	t.Parallel() // waits on the mock's timers most of the time
	if !strings.HasPrefix(mock.Bootstrap(), "127.0.0.1:") {
		t.Fatal(mock.Bootstrap())
	}
	name := unique("created")
	if err := mock.CreateTopic(name, 3); err != nil {
		t.Fatal(err)
	}
	if err := mock.CreateTopic(name, 3); !errors.Is(err, ErrKafka) {
		t.Fatalf("second CreateTopic: %v", err)
	}
	other, err := NewMockCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(other.Bootstrap(), ",") != 2 {
		t.Fatal(other.Bootstrap())
	}
	other.Close()
	if err := other.CreateTopic("t", 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := NewMockCluster(0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NewMockCluster(0): %v", err)
	}
}

// Closing from several goroutines at once closes once; all return.
func TestConcurrentClose(t *testing.T) {
	p := newProducer(t, nil)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); p.Close() }()
	}
	wg.Wait()
	if err := p.Flush(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush: %v", err)
	}
}
