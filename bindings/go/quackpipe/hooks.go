package quackpipe

import (
	"runtime"
	"runtime/cgo"
)

// hook makes a Go value reachable from C as a cgo.Handle. Every Go object
// whose C handle may call it holds the *hook (a conf, its copies, the
// producer that took it over); the handle is deleted once none does.
type hook struct{ handle cgo.Handle }

func newHook(v any) *hook {
	h := &hook{cgo.NewHandle(v)}
	runtime.AddCleanup(h, func(handle cgo.Handle) { handle.Delete() }, h.handle)
	return h
}

// hooks maps a callback slot ("log", ...) to its hook.
type hooks map[string]*hook

func (hs hooks) clone() hooks {
	copied := make(hooks, len(hs))
	for slot, h := range hs {
		copied[slot] = h
	}
	return copied
}
