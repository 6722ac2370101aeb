package quackpipe

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// fill publishes n events to a new one-partition topic and returns them.
func fill(t *testing.T, topic string, n int) [][]byte {
	t.Helper()
	if err := mock.CreateTopic(topic, 1); err != nil {
		t.Fatal(err)
	}
	p := newProducer(t, nil)
	events := make([][]byte, n)
	for i := range events {
		events[i] = makeEvent(t, "dev-r", nil)
		if err := p.Publish(topic, []byte("dev-r"), events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(10000); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestPullBatchRetryDeadLetter(t *testing.T) {
	t.Parallel() // waits on the mock's timers most of the time
	topic := unique("pull")
	events := fill(t, topic, 4)
	r, err := NewRunner(runnerConf(t, unique("g"), map[string]string{"qp.topic.dlq": unique("dlq"),
		"qp.runner.retry.backoff.ms": "1", "qp.runner.retry.backoff.max.ms": "1"}), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := []*Message{nextEvent(t, r)}
	for len(got) < 4 {
		batch, err := r.NextBatch(10, 5000)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, batch...)
	}
	for i, m := range got {
		if m.Offset != int64(i) || !bytes.Equal(m.Value, events[i]) {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	if st, _ := r.Stats(); st.Held != 4 {
		t.Fatalf("held %d", st.Held)
	}
	if err := r.Retry(got[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.DeadLetter(got[1], &Error{Code: -17, Detail: "gps.lat: out of range"}); err != nil {
		t.Fatal(err)
	}
	if err := r.AckBatch(got[2:]); err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if !m.Released() {
			t.Fatalf("%+v not released", m)
		}
	}
	if err := r.Ack(got[2]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ack of a released message: %v", err)
	}
	again := nextEvent(t, r) // the retried event, after its backoff
	if again.Offset != 0 || again.RetryCount != 1 || !bytes.Equal(again.Value, events[0]) {
		t.Fatalf("retried %+v", again)
	}
	r.Ack(again)
	for {
		st, err := r.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if st.DeadLettered == 1 { // the dead-letter write is acknowledged
			if st.Acked != 3 || st.Retried != 1 || st.Held != 0 {
				t.Fatalf("stats %+v", st)
			}
			break
		}
		if _, err := r.Next(100); !errors.Is(err, ErrNoEvent) {
			t.Fatalf("Next: %v", err)
		}
	}
	if _, err := r.NextBatch(10, 0); !errors.Is(err, ErrNoEvent) {
		t.Fatalf("NextBatch: %v", err)
	}
	other, err := NewRunner(runnerConf(t, unique("g"), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Ack(again); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Ack on another runner: %v", err)
	}
}

func TestRunWithAHandler(t *testing.T) {
	t.Parallel() // waits on the mock's timers most of the time
	topic := unique("run")
	events := fill(t, topic, 5)
	r, err := NewRunner(runnerConf(t, unique("g"), nil), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// A handler error stops the run and is returned as is; the message is
	// put back, not counted as a retry.
	stop := errors.New("cannot handle it")
	err = r.Run(func(m *Message) (Verdict, error) {
		if m.Kind == MessageEvent {
			return Ack, fmt.Errorf("offset %d: %w", m.Offset, stop)
		}
		return Ack, nil
	})
	if !errors.Is(err, stop) || err.Error() != "offset 0: cannot handle it" {
		t.Fatalf("Run: %v", err)
	}

	var seen []*Message
	done := make(chan struct{})
	go func() { <-done; r.Wakeup() }() // the run ends when another goroutine wakes it
	err = r.Run(func(m *Message) (Verdict, error) {
		if m.Kind != MessageEvent {
			return Ack, nil
		}
		seen = append(seen, m)
		if _, err := m.Event.EncodeRow(); err != nil {
			t.Errorf("EncodeRow in the handler: %v", err)
		}
		if err := r.Pause(); err != nil { // allowed inside a handler
			t.Errorf("Pause: %v", err)
		}
		r.Resume()
		if err := r.Ack(m); !errors.Is(err, ErrState) {
			t.Errorf("Ack in the handler: %v", err)
		}
		if _, err := r.Next(0); !errors.Is(err, ErrState) {
			t.Errorf("Next in the handler: %v", err)
		}
		if len(seen) == len(events) {
			close(done)
		}
		return Ack, nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i, m := range seen {
		if m.Offset != int64(i) || m.RetryCount != 0 || !bytes.Equal(m.Value, events[i]) ||
			m.Event.DeviceID != "dev-r" || !m.Released() {
			t.Fatalf("seen %d: %+v", i, m)
		}
	}
	if _, err := seen[0].Event.Encode(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after the handler: %v", err)
	}
	if st, _ := r.Stats(); st.Acked != 5 {
		t.Fatalf("acked %d", st.Acked)
	}

	// Close inside a handler takes effect when Run returns.
	p := newProducer(t, nil)
	p.Publish(topic, []byte("dev-r"), makeEvent(t, "dev-r", nil))
	p.Flush(10000)
	err = r.Run(func(m *Message) (Verdict, error) {
		if err := r.Close(); err != nil {
			t.Errorf("Close in the handler: %v", err)
		}
		return Ack, nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := r.Next(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestBlockedNextAndOtherGoroutines(t *testing.T) {
	r, err := NewRunner(runnerConf(t, unique("g"), nil), unique("quiet"))
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	next := func() { _, err := r.Next(-1); results <- err }
	go next()
	waitInFlight(r.g)
	// One goroutine at a time: a second one's call is refused, not raced.
	if _, err := r.Stats(); !errors.Is(err, ErrState) {
		t.Fatalf("Stats while Next is blocked: %v", err)
	}
	r.Wakeup()
	if err := <-results; !errors.Is(err, ErrWakeup) {
		t.Fatalf("Next: %v", err)
	}
	go next()
	waitInFlight(r.g)
	if err := r.Close(); err != nil { // wakes Next, waits for it, frees the runner
		t.Fatal(err)
	}
	if err := <-results; !errors.Is(err, ErrWakeup) {
		t.Fatalf("Next during Close: %v", err)
	}
	if _, err := r.Next(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if err := r.Pause(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Pause after Close: %v", err)
	}
	if err := r.Subscribe("t"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
	r.Wakeup() // harmless after Close
	r.Close()
}

func TestRunnerConfErrors(t *testing.T) {
	conf := newConf(t, map[string]string{"bootstrap.servers": mock.Bootstrap()}) // no group.id
	if _, err := NewRunner(conf); err == nil {
		t.Fatal("NewRunner without group.id succeeded")
	}
	if err := conf.Set("group.id", "g"); !errors.Is(err, ErrClosed) {
		t.Fatalf("a failed constructor takes the conf over too: %v", err)
	}
}

func TestTransactionsAndRewind(t *testing.T) {
	topic, out := unique("txn-in"), unique("txn-out")
	fill(t, topic, 3)
	if err := mock.CreateTopic(out, 1); err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(runnerConf(t, unique("g"),
		map[string]string{"qp.runner.transactional": "true"}), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := newProducer(t, map[string]string{"transactional.id": unique("tx")})
	transform := func(n int, ack bool) *Message {
		var last *Message
		for i := 0; i < n; i++ {
			m := nextEvent(t, r)
			if m.Offset != int64(i) {
				t.Fatalf("event %d at offset %d", i, m.Offset)
			}
			if err := p.Publish(out, m.Key, m.Value); err != nil {
				t.Fatal(err)
			}
			if ack {
				if err := r.Ack(m); err != nil {
					t.Fatal(err)
				}
			}
			last = m
		}
		return last
	}
	if err := r.BeginTransaction(p, 30000); err != nil {
		t.Fatal(err)
	}
	transform(2, true)
	// Aborted: the same events come again, from the first offset.
	if err := r.AbortTransaction(p, 30000); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginTransaction(p, 30000); err != nil {
		t.Fatal(err)
	}
	transform(2, true)
	if err := r.CommitTransaction(p, 30000); err != nil {
		t.Fatal(err)
	}
	held := nextEvent(t, r)
	if err := r.Rewind(10000); err != nil {
		t.Fatal(err)
	}
	if err := r.Ack(held); !errors.Is(err, ErrState) {
		t.Fatalf("Ack of a stale message: %v", err)
	}
	if m := nextEvent(t, r); m.Offset != 2 {
		t.Fatalf("after rewind: offset %d", m.Offset)
	}
	plain, err := NewRunner(runnerConf(t, unique("g"), nil), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.BeginTransaction(p, 1000); !errors.Is(err, ErrState) {
		t.Fatalf("BeginTransaction on a plain runner: %v", err)
	}
}
