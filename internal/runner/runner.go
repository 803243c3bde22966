// Package runner turns target plans into target reports: it drives a probe
// engine, groups the streamed observations by target and hands each
// completed target to the analysis, in plan order. The CLI, the TUI and the
// demo share it so they cannot drift apart.
package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/corscope/corscope/cachemodel"
)

// Engine is what runner needs from probe.Engine. Run sends one observation
// per step and closes out when it returns.
type Engine interface {
	Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error
}

// Analyzer turns one complete target into its report. Stream calls it
// from several goroutines at once (analysis is CPU work and runs beside
// the probing), so it must be safe for concurrent use; a pure function of
// its arguments is.
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
// the in-flight window, not the whole run. Complete targets are analysed
// on up to GOMAXPROCS goroutines; the hooks are always called from
// Stream's own goroutine, one at a time.
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

	// Analysis workers. Jobs are handed over one at a time (unbuffered) and
	// results come back to this goroutine, which alone touches the maps
	// and calls the hooks.
	type job struct {
		target int
		obs    []cachemodel.Observation
	}
	type result struct {
		target int
		report cachemodel.TargetReport
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), len(plans)))
	jobs := make(chan job)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- result{j.target, analyze(plans[j.target], j.obs)}
			}
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()

	var queue []job // complete targets not yet handed to a worker
	inflight := 0   // handed to a worker, result not yet back
	in := (<-chan cachemodel.Observation)(out)
	for in != nil || len(queue) > 0 || inflight > 0 {
		var send chan<- job
		var head job
		if len(queue) > 0 {
			send, head = jobs, queue[0]
		}
		select {
		case o, ok := <-in:
			if !ok {
				in = nil
				continue
			}
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
				queue = append(queue, job{o.Target, obs})
			}
		case send <- head:
			queue[0] = job{}
			queue = queue[1:]
			inflight++
		case r := <-results:
			inflight--
			if hookErr == nil {
				done[r.target] = r.report
				deliver()
			}
		}
		if hookErr != nil {
			queue = nil // nothing more will be delivered
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
