package quackpipe

import (
	"encoding/json"
	"runtime"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// SchemaVersion is the only scan-event schema version the library handles.
var SchemaVersion = capi.QP_EVENT_SCHEMA_VERSION

// Presence tells whether a nullable field was absent, JSON null, or set.
type Presence int

// The three states of a nullable field.
const (
	Absent  Presence = iota // the event did not carry the field
	Null                    // the field was JSON null
	Present                 // the field has a value
)

// OptFloat is a nullable number; Value is meaningful only when Present.
type OptFloat struct {
	Presence Presence
	Value    float64
}

// OptInt is a nullable integer; Value is meaningful only when Present.
type OptInt struct {
	Presence Presence
	Value    int64
}

// OptString is a nullable string; Value is meaningful only when Present.
type OptString struct {
	Presence Presence
	Value    string
}

// Gps is the event's position fix.
type Gps struct {
	Lat, Lon, AccuracyM float64
	AltitudeM, SpeedMps OptFloat
	UnknownJSON         string // members the schema does not know, as JSON text
}

// Wifi is one access point the phone saw.
type Wifi struct {
	Bssid            string
	Ssid             OptString
	RssiDbm, FreqMhz int32
	UnknownJSON      string
}

// Cell is one cell the phone saw.
type Cell struct {
	Radio       string // "gsm", "wcdma", "lte", "nr" or "cdma"
	Mcc, Mnc    int32
	Area, Cid   int64
	Dbm         OptInt
	Serving     bool
	UnknownJSON string
}

// Ble is one BLE beacon the phone saw.
type Ble struct {
	Addr           string
	RssiDbm        int32
	TxPower        OptInt
	SignalStrength OptFloat
	UnknownJSON    string
}

// Enrichment is what the fraud stage adds to an event; also the input of
// EncodeEnriched.
type Enrichment struct {
	ReceivedMs      int64
	FraudFlags      []string
	QualityScore    float64
	LocationCluster string
	EnrichedBy      string
}

// Event is a decoded, validated scan event. Its fields are a copy of the
// library's event, read when it was decoded: changing them changes nothing
// that Encode writes. Close frees the library's copy early (Encode and
// EncodeRow then return ErrClosed); the fields stay valid.
//
// The Event of a runner's Message, or the one a fraud rule gets, borrows the
// library's event: Encode and EncodeRow work until the message is released
// (or the rule returns), the fields stay valid after.
type Event struct {
	SchemaVersion int32
	ScanID        string
	DeviceID      string
	TsMs          int64
	Gps           Gps
	Wifi          []Wifi
	Cell          []Cell
	Ble           []Ble
	Reward        float64
	AppVersion    string
	Platform      string
	Enrichment    *Enrichment // nil unless the event is enriched
	UnknownJSON   string      // fields the schema does not know, as JSON members

	h        capi.Qp_scan_event_t // nil once closed
	cleanup  runtime.Cleanup
	borrowed bool   // h is lent by a message or a fraud rule: never freed here
	lender   *guard // the lender's calls, if borrowed
}

// borrowEvent copies a lent event; its handle is valid until forget().
func borrowEvent(h capi.Qp_scan_event_t, lender *guard) *Event {
	ev := &Event{h: h, borrowed: true, lender: lender}
	ev.copyFields()
	return ev
}

// forget ends a loan: the library's event is about to go away.
func (ev *Event) forget() { ev.h = nil }

// use runs fn with the library's event, as a call of its lender if borrowed.
func (ev *Event) use(fn func(capi.Qp_scan_event_t) error) error {
	if ev == nil {
		return &Error{Code: Code(capi.QP_ERR_INVALID_ARG), Detail: "nil event"}
	}
	run := func() error {
		if ev.h == nil {
			return capi.Closed("event")
		}
		defer runtime.KeepAlive(ev)
		return fn(ev.h)
	}
	if ev.lender != nil {
		return ev.lender.call(callNested, run)
	}
	return run()
}

// Decode decodes and validates a raw event, as a phone submits it. An error
// matches ErrValidation; its Path() names the failing field.
func Decode(data []byte) (*Event, error) { return decode(capi.Qp_event_decode, data) }

// DecodeEnriched decodes an enriched event (as read from scan-enriched).
func DecodeEnriched(data []byte) (*Event, error) {
	return decode(capi.Qp_event_decode_enriched, data)
}

func decode(fn func(*uintptr, []byte) error, data []byte) (*Event, error) {
	var p uintptr
	if err := fn(&p, data); err != nil {
		return nil, err
	}
	ev := &Event{h: capi.SwigcptrQp_scan_event_t(p)}
	ev.cleanup = runtime.AddCleanup(ev, func(p uintptr) {
		capi.DeleteQp_scan_event_t(capi.SwigcptrQp_scan_event_t(p))
	}, p)
	ev.copyFields()
	runtime.KeepAlive(ev)
	return ev, nil
}

func optFloat(o capi.Qp_opt_double_t) OptFloat {
	return OptFloat{Presence(o.GetPresence()), o.GetValue()}
}

func optInt(o capi.Qp_opt_int_t) OptInt {
	return OptInt{Presence(o.GetPresence()), o.GetValue()}
}

func (ev *Event) copyFields() {
	h := ev.h
	ev.SchemaVersion = int32(h.GetSchema_version())
	ev.ScanID, ev.DeviceID, ev.TsMs = h.GetScan_id(), h.GetDevice_id(), h.GetTs_ms()
	g := h.GetGps()
	ev.Gps = Gps{g.GetLat(), g.GetLon(), g.GetAccuracy_m(), optFloat(g.GetAltitude_m()),
		optFloat(g.GetSpeed_mps()), g.GetUnknown_json()}
	for i := int64(0); i < h.GetWifi_count(); i++ {
		w := capi.Qp_event_wifi_at(h, i)
		ssid := OptString{Presence: Presence(w.GetSsid_presence())}
		if ssid.Presence == Present {
			ssid.Value = w.GetSsid()
		}
		ev.Wifi = append(ev.Wifi, Wifi{w.GetBssid(), ssid, int32(w.GetRssi_dbm()),
			int32(w.GetFreq_mhz()), w.GetUnknown_json()})
	}
	for i := int64(0); i < h.GetCell_count(); i++ {
		c := capi.Qp_event_cell_at(h, i)
		radio := ""
		if name := capi.Qp_radio_name(c.GetRadio()); name != nil {
			radio = *name
		}
		ev.Cell = append(ev.Cell, Cell{radio, int32(c.GetMcc()), int32(c.GetMnc()),
			c.GetArea(), c.GetCid(), optInt(c.GetDbm()), c.GetServing(), c.GetUnknown_json()})
	}
	for i := int64(0); i < h.GetBle_count(); i++ {
		b := capi.Qp_event_ble_at(h, i)
		ev.Ble = append(ev.Ble, Ble{b.GetAddr(), int32(b.GetRssi_dbm()), optInt(b.GetTx_power()),
			optFloat(b.GetSignal_strength()), b.GetUnknown_json()})
	}
	ev.Reward, ev.AppVersion, ev.Platform = h.GetReward(), h.GetApp_version(), h.GetPlatform()
	ev.UnknownJSON = h.GetUnknown_json()
	if h.GetEnriched() {
		e := h.GetEnrichment()
		en := &Enrichment{ReceivedMs: e.GetReceived_ms(), QualityScore: e.GetQuality_score(),
			LocationCluster: e.GetLocation_cluster(), EnrichedBy: e.GetEnriched_by(),
			FraudFlags: []string{}}
		for i := int64(0); i < e.GetFraud_flag_count(); i++ {
			if flag := capi.Qp_event_flag_at(h, i); flag != nil {
				en.FraudFlags = append(en.FraudFlags, *flag)
			}
		}
		ev.Enrichment = en
	}
}

// Unknown returns the fields the schema does not know, decoded.
func (ev *Event) Unknown() (map[string]json.RawMessage, error) {
	fields := map[string]json.RawMessage{}
	err := json.Unmarshal([]byte("{"+ev.UnknownJSON+"}"), &fields)
	return fields, err
}

func (ev *Event) encodeWith(fn func(*[]byte, capi.Qp_scan_event_t) error) ([]byte, error) {
	var out []byte
	if err := ev.use(func(h capi.Qp_scan_event_t) error { return fn(&out, h) }); err != nil {
		return nil, err
	}
	return out, nil
}

// Encode returns the event as one line of compact JSON (no newline), with
// the unknown fields as they came in.
func (ev *Event) Encode() ([]byte, error) { return ev.encodeWith(capi.Qp_event_encode) }

// EncodeRow returns the event as one ClickHouse JSONEachRow line, newline
// included.
func (ev *Event) EncodeRow() ([]byte, error) { return ev.encodeWith(capi.Qp_event_encode_row) }

// Close frees the library's event (a borrowed one is only let go). Closing
// twice is harmless.
func (ev *Event) Close() error {
	if ev.borrowed {
		if ev.lender == nil {
			ev.forget()
		} else {
			// Fails only when the lender is closed (the loan ended then) or
			// busy on another goroutine (which must not be raced).
			_ = ev.lender.call(callNested, func() error { ev.forget(); return nil })
		}
		return nil
	}
	if ev.h == nil {
		return nil
	}
	ev.cleanup.Stop()
	capi.DeleteQp_scan_event_t(ev.h)
	ev.h = nil
	return nil
}

// EncodeEnriched returns raw (an event Decode accepts) with en inserted
// before its closing brace: the device's bytes are not re-encoded.
func EncodeEnriched(raw []byte, en *Enrichment) ([]byte, error) {
	var p uintptr
	if err := capi.Qp_enrichment_new(&p, en.ReceivedMs, en.QualityScore,
		en.LocationCluster, en.EnrichedBy); err != nil {
		return nil, err
	}
	built := capi.SwigcptrQp_enrichment_t(p)
	defer capi.DeleteQp_enrichment_t(built)
	for _, flag := range en.FraudFlags {
		if err := capi.Qp_enrichment_add_flag(built, flag); err != nil {
			return nil, err
		}
	}
	var out []byte
	if err := capi.Qp_event_encode_enriched(&out, raw, built); err != nil {
		return nil, err
	}
	return out, nil
}
