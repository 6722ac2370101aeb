package quackpipe

import (
	"net/http"
	"runtime"
	"strings"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// IngestResponse is what to answer a request: status, headers, body.
type IngestResponse struct {
	Status  int
	Headers [][2]string // name, value
	Body    []byte
}

// IngestStats are the ingest handler's counters since it was created.
type IngestStats struct {
	Requests, Accepted, Duplicates, Refused, Unavailable, Delivered, DeliveryFailed,
	Tokens, Status2xx, Status4xx, Status5xx uint64
	// The spool (qp.ingest.spool.dir): events whose delivery failed after
	// their 202 written to disk, those produced again, what it holds now.
	Spooled, Replayed, SpoolBytes, SpoolRecords uint64
}

// Ingest is the ingest API handler (docs/ingest.md): the endpoint phones POST
// scans to, as a function of the request, with its own producer. Handle and
// Check may be called from many goroutines at once; Poll must be called
// regularly from one (delivery reports, the Kafka probe).
type Ingest struct {
	owner
	h capi.Qp_ingest
}

// NewIngest creates a handler from conf, which it takes over (conf is
// closed afterwards, also when it fails).
func NewIngest(conf *Conf) (*Ingest, error) {
	var p uintptr
	hs, err := conf.handOver(func(c capi.Qp_conf) error { return capi.Qp_ingest_new(&p, c) })
	if err != nil {
		return nil, err
	}
	in := &Ingest{h: capi.SwigcptrQp_ingest(p)}
	own(in, &in.owner, "ingest", false, p, hs, func(p uintptr) {
		capi.DeleteQp_ingest(capi.SwigcptrQp_ingest(p))
	})
	return in, nil
}

// headerText is header as HTTP header text.
func headerText(header http.Header) string {
	var b strings.Builder
	for name, values := range header {
		for _, v := range values {
			b.WriteString(name)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

// response copies a C response out and frees it; nil for none.
func response(p uintptr) *IngestResponse {
	if p == 0 {
		return nil
	}
	r := capi.SwigcptrQp_ingest_response(p)
	defer capi.DeleteQp_ingest_response(r)
	out := &IngestResponse{
		Status: capi.Qp_ingest_response_status(r),
		Body:   []byte(capi.Qp_ingest_response_body(r)),
	}
	n := int(capi.Qp_ingest_response_header_count(r))
	for i := 0; i < n; i++ {
		var name, value string
		if capi.Qp_ingest_response_header_at(r, int64(i), &name, &value) == nil {
			out.Headers = append(out.Headers, [2]string{name, value})
		}
	}
	return out
}

// Handle answers a whole request.
func (in *Ingest) Handle(method, path string, header http.Header, body []byte) (*IngestResponse, error) {
	defer runtime.KeepAlive(in)
	var out *IngestResponse
	err := in.g.call(callNested, func() error {
		var p uintptr
		err := capi.Qp_ingest_handle(in.h, method, path, headerText(header), body, &p)
		out = response(p)
		return err
	})
	return out, err
}

// Check answers from the head alone (401, 413 from contentLength, 415, ...),
// or returns nil when the body should be read and Handle called.
// contentLength is -1 when unknown.
func (in *Ingest) Check(method, path string, header http.Header, contentLength int64) (*IngestResponse, error) {
	defer runtime.KeepAlive(in)
	var out *IngestResponse
	err := in.g.call(callNested, func() error {
		var p uintptr
		err := capi.Qp_ingest_check(in.h, method, path, headerText(header), contentLength, &p)
		out = response(p)
		return err
	})
	return out, err
}

// Poll serves delivery reports and probes Kafka when due, waiting up to
// timeoutMs; an error matching ErrWakeup when Wakeup ended it.
func (in *Ingest) Poll(timeoutMs int) error {
	defer runtime.KeepAlive(in)
	return in.g.call(callNested, func() error { return capi.Qp_ingest_poll(in.h, timeoutMs) })
}

// Flush waits until every queued event has a delivery report.
func (in *Ingest) Flush(timeoutMs int) error {
	defer runtime.KeepAlive(in)
	return in.g.call(callNested, func() error { return capi.Qp_ingest_flush(in.h, timeoutMs) })
}

// Wakeup makes a Poll or Flush on another goroutine return ErrWakeup.
func (in *Ingest) Wakeup() {
	defer runtime.KeepAlive(in)
	in.g.wakeup(func() { capi.Qp_ingest_wakeup(in.h) })
}

// Stats returns the counters.
func (in *Ingest) Stats() (IngestStats, error) {
	defer runtime.KeepAlive(in)
	var st IngestStats
	err := in.g.call(callNested, func() error {
		s := capi.NewQp_ingest_stats_t()
		defer capi.DeleteQp_ingest_stats_t(s)
		capi.Qp_ingest_stats(in.h, s)
		st = IngestStats{s.GetRequests(), s.GetAccepted(), s.GetDuplicates(), s.GetRefused(),
			s.GetUnavailable(), s.GetDelivered(), s.GetDelivery_failed(), s.GetTokens(),
			s.GetStatus_2xx(), s.GetStatus_4xx(), s.GetStatus_5xx(),
			s.GetSpooled(), s.GetReplayed(), s.GetSpool_bytes(), s.GetSpool_records()}
		return nil
	})
	return st, err
}

// Close flushes (qp.producer.close.timeout.ms) and frees the handler.
func (in *Ingest) Close() error {
	defer runtime.KeepAlive(in)
	return in.g.close(func() { capi.Qp_ingest_wakeup(in.h) }, func() error {
		capi.Qp_ingest_poll(in.h, 0) // spends a pending wakeup
		return nil
	}, in.free)
}
