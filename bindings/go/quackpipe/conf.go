package quackpipe

import (
	"runtime"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// Conf holds library "qp.*" properties and librdkafka's, as key/value
// strings (docs/configuration.md). Not safe for concurrent use.
// Constructors of producers and runners take a Conf over: afterwards it is
// closed, and its methods return an error matching ErrClosed.
type Conf struct {
	h       capi.Qp_conf // nil once closed or taken over
	hooks   hooks
	cleanup runtime.Cleanup
}

func wrapConf(p uintptr, hs hooks) *Conf {
	c := &Conf{h: capi.SwigcptrQp_conf(p), hooks: hs}
	c.cleanup = runtime.AddCleanup(c, func(p uintptr) {
		capi.DeleteQp_conf(capi.SwigcptrQp_conf(p))
	}, p)
	return c
}

// NewConf returns a configuration with props set (nil for none). An error
// names the first bad key met and the accepted range.
func NewConf(props map[string]string) (*Conf, error) {
	var p uintptr
	if err := capi.Qp_conf_new(&p); err != nil {
		return nil, err
	}
	c := wrapConf(p, hooks{})
	for key, value := range props {
		if err := c.Set(key, value); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Set sets one property. A "qp.*" key must be a known property with a value
// in its range (errors match ErrConfig); other keys go to librdkafka.
func (c *Conf) Set(key, value string) error {
	if c.h == nil {
		return capi.Closed("conf")
	}
	defer runtime.KeepAlive(c)
	return capi.Qp_conf_set(c.h, key, value)
}

// Get returns the value set, else the property's default; ok is false when
// there is neither (or the conf is closed).
func (c *Conf) Get(key string) (value string, ok bool) {
	if c.h == nil {
		return "", false
	}
	defer runtime.KeepAlive(c)
	if v := capi.Qp_conf_get(c.h, key); v != nil {
		return *v, true
	}
	return "", false
}

// LoadFile reads "key = value" lines; an error names the file and line.
// Properties set before a bad line stay set.
func (c *Conf) LoadFile(path string) error {
	if c.h == nil {
		return capi.Closed("conf")
	}
	defer runtime.KeepAlive(c)
	return capi.Qp_conf_load_file(c.h, path)
}

// Dup returns an independent copy, log function included.
func (c *Conf) Dup() (*Conf, error) {
	if c.h == nil {
		return nil, capi.Closed("conf")
	}
	defer runtime.KeepAlive(c)
	var p uintptr
	if err := capi.Qp_conf_dup(&p, c.h); err != nil {
		return nil, err
	}
	return wrapConf(p, c.hooks.clone()), nil
}

// LogLevel is a syslog level, as used by the library's log lines.
type LogLevel int

// The levels the library logs at.
var (
	LogError   = LogLevel(capi.QP_LOG_ERROR)
	LogWarning = LogLevel(capi.QP_LOG_WARNING)
	LogNotice  = LogLevel(capi.QP_LOG_NOTICE)
	LogInfo    = LogLevel(capi.QP_LOG_INFO)
	LogDebug   = LogLevel(capi.QP_LOG_DEBUG)
)

// LogFunc receives the library's log lines.
type LogFunc func(level LogLevel, module, message string)

// SetLogFunc sets the function that receives log lines (nil drops them);
// qp.log.level filters them. fn runs on the goroutine that is inside the
// library call that logs, so it must not call back into the same object.
func (c *Conf) SetLogFunc(fn LogFunc) error {
	if c.h == nil {
		return capi.Closed("conf")
	}
	defer runtime.KeepAlive(c)
	if fn == nil {
		capi.Qp_conf_set_log_cb(c.h, 0)
		delete(c.hooks, "log")
		return nil
	}
	h := newHook(capi.LogFunc(func(level int, module, message string) {
		fn(LogLevel(level), module, message)
	}))
	capi.Qp_conf_set_log_cb(c.h, uintptr(h.handle))
	c.hooks["log"] = h
	return nil
}

// Close frees the configuration. Closing twice is harmless.
func (c *Conf) Close() error {
	if c.h == nil {
		return nil
	}
	c.cleanup.Stop()
	capi.DeleteQp_conf(c.h)
	c.h, c.hooks = nil, nil
	return nil
}

// PropertiesMarkdown is the library's property table as Markdown (the
// source of docs/configuration.md).
func PropertiesMarkdown() (string, error) {
	var out []byte
	err := capi.Qp_conf_properties_markdown(&out)
	return string(out), err
}

// handOver runs create (a constructor, which takes the C conf over whatever
// it returns) and closes c without freeing its C conf: on success it returns
// the hooks the new object must keep alive; on failure the error, and c is
// closed all the same, so no caller frees a conf on an error path.
func (c *Conf) handOver(create func(capi.Qp_conf) error) (hooks, error) {
	if c == nil || c.h == nil {
		return nil, capi.Closed("conf")
	}
	defer runtime.KeepAlive(c)
	err := create(c.h)
	hs := c.hooks
	c.cleanup.Stop()
	c.h, c.hooks = nil, nil
	if err != nil {
		return nil, err
	}
	return hs, nil
}
