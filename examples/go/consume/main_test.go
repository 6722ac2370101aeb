package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe"
)

func TestConsumeTheSampleOnTheMockCluster(t *testing.T) {
	data, err := os.ReadFile("../../events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var valid []*quackpipe.Event
	records := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		records++
		if ev, err := quackpipe.Decode(line); err == nil {
			valid = append(valid, ev)
		}
	}
	var out strings.Builder
	if err := run([]string{"-mock", "-sample", "../../events.ndjson"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(valid)+1 {
		t.Fatalf("%d lines for %d valid events:\n%s", len(lines), len(valid), out.String())
	}
	for i, ev := range valid {
		if want := fmt.Sprintf("scan-events[0]@%d %s %s ", i, ev.DeviceID, ev.ScanID); !strings.HasPrefix(lines[i], want) {
			t.Fatalf("line %d: %q, want %q...", i, lines[i], want)
		}
	}
	want := fmt.Sprintf("%d events; consumed %d, %d sent to the dead-letter topic",
		len(valid), records, records-len(valid))
	if lines[len(lines)-1] != want {
		t.Fatalf("summary %q, want %q", lines[len(lines)-1], want)
	}
}
