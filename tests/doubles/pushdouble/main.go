// pushdouble: a local stand-in for FCM HTTP v1, APNs and a webhook receiver,
// for libquackpipe's push tests. One HTTPS server (HTTP/2 over TLS, with a
// certificate made at start) serves:
//
//	POST /token                            FCM's OAuth2 token endpoint (RS256 JWT bearer grant)
//	POST /v1/projects/{project}/messages:send   FCM send (checks the bearer token)
//	POST /3/device/{token}                 APNs (checks the ES256 provider token)
//	POST /hook                             webhook (checks the HMAC-SHA256 signature)
//	GET  /stats                            counts, as JSON
//	GET  /accepted-at?provider=P           per scan_id, when P first accepted it:
//	                                       "<scan_id> <unix ns>" lines (latency benchmarks)
//	POST /control/revoke                   every access/provider token issued so far expires
//	POST /control/reset                    clears the counts
//
// A device token asks for a failure: "fail-<what>[-<n>]" answers <what> the
// first n times a scan_id is sent to it (always when n is absent), then
// accepts. <what> is 400, 403, 410, 413, 429, 500, 503 or slow.
//
// Usage: pushdouble -dir DIR   (writes ca.pem, apns-key.p8,
// service-account.json, then addr with "127.0.0.1:PORT" once serving).
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	projectID   = "quackpipe-test"
	clientEmail = "alerts@quackpipe-test.iam.gserviceaccount.com"
	fcmScope    = "https://www.googleapis.com/auth/firebase.messaging"
	apnsKeyID   = "PDKEY12345"
	apnsTeamID  = "PDTEAM1234"
)

type double struct {
	keys     *keys
	tokenURI string
	secret   string
	slow     time.Duration
	ttl      int64

	mu            sync.Mutex
	accessTokens  map[string]time.Time // FCM access token -> expiry
	revoked       map[string]bool      // access and provider tokens expired by /control/revoke
	attempts      map[string]int       // provider/token/scan_id -> sends so far
	received      map[string]map[string]int
	accepted      map[string]map[string]int
	acceptedAt    map[string]map[string]int64 // provider -> scan_id -> first acceptance, unix ns
	collapse      map[string]map[string]string // provider -> scan_id -> collapse id seen
	tokenRequests int
	providerJWTs  map[string]*jwt // verified provider tokens
	rejected      map[string]int  // reason -> count
	connections   int             // TLS connections accepted (HTTP/2 multiplexes on few)
}

func newDouble(k *keys, tokenURI, secret string, slow time.Duration, ttl int64) *double {
	d := &double{keys: k, tokenURI: tokenURI, secret: secret, slow: slow, ttl: ttl}
	d.reset()
	d.accessTokens = map[string]time.Time{}
	d.revoked = map[string]bool{}
	d.providerJWTs = map[string]*jwt{}
	return d
}

func (d *double) reset() {
	d.attempts = map[string]int{}
	d.received = map[string]map[string]int{"apns": {}, "fcm": {}, "webhook": {}}
	d.accepted = map[string]map[string]int{"apns": {}, "fcm": {}, "webhook": {}}
	d.acceptedAt = map[string]map[string]int64{"apns": {}, "fcm": {}, "webhook": {}}
	d.collapse = map[string]map[string]string{"apns": {}, "fcm": {}, "webhook": {}}
	d.rejected = map[string]int{}
	d.tokenRequests = 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// failure parses "fail-<what>[-<n>]" and says whether this attempt
// (1-based) must fail, and how.
func failure(token string, attempt int) (string, bool) {
	rest, ok := strings.CutPrefix(token, "fail-")
	if !ok {
		return "", false
	}
	what, times, _ := strings.Cut(rest, "-")
	if times != "" {
		n, err := strconv.Atoi(times)
		if err == nil && attempt > n {
			return "", false
		}
	}
	return what, true
}

// record counts one request for scan_id and returns the attempt number of
// (provider, device token, scan_id).
func (d *double) record(provider, token, scanID, collapse string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.received[provider][scanID]++
	if collapse != "" {
		d.collapse[provider][scanID] = collapse
	}
	key := provider + "/" + token + "/" + scanID
	d.attempts[key]++
	return d.attempts[key]
}

func (d *double) accept(provider, scanID string) {
	now := time.Now().UnixNano() // before the lock: the receive time, not the wait
	d.mu.Lock()
	if d.accepted[provider][scanID] == 0 {
		d.acceptedAt[provider][scanID] = now
	}
	d.accepted[provider][scanID]++
	d.mu.Unlock()
}

func (d *double) reject(reason string) {
	d.mu.Lock()
	d.rejected[reason]++
	d.mu.Unlock()
}

// ---- FCM ----

func (d *double) token(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.tokenRequests++
	d.mu.Unlock()
	fail := func(msg string) {
		d.reject("token: " + msg)
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": msg})
	}
	if err := r.ParseForm(); err != nil {
		fail("form: " + err.Error())
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		fail("grant_type " + g)
		return
	}
	t, err := verifyJWT(r.PostForm.Get("assertion"), "RS256", &d.keys.fcmKey.PublicKey)
	if err != nil {
		fail(err.Error())
		return
	}
	iat, err1 := t.num("iat")
	exp, err2 := t.num("exp")
	now := time.Now().Unix()
	switch {
	case err1 != nil || err2 != nil:
		fail("iat/exp missing")
	case t.claims["iss"] != clientEmail:
		fail(fmt.Sprintf("iss %v", t.claims["iss"]))
	case t.claims["aud"] != d.tokenURI:
		fail(fmt.Sprintf("aud %v, want %s", t.claims["aud"], d.tokenURI))
	case !strings.Contains(fmt.Sprint(t.claims["scope"]), fcmScope):
		fail(fmt.Sprintf("scope %v", t.claims["scope"]))
	case iat > now+60 || exp <= now || exp-iat > 3600:
		fail(fmt.Sprintf("iat %d exp %d now %d", iat, exp, now))
	default:
		d.mu.Lock()
		access := fmt.Sprintf("ya29.double-%d-%d", len(d.accessTokens)+1, time.Now().UnixNano())
		d.accessTokens[access] = time.Now().Add(time.Duration(d.ttl) * time.Second)
		d.mu.Unlock()
		writeJSON(w, 200, map[string]any{"access_token": access, "expires_in": d.ttl,
			"token_type": "Bearer"})
	}
}

func fcmError(w http.ResponseWriter, status int, state, code, msg string) {
	detail := []any{}
	if code != "" {
		detail = append(detail, map[string]string{
			"@type":     "type.googleapis.com/google.firebase.fcm.v1.FcmError",
			"errorCode": code})
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": msg, "status": state, "details": detail}})
}

func (d *double) fcmSend(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/messages:send") ||
		r.URL.Path != "/v1/projects/"+projectID+"/messages:send" {
		fcmError(w, 404, "NOT_FOUND", "", "unknown project or path "+r.URL.Path)
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	d.mu.Lock()
	exp, known := d.accessTokens[bearer]
	valid := known && time.Now().Before(exp) && !d.revoked[bearer]
	d.mu.Unlock()
	if !valid {
		d.reject("fcm: bearer")
		fcmError(w, 401, "UNAUTHENTICATED", "", "Request had invalid authentication credentials.")
		return
	}
	var body struct {
		Message struct {
			Token   string            `json:"token"`
			Data    map[string]string `json:"data"`
			Android struct {
				CollapseKey string `json:"collapse_key"`
			} `json:"android"`
		} `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Message.Token == "" {
		fcmError(w, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token missing or body not JSON")
		return
	}
	m := body.Message
	scanID := m.Data["scan_id"]
	attempt := d.record("fcm", m.Token, scanID, m.Android.CollapseKey)
	if what, ok := failure(m.Token, attempt); ok {
		switch what {
		case "400":
			fcmError(w, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token")
		case "403":
			fcmError(w, 403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch")
		case "410":
			fcmError(w, 404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
		case "413":
			fcmError(w, 413, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Message is too big")
		case "429":
			w.Header().Set("Retry-After", "1")
			fcmError(w, 429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded")
		case "500":
			fcmError(w, 500, "INTERNAL", "INTERNAL", "Internal error")
		case "503":
			fcmError(w, 503, "UNAVAILABLE", "UNAVAILABLE", "The service is unavailable")
		case "slow":
			time.Sleep(d.slow)
			goto ok
		}
		return
	}
ok:
	d.accept("fcm", scanID)
	writeJSON(w, 200, map[string]string{
		"name": fmt.Sprintf("projects/%s/messages/%d", projectID, time.Now().UnixNano())})
}

// ---- APNs ----

func apnsError(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("apns-id", "00000000-0000-0000-0000-000000000000")
	writeJSON(w, status, map[string]any{"reason": reason})
}

func (d *double) apns(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 {
		apnsError(w, 400, "BadPath") // Apple speaks HTTP/2 only
		return
	}
	device := strings.TrimPrefix(r.URL.Path, "/3/device/")
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "bearer ")
	// Like APNs, a provider token is verified once and then remembered
	// (the signature check would otherwise dominate a benchmark).
	d.mu.Lock()
	t := d.providerJWTs[bearer]
	d.mu.Unlock()
	if t == nil {
		var err error
		if t, err = verifyJWT(bearer, "ES256", &d.keys.apnsKey.PublicKey); err != nil {
			d.reject("apns: " + err.Error())
			apnsError(w, 403, "InvalidProviderToken")
			return
		}
	}
	iat, _ := t.num("iat")
	d.mu.Lock()
	revoked := d.revoked[bearer]
	d.providerJWTs[bearer] = t
	d.mu.Unlock()
	switch {
	case t.header["kid"] != apnsKeyID || t.claims["iss"] != apnsTeamID:
		d.reject("apns: kid/iss")
		apnsError(w, 403, "InvalidProviderToken")
		return
	case time.Unix(iat, 0).Add(time.Hour).Before(time.Now()) || revoked:
		d.reject("apns: expired")
		apnsError(w, 403, "ExpiredProviderToken")
		return
	}
	for _, h := range []string{"apns-topic", "apns-push-type", "apns-collapse-id", "apns-expiration"} {
		if r.Header.Get(h) == "" {
			d.reject("apns: no " + h)
			apnsError(w, 400, "Missing"+h)
			return
		}
	}
	var payload struct {
		ScanID string `json:"scan_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&payload); err != nil {
		apnsError(w, 400, "PayloadEmpty")
		return
	}
	attempt := d.record("apns", device, payload.ScanID, r.Header.Get("apns-collapse-id"))
	if what, ok := failure(device, attempt); ok {
		switch what {
		case "400":
			apnsError(w, 400, "BadDeviceToken")
		case "403":
			apnsError(w, 403, "InvalidProviderToken")
		case "410":
			w.Header().Set("apns-id", "00000000-0000-0000-0000-000000000000")
			writeJSON(w, 410, map[string]any{"reason": "Unregistered",
				"timestamp": time.Now().UnixMilli()})
		case "413":
			apnsError(w, 413, "PayloadTooLarge")
		case "429":
			w.Header().Set("Retry-After", "1")
			apnsError(w, 429, "TooManyRequests")
		case "500":
			apnsError(w, 500, "InternalServerError")
		case "503":
			apnsError(w, 503, "ServiceUnavailable")
		case "slow":
			time.Sleep(d.slow)
			goto ok
		}
		return
	}
ok:
	d.accept("apns", payload.ScanID)
	w.Header().Set("apns-id", fmt.Sprintf("%08x-0000-0000-0000-000000000000", attempt))
	w.WriteHeader(200)
}

// ---- webhook ----

func (d *double) hook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(d.secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(r.Header.Get("X-Quackpipe-Signature")), []byte(want)) {
		d.reject("webhook: signature")
		writeJSON(w, 401, map[string]string{"error": "bad signature"})
		return
	}
	var payload struct {
		ScanID string `json:"scan_id"`
		Token  string `json:"token"`
	}
	json.Unmarshal(body, &payload)
	key := r.Header.Get("Idempotency-Key")
	if key == "" || key != payload.ScanID {
		d.reject("webhook: idempotency key")
		writeJSON(w, 400, map[string]string{"error": "Idempotency-Key missing or not the scan_id"})
		return
	}
	attempt := d.record("webhook", payload.Token, key, key)
	if what, ok := failure(payload.Token, attempt); ok {
		switch what {
		case "slow":
			time.Sleep(d.slow)
		case "429":
			w.Header().Set("Retry-After", "1")
			fallthrough
		default:
			status, _ := strconv.Atoi(what)
			if what == "410" {
				status = 410
			}
			writeJSON(w, status, map[string]string{"error": "asked for " + what})
			return
		}
	}
	d.accept("webhook", key)
	w.WriteHeader(204)
}

// ---- control ----

func (d *double) stats(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	writeJSON(w, 200, map[string]any{
		"received": d.received, "accepted": d.accepted, "collapse": d.collapse,
		"token_requests": d.tokenRequests, "apns_provider_tokens": len(d.providerJWTs),
		"rejected": d.rejected, "connections": d.connections})
}

// acceptedAtList answers, for one provider, each scan_id accepted and the
// wall-clock time of its first acceptance (the same machine's clock as the
// sender's: a benchmark subtracts its produce time from it).
func (d *double) acceptedAtList(w http.ResponseWriter, r *http.Request) {
	provider := r.URL.Query().Get("provider")
	d.mu.Lock()
	times, ok := d.acceptedAt[provider]
	var b strings.Builder
	for id, ns := range times {
		fmt.Fprintf(&b, "%s %d\n", id, ns)
	}
	d.mu.Unlock()
	if !ok {
		w.WriteHeader(404)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, b.String())
}

// post answers 405 to anything but POST.
func post(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(405)
			return
		}
		h(w, r)
	}
}

func main() {
	dir := flag.String("dir", ".", "directory for ca.pem, apns-key.p8, service-account.json, addr")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	secret := flag.String("webhook-secret", "pushdouble-secret", "webhook HMAC key")
	slow := flag.Duration("slow", 300*time.Millisecond, "delay of a slow answer")
	ttl := flag.Int64("token-ttl", 3600, "expires_in of FCM access tokens, seconds")
	flag.Parse()

	// A test that crashes must not leave the double behind (holding its
	// output pipe open, which would hang ctest): exit with the parent.
	parent := os.Getppid()
	go func() {
		for range time.Tick(200 * time.Millisecond) {
			if os.Getppid() != parent {
				os.Exit(0)
			}
		}
	}()

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	base := "https://" + l.Addr().String()
	k, err := makeKeys(*dir, base)
	if err != nil {
		log.Fatal(err)
	}
	d := newDouble(k, base+"/token", *secret, *slow, *ttl)
	mux := http.NewServeMux()
	mux.HandleFunc("/token", post(d.token))
	mux.HandleFunc("/v1/projects/", post(d.fcmSend))
	mux.HandleFunc("/3/device/", post(d.apns))
	mux.HandleFunc("/hook", post(d.hook))
	mux.HandleFunc("/stats", d.stats)
	mux.HandleFunc("/accepted-at", d.acceptedAtList)
	mux.HandleFunc("/control/revoke", func(w http.ResponseWriter, r *http.Request) {
		// Every token issued so far expires; an ES256 signature is
		// randomised, so a fresh provider token never repeats a revoked one.
		d.mu.Lock()
		for t := range d.accessTokens {
			d.revoked[t] = true
		}
		for t := range d.providerJWTs {
			d.revoked[t] = true
		}
		d.mu.Unlock()
		w.WriteHeader(204)
	})
	mux.HandleFunc("/control/reset", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.reset()
		d.mu.Unlock()
		w.WriteHeader(204)
	})
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{k.tlsCert}, NextProtos: []string{"h2", "http/1.1"}},
		ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateNew {
				d.mu.Lock()
				d.connections++
				d.mu.Unlock()
			}
		}}
	// addr is written last, via rename, so a reader that sees it sees everything.
	tmp := filepath.Join(*dir, "addr.tmp")
	if err := os.WriteFile(tmp, []byte(l.Addr().String()+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(*dir, "addr")); err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ServeTLS(l, "", ""))
}
