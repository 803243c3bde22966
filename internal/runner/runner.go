// Package runner turns target plans into target reports: it drives a probe
// engine, groups the streamed observations by target and hands each
// completed target to the analysis, in plan order. The CLI, the TUI and the
// demo share it so they cannot drift apart.
package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/corscope/corscope/cachemodel"
)

// Engine is what runner needs from probe.Engine. Run sends one observation
// per step and closes out when it returns.
type Engine interface {
	Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error
}

// Analyzer turns one complete target into its report.
type Analyzer func(plan cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport

// Hooks receive results as they happen. Either may be nil. A non-nil error
// from OnTarget stops the run and is returned.
type Hooks struct {
	OnObservation func(plan *cachemodel.TargetPlan, obs cachemodel.Observation)
	OnTarget      func(report cachemodel.TargetReport) error
}

// Stream runs plans on eng. Plans must be indexed 0..n-1 by position
// (TargetPlan.Index == position). Reports are delivered in plan order: a
// finished target waits only for unfinished ones before it, so memory holds
// the in-flight window, not the whole run.
func Stream(ctx context.Context, eng Engine, plans []cachemodel.TargetPlan, analyze Analyzer, hooks Hooks) error {
	for i := range plans {
		if plans[i].Index != i {
			return fmt.Errorf("runner: plan %d has index %d", i, plans[i].Index)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	out := make(chan cachemodel.Observation, 64)
	runErr := make(chan error, 1)
	go func() { runErr <- eng.Run(ctx, plans, out) }()

	pending := make(map[int][]cachemodel.Observation) // target -> observations so far, indexed by step
	got := make(map[int]int)                          // target -> steps observed
	done := make(map[int]cachemodel.TargetReport)     // finished, waiting for an earlier target
	next := 0
	var hookErr error

	deliver := func() {
		for hookErr == nil {
			rep, ok := done[next]
			if !ok {
				return
			}
			delete(done, next)
			next++
			if hooks.OnTarget != nil {
				if err := hooks.OnTarget(rep); err != nil {
					hookErr = err
					cancel()
				}
			}
		}
	}
	// A plan with no steps is complete from the start.
	for i := range plans {
		if len(plans[i].Steps) == 0 {
			done[i] = analyze(plans[i], nil)
		}
	}
	deliver()

	for o := range out {
		if hookErr != nil {
			continue // drain so the engine can finish
		}
		if o.Target < 0 || o.Target >= len(plans) || o.Step < 0 || o.Step >= len(plans[o.Target].Steps) {
			continue // not ours; a buggy engine must not crash the run
		}
		p := &plans[o.Target]
		if hooks.OnObservation != nil {
			hooks.OnObservation(p, o)
		}
		obs := pending[o.Target]
		if obs == nil {
			obs = make([]cachemodel.Observation, len(p.Steps))
		}
		obs[o.Step] = o
		pending[o.Target] = obs
		got[o.Target]++
		if got[o.Target] == len(p.Steps) {
			delete(pending, o.Target)
			delete(got, o.Target)
			done[o.Target] = analyze(*p, obs)
			deliver()
		}
	}
	err := <-runErr
	if hookErr != nil {
		return hookErr
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if next != len(plans) {
		return fmt.Errorf("runner: engine finished with %d of %d targets incomplete", len(plans)-next, len(plans))
	}
	return nil
}
