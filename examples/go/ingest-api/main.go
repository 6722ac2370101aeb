// Command ingest-api is the reference design's Go ingest API rebuilt on the
// library: a net/http server whose handler hands every request to the
// library's ingest handler (quackpipe.Ingest), which parses, validates,
// authenticates, enriches, produces keyed by device_id and chooses the
// answer, exactly as `quackpipe ingest` does.
//
//	ingest-api [-brokers LIST | -mock] [-addr 127.0.0.1:8080] [-keys FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe"
)

// handler serves every request through in.
func handler(in *quackpipe.Ingest) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.RequestURI()
		resp, err := in.Check(r.Method, path, r.Header, r.ContentLength)
		if err == nil && resp == nil {
			var body []byte
			if body, err = io.ReadAll(r.Body); err == nil {
				resp, err = in.Handle(r.Method, path, r.Header, body)
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, h := range resp.Headers {
			w.Header().Set(h[0], h[1])
		}
		w.WriteHeader(resp.Status)
		w.Write(resp.Body)
	})
}

// open creates the handler: on an embedded cluster with -mock (returned too,
// for the caller to close), else on brokers.
func open(brokers string, mock bool, keys string) (*quackpipe.Ingest, *quackpipe.MockCluster, error) {
	var mc *quackpipe.MockCluster
	if mock {
		var err error
		if mc, err = quackpipe.NewMockCluster(1); err != nil {
			return nil, nil, err
		}
		mc.CreateTopic("scan-events", 6)
		mc.CreateTopic("device-tokens", 1)
		brokers = mc.Bootstrap()
	}
	props := map[string]string{"bootstrap.servers": brokers, "qp.ingest.auth": "open"}
	if keys != "" {
		props = map[string]string{"bootstrap.servers": brokers, "qp.ingest.keys.path": keys}
	}
	conf, err := quackpipe.NewConf(props)
	if err == nil {
		var in *quackpipe.Ingest
		// NewIngest takes conf over, also when it fails.
		if in, err = quackpipe.NewIngest(conf); err == nil {
			return in, mc, nil
		}
	}
	if mc != nil {
		mc.Close()
	}
	return nil, nil, err
}

// serve runs the server on ln until ctx ends, then drains and flushes.
func serve(ctx context.Context, ln net.Listener, in *quackpipe.Ingest) error {
	polling := make(chan struct{})
	go func() {
		defer close(polling)
		for ctx.Err() == nil {
			in.Poll(100)
		}
	}()
	srv := &http.Server{Handler: handler(in)}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background()) // finishes the requests in flight
	}()
	err := srv.Serve(ln)
	<-polling
	if err == http.ErrServerClosed {
		err = nil
	}
	if ferr := in.Flush(10000); err == nil {
		err = ferr
	}
	return err
}

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka bootstrap servers")
	mock := flag.Bool("mock", false, "an embedded Kafka cluster")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	keys := flag.String("keys", "", "API keys file (qp.ingest.keys.path); none: open")
	flag.Parse()
	in, mc, err := open(*brokers, *mock, *keys)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-api:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-api:", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "ingest-api: listening on", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err = serve(ctx, ln, in)
	in.Close()
	if mc != nil {
		mc.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-api:", err)
		os.Exit(1)
	}
}
