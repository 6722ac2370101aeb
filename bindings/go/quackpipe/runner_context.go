package quackpipe

import (
	"context"
	"errors"
	"iter"
)

// The context forms of the Runner's blocking calls. A cancelled context
// ends the wait through Wakeup (safe from any goroutine); the wakeup is
// taken back when the call ended for another reason first, so that it
// cannot end the next call. A Wakeup of the caller's own that arrives at
// the same moment may be taken back with it.

// NextContext is Next without a time limit, ended by ctx: it returns
// ctx.Err() when ctx is cancelled or its deadline passes first.
func (r *Runner) NextContext(ctx context.Context) (*Message, error) {
	var m *Message
	err := r.whileContext(ctx, func() error {
		var err error
		m, err = r.Next(-1)
		return err
	})
	return m, err
}

// RunContext is Run ended by ctx as well as by Wakeup or Close: it returns
// ctx.Err() when ctx ended it, nil after Wakeup or Close, else as Run.
func (r *Runner) RunContext(ctx context.Context, handler func(*Message) (Verdict, error)) error {
	err := r.whileContext(ctx, func() error {
		if err := r.Run(handler); err != nil {
			return err
		}
		return errRunWoken // Run's nil: ended by a wakeup or a close
	})
	if err == errRunWoken {
		return nil
	}
	return err
}

// errRunWoken stands for Run's nil inside RunContext; it is a wakeup.
var errRunWoken = &Error{Code: CodeWakeup, Detail: "runner: woken up"}

// Messages is the runner's messages as a sequence for a range loop:
//
//	for msg, err := range runner.Messages(ctx) {
//		if err != nil { ... } // a failure of Next: the sequence ends after it
//		... runner.Ack(msg) ...
//	}
//
// It ends without an error when Wakeup, Close or ctx ends the wait (check
// ctx.Err() after the loop to tell), and after yielding any other error.
// Each message is released with Ack, Retry or DeadLetter as with Next.
func (r *Runner) Messages(ctx context.Context) iter.Seq2[*Message, error] {
	return func(yield func(*Message, error) bool) {
		for {
			m, err := r.NextContext(ctx)
			switch {
			case err == nil:
				if !yield(m, nil) {
					return
				}
			case errors.Is(err, ErrWakeup), errors.Is(err, ErrClosed), ctx.Err() != nil:
				return
			default:
				yield(nil, err)
				return
			}
		}
	}
}

// whileContext runs call (a blocking runner call) with ctx's cancellation
// turned into a Wakeup; it returns ctx.Err() when that wakeup ended the call.
func (r *Runner) whileContext(ctx context.Context, call func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(woken)
		r.Wakeup()
	})
	err := call()
	if stop() {
		return err // ctx did not fire: no wakeup was sent
	}
	<-woken
	if errors.Is(err, ErrWakeup) {
		return ctx.Err()
	}
	// The call ended before the wakeup reached it, which is still pending.
	// The runner looks for a wakeup before anything else, so a call that
	// does not wait takes it back at once (ErrWakeup, or ErrClosed).
	if m, _ := r.Next(0); m != nil {
		r.Retry(m) // not expected; never lose a message anyway
	}
	return err
}
