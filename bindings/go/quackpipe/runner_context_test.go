package quackpipe

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

func TestConstantsMatchTheLibrary(t *testing.T) {
	kinds := map[MessageKind]int{MessageEvent: int(capi.QP_MESSAGE_EVENT),
		MessageAssigned: int(capi.QP_MESSAGE_ASSIGNED), MessageRevoked: int(capi.QP_MESSAGE_REVOKED)}
	for k, c := range kinds {
		if int(k) != c {
			t.Errorf("MessageKind %v = %d, runner.h says %d", k, int(k), c)
		}
	}
	verdicts := map[Verdict]int{Ack: int(capi.QP_RUNNER_ACK), Retry: int(capi.QP_RUNNER_RETRY),
		DeadLetter: int(capi.QP_RUNNER_DEAD_LETTER)}
	for v, c := range verdicts {
		if int(v) != c {
			t.Errorf("Verdict %v = %d, runner.h says %d", v, int(v), c)
		}
	}
	if MessageRevoked.String() != "revoked" || DeadLetter.String() != "dead-letter" ||
		MessageKind(7).String() != "MessageKind(7)" {
		t.Errorf("String: %v %v %v", MessageRevoked, DeadLetter, MessageKind(7))
	}
	if CodeTxnAborted.String() != "QP_ERR_TXN_ABORTED" || CodeNoMem.String() != "QP_ERR_NOMEM" {
		t.Errorf("codes: %v %v", CodeTxnAborted, CodeNoMem)
	}
	_, err := Decode([]byte(`{"schema_version":1,"gps":{"lat":123.4}}`))
	if err == nil || errors.Is(err, CodeJSON) {
		t.Fatalf("Decode: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, e.Code) || !errors.Is(err, ErrValidation) {
		t.Fatalf("a code matches its error: %v", err)
	}
}

func TestMessagesNextContextRunContext(t *testing.T) {
	t.Parallel() // waits on the mock's timers most of the time
	topic := unique("ctx")
	events := fill(t, topic, 3)
	r, err := NewRunner(runnerConf(t, unique("g"), nil), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got [][]byte
	for m, err := range r.Messages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == MessageEvent {
			got = append(got, m.Value)
		}
		r.Ack(m)
		if len(got) == len(events) {
			cancel() // ends the sequence at its next wait
		}
	}
	if ctx.Err() == nil || len(got) != 3 || !bytes.Equal(got[2], events[2]) {
		t.Fatalf("Messages ended with %v after %d events", ctx.Err(), len(got))
	}
	assertNoWakeupLeft(t, r)

	if _, err := r.NextContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("NextContext on a cancelled context: %v", err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if _, err := r.NextContext(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NextContext past its deadline: %v", err)
	}
	assertNoWakeupLeft(t, r)

	// RunContext: a handler's cancel ends the run with the context's error
	// (the handler gets the next message: a rebalance notice or an event).
	if err := r.Subscribe(unique("ctx2")); err != nil {
		t.Fatal(err)
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	err = r.RunContext(runCtx, func(m *Message) (Verdict, error) {
		cancelRun()
		return Ack, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunContext: %v", err)
	}
	assertNoWakeupLeft(t, r)
	r.Wakeup()
	if err := r.RunContext(context.Background(), func(*Message) (Verdict, error) {
		return Ack, nil
	}); err != nil {
		t.Fatalf("RunContext ended by Wakeup: %v", err)
	}
}

// assertNoWakeupLeft fails if a context's wakeup was left pending (it would
// end the next call).
func assertNoWakeupLeft(t *testing.T, r *Runner) {
	t.Helper()
	m, err := r.Next(0)
	if errors.Is(err, ErrWakeup) {
		t.Fatal("a wakeup was left pending")
	}
	if m != nil {
		r.Ack(m)
	}
}
