package quackpipe

import (
	"errors"
	"math"
	"runtime"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// InserterStats are an inserter's counters since it was created.
type InserterStats struct {
	RowsInserted, BytesInserted, RowsRejected, Batches, Requests, Retries, Splits uint64
	RowsPending, BytesPending                                                    uint64
	LatencyCount                                                                 uint64
	LatencyMeanMs, LatencyP50Ms, LatencyP99Ms, LatencyMaxMs                      float64
	LastErr                                                                      error  // the last failed request's, else nil
	ServerVersion                                                                string // "" until the server was reached
}

// LatencyBucket is one bucket of the insert latency histogram.
type LatencyBucket struct {
	UpperMs float64 // +Inf for the last
	Count   uint64
}

// rowTags maps the tags the library carries (small integers) to the host's.
type rowTags struct {
	next uintptr
	tags map[uintptr]any
}

// Inserter batches JSONEachRow rows into ClickHouse, over HTTP or embedded
// (docs/inserter.md). Not safe for concurrent use, except Wakeup and Close.
type Inserter struct {
	owner
	h    capi.Qp_inserter
	rows *rowTags
}

// NewInserter creates an inserter from conf (qp.inserter.*), which it takes
// over (closed afterwards, also when it fails). ClickHouse is first contacted by a flush, query or
// EnsureTable.
func NewInserter(conf *Conf) (*Inserter, error) {
	var p uintptr
	hs, err := conf.handOver(func(c capi.Qp_conf) error { return capi.Qp_inserter_new(&p, c) })
	if err != nil {
		return nil, err
	}
	ins := &Inserter{h: capi.SwigcptrQp_inserter(p), rows: &rowTags{tags: map[uintptr]any{}}}
	own(ins, &ins.owner, "inserter", true, p, hs, func(p uintptr) {
		capi.DeleteQp_inserter(capi.SwigcptrQp_inserter(p))
	})
	if err := ins.SetResultFunc(nil); err != nil {
		ins.Close()
		return nil, err
	}
	return ins, nil
}

// SetResultFunc sets the function told each row's fate during Flush: err is
// nil when the row is in ClickHouse, else the *Error (ErrClickHouse) that
// refused it alone. nil: results are only counted.
func (ins *Inserter) SetResultFunc(fn func(tag any, err error)) error {
	defer runtime.KeepAlive(ins)
	return ins.g.call(callAlone, func() error {
		g, rows := ins.g, ins.rows // not ins: the hook must not keep it alive
		// Rows are always reported here, so that tags never pile up.
		h := newHook(capi.InserterResultFunc(func(key uintptr, status int, message string) {
			tag := rows.tags[key]
			delete(rows.tags, key)
			if fn == nil {
				return
			}
			var err error
			if status != int(capi.QP_OK) {
				err = &Error{Code: Code(status), Detail: message}
			}
			g.callback(func() { fn(tag, err) })
		}))
		capi.Qp_inserter_set_result_cb(ins.h, uintptr(h.handle))
		ins.setHook("result", h)
		return nil
	})
}

// EnsureTable creates the database and the scan events table if missing.
func (ins *Inserter) EnsureTable() error {
	defer runtime.KeepAlive(ins)
	return ins.g.call(callAlone, func() error { return capi.Qp_inserter_ensure_table(ins.h) })
}

// AddRow queues one JSONEachRow line; tag comes back to the result
// function. An error matching ErrQueueFull: flush first (and pause the
// source until a flush succeeds).
func (ins *Inserter) AddRow(row []byte, tag any) error {
	defer runtime.KeepAlive(ins)
	return ins.g.call(callAlone, func() error {
		key := ins.rows.next
		if err := capi.Qp_inserter_add_row(ins.h, row, key); err != nil {
			return err
		}
		ins.rows.tags[key] = tag
		ins.rows.next++
		return nil
	})
}

// DueInMs is the time until a flush is due: 0 now, -1 when no row is pending.
func (ins *Inserter) DueInMs() (int64, error) {
	defer runtime.KeepAlive(ins)
	var ms int64
	err := ins.g.call(callAlone, func() error { ms = capi.Qp_inserter_due_in_ms(ins.h); return nil })
	return ms, err
}

// PendingRows is the number of rows added and not yet reported.
func (ins *Inserter) PendingRows() (int, error) {
	defer runtime.KeepAlive(ins)
	var n int64
	err := ins.g.call(callAlone, func() error { n = capi.Qp_inserter_pending_rows(ins.h); return nil })
	return int(n), err
}

// Flush inserts every pending row, retrying and bisecting around bad rows.
// dedupToken ("": none) names the batch for ClickHouse's deduplication.
// Errors matching ErrRetriesExhausted, ErrClickHouse or ErrWakeup leave the
// unreported rows pending; call Flush again.
func (ins *Inserter) Flush(dedupToken string) error {
	defer runtime.KeepAlive(ins)
	return ins.g.call(callAlone, func() error { return capi.Qp_inserter_flush(ins.h, dedupToken) })
}

// Query runs one SQL statement and returns its result text.
func (ins *Inserter) Query(sql string) ([]byte, error) {
	defer runtime.KeepAlive(ins)
	var out []byte
	err := ins.g.call(callAlone, func() error { return capi.Qp_inserter_query(ins.h, sql, &out) })
	return out, err
}

// Wakeup makes a blocking Flush, EnsureTable or Query return an error
// matching ErrWakeup soon. Safe from any goroutine, also after Close.
func (ins *Inserter) Wakeup() {
	defer runtime.KeepAlive(ins)
	ins.g.wakeup(func() { capi.Qp_inserter_wakeup(ins.h) })
}

// Stats returns the inserter's counters.
func (ins *Inserter) Stats() (InserterStats, error) {
	defer runtime.KeepAlive(ins)
	var st InserterStats
	err := ins.g.call(callAlone, func() error {
		var snapshot uintptr
		if err := capi.Qp_inserter_stats(ins.h, &snapshot); err != nil {
			return err
		}
		s := capi.SwigcptrQp_inserter_stats_t(snapshot) // copied out, then freed
		defer capi.DeleteQp_inserter_stats_t(s)
		st = InserterStats{s.GetRows_inserted(), s.GetBytes_inserted(), s.GetRows_rejected(),
			s.GetBatches(), s.GetRequests(), s.GetRetries(), s.GetSplits(), s.GetRows_pending(),
			s.GetBytes_pending(), s.GetLatency_count(), s.GetLatency_mean_ms(),
			s.GetLatency_p50_ms(), s.GetLatency_p99_ms(), s.GetLatency_max_ms(), nil,
			s.GetServer_version()}
		if code := s.GetLast_error_code(); code != int(capi.QP_OK) {
			st.LastErr = &Error{Code: Code(code), Detail: s.GetLast_error()}
		}
		return nil
	})
	return st, err
}

// LatencyBuckets returns the insert latency histogram.
func (ins *Inserter) LatencyBuckets() ([]LatencyBucket, error) {
	defer runtime.KeepAlive(ins)
	var buckets []LatencyBucket
	err := ins.g.call(callAlone, func() error {
		for i := int64(0); ; i++ {
			var b LatencyBucket
			err := capi.Qp_inserter_latency_bucket(ins.h, i, &b.UpperMs, &b.Count)
			if errors.Is(err, ErrInvalidArgument) { // past the last bucket
				return nil
			} else if err != nil {
				return err
			}
			buckets = append(buckets, b)
			if math.IsInf(b.UpperMs, 1) {
				return nil
			}
		}
	})
	return buckets, err
}

// Close frees the inserter; pending rows are dropped unreported (Flush
// first to keep them). From another goroutine it first wakes a Flush.
// Closing twice is harmless.
func (ins *Inserter) Close() error {
	defer runtime.KeepAlive(ins)
	return ins.g.close(func() { capi.Qp_inserter_wakeup(ins.h) }, nil, ins.free)
}
