package quackpipe

import (
	"sync"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// guard counts the calls in flight on one C handle (a producer, a runner,
// ...), so that:
//   - Close from another goroutine wakes a blocked call (the C wakeup),
//     waits until no call is in flight, and only then closes and frees the
//     handle: no call ever runs on freed memory;
//   - Close from inside a callback of the handle (a handler, a delivery
//     function) cannot wait for the call that runs it: the handle is closed
//     when that call returns;
//   - a handle the C API gives to one thread at a time (exclusive: runner,
//     admin, fraud engine, inserter) refuses a call from a second goroutine
//     while one is in flight (ErrState) instead of racing it;
//   - Wakeup never reaches a freed handle.
//
// Go cannot tell goroutines apart, so "inside a callback" means "while a
// callback of this handle runs": a call from another goroutine at that
// moment is treated as if the callback made it.
type guard struct {
	what      string
	exclusive bool

	mu        sync.Mutex
	changed   sync.Cond
	inflight  int
	callbacks int // callbacks of this handle running now
	closing   bool
	closed    bool
	deferred  func()
}

// callMode says whether a call may run inside a callback of its handle.
type callMode int

const (
	callAlone  callMode = iota // not from inside a callback (next, ack, flush ...)
	callNested                 // also from inside one (pause, stats, counters ...)
)

func newGuard(what string, exclusive bool) *guard {
	g := &guard{what: what, exclusive: exclusive}
	g.changed.L = &g.mu
	return g
}

func stateError(detail string) error {
	return &Error{Code: Code(capi.QP_ERR_STATE), Detail: detail}
}

// enter registers a call; exit must follow.
func (g *guard) enter(mode callMode) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return capi.Closed(g.what)
	}
	if g.inflight > 0 {
		if g.callbacks > 0 && mode == callAlone {
			return stateError(g.what + ": this call is not allowed inside a callback")
		}
		if g.callbacks == 0 && g.exclusive {
			return stateError(g.what + ": another goroutine has a call in flight " +
				"(use it from one goroutine at a time)")
		}
	}
	g.inflight++
	return nil
}

// exit ends a call; the last one runs a close deferred by a callback.
func (g *guard) exit() {
	g.mu.Lock()
	g.inflight--
	var finish func()
	if g.inflight == 0 {
		finish, g.deferred = g.deferred, nil
		g.changed.Broadcast()
	}
	g.mu.Unlock()
	if finish != nil {
		finish()
	}
}

// call runs fn as one call in flight.
func (g *guard) call(mode callMode, fn func() error) error {
	if err := g.enter(mode); err != nil {
		return err
	}
	defer g.exit()
	return fn()
}

// callback runs fn as a callback of the handle (the library calls it inside
// a call in flight).
func (g *guard) callback(fn func()) {
	g.mu.Lock()
	g.callbacks++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.callbacks--
		g.mu.Unlock()
	}()
	fn()
}

// wakeup runs fn (the C wakeup) unless the handle is freed.
func (g *guard) wakeup(fn func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		fn()
	}
}

// close ends the calls in flight with wake, then runs finish (the C close;
// may be nil) as the only call in flight, then free (the C destroy).
// Returns finish's error; nil when already closed, or when called inside a
// callback (the close then happens when the call in flight returns).
func (g *guard) close(wake func(), finish func() error, free func()) error {
	g.mu.Lock()
	if g.closing {
		for !g.closed && g.callbacks == 0 && g.deferred == nil {
			g.changed.Wait()
		}
		g.mu.Unlock()
		return nil
	}
	g.closing = true
	if g.inflight > 0 && wake != nil {
		wake()
	}
	if g.callbacks > 0 {
		g.deferred = func() { g.finish(finish, free) }
		g.mu.Unlock()
		return nil
	}
	for g.inflight > 0 {
		g.changed.Wait()
	}
	g.inflight++ // the close itself: Wakeup still reaches the handle
	g.mu.Unlock()
	err := g.finish(finish, free)
	g.mu.Lock()
	g.inflight--
	g.changed.Broadcast()
	g.mu.Unlock()
	return err
}

func (g *guard) finish(finish func() error, free func()) error {
	var err error
	if finish != nil {
		err = finish()
	}
	g.mu.Lock()
	g.closed = true
	g.changed.Broadcast()
	g.mu.Unlock()
	free()
	return err
}

// isClosed reports whether Close was called.
func (g *guard) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closing
}
