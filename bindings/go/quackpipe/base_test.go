package quackpipe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionMatchesTheNumber(t *testing.T) {
	var major, minor, patch int
	if _, err := fmt.Sscanf(Version(), "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("Version() = %q: %v", Version(), err)
	}
	if want := major<<16 | minor<<8 | patch; VersionNumber() != want {
		t.Fatalf("VersionNumber() = %#x, want %#x", VersionNumber(), want)
	}
}

func newConf(t *testing.T, props map[string]string) *Conf {
	t.Helper()
	c, err := NewConf(props)
	if err != nil {
		t.Fatalf("NewConf: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestBadValueIsAConfigErrorWithTheDetail(t *testing.T) {
	c := newConf(t, nil)
	err := c.Set("qp.log.level", "99")
	if !errors.Is(err, ErrConfig) || errors.Is(err, ErrValidation) {
		t.Fatalf("Set: %v, want an ErrConfig", err)
	}
	var qerr *Error
	if !errors.As(err, &qerr) {
		t.Fatalf("%T is not a *Error", err)
	}
	if qerr.Code.String() != "QP_ERR_CONF_INVALID" || qerr.Detail != "qp.log.level: 99 is outside [0, 7]" {
		t.Fatalf("code %v detail %q", qerr.Code, qerr.Detail)
	}
	if qerr.Code.Description() != "invalid configuration value" {
		t.Fatalf("description %q", qerr.Code.Description())
	}
	if !errors.Is(err, &Error{Code: qerr.Code}) {
		t.Fatal("errors.Is does not match the same code")
	}
	if !strings.Contains(err.Error(), "QP_ERR_CONF_INVALID") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestUnknownLibraryKey(t *testing.T) {
	_, err := NewConf(map[string]string{"qp.no.such.key": "1"})
	var qerr *Error
	if !errors.As(err, &qerr) || qerr.Code.String() != "QP_ERR_CONF_UNKNOWN" {
		t.Fatalf("NewConf: %v", err)
	}
	if !strings.HasPrefix(qerr.Detail, "qp.no.such.key: ") {
		t.Fatalf("detail %q", qerr.Detail)
	}
}

func TestSetAndGet(t *testing.T) {
	c := newConf(t, map[string]string{"bootstrap.servers": "127.0.0.1:9092", "qp.log.level": "7"})
	for key, want := range map[string]string{
		"bootstrap.servers": "127.0.0.1:9092",
		"qp.log.level":      "7",
		"qp.topic.events":   "scan-events", // the default
	} {
		if got, ok := c.Get(key); !ok || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	if got, ok := c.Get("not.set"); ok {
		t.Errorf("Get(not.set) = %q, true", got)
	}
	if err := c.Set("qp.topic.events", "events-test"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get("qp.topic.events"); got != "events-test" {
		t.Errorf("after Set: %q", got)
	}
}

func TestDupIsIndependent(t *testing.T) {
	c := newConf(t, map[string]string{"qp.log.level": "5"})
	d, err := c.Dup()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c.Set("qp.log.level", "3")
	c.Close()
	if got, _ := d.Get("qp.log.level"); got != "5" {
		t.Fatalf("copy changed: %q", got)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "pipeline.conf")
	os.WriteFile(good, []byte("# comment\n\nqp.log.level = 4\nbootstrap.servers = 127.0.0.1:9092\n"), 0o600)
	c := newConf(t, nil)
	if err := c.LoadFile(good); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get("qp.log.level"); got != "4" {
		t.Fatalf("qp.log.level = %q", got)
	}

	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("qp.log.level = 6\nqp.log.level = eleven\n"), 0o600)
	err := c.LoadFile(bad)
	var qerr *Error
	if !errors.As(err, &qerr) || !errors.Is(err, ErrConfig) ||
		!strings.HasPrefix(qerr.Detail, bad+":2: qp.log.level: ") {
		t.Fatalf("LoadFile(bad): %v", err)
	}
	if got, _ := c.Get("qp.log.level"); got != "6" {
		t.Fatalf("line before the bad one not applied: %q", got)
	}
	if err := c.LoadFile(filepath.Join(dir, "missing.conf")); !errors.Is(err, ErrIO) {
		t.Fatalf("LoadFile(missing): %v", err)
	}
}

func TestUseAfterCloseIsAnError(t *testing.T) {
	c := newConf(t, nil)
	c.Close()
	c.Close() // harmless
	if err := c.Set("qp.log.level", "1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
	if _, err := c.Dup(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Dup after Close: %v", err)
	}
	if _, ok := c.Get("qp.log.level"); ok {
		t.Fatal("Get after Close found a value")
	}
	if err := c.SetLogFunc(func(LogLevel, string, string) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetLogFunc after Close: %v", err)
	}
}

func TestSetLogFuncKeepsTheHookWithCopies(t *testing.T) {
	c := newConf(t, nil)
	if err := c.SetLogFunc(func(LogLevel, string, string) {}); err != nil {
		t.Fatal(err)
	}
	d, err := c.Dup()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if c.hooks["log"] == nil || d.hooks["log"] != c.hooks["log"] {
		t.Fatal("the copy does not hold the log hook its C conf calls")
	}
	if err := c.SetLogFunc(nil); err != nil || c.hooks["log"] != nil {
		t.Fatalf("unset: %v", err)
	}
	if d.hooks["log"] == nil {
		t.Fatal("unsetting on the original dropped the copy's hook")
	}
}

func TestPropertiesMarkdown(t *testing.T) {
	text, err := PropertiesMarkdown()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "# Configuration properties") || !strings.Contains(text, "qp.log.level") {
		t.Fatalf("unexpected markdown: %.80q", text)
	}
}
