package quackpipe

import (
	"runtime"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// Admin creates and checks the pipeline's topics (qp.topic.*). Not safe for
// concurrent use.
type Admin struct {
	owner
	h capi.Qp_admin
}

// NewAdmin creates an admin client from conf, which it takes over (closed
// afterwards, also when it fails).
func NewAdmin(conf *Conf) (*Admin, error) {
	var p uintptr
	hs, err := conf.handOver(func(c capi.Qp_conf) error { return capi.Qp_admin_new(&p, c) })
	if err != nil {
		return nil, err
	}
	a := &Admin{h: capi.SwigcptrQp_admin(p)}
	own(a, &a.owner, "admin", true, p, hs, func(p uintptr) {
		capi.DeleteQp_admin(capi.SwigcptrQp_admin(p))
	})
	return a, nil
}

// EnsureTopics creates the missing topics and checks the others within
// timeoutMs; a topic laid out otherwise is an error matching ErrKafka with
// Code QP_ERR_TOPIC_MISMATCH, never changed.
func (a *Admin) EnsureTopics(timeoutMs int) error {
	defer runtime.KeepAlive(a)
	return a.g.call(callAlone, func() error { return capi.Qp_admin_ensure_topics(a.h, timeoutMs) })
}

// CheckTopics is the check alone; missing topics are an error matching
// ErrNotFound that names them.
func (a *Admin) CheckTopics(timeoutMs int) error {
	defer runtime.KeepAlive(a)
	return a.g.call(callAlone, func() error { return capi.Qp_admin_check_topics(a.h, timeoutMs) })
}

// Close frees the admin client. Closing twice is harmless.
func (a *Admin) Close() error { return a.g.close(nil, nil, a.free) }
