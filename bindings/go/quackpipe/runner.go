package quackpipe

import (
	"errors"
	"runtime"
	"runtime/cgo"
	"strconv"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// MessageKind tells an event from a rebalance notice.
type MessageKind int

// The kinds of message a Runner hands out: the values of runner.h's
// qp_message_kind_t (a test checks they are equal).
const (
	MessageEvent    MessageKind = 0 // an event from a subscribed topic
	MessageAssigned MessageKind = 1 // partitions assigned to the runner
	MessageRevoked  MessageKind = 2 // partitions being taken away
)

// String is the kind's name: "event", "assigned" or "revoked".
func (k MessageKind) String() string {
	switch k {
	case MessageEvent:
		return "event"
	case MessageAssigned:
		return "assigned"
	case MessageRevoked:
		return "revoked"
	}
	return "MessageKind(" + strconv.Itoa(int(k)) + ")"
}

// Verdict is what a Run handler decides for a message.
type Verdict int

// The verdicts of a Run handler, the values of runner.h's
// qp_runner_verdict_t (a test checks they are equal). DeadLetter uses the
// last library error of the handler's call (say, a failed Decode) as the
// dead-letter reason.
const (
	Ack        Verdict = 0
	Retry      Verdict = 1
	DeadLetter Verdict = 2
)

// String is the verdict's name: "ack", "retry" or "dead-letter".
func (v Verdict) String() string {
	switch v {
	case Ack:
		return "ack"
	case Retry:
		return "retry"
	case DeadLetter:
		return "dead-letter"
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// TopicPartition names one partition of a rebalance notice.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Message is one delivery from a Runner: an event or a rebalance notice.
// Its fields are copies, read when it was handed out. It is lent by the
// runner until Ack, Retry or DeadLetter on it (for a Run handler: until the
// handler returns); afterwards Released() is true, passing it to the runner
// again returns an error matching ErrClosed, and so do Encode and EncodeRow
// of its Event.
type Message struct {
	Kind       MessageKind
	Topic      string // "" for a notice
	Partition  int32
	Offset     int64
	Key        []byte // nil when the record has none
	Value      []byte
	Timestamp  int64             // epoch ms; -1 when the record has none
	Headers    map[string][]byte // for a repeated name, the last value
	HeaderList []Header          // every header, in order
	Event      *Event            // decoded (qp.runner.decode raw or enriched), else nil
	DecodeErr  error             // why the event failed to decode (qp.runner.dlq.auto=false)
	RetryCount int               // retries before this delivery
	Assignment []TopicPartition  // the partitions of a notice

	h    capi.Qp_message // nil once released
	r    *Runner
	lent bool // a Run handler's: released by its verdict
}

// Released reports whether the message went back to its runner.
func (m *Message) Released() bool { return m.h == nil }

func (m *Message) forget() {
	m.h = nil
	if m.Event != nil {
		m.Event.forget()
	}
}

// RunnerStats are a runner's counters and per-partition lag.
type RunnerStats struct {
	Consumed, Acked, Retried, DeadLettered, DecodeFailed, DlqFailed uint64
	Commits, CommitFailed                                           uint64
	Held, RetryPending, DlqInFlight                                 int
	Paused                                                          bool
	Partitions                                                      []PartitionStats
}

// PartitionStats is one assigned partition of a RunnerStats.
type PartitionStats struct {
	Topic         string
	Partition     int32
	Position      int64 // last consumed offset + 1; -1 before the first
	HighWatermark int64 // -1 unknown
	Lag           int64 // -1 unknown
	Committed     int64 // -1 none
	Outstanding   int   // consumed offsets not yet acked or dead-lettered
}

// Runner joins a consumer group and hands out its events.
//
// Pull with Next or NextBatch and release every message with Ack, Retry or
// DeadLetter; or let Run call a handler. A runner is used from one
// goroutine at a time (a call from another one while a call is in flight
// returns an error matching ErrState); Wakeup and Close work from any
// goroutine and end a blocked Next or Run.
type Runner struct {
	owner
	h    capi.Qp_runner
	held map[*Message]struct{}
}

// NewRunner creates a runner from conf (group.id is required), which it
// takes over on success, and subscribes it to topics.
func NewRunner(conf *Conf, topics ...string) (*Runner, error) {
	var p uintptr
	hs, err := conf.handOver(func(c capi.Qp_conf) error { return capi.Qp_runner_new(&p, c) })
	if err != nil {
		return nil, err
	}
	r := &Runner{h: capi.SwigcptrQp_runner(p), held: map[*Message]struct{}{}}
	own(r, &r.owner, "runner", true, p, hs, func(p uintptr) {
		capi.DeleteQp_runner(capi.SwigcptrQp_runner(p))
	})
	for _, topic := range topics {
		if err := r.Subscribe(topic); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Subscribe adds topic (a leading '^' makes it a regular expression).
func (r *Runner) Subscribe(topic string) error {
	defer runtime.KeepAlive(r)
	return r.g.call(callAlone, func() error { return capi.Qp_runner_subscribe(r.h, topic) })
}

func (r *Runner) message(h capi.Qp_message, lent bool) *Message {
	m := &Message{h: h, r: r, lent: lent}
	m.Kind = MessageKind(capi.Qp_message_kind(h))
	if topic := capi.Qp_message_topic(h); topic != nil {
		m.Topic = *topic
	}
	m.Partition = int32(capi.Qp_message_partition(h))
	m.Offset = capi.Qp_message_offset(h)
	m.Key, m.Value = capi.Qp_message_key(h), capi.Qp_message_value(h)
	m.Timestamp = capi.Qp_message_timestamp(h)
	if n := capi.Qp_message_header_count(h); n > 0 {
		m.Headers = make(map[string][]byte, n)
		for i := int64(0); i < n; i++ {
			var hd Header
			if capi.Qp_message_header_at(h, i, &hd.Name, &hd.Value) == nil {
				m.HeaderList = append(m.HeaderList, hd)
				m.Headers[hd.Name] = hd.Value
			}
		}
	}
	if ev := capi.Qp_message_event(h); ev.Swigcptr() != 0 {
		m.Event = borrowEvent(ev, r.g)
	}
	if code := capi.Qp_message_decode_error(h); code != int(capi.QP_OK) {
		m.DecodeErr = &Error{Code: Code(code), Detail: capi.Qp_message_decode_detail(h)}
	}
	m.RetryCount = int(capi.Qp_message_retry_count(h))
	for i := int64(0); i < capi.Qp_message_assignment_count(h); i++ {
		tp := TopicPartition{Partition: int32(capi.Qp_message_assignment_partition(h, i))}
		if topic := capi.Qp_message_assignment_topic(h, i); topic != nil {
			tp.Topic = *topic
		}
		m.Assignment = append(m.Assignment, tp)
	}
	if !lent {
		r.held[m] = struct{}{}
	}
	return m
}

// Next waits up to timeoutMs (-1: no limit) for the next message. Errors:
// ErrNoEvent when the time ran out, ErrWakeup when Wakeup (or Close from
// another goroutine) ended the wait, ErrClosed after Close.
func (r *Runner) Next(timeoutMs int) (*Message, error) {
	defer runtime.KeepAlive(r)
	var m *Message
	err := r.g.call(callAlone, func() error {
		var p uintptr
		if err := capi.Qp_runner_next(r.h, &p, timeoutMs); err != nil {
			return err
		}
		m = r.message(capi.SwigcptrQp_message(p), false)
		return nil
	})
	return m, err
}

// NextBatch waits up to timeoutMs for a first message, then adds what is
// ready, up to max. A rebalance notice ends a batch. Errors as Next.
func (r *Runner) NextBatch(max, timeoutMs int) ([]*Message, error) {
	defer runtime.KeepAlive(r)
	var batch []*Message
	err := r.g.call(callAlone, func() error {
		if max <= 0 || max > 1000000 {
			return &Error{Code: Code(capi.QP_ERR_INVALID_ARG),
				Detail: "runner: NextBatch max must be in [1, 1000000]"}
		}
		slots := make([]uintptr, max)
		var n int64
		if err := capi.Qp_runner_next_batch(r.h, slots, timeoutMs, &n); err != nil {
			return err
		}
		for _, p := range slots[:n] {
			batch = append(batch, r.message(capi.SwigcptrQp_message(p), false))
		}
		return nil
	})
	return batch, err
}

// owns checks that m is a message r lent and may take back.
func (r *Runner) owns(m *Message) error {
	switch {
	case m == nil || m.r != r:
		return &Error{Code: Code(capi.QP_ERR_INVALID_ARG), Detail: "runner: not a message of this runner"}
	case m.lent:
		return stateError("runner: a Run handler's message is released by its verdict")
	case m.h == nil:
		return capi.Closed("message (acked, retried or dead-lettered)")
	}
	return nil
}

func (r *Runner) release(m *Message, fn func(capi.Qp_message) error) error {
	defer runtime.KeepAlive(r)
	return r.g.call(callAlone, func() error {
		if err := r.owns(m); err != nil {
			return err
		}
		err := fn(m.h)
		// Retry and DeadLetter refuse a notice, which then stays held.
		if !errors.Is(err, ErrInvalidArgument) {
			delete(r.held, m)
			m.forget()
		}
		return err
	})
}

// Ack releases m as done: its offset becomes committable. An error matching
// ErrState if its partition was taken away meanwhile (m is released anyway).
func (r *Runner) Ack(m *Message) error {
	return r.release(m, func(h capi.Qp_message) error { return capi.Qp_runner_ack(r.h, h) })
}

// AckBatch acks msgs in order and returns the first failure; all are released.
func (r *Runner) AckBatch(msgs []*Message) error {
	defer runtime.KeepAlive(r)
	return r.g.call(callAlone, func() error {
		ptrs := make([]uintptr, len(msgs))
		for i, m := range msgs {
			if err := r.owns(m); err != nil {
				return err
			}
			ptrs[i] = m.h.Swigcptr()
		}
		err := capi.Qp_runner_ack_batch(r.h, ptrs)
		for _, m := range msgs {
			delete(r.held, m)
			m.forget()
		}
		return err
	})
}

// Retry releases an event for re-delivery after a backoff; past
// qp.runner.retry.max retries it is dead-lettered instead.
func (r *Runner) Retry(m *Message) error {
	return r.release(m, func(h capi.Qp_message) error { return capi.Qp_runner_retry(r.h, h) })
}

// DeadLetter releases an event to the dead-letter topic. The headers name
// cause: its code and detail if it is an *Error, else QP_ERR_USER and its
// text (nil: QP_ERR_USER and no reason).
func (r *Runner) DeadLetter(m *Message, cause error) error {
	code, reason := int(capi.QP_ERR_USER), ""
	var qerr *Error
	if errors.As(cause, &qerr) {
		code, reason = int(qerr.Code), qerr.Detail
	} else if cause != nil {
		reason = cause.Error()
	}
	return r.release(m, func(h capi.Qp_message) error {
		return capi.Qp_runner_dead_letter(r.h, h, code, reason)
	})
}

// Run calls handler for each message until Wakeup or Close (then it returns
// nil). The handler's Verdict releases the message (the verdict of a notice
// is ignored: it is acked). A handler error stops the run, puts the message
// back for re-delivery and is returned as is. The handler runs on the
// calling goroutine; inside it, Pause, Resume and Stats are allowed, the
// other runner calls return an error matching ErrState.
func (r *Runner) Run(handler func(*Message) (Verdict, error)) error {
	defer runtime.KeepAlive(r)
	if handler == nil {
		return &Error{Code: Code(capi.QP_ERR_INVALID_ARG), Detail: "runner: Run: nil handler"}
	}
	var stop error
	h := cgo.NewHandle(capi.RunnerHandlerFunc(func(cm capi.Qp_message) int {
		verdict := int(capi.QP_ERR_USER)
		r.g.callback(func() {
			m := r.message(cm, true)
			defer m.forget()
			v, err := handler(m)
			if err != nil {
				stop = err
				return
			}
			verdict = int(v)
		})
		return verdict
	}))
	defer h.Delete()
	err := r.g.call(callAlone, func() error { return capi.Qp_runner_run(r.h, uintptr(h)) })
	switch {
	case stop != nil:
		return stop
	case errors.Is(err, ErrWakeup):
		return nil
	}
	return err
}

// Wakeup ends the current (or the next) Next, NextBatch or Run: Next
// returns ErrWakeup, Run returns nil. Safe from any goroutine, also after
// Close.
func (r *Runner) Wakeup() {
	defer runtime.KeepAlive(r)
	r.g.wakeup(func() { capi.Qp_runner_wakeup(r.h) })
}

// Pause stops fetching from every partition until Resume.
func (r *Runner) Pause() error {
	defer runtime.KeepAlive(r)
	return r.g.call(callNested, func() error { return capi.Qp_runner_pause(r.h) })
}

// Resume undoes Pause.
func (r *Runner) Resume() error {
	defer runtime.KeepAlive(r)
	return r.g.call(callNested, func() error { return capi.Qp_runner_resume(r.h) })
}

// Rewind reads every assigned partition again from its committed offset;
// messages still held become stale (their Ack returns an error matching
// ErrState). Without transactions, what was acked is committed first.
func (r *Runner) Rewind(timeoutMs int) error {
	defer runtime.KeepAlive(r)
	return r.g.call(callAlone, func() error { return capi.Qp_runner_rewind(r.h, timeoutMs) })
}

// Exactly-once (qp.runner.transactional=true and a Producer whose conf sets
// transactional.id): BeginTransaction, publish the outputs, ack the inputs,
// CommitTransaction. A commit that cannot happen aborts and rewinds, and
// returns an error matching ErrKafka with code QP_ERR_TXN_ABORTED: the
// events come again.
func (r *Runner) transaction(p *Producer, timeoutMs int,
	fn func(capi.Qp_runner, capi.Qp_producer, int) error) error {
	defer runtime.KeepAlive(r)
	defer runtime.KeepAlive(p)
	return p.g.call(callNested, func() error {
		return r.g.call(callAlone, func() error { return fn(r.h, p.h, timeoutMs) })
	})
}

// BeginTransaction starts a transaction on p; the first call initialises
// transactions, fencing an older producer with the same transactional.id.
func (r *Runner) BeginTransaction(p *Producer, timeoutMs int) error {
	return r.transaction(p, timeoutMs, capi.Qp_runner_begin_transaction)
}

// CommitTransaction commits p's outputs together with r's acked offsets.
func (r *Runner) CommitTransaction(p *Producer, timeoutMs int) error {
	return r.transaction(p, timeoutMs, capi.Qp_runner_commit_transaction)
}

// AbortTransaction aborts p's outputs and rewinds r to the last committed
// offsets.
func (r *Runner) AbortTransaction(p *Producer, timeoutMs int) error {
	return r.transaction(p, timeoutMs, capi.Qp_runner_abort_transaction)
}

// Stats returns the runner's counters and per-partition lag.
func (r *Runner) Stats() (RunnerStats, error) {
	defer runtime.KeepAlive(r)
	var st RunnerStats
	err := r.g.call(callNested, func() error {
		var p uintptr
		if err := capi.Qp_runner_stats(r.h, &p); err != nil {
			return err
		}
		s := capi.SwigcptrQp_runner_stats_t(p)
		defer capi.DeleteQp_runner_stats_t(s)
		st = RunnerStats{s.GetConsumed(), s.GetAcked(), s.GetRetried(), s.GetDead_lettered(),
			s.GetDecode_failed(), s.GetDlq_failed(), s.GetCommits(), s.GetCommit_failed(),
			int(s.GetHeld()), int(s.GetRetry_pending()), int(s.GetDlq_in_flight()),
			s.GetPaused(), nil}
		for i := int64(0); i < s.GetPartition_count(); i++ {
			ps := capi.Qp_runner_stats_partition_at(s, i)
			st.Partitions = append(st.Partitions, PartitionStats{ps.GetTopic(),
				int32(ps.GetPartition()), ps.GetPosition(), ps.GetHigh_watermark(), ps.GetLag(),
				ps.GetCommitted(), int(ps.GetOutstanding())})
		}
		return nil
	})
	return st, err
}

// Close commits what was acked, leaves the group and frees the runner;
// messages still held are released (they will be delivered again). From
// another goroutine it first ends a blocked Next or Run; from inside a Run
// handler it takes effect when Run returns. An error matching ErrKafka if
// the final commit failed (the runner is closed anyway). Closing twice is
// harmless.
func (r *Runner) Close() error {
	defer runtime.KeepAlive(r)
	return r.g.close(func() { capi.Qp_runner_wakeup(r.h) }, func() error {
		err := capi.Qp_runner_close(r.h)
		for m := range r.held {
			m.forget()
		}
		r.held = nil
		return err
	}, r.free)
}
