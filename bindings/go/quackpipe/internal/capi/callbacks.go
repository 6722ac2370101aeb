package capi

// #include <stdint.h>
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

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

// DeliveryFunc is what a cgo.Handle given as a producer delivery callback
// must hold: the report's fields, code 0 when delivered.
type DeliveryFunc func(topic string, partition int32, offset int64, key []byte, code int, message string)

// qpbGoDelivery is the Go end of the delivery callback trampoline.
//
//export qpbGoDelivery
func qpbGoDelivery(topic *C.char, partition C.int32_t, offset C.int64_t, key unsafe.Pointer,
	keyLen C.size_t, code C.int, message *C.char, handle C.uintptr_t) {
	defer crashOnPanic()
	var k []byte
	if key != nil {
		k = C.GoBytes(key, C.int(keyLen))
	}
	fn := cgo.Handle(handle).Value().(DeliveryFunc)
	fn(C.GoString(topic), int32(partition), int64(offset), k, int(code), C.GoString(message))
}

// RunnerHandlerFunc is what a cgo.Handle given to Qp_runner_run must hold:
// it gets the message lent for the call and returns a verdict, or a
// negative code to stop the run.
type RunnerHandlerFunc func(msg Qp_message) int

//export qpbGoRunnerHandler
func qpbGoRunnerHandler(msg C.uintptr_t, handle C.uintptr_t) C.int {
	defer crashOnPanic()
	fn := cgo.Handle(handle).Value().(RunnerHandlerFunc)
	return C.int(fn(SwigcptrQp_message(msg)))
}

// FraudRuleFunc is what a cgo.Handle given to Qp_fraud_add_rule must hold:
// 0 to go on, non-zero (QP_ERR_USER) to abort the evaluation.
type FraudRuleFunc func(ev Qp_scan_event_t, verdict Qp_fraud_verdict) int

//export qpbGoFraudRule
func qpbGoFraudRule(ev, verdict C.uintptr_t, handle C.uintptr_t) C.int {
	defer crashOnPanic()
	fn := cgo.Handle(handle).Value().(FraudRuleFunc)
	return C.int(fn(SwigcptrQp_scan_event_t(ev), SwigcptrQp_fraud_verdict(verdict)))
}

// InserterResultFunc is what a cgo.Handle given as an inserter result
// callback must hold: the row's tag, QP_OK or QP_ERR_CLICKHOUSE, the error.
type InserterResultFunc func(tag uintptr, status int, message string)

//export qpbGoInserterResult
func qpbGoInserterResult(tag C.uintptr_t, status C.int, message *C.char, handle C.uintptr_t) {
	defer crashOnPanic()
	fn := cgo.Handle(handle).Value().(InserterResultFunc)
	fn(uintptr(tag), int(status), C.GoString(message))
}
