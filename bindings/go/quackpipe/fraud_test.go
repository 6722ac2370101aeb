package quackpipe

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

const towers = "../../../tests/resources/fraud/towers-fr-excerpt.csv"

// A UMTS tower of the excerpt, north of Paris (range 1000 m).
var towerCell = map[string]any{"radio": "wcdma", "mcc": 208, "mnc": 10, "area": 18013,
	"cid": 8653445, "serving": true}

// parisEvent is an android scan in central Paris, about 15 km from towerCell.
func parisEvent(t *testing.T, fields map[string]any) *Event {
	t.Helper()
	all := map[string]any{"cell": []any{towerCell}}
	for k, v := range fields {
		all[k] = v
	}
	ev, err := Decode(makeEvent(t, "phone-f", all))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func loadableTowers(t *testing.T) int64 {
	f, err := os.Open(towers)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := int64(0)
	for _, row := range rows[1:] {
		switch row[0] {
		case "GSM", "UMTS", "LTE", "NR", "CDMA":
			n++
		}
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEvaluateWithTowersAndACustomRule(t *testing.T) {
	conf := newConf(t, map[string]string{"qp.fraud.tower_mismatch.penalty": "0.25"})
	f, err := NewFraudEngine(conf)
	if err != nil {
		t.Fatal(err)
	}
	conf.Close() // the engine keeps its own copy
	defer f.Close()
	if err := f.LoadTowers(towers); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.Counter("towers"); n != loadableTowers(t) || n == 0 {
		t.Fatalf("towers %d", n)
	}
	var kept *FraudVerdict
	var sawFlags []string
	var sawScore float64
	err = f.AddRule("emulator", func(ev *Event, v *FraudVerdict) error {
		sawFlags, sawScore, kept = v.Flags(), v.Score(), v
		if n, err := f.Counter("evaluated"); err != nil || n != 0 {
			t.Errorf("Counter inside a rule: %d %v", n, err)
		}
		if ev.Platform == "android" {
			if err := v.AddFlag("emulator", 0.5); err != nil {
				return err
			}
			v.AddFlag("emulator", 0.5) // already present: no change
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rules, _ := f.Rules(); rules[len(rules)-1] != "emulator" {
		t.Fatalf("rules %v", rules)
	}
	ev := parisEvent(t, nil)
	received := ev.TsMs + 1000
	en, err := f.Evaluate(ev, received, 3)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sawFlags, ",") != "tower_mismatch" || !near(sawScore, 0.75) {
		t.Fatalf("the rule saw %v %v", sawFlags, sawScore)
	}
	if strings.Join(en.FraudFlags, ",") != "tower_mismatch,emulator" || !near(en.QualityScore, 0.25) ||
		en.ReceivedMs != received || !strings.HasPrefix(en.LocationCluster, "u09t") ||
		!strings.HasPrefix(en.EnrichedBy, "quackpipe-fraud/") {
		t.Fatalf("enrichment %+v", en)
	}
	if n, _ := f.RuleCount("emulator"); n != 1 {
		t.Fatalf("emulator count %d", n)
	}
	if _, err := f.Counter("no-such-counter"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown counter: %v", err)
	}
	if err := kept.AddFlag("late", 0.1); !errors.Is(err, ErrClosed) {
		t.Fatalf("verdict after the rule: %v", err)
	}
	// The enrichment is what fraud-svc appends to the device's bytes.
	raw := makeEvent(t, "phone-f", nil)
	enriched, err := EncodeEnriched(raw, en)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeEnriched(enriched)
	if err != nil || back.Enrichment == nil || strings.Join(back.Enrichment.FraudFlags, ",") != "tower_mismatch,emulator" {
		t.Fatalf("decoded enrichment %+v %v", back, err)
	}
	if n, _ := f.PartitionRevoked(3); n != 1 {
		t.Fatalf("revoked %d", n)
	}
	f.Close()
	if _, err := f.Evaluate(ev, received, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestAnErrorInARuleAbortsTheEvaluation(t *testing.T) {
	f, err := NewFraudEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tooHigh := errors.New("reward too high")
	calls := 0
	f.AddRule("strict", func(ev *Event, v *FraudVerdict) error {
		calls++
		if _, err := f.Evaluate(ev, 0, 0); !errors.Is(err, ErrState) {
			t.Errorf("Evaluate inside a rule: %v", err)
		}
		if ev.Reward > 1 {
			return tooHigh
		}
		return nil
	})
	if _, err := f.Evaluate(parisEvent(t, map[string]any{"reward": 5.0}), 1767225600000, 0); err != tooHigh {
		t.Fatalf("Evaluate: %v", err)
	}
	if n, _ := f.Counter("evaluated"); n != 0 {
		t.Fatalf("evaluated %d after an abort", n)
	}
	en, err := f.Evaluate(parisEvent(t, nil), 1767225600000, 0)
	if err != nil || len(en.FraudFlags) != 0 || calls != 2 {
		t.Fatalf("Evaluate: %+v %v (%d calls)", en, err, calls)
	}
	var qerr *Error
	if err := f.AddRule("strict", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a nil rule: %v", err)
	}
	noop := func(*Event, *FraudVerdict) error { return nil }
	if err := f.AddRule("strict", noop); !errors.As(err, &qerr) || !strings.Contains(qerr.Detail, `"strict" exists`) {
		t.Fatalf("a second rule of that name: %v", err)
	}
	if err := f.LoadTowers("missing.csv"); !errors.Is(err, ErrIO) {
		t.Fatalf("LoadTowers: %v", err)
	}
}

// Three phones learn the sample's radios where they scan; a phone that hears
// them 1.5 km away is flagged radio_mismatch.
func TestRadiomapLearnedExportedAndLoaded(t *testing.T) {
	conf, err := NewConf(map[string]string{"qp.fraud.radiomap.learn": "true"})
	if err != nil {
		t.Fatal(err)
	}
	defer conf.Close()
	learner, err := NewFraudEngine(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer learner.Close()
	for d := 0; d < 3; d++ {
		for n := 0; n < 2; n++ { // a device's first event is never learned from
			ev, err := Decode(makeEvent(t, "phone-r"+string(rune('0'+d)), map[string]any{
				"ts_ms": 1767225600000 + n*60000,
				"gps":   map[string]any{"lat": 48.8566 + float64(n)*1e-4, "lon": 2.3522, "accuracy_m": 8}}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := learner.Evaluate(ev, ev.TsMs, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	text, err := learner.RadiomapExport()
	if err != nil || !strings.HasPrefix(string(text), "kind,mac,lat,lon,spread_m,devices,mobile\n") {
		t.Fatalf("export: %v %q", err, text)
	}
	path := t.TempDir() + "/radiomap.csv"
	if err := os.WriteFile(path, text, 0o600); err != nil {
		t.Fatal(err)
	}
	engine, err := NewFraudEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	if err := engine.LoadRadiomap(path); err != nil {
		t.Fatal(err)
	}
	if n, _ := engine.Counter("radio_stations"); n != 4 {
		t.Fatalf("radio_stations = %d, want 4 (3 WiFi, 1 BLE)", n)
	}
	far, err := Decode(makeEvent(t, "phone-s", map[string]any{
		"gps": map[string]any{"lat": 48.87, "lon": 2.3522, "accuracy_m": 8}}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Evaluate(far, far.TsMs, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, flag := range res.FraudFlags {
		found = found || flag == "radio_mismatch"
	}
	if !found {
		t.Fatalf("flags %v, want radio_mismatch", res.FraudFlags)
	}
	if err := engine.LoadRadiomap(path + ".missing"); err == nil {
		t.Fatal("loading a missing file succeeded")
	}
	if n, _ := engine.Counter("radio_stations"); n != 4 {
		t.Fatalf("after a failed reload radio_stations = %d, want 4", n)
	}
}
