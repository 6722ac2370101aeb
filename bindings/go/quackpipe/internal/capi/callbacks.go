package capi

// #cgo LDFLAGS: -lquackpipe
// #include <stdint.h>
import "C"

import "runtime/cgo"

// LogFunc is what a cgo.Handle given as a log callback must hold.
type LogFunc func(level int, module, message string)

// qpbGoLog is the Go end of the log callback trampoline (typemaps/callbacks.i).
// The library calls it on the goroutine that is inside a library call.
//
//export qpbGoLog
func qpbGoLog(level C.int, module, message *C.char, handle C.uintptr_t) {
	defer crashOnPanic()
	fn := cgo.Handle(handle).Value().(LogFunc)
	fn(int(level), C.GoString(module), C.GoString(message))
}

// crashOnPanic ends the program with a callback's panic, as an unrecovered
// panic would, but without unwinding through the library's C frames (which
// would skip its cleanup and leave its state inconsistent).
func crashOnPanic() {
	if v := recover(); v != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			panic(v)
		}()
		<-done
	}
}
