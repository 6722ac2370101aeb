package quackpipe

import (
	"runtime"
	"strconv"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// Header is one Kafka record header; a nil Value is a null header.
type Header struct {
	Name  string
	Value []byte
}

// DeliveryReport is the outcome of one published event: Err is nil when it
// was delivered, else an *Error matching ErrTimeout (message.timeout.ms
// passed), ErrClosed (dropped at Close) or ErrKafka.
type DeliveryReport struct {
	Topic     string
	Partition int32 // -1 when none was chosen
	Offset    int64 // -1 when not stored
	Key       []byte
	Err       error
}

// ProducerStats are the producer's counters since it was created.
type ProducerStats struct {
	Queued, Delivered, Failed, InFlight, Rejected uint64
}

// Producer publishes scan events (keyed by device_id) and raw records.
//
// Publishing is asynchronous: the delivery function (SetDeliveryFunc) gets a
// DeliveryReport per event inside Poll, Flush and Close, on the goroutine
// that called them. Publish, PublishEvent, Poll, Flush, Stats and Wakeup may
// be called from several goroutines at once; Wakeup ends a Poll, Flush or
// waiting Publish (ErrWakeup), and Close from another goroutine wakes them
// before it closes.
type Producer struct {
	owner
	h              capi.Qp_producer
	closeTimeoutMs int
}

// NewProducer creates a producer from conf, which it takes over (conf is
// closed afterwards, also when it fails). Brokers are contacted in the background.
func NewProducer(conf *Conf) (*Producer, error) {
	timeout := 10000
	if conf != nil {
		if v, ok := conf.Get("qp.producer.close.timeout.ms"); ok {
			timeout, _ = strconv.Atoi(v)
		}
	}
	var p uintptr
	hs, err := conf.handOver(func(c capi.Qp_conf) error { return capi.Qp_producer_new(&p, c) })
	if err != nil {
		return nil, err
	}
	pr := &Producer{h: capi.SwigcptrQp_producer(p), closeTimeoutMs: timeout}
	own(pr, &pr.owner, "producer", false, p, hs, func(p uintptr) {
		capi.DeleteQp_producer(capi.SwigcptrQp_producer(p))
	})
	return pr, nil
}

// SetDeliveryFunc sets the function that receives delivery reports (nil
// removes it); call it before the first Publish. fn runs inside Poll, Flush
// and Close on their goroutine; it may publish.
func (p *Producer) SetDeliveryFunc(fn func(DeliveryReport)) error {
	defer runtime.KeepAlive(p)
	return p.g.call(callAlone, func() error {
		if fn == nil {
			capi.Qp_producer_set_delivery_cb(p.h, 0)
			p.setHook("delivery", nil)
			return nil
		}
		g := p.g
		h := newHook(capi.DeliveryFunc(func(topic string, partition int32, offset int64,
			key []byte, code int, message string) {
			report := DeliveryReport{topic, partition, offset, key, nil}
			if code != 0 {
				report.Err = &Error{Code: Code(code), Detail: message}
			}
			g.callback(func() { fn(report) })
		}))
		capi.Qp_producer_set_delivery_cb(p.h, uintptr(h.handle))
		p.setHook("delivery", h)
		return nil
	})
}

func headersOf(list []Header) (capi.Qp_headers, func(), error) {
	if len(list) == 0 {
		return capi.SwigcptrQp_headers(0), func() {}, nil
	}
	var p uintptr
	if err := capi.Qp_headers_new(&p); err != nil {
		return nil, nil, err
	}
	h := capi.SwigcptrQp_headers(p)
	free := func() { capi.DeleteQp_headers(h) }
	for _, hd := range list {
		if err := capi.Qp_headers_add(h, hd.Name, hd.Value); err != nil {
			free()
			return nil, nil, err
		}
	}
	return h, free, nil
}

// Publish queues value (nil: a tombstone) under key (nil: none) with headers
// to topic ("": qp.topic.events). An error matching ErrQueueFull when the
// queue is full: the record is not queued.
func (p *Producer) Publish(topic string, key, value []byte, headers ...Header) error {
	defer runtime.KeepAlive(p)
	return p.g.call(callNested, func() error {
		hs, free, err := headersOf(headers)
		if err != nil {
			return err
		}
		defer free()
		return capi.Qp_producer_publish(p.h, topic, key, value, hs)
	})
}

// PublishEvent queues ev, encoded and keyed by its device_id, to topic ("":
// qp.topic.events).
func (p *Producer) PublishEvent(topic string, ev *Event) error {
	defer runtime.KeepAlive(p)
	return p.g.call(callNested, func() error {
		return ev.use(func(h capi.Qp_scan_event_t) error {
			return capi.Qp_producer_publish_event(p.h, topic, h)
		})
	})
}

// Poll serves delivery reports, waiting up to timeoutMs (-1: no limit).
func (p *Producer) Poll(timeoutMs int) error {
	defer runtime.KeepAlive(p)
	return p.g.call(callNested, func() error { return capi.Qp_producer_poll(p.h, timeoutMs) })
}

// Flush sends everything and waits for every report; an error matching
// ErrTimeout when some are still in flight after timeoutMs (-1: no limit).
func (p *Producer) Flush(timeoutMs int) error {
	defer runtime.KeepAlive(p)
	return p.g.call(callNested, func() error { return capi.Qp_producer_flush(p.h, timeoutMs) })
}

// Wakeup makes a Poll, Flush or waiting Publish on another goroutine return
// an error matching ErrWakeup. Safe from any goroutine, also after Close.
func (p *Producer) Wakeup() {
	defer runtime.KeepAlive(p)
	p.g.wakeup(func() { capi.Qp_producer_wakeup(p.h) })
}

// Stats returns the producer's counters.
func (p *Producer) Stats() (ProducerStats, error) {
	defer runtime.KeepAlive(p)
	var st ProducerStats
	err := p.g.call(callNested, func() error {
		var snapshot uintptr
		if err := capi.Qp_producer_stats(p.h, &snapshot); err != nil {
			return err
		}
		s := capi.SwigcptrQp_producer_stats_t(snapshot)
		defer capi.DeleteQp_producer_stats_t(s)
		st = ProducerStats{s.GetQueued(), s.GetDelivered(), s.GetFailed(), s.GetIn_flight(),
			s.GetRejected()}
		return nil
	})
	return st, err
}

// Close flushes for up to qp.producer.close.timeout.ms, drops what is still
// undelivered (reported failed, ErrClosed) and frees the producer: an error
// matching ErrTimeout if some events were dropped. Closing twice is harmless.
func (p *Producer) Close() error {
	_, err := p.CloseTimeout(p.closeTimeoutMs)
	return err
}

// CloseTimeout is Close with its own flush timeout; it also returns how many
// events were dropped.
func (p *Producer) CloseTimeout(timeoutMs int) (undelivered int, err error) {
	defer runtime.KeepAlive(p)
	err = p.g.close(func() { capi.Qp_producer_wakeup(p.h) }, func() error {
		// A wakeup meant for the calls Close ended may still be pending:
		// spend it here rather than on the final flush.
		capi.Qp_producer_poll(p.h, 0)
		var n int64
		err := capi.Qp_producer_close(p.h, timeoutMs, &n)
		undelivered = int(n)
		return err
	}, p.free)
	return undelivered, err
}
