package quackpipe

import "github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"

// Error is a failed libquackpipe call: Code (its String() is the C name,
// e.g. "QP_ERR_FIELD_RANGE") and Detail, the library's message, e.g.
// "gps.lat: 123.4 is outside [-90, 90]". Path() gives the failing field of a
// validation error. Use errors.As to get one from an error.
type Error = capi.Error

// Code is a libquackpipe error code (qp_err_t).
type Code = capi.Code

// Family sentinels: errors.Is(err, ErrValidation) reports whether err is a
// libquackpipe error of that family. The families are the same as Python's
// exception classes (bindings/swig/typemaps/errors.i).
var (
	ErrConfig           = capi.NewFamily("config")
	ErrValidation       = capi.NewFamily("validation")
	ErrKafka            = capi.NewFamily("kafka")
	ErrQueueFull        = capi.NewFamily("queue_full")
	ErrTimeout          = capi.NewFamily("timeout")
	ErrNoEvent          = capi.NewFamily("no_event")
	ErrWakeup           = capi.NewFamily("wakeup")
	ErrClosed           = capi.NewFamily("closed")
	ErrState            = capi.NewFamily("state")
	ErrClickHouse       = capi.NewFamily("clickhouse")
	ErrInvalidArgument  = capi.NewFamily("invalid_argument")
	ErrOutOfMemory      = capi.NewFamily("memory")
	ErrIO               = capi.NewFamily("io")
	ErrNotAvailable     = capi.NewFamily("not_available")
	ErrNotFound         = capi.NewFamily("not_found")
	ErrRetriesExhausted = capi.NewFamily("retries_exhausted")
	ErrCallbackAbort    = capi.NewFamily("user")
)
