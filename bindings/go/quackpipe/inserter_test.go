package quackpipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// closedPort is a loopback port nothing listens on (bound, then released).
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprintf("http://%s", l.Addr())
}

func httpInserter(t *testing.T, url string, props map[string]string) *Inserter {
	t.Helper()
	all := map[string]string{"qp.inserter.backend": "http", "qp.inserter.url": url,
		"qp.inserter.connect.timeout.ms": "100", "qp.inserter.retry.max": "1",
		"qp.inserter.retry.backoff.ms": "1", "qp.inserter.retry.backoff.max.ms": "1"}
	for k, v := range props {
		all[k] = v
	}
	ins, err := NewInserter(newConf(t, all))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ins.Close() })
	return ins
}

// fakeClickHouse answers the inserter's requests: the version probe, any
// other query with "1", and INSERTs, refusing a body with a "poison" row as
// ClickHouse refuses a row it cannot parse (code 27).
type fakeClickHouse struct {
	mu       sync.Mutex
	inserted []string
}

func (f *fakeClickHouse) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	sql := req.URL.Query().Get("query")
	if sql == "" {
		sql = string(body)
	}
	switch {
	case strings.HasPrefix(sql, "INSERT"):
		rows := strings.Split(strings.TrimSpace(string(body)), "\n")
		for _, row := range rows {
			if strings.Contains(row, "poison") {
				w.Header().Set("X-ClickHouse-Exception-Code", "27")
				w.WriteHeader(400)
				io.WriteString(w, "Code: 27. DB::Exception: Cannot parse input: poison row\n")
				return
			}
		}
		f.mu.Lock()
		f.inserted = append(f.inserted, rows...)
		f.mu.Unlock()
	case strings.Contains(sql, "version()"):
		io.WriteString(w, "24.3.1.1\n")
	case strings.Contains(sql, "system.settings"):
		io.WriteString(w, "input_format_skip_unknown_fields\n")
	default:
		io.WriteString(w, "1\n")
	}
}

func TestAClosedPortReturnsTheTransportDetail(t *testing.T) {
	url := closedPort(t)
	ins := httpInserter(t, url, nil)
	var qerr *Error
	_, err := ins.Query("SELECT 1")
	if !errors.Is(err, ErrClickHouse) || !errors.As(err, &qerr) || qerr.Code.String() != "QP_ERR_HTTP" ||
		!strings.Contains(qerr.Detail, url) || !strings.Contains(strings.ToLower(qerr.Detail), "connect") {
		t.Fatalf("Query: %v", err)
	}
	if err := ins.AddRow([]byte(`{"scan_id":"a"}`), "row-a"); err != nil {
		t.Fatal(err)
	}
	err = ins.Flush("")
	if !errors.Is(err, ErrRetriesExhausted) || !errors.As(err, &qerr) ||
		!strings.Contains(qerr.Detail, "gave up after 2 attempts") {
		t.Fatalf("Flush: %v", err)
	}
	if n, _ := ins.PendingRows(); n != 1 {
		t.Fatalf("pending %d", n)
	}
	st, err := ins.Stats()
	if err != nil || st.RowsPending != 1 || st.RowsInserted != 0 || st.LastErr == nil || st.ServerVersion != "" {
		t.Fatalf("stats %+v %v", st, err)
	}
	ins.Close()
	if err := ins.Flush(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
}

func TestResultFuncReportsEveryRow(t *testing.T) {
	fake := &fakeClickHouse{}
	server := httptest.NewServer(fake)
	defer server.Close()
	ins := httpInserter(t, server.URL, nil)
	type result struct {
		tag any
		err error
	}
	var results []result
	ins.SetResultFunc(func(tag any, err error) { results = append(results, result{tag, err}) })
	if err := ins.EnsureTable(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		row := fmt.Sprintf(`{"scan_id":"%d"}`, i)
		if i == 2 {
			row = `{"scan_id":"poison"}`
		}
		if err := ins.AddRow([]byte(row), i); err != nil {
			t.Fatal(err)
		}
	}
	if err := ins.AddRow([]byte("two\nlines"), "bad"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("AddRow of two lines: %v", err)
	}
	if err := ins.Flush("test:0-4"); err != nil {
		t.Fatal(err)
	}
	if len(results) != 5 {
		t.Fatalf("results %+v", results)
	}
	for i, r := range results {
		if r.tag != i || (r.err != nil) != (i == 2) {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	var qerr *Error
	if !errors.As(results[2].err, &qerr) || qerr.Code.String() != "QP_ERR_CLICKHOUSE" ||
		!strings.Contains(qerr.Detail, "Cannot parse input") {
		t.Fatalf("refused row: %v", results[2].err)
	}
	sort.Strings(fake.inserted)
	if strings.Join(fake.inserted, " ") != `{"scan_id":"0"} {"scan_id":"1"} {"scan_id":"3"} {"scan_id":"4"}` {
		t.Fatalf("inserted %q", fake.inserted)
	}
	st, _ := ins.Stats()
	if st.RowsInserted != 4 || st.RowsRejected != 1 || st.RowsPending != 0 || st.Splits < 1 ||
		st.ServerVersion != "24.3.1.1" {
		t.Fatalf("stats %+v", st)
	}
	buckets, err := ins.LatencyBuckets()
	if err != nil || len(buckets) == 0 || !math.IsInf(buckets[len(buckets)-1].UpperMs, 1) {
		t.Fatalf("buckets %+v %v", buckets, err)
	}
	total := uint64(0)
	for _, b := range buckets {
		total += b.Count
	}
	if total != st.LatencyCount || total != st.Batches {
		t.Fatalf("buckets hold %d, stats %+v", total, st)
	}
	if out, err := ins.Query("SELECT 1"); err != nil || !bytes.Equal(out, []byte("1\n")) {
		t.Fatalf("Query: %q %v", out, err)
	}
}

func TestWakeupAndCloseEndABlockedFlush(t *testing.T) {
	ins := httpInserter(t, closedPort(t), map[string]string{"qp.inserter.retry.max": "100",
		"qp.inserter.retry.backoff.ms": "600000", "qp.inserter.retry.backoff.max.ms": "600000",
		"qp.inserter.retry.total.ms": "600000"})
	ins.AddRow([]byte(`{"scan_id":"a"}`), nil)
	results := make(chan error, 2)
	go func() { results <- ins.Flush("") }()
	waitInFlight(ins.g)
	ins.Wakeup() // ends the backoff wait at once
	if err := <-results; !errors.Is(err, ErrWakeup) {
		t.Fatalf("Flush: %v", err)
	}
	go func() { results <- ins.Flush("") }()
	waitInFlight(ins.g)
	ins.Close()
	if err := <-results; !errors.Is(err, ErrWakeup) {
		t.Fatalf("Flush during Close: %v", err)
	}
}
