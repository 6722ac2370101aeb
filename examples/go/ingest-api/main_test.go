package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
)

const event = `{"schema_version":1,"scan_id":"00000000-0000-4000-8000-000000000001",` +
	`"device_id":"dev-1","ts_ms":1718900000123,"gps":{"lat":48.85,"lon":2.35,` +
	`"accuracy_m":8.5},"reward":0.25,"app_version":"2.4.1","platform":"android"}`

func post(t *testing.T, url, body string) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp, out
}

func TestTheServerAnswersThroughTheLibrary(t *testing.T) {
	in, mc, err := open("", true, "")
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	defer in.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- serve(ctx, ln, in) }()
	url := "http://" + ln.Addr().String() + "/v1/scans"

	resp, out := post(t, url, event)
	if resp.StatusCode != 202 || out["accepted"] != float64(1) {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	resp, out = post(t, url, strings.Replace(event, `"lat":48.85`, `"lat":123.4`, 1))
	if resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	if p := out["errors"].([]any)[0].(map[string]any)["pointer"]; p != "/gps/lat" {
		t.Fatalf("pointer %v", p)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, _ := in.Stats(); st.Accepted != 1 || st.Delivered != 1 {
		t.Fatalf("stats %+v", st)
	}
}
