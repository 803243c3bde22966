package main

import (
	"context"
	"errors"
	"fmt"
)

// readInterruptibly runs read (a blocking read of stdin) and returns its
// result, or an exitInterrupted error as soon as ctx is canceled: a signal
// must not wait for a line that may never come. The abandoned read goes on
// in its goroutine until the process exits. what says where the read was
// ("while reading URLs from standard input").
func readInterruptibly[T any](ctx context.Context, what string, read func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, interruptedErr(ctx, what)
	}
}

// interruptedErr is the one-line error of an interrupted command, exiting
// with exitInterrupted.
func interruptedErr(ctx context.Context, what string) error {
	msg := "interrupted"
	// A signal's cause reads "interrupt signal received"; a plain cancel
	// is context.Canceled itself.
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
		msg += " (" + cause.Error() + ")"
	}
	return &exitError{code: exitInterrupted, err: fmt.Errorf("%s: %s", msg, what)}
}

// isInterrupted reports whether err ends the command with exitInterrupted.
func isInterrupted(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == exitInterrupted
}
