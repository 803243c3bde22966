package cachemodel

import (
	"context"
	"time"
)

// StepStarted is told when a step's request goes on the wire: after the
// engine holds the per-host slot and the rate limiter let it through, so a
// step not yet reported is still queued. target is the plan's Index, step
// the index in the plan given to the engine, at the step's Start. It is
// called from the engine's goroutines, several at once, and must return
// promptly: the request waits for it.
type StepStarted func(target, step int, at time.Time)

type stepStartedKey struct{}

// WithStepStarted returns a context whose engine runs report each step's
// start to f. Engines that wrap another one pass the context on, so the
// hook reaches the engine that sends.
func WithStepStarted(ctx context.Context, f StepStarted) context.Context {
	return context.WithValue(ctx, stepStartedKey{}, f)
}

// StepStartedFrom is the hook set with WithStepStarted, or nil.
func StepStartedFrom(ctx context.Context) StepStarted {
	f, _ := ctx.Value(stepStartedKey{}).(StepStarted)
	return f
}
