// Command ingest-go is the baseline of `bench/run ingest`: the reference
// design's ingest API as it describes itself — a Go net/http handler that
// validates the scan with encoding/json and hands it to sarama's async
// producer keyed by device_id (hash partitioner, acks=all, idempotent), and
// answers 202 once the event is in the producer's input channel. No
// authentication, no idempotency window: the least the design does.
//
//	ingest-go -addr 127.0.0.1:8090 -brokers 127.0.0.1:9092 -topic scan-events
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/IBM/sarama"
)

type wifi struct {
	BSSID   string `json:"bssid"`
	RSSI    *int   `json:"rssi_dbm"`
	FreqMHz *int   `json:"freq_mhz"`
}

type scan struct {
	SchemaVersion int    `json:"schema_version"`
	ScanID        string `json:"scan_id"`
	DeviceID      string `json:"device_id"`
	TsMs          int64  `json:"ts_ms"`
	GPS           *struct {
		Lat      *float64 `json:"lat"`
		Lon      *float64 `json:"lon"`
		Accuracy *float64 `json:"accuracy_m"`
	} `json:"gps"`
	Wifi       []wifi  `json:"wifi"`
	Reward     float64 `json:"reward"`
	AppVersion string  `json:"app_version"`
	Platform   string  `json:"platform"`
}

// validate checks what the reference design checks: required fields and
// ranges, field by field.
func validate(s *scan) string {
	switch {
	case s.SchemaVersion != 1:
		return "schema_version"
	case len(s.ScanID) != 36:
		return "scan_id"
	case s.DeviceID == "" || len(s.DeviceID) > 256:
		return "device_id"
	case s.TsMs < 946684800000 || s.TsMs > 4102444799999:
		return "ts_ms"
	case s.GPS == nil || s.GPS.Lat == nil || *s.GPS.Lat < -90 || *s.GPS.Lat > 90:
		return "gps.lat"
	case s.GPS.Lon == nil || *s.GPS.Lon < -180 || *s.GPS.Lon > 180:
		return "gps.lon"
	case s.GPS.Accuracy == nil || *s.GPS.Accuracy < 0:
		return "gps.accuracy_m"
	}
	for i, w := range s.Wifi {
		if len(w.BSSID) != 17 || w.RSSI == nil || *w.RSSI < -120 || *w.RSSI > 0 ||
			w.FreqMHz == nil {
			return fmt.Sprintf("wifi[%d]", i)
		}
	}
	return ""
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka bootstrap servers")
	topic := flag.String("topic", "scan-events", "topic")
	flag.Parse()

	conf := sarama.NewConfig()
	conf.Version = sarama.V2_8_0_0
	conf.Producer.Partitioner = sarama.NewHashPartitioner
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Idempotent = true
	conf.Net.MaxOpenRequests = 1
	conf.Producer.Return.Errors = true
	producer, err := sarama.NewAsyncProducer(strings.Split(*brokers, ","), conf)
	if err != nil {
		log.Fatal(err)
	}
	var failed atomic.Uint64
	go func() {
		for range producer.Errors() {
			failed.Add(1)
		}
	}()

	http.HandleFunc("/v1/scans", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		var s scan
		if err := json.Unmarshal(body, &s); err != nil {
			http.Error(w, "malformed JSON", http.StatusBadRequest)
			return
		}
		if field := validate(&s); field != "" {
			http.Error(w, "invalid "+field, http.StatusUnprocessableEntity)
			return
		}
		producer.Input() <- &sarama.ProducerMessage{Topic: *topic,
			Key: sarama.StringEncoder(s.DeviceID), Value: sarama.ByteEncoder(body)}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"accepted":1,"scan_ids":[%q]}`+"\n", s.ScanID)
	})
	srv := &http.Server{Addr: *addr}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
		<-stop
		srv.Close()
	}()
	fmt.Fprintln(os.Stderr, "ingest-go: listening on", *addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	producer.Close()
	fmt.Fprintln(os.Stderr, "ingest-go: failed deliveries:", failed.Load())
}
