package quackpipe

import (
	"runtime"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// FraudVerdict is the verdict so far, lent to a custom rule for its call:
// after the rule returns, AddFlag returns an error matching ErrClosed and the
// readers return zero values.
type FraudVerdict struct {
	h capi.Qp_fraud_verdict // nil once the rule returned
}

// AddFlag adds flag (adding it twice does nothing) and lowers the score by
// penalty, in [0, 1].
func (v *FraudVerdict) AddFlag(flag string, penalty float64) error {
	if v.h == nil {
		return capi.Closed("fraud verdict")
	}
	return capi.Qp_fraud_verdict_add_flag(v.h, flag, penalty)
}

// Score is the quality score so far, in [0, 1].
func (v *FraudVerdict) Score() float64 {
	if v.h == nil {
		return 0
	}
	return capi.Qp_fraud_verdict_score(v.h)
}

// Flags are the flags raised so far.
func (v *FraudVerdict) Flags() []string {
	if v.h == nil {
		return nil
	}
	flags := []string{}
	for i := int64(0); i < capi.Qp_fraud_verdict_flag_count(v.h); i++ {
		if flag := capi.Qp_fraud_verdict_flag_at(v.h, i); flag != nil {
			flags = append(flags, *flag)
		}
	}
	return flags
}

// ReceivedMs is the received_ms the event is evaluated with.
func (v *FraudVerdict) ReceivedMs() int64 {
	if v.h == nil {
		return 0
	}
	return capi.Qp_fraud_verdict_received_ms(v.h)
}

// FraudEngine judges scan events: flags, a quality score, a location
// cluster (docs/fraud.md). Not safe for concurrent use.
type FraudEngine struct {
	owner
	h     capi.Qp_fraud
	abort *error // what the custom rule that stopped the current Evaluate returned
}

// NewFraudEngine creates an engine from conf's qp.fraud.* properties (nil:
// every default). The engine keeps its own copy: conf stays the caller's.
func NewFraudEngine(conf *Conf) (*FraudEngine, error) {
	var p uintptr
	c := capi.Qp_conf(capi.SwigcptrQp_conf(0))
	var hs hooks
	if conf != nil {
		if conf.h == nil {
			return nil, capi.Closed("conf")
		}
		c, hs = conf.h, conf.hooks.clone()
	}
	err := capi.Qp_fraud_new(&p, c)
	runtime.KeepAlive(conf)
	if err != nil {
		return nil, err
	}
	f := &FraudEngine{h: capi.SwigcptrQp_fraud(p), abort: new(error)}
	own(f, &f.owner, "fraud engine", true, p, hs, func(p uintptr) {
		capi.DeleteQp_fraud(capi.SwigcptrQp_fraud(p))
	})
	return f, nil
}

// LoadTowers adds the cell towers of an OpenCelliD CSV file to the table.
func (f *FraudEngine) LoadTowers(path string) error {
	defer runtime.KeepAlive(f)
	return f.g.call(callAlone, func() error { return capi.Qp_fraud_load_towers(f.h, path) })
}

// LoadRadiomap replaces the radio map of the radio_mismatch rule by the
// stations of a radio map file (docs/fraud.md); on failure the old map stays.
func (f *FraudEngine) LoadRadiomap(path string) error {
	defer runtime.KeepAlive(f)
	return f.g.call(callAlone, func() error { return capi.Qp_fraud_load_radiomap(f.h, path) })
}

// RadiomapExport returns the radio map learned from the events evaluated
// with qp.fraud.radiomap.learn = true, as a radio map file.
func (f *FraudEngine) RadiomapExport() ([]byte, error) {
	defer runtime.KeepAlive(f)
	var out []byte
	err := f.g.call(callAlone, func() error { return capi.Qp_fraud_radiomap_export(f.h, &out) })
	return out, err
}

// AddRule registers a custom rule, run after the built-in ones for each
// evaluated event; it flags the event with v.AddFlag. An error from rule
// aborts that evaluation (nothing changes) and Evaluate returns it. Inside
// the rule, the engine's Counter, RuleCount and Rules are allowed.
func (f *FraudEngine) AddRule(name string, rule func(ev *Event, v *FraudVerdict) error) error {
	defer runtime.KeepAlive(f)
	if rule == nil {
		return &Error{Code: Code(capi.QP_ERR_INVALID_ARG), Detail: "fraud: AddRule: nil rule"}
	}
	return f.g.call(callAlone, func() error {
		g, abort := f.g, f.abort // not f: the hook must not keep the engine alive
		h := newHook(capi.FraudRuleFunc(func(ev capi.Qp_scan_event_t, v capi.Qp_fraud_verdict) int {
			rc := 0
			g.callback(func() {
				event, verdict := borrowEvent(ev, g), &FraudVerdict{v}
				defer func() { event.forget(); verdict.h = nil }()
				if err := rule(event, verdict); err != nil {
					*abort, rc = err, int(capi.QP_ERR_USER)
				}
			})
			return rc
		}))
		if err := capi.Qp_fraud_add_rule(f.h, name, uintptr(h.handle)); err != nil {
			return err
		}
		f.setHook("rule:"+name, h)
		return nil
	})
}

// Evaluate judges ev, received at receivedMs (epoch ms) from partition,
// updates its device's state and returns the enrichment.
func (f *FraudEngine) Evaluate(ev *Event, receivedMs int64, partition int32) (*Enrichment, error) {
	defer runtime.KeepAlive(f)
	var en *Enrichment
	err := f.g.call(callAlone, func() error {
		*f.abort = nil
		return ev.use(func(h capi.Qp_scan_event_t) error {
			var p uintptr
			err := capi.Qp_fraud_evaluate(f.h, h, receivedMs, int(partition), &p)
			if *f.abort != nil {
				err, *f.abort = *f.abort, nil
			}
			if err != nil {
				return err
			}
			e := capi.SwigcptrQp_enrichment_t(p)
			en = &Enrichment{ReceivedMs: e.GetReceived_ms(), QualityScore: e.GetQuality_score(),
				LocationCluster: e.GetLocation_cluster(), EnrichedBy: e.GetEnriched_by(),
				FraudFlags: []string{}}
			for i := int64(0); i < e.GetFraud_flag_count(); i++ {
				if flag := capi.Qpb_enrichment_flag_at(e, i); flag != nil {
					en.FraudFlags = append(en.FraudFlags, *flag)
				}
			}
			return nil
		})
	})
	return en, err
}

// Warm replays ev into the state only (no counters, no custom rules).
func (f *FraudEngine) Warm(ev *Event, receivedMs int64, partition int32) error {
	defer runtime.KeepAlive(f)
	return f.g.call(callAlone, func() error {
		return ev.use(func(h capi.Qp_scan_event_t) error {
			return capi.Qp_fraud_warm(f.h, h, receivedMs, int(partition))
		})
	})
}

// PartitionRevoked forgets the devices last seen on partition and returns
// how many.
func (f *FraudEngine) PartitionRevoked(partition int32) (int, error) {
	defer runtime.KeepAlive(f)
	var n int64
	err := f.g.call(callAlone, func() error {
		n = capi.Qp_fraud_partition_revoked(f.h, int(partition))
		return nil
	})
	return int(n), err
}

// Rules lists every rule: the built-ins in the order they run, then the
// custom ones.
func (f *FraudEngine) Rules() ([]string, error) {
	defer runtime.KeepAlive(f)
	var names []string
	err := f.g.call(callNested, func() error {
		for i := int64(0); ; i++ {
			name := capi.Qp_fraud_rule_name(f.h, i)
			if name == nil {
				return nil
			}
			names = append(names, *name)
		}
	})
	return names, err
}

func (f *FraudEngine) lookup(what, name string, fn func() int64) (int64, error) {
	defer runtime.KeepAlive(f)
	var n int64
	err := f.g.call(callNested, func() error {
		if n = fn(); n < 0 {
			return &Error{Code: Code(capi.QP_ERR_NOT_FOUND), Detail: "fraud: no " + what + " named " + name}
		}
		return nil
	})
	return n, err
}

// RuleCount is how many evaluated events rule flagged; an error matching
// ErrNotFound for an unknown rule.
func (f *FraudEngine) RuleCount(rule string) (int64, error) {
	return f.lookup("rule", rule, func() int64 { return capi.Qp_fraud_rule_count(f.h, rule) })
}

// Counter is an engine counter ("evaluated", "flagged", "towers", ... see
// fraud.h); an error matching ErrNotFound for an unknown name.
func (f *FraudEngine) Counter(name string) (int64, error) {
	return f.lookup("counter", name, func() int64 { return capi.Qp_fraud_counter(f.h, name) })
}

// Close frees the engine. Closing twice is harmless.
func (f *FraudEngine) Close() error { return f.g.close(nil, nil, f.free) }
