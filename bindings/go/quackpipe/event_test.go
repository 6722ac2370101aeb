package quackpipe

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// sampleEvents returns the shared sample submissions: lines 0 and 3 are
// valid, 1, 2 and 4 are refused.
func sampleEvents(t *testing.T) [][]byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
}

func mustDecode(t *testing.T, line []byte) *Event {
	t.Helper()
	ev, err := Decode(line)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	t.Cleanup(func() { ev.Close() })
	return ev
}

func TestDecodeReadsEveryField(t *testing.T) {
	ev := mustDecode(t, sampleEvents(t)[0])
	if ev.SchemaVersion != 1 || ev.ScanID != "0b7e2c1a-5d0e-4f6b-9a59-1f2d3c4b5a69" ||
		ev.DeviceID != "dev-0042" || ev.TsMs != 1767225600000 {
		t.Fatalf("header fields: %+v", ev)
	}
	if ev.Reward != 0.25 || ev.AppVersion != "2.3.1" || ev.Platform != "android" || ev.Enrichment != nil {
		t.Fatalf("trailing fields: %+v", ev)
	}
	wantGps := Gps{Lat: 48.8566, Lon: 2.3522, AccuracyM: 8.5,
		AltitudeM: OptFloat{Present, 35.25}, SpeedMps: OptFloat{Presence: Null}}
	if ev.Gps != wantGps {
		t.Fatalf("gps %+v, want %+v", ev.Gps, wantGps)
	}
	wantWifi := []Wifi{
		{Bssid: "aa:bb:cc:dd:ee:01", Ssid: OptString{Present, "cafe-du-coin"}, RssiDbm: -61, FreqMhz: 2437},
		{Bssid: "aa:bb:cc:dd:ee:02", Ssid: OptString{Presence: Null}, RssiDbm: -80, FreqMhz: 5180},
		{Bssid: "aa:bb:cc:dd:ee:03", Ssid: OptString{Presence: Absent}, RssiDbm: -88, FreqMhz: 5745},
	}
	if !reflect.DeepEqual(ev.Wifi, wantWifi) {
		t.Fatalf("wifi %+v", ev.Wifi)
	}
	wantCell := []Cell{
		{Radio: "lte", Mcc: 208, Mnc: 1, Area: 12345, Cid: 67890123, Dbm: OptInt{Present, -95}, Serving: true},
		{Radio: "gsm", Mcc: 208, Mnc: 10, Area: 501, Cid: 4021, Dbm: OptInt{Presence: Absent}},
	}
	if !reflect.DeepEqual(ev.Cell, wantCell) {
		t.Fatalf("cell %+v", ev.Cell)
	}
	wantBle := []Ble{{Addr: "11:22:33:44:55:66", RssiDbm: -70, TxPower: OptInt{Present, -59},
		SignalStrength: OptFloat{Presence: Null}}}
	if !reflect.DeepEqual(ev.Ble, wantBle) {
		t.Fatalf("ble %+v", ev.Ble)
	}
	other := mustDecode(t, sampleEvents(t)[3])
	if other.Gps.AltitudeM.Presence != Absent || other.Gps.SpeedMps.Presence != Absent || other.Wifi != nil {
		t.Fatalf("absent fields: %+v", other)
	}
}

func TestUnknownFieldsAreKept(t *testing.T) {
	ev := mustDecode(t, sampleEvents(t)[0])
	unknown, err := ev.Unknown()
	if err != nil {
		t.Fatal(err)
	}
	if string(unknown["battery"]) != "87" || string(unknown["os"]) != `{"name":"android","v":14}` {
		t.Fatalf("unknown %v", unknown)
	}
	encoded, _ := ev.Encode()
	var fields map[string]any
	if err := json.Unmarshal(encoded, &fields); err != nil || fields["battery"] != 87.0 {
		t.Fatalf("encoded %s: %v", encoded, err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	line := sampleEvents(t)[0]
	ev := mustDecode(t, line)
	encoded, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	json.Unmarshal(encoded, &got)
	json.Unmarshal(line, &want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("encoded %s\nsubmitted %s", encoded, line)
	}
	again := mustDecode(t, encoded)
	if !reflect.DeepEqual(again.Gps, ev.Gps) || !reflect.DeepEqual(again.Wifi, ev.Wifi) ||
		!reflect.DeepEqual(again.Cell, ev.Cell) || !reflect.DeepEqual(again.Ble, ev.Ble) ||
		again.UnknownJSON != ev.UnknownJSON || again.ScanID != ev.ScanID {
		t.Fatalf("round trip differs:\n%+v\n%+v", again, ev)
	}
}

func TestInvalidEventsAreValidationErrors(t *testing.T) {
	lines := sampleEvents(t)
	for _, tc := range []struct {
		line               int
		name, path, detail string
	}{
		{1, "QP_ERR_FIELD_RANGE", "gps.lat", "gps.lat: 123.4 is outside [-90, 90]"},
		{2, "QP_ERR_FIELD_RANGE", "wifi[2].rssi_dbm", "wifi[2].rssi_dbm: 17 is outside [-120, 0]"},
		{4, "QP_ERR_JSON", "", ""},
	} {
		ev, err := Decode(lines[tc.line])
		var qerr *Error
		if ev != nil || !errors.Is(err, ErrValidation) || !errors.As(err, &qerr) {
			t.Fatalf("line %d: %v", tc.line, err)
		}
		if qerr.Code.String() != tc.name || qerr.Path() != tc.path ||
			(tc.detail != "" && qerr.Detail != tc.detail) {
			t.Errorf("line %d: code %v path %q detail %q", tc.line, qerr.Code, qerr.Path(), qerr.Detail)
		}
	}
	if _, err := Decode(nil); !errors.Is(err, ErrValidation) {
		t.Fatalf("Decode(nil): %v", err)
	}
}

func TestRowEncode(t *testing.T) {
	row, err := mustDecode(t, sampleEvents(t)[0]).EncodeRow()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(row, []byte("\n")) || bytes.Count(row, []byte("\n")) != 1 {
		t.Fatalf("row %q", row)
	}
	var columns map[string]any
	if err := json.Unmarshal(row, &columns); err != nil {
		t.Fatal(err)
	}
	if columns["lat"] != 48.8566 || !reflect.DeepEqual(columns["cell_dbm"], []any{-95.0, nil}) {
		t.Fatalf("columns %v", columns)
	}
}

func TestEnrichedEncodeKeepsTheRawBytes(t *testing.T) {
	raw := sampleEvents(t)[0]
	en := &Enrichment{ReceivedMs: 1767225600500, FraudFlags: []string{"impossible_travel", "clock_skew"},
		QualityScore: 0.75, LocationCluster: "u09tvw", EnrichedBy: "quackpipe-fraud/0.1.0"}
	enriched, err := EncodeEnriched(raw, en)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(enriched, raw[:len(raw)-1]) {
		t.Fatalf("raw bytes changed: %s", enriched)
	}
	ev, err := DecodeEnriched(enriched)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	if !reflect.DeepEqual(ev.Enrichment, en) {
		t.Fatalf("enrichment %+v, want %+v", ev.Enrichment, en)
	}
	if _, err := Decode(enriched); !errors.Is(err, ErrValidation) {
		t.Fatalf("raw decode of an enriched event: %v", err)
	}
	none := &Enrichment{ReceivedMs: 1767225600500, FraudFlags: []string{}, EnrichedBy: "engine"}
	enriched, _ = EncodeEnriched(raw, none)
	if ev, err := DecodeEnriched(enriched); err != nil || !reflect.DeepEqual(ev.Enrichment, none) {
		t.Fatalf("no flags: %v %+v", err, ev)
	} else {
		ev.Close()
	}
}

func TestEventUseAfterClose(t *testing.T) {
	ev := mustDecode(t, sampleEvents(t)[0])
	ev.Close()
	ev.Close()
	if _, err := ev.Encode(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after Close: %v", err)
	}
	if _, err := ev.EncodeRow(); !errors.Is(err, ErrClosed) {
		t.Fatalf("EncodeRow after Close: %v", err)
	}
	if ev.DeviceID != "dev-0042" || ev.Wifi[0].Bssid != "aa:bb:cc:dd:ee:01" {
		t.Fatal("copied fields lost at Close")
	}
}

func TestDecodeFromManyGoroutines(t *testing.T) {
	lines := sampleEvents(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				ev, err := Decode(lines[0])
				if err != nil {
					errs <- err
					return
				}
				ev.Close()
				_, err = Decode(lines[2])
				var qerr *Error
				// The detail must be this call's, whatever thread the goroutine ran on.
				if !errors.As(err, &qerr) || !strings.HasPrefix(qerr.Detail, "wifi[2].rssi_dbm: ") {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
