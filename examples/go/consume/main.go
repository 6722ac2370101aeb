// Command consume reads scan events with the consumer-group runner and
// prints them:
//
//	consume -bootstrap 127.0.0.1:9092 [-group G] [-topic T]
//	consume -mock [-sample ../events.ndjson]
//
// With -mock it starts the embedded Kafka cluster, publishes the sample file
// to it and stops once every record was consumed; the lines that fail to
// decode never reach this program: the runner sends them to the dead-letter
// topic. Otherwise it runs until SIGINT or SIGTERM. Each event is acked once
// printed. Building it needs CGO_CFLAGS/CGO_LDFLAGS pointing at libquackpipe
// (docs/bindings.md).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe"
)

func describe(m *quackpipe.Message) string {
	ev := m.Event
	return fmt.Sprintf("%s[%d]@%d %s %s gps=%.5f,%.5f wifi=%d cell=%d ble=%d reward=%g",
		m.Topic, m.Partition, m.Offset, ev.DeviceID, ev.ScanID, ev.Gps.Lat, ev.Gps.Lon,
		len(ev.Wifi), len(ev.Cell), len(ev.Ble), ev.Reward)
}

// publishSample publishes the sample file, one record per line, and returns
// how many records it published.
func publishSample(bootstrap, topic, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	conf, err := quackpipe.NewConf(map[string]string{"bootstrap.servers": bootstrap})
	if err != nil {
		return 0, err
	}
	p, err := quackpipe.NewProducer(conf)
	if err != nil {
		conf.Close()
		return 0, err
	}
	defer p.Close()
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := p.Publish(topic, nil, line); err != nil {
			return n, err
		}
		n++
	}
	return n, p.Flush(10000)
}

// consume prints and acks events until woken up, or until expected records
// (if > 0) were consumed.
func consume(r *quackpipe.Runner, out io.Writer, expected uint64) error {
	printed := 0
	var stats quackpipe.RunnerStats
	for {
		m, err := r.Next(500)
		switch {
		case errors.Is(err, quackpipe.ErrWakeup):
			fmt.Fprintf(out, "%d events; consumed %d, %d sent to the dead-letter topic\n",
				printed, stats.Consumed, stats.DecodeFailed)
			return nil
		case err == nil:
			if m.Kind == quackpipe.MessageEvent {
				fmt.Fprintln(out, describe(m))
				printed++
			}
			if err := r.Ack(m); err != nil { // also releases rebalance notices
				return err
			}
		case !errors.Is(err, quackpipe.ErrNoEvent):
			return err
		}
		if stats, err = r.Stats(); err != nil {
			return err
		}
		if expected > 0 && stats.Consumed >= expected && stats.Held == 0 {
			r.Wakeup()
		}
	}
}

func run(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("consume", flag.ContinueOnError)
	bootstrap := flags.String("bootstrap", "", "bootstrap.servers of the cluster")
	mock := flags.Bool("mock", false, "use the embedded mock cluster, fed with -sample")
	sample := flags.String("sample", "../events.ndjson", "events to publish with -mock")
	group := flags.String("group", "consume-events-example", "consumer group")
	topic := flags.String("topic", "scan-events", "topic to read")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *mock == (*bootstrap != "") {
		return errors.New("give exactly one of -mock and -bootstrap")
	}
	expected := uint64(0)
	if *mock {
		cluster, err := quackpipe.NewMockCluster(1)
		if err != nil {
			return err
		}
		defer cluster.Close()
		*bootstrap = cluster.Bootstrap()
		if err := cluster.CreateTopic(*topic, 1); err != nil {
			return err
		}
		n, err := publishSample(*bootstrap, *topic, *sample)
		if err != nil {
			return err
		}
		expected = uint64(n)
	}
	conf, err := quackpipe.NewConf(map[string]string{"bootstrap.servers": *bootstrap,
		"group.id": *group, "auto.offset.reset": "earliest"})
	if err != nil {
		return err
	}
	r, err := quackpipe.NewRunner(conf, *topic)
	if err != nil {
		conf.Close()
		return err
	}
	defer r.Close()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		if _, ok := <-signals; ok {
			r.Wakeup() // safe from any goroutine: ends the blocked Next
		}
	}()
	return consume(r, out, expected)
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "consume:", err)
		os.Exit(1)
	}
}
