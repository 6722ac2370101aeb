package quackpipe

import "runtime"

// owner is what every pipeline object (producer, runner, ...) keeps next to
// its C handle: the guard of its calls, the hooks the handle may call and the
// cleanup that frees the handle if the object is never closed. The cleanup
// holds the hooks, so a handle that calls back while it is destroyed (a
// producer reports what it drops) still finds them.
type owner struct {
	g       *guard
	hooks   hooks
	cleanup runtime.Cleanup
	destroy func(uintptr)
	ptr     uintptr
}

type cleanupArg struct {
	ptr     uintptr
	hooks   hooks
	destroy func(uintptr)
}

// own starts owning ptr for obj; destroy frees it and must not refer to obj.
func own[T any](obj *T, o *owner, what string, exclusive bool, ptr uintptr, hs hooks,
	destroy func(uintptr)) {
	if hs == nil {
		hs = hooks{}
	}
	o.g, o.hooks, o.destroy, o.ptr = newGuard(what, exclusive), hs, destroy, ptr
	o.cleanup = runtime.AddCleanup(obj, func(a cleanupArg) {
		a.destroy(a.ptr)
		runtime.KeepAlive(a.hooks)
	}, cleanupArg{ptr, hs, destroy})
}

// free destroys the handle now (the guard's last step of a close).
func (o *owner) free() {
	o.cleanup.Stop()
	o.destroy(o.ptr)
	o.hooks = nil
}

// setHook keeps h alive as long as the handle may call it.
func (o *owner) setHook(slot string, h *hook) {
	o.g.mu.Lock()
	defer o.g.mu.Unlock()
	if h == nil {
		delete(o.hooks, slot)
	} else if o.hooks != nil {
		o.hooks[slot] = h
	}
}
