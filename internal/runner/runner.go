// Package runner turns target plans into target reports: it drives a probe
// engine, groups the streamed observations by target and hands each
// completed target to the analysis, in plan order. The CLI, the TUI and the
// demo share it so they cannot drift apart.
package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/corscope/corscope/cachemodel"
)

// Engine is what runner needs from probe.Engine. Run sends one observation
// per step and closes out when it returns.
type Engine interface {
	Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error
}

// TargetEngine is an Engine that also takes plans one at a time and hands
// each target back whole, on the goroutine that ran it (probe.Engine is
// one; see its RunTargets for the contract). Through it the runner
// analyses a target where it finished and receives one message per target
// instead of one per observation. Other engines are adapted (targets.go).
type TargetEngine interface {
	Engine
	RunTargets(ctx context.Context, limit int, next func() (*cachemodel.TargetPlan, bool),
		done func(plan *cachemodel.TargetPlan, obs []cachemodel.Observation),
		observed func(plan *cachemodel.TargetPlan, o cachemodel.Observation)) error
}

// Analyzer turns one complete target into its report. The runner calls it
// from several goroutines at once (analysis is CPU work and runs beside
// the probing), so it must be safe for concurrent use; a pure function of
// its arguments is.
type Analyzer func(plan cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport

// Hooks receive results as they happen. Either may be nil. A non-nil error
// from OnTarget stops the run and is returned. OnObservation is for
// interactive views (live partial results); leave it nil otherwise: it
// costs a hand-over per observation.
type Hooks struct {
	OnObservation func(plan *cachemodel.TargetPlan, obs cachemodel.Observation)
	OnTarget      func(report cachemodel.TargetReport) error
}

// Stream runs plans on eng. Plans must be indexed 0..n-1 by position
// (TargetPlan.Index == position). Reports are delivered in plan order: a
// finished target waits only for unfinished ones before it, so memory holds
// the in-flight window, not the whole run. The hooks are always called from
// Stream's own goroutine, one at a time.
//
// An engine that is not a TargetEngine gets one Run over every plan, so
// its own concurrency bounds the run (an isolate guard's first phase, for
// one, is a single inner Run). When ctx is cancelled every target is still
// delivered, with its cancelled steps, and ctx.Err() is returned.
func Stream(ctx context.Context, eng Engine, plans []cachemodel.TargetPlan, analyze Analyzer, hooks Hooks) error {
	for i := range plans {
		if plans[i].Index != i {
			return fmt.Errorf("runner: plan %d has index %d", i, plans[i].Index)
		}
	}
	i := 0
	src := func() (cachemodel.TargetPlan, bool) {
		if i == len(plans) {
			return cachemodel.TargetPlan{}, false
		}
		i++
		return plans[i-1], true
	}
	var tr targetRunner = sharedRun{eng}
	if te, ok := eng.(TargetEngine); ok {
		tr = native{te}
	}
	return stream(ctx, tr, src, streamOptions{window: len(plans) + 1, keepOnCancel: true}, analyze, hooks)
}

// streamOptions are where Stream and StreamFrom differ.
type streamOptions struct {
	limit  int // targets in flight; 0: the engine's own bound
	window int // plans alive (taken, not yet delivered) at most
	// keepOnCancel: after ctx is cancelled the rest of the plans are still
	// taken (and reported cancelled by the engine); otherwise none is.
	keepOnCancel bool
}

// errIncomplete is what an adapted engine reports for a target it left
// without an observation for every step.
var errIncomplete = errors.New("runner: target incomplete")

// stream is Stream and StreamFrom: te takes plans from src through the
// window, analyses each finished target on its own goroutine and sends the
// report here, where reports are put back in plan order and delivered.
func stream(ctx context.Context, tr targetRunner, src Source, opt streamOptions, analyze Analyzer, hooks Hooks) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		index  int
		report cachemodel.TargetReport
		err    error // errIncomplete, or the engine's
	}
	type observed struct {
		plan *cachemodel.TargetPlan
		obs  cachemodel.Observation
		ack  chan struct{} // closed once OnObservation has returned
	}
	results := make(chan result, 64)
	var observations chan observed
	if hooks.OnObservation != nil {
		observations = make(chan observed)
	}
	quit := make(chan struct{}) // closed: start no more targets
	stop := make(chan struct{}) // closed: results are not wanted any more
	var quitOnce, stopOnce sync.Once
	closeQuit := func() { quitOnce.Do(func() { close(quit) }) }
	closeStop := func() { stopOnce.Do(func() { close(stop) }) }

	// One token per live plan: taken before a plan is built, given back
	// when its report has been delivered.
	tokens := make(chan struct{}, max(opt.window, 1))
	var (
		srcMu   sync.Mutex
		started int
		srcEnd  bool
		fatal   error // a plan out of sequence
	)
	var cancelled <-chan struct{}
	if !opt.keepOnCancel {
		cancelled = ctx.Done()
	}
	next := func() (*cachemodel.TargetPlan, bool) {
		select {
		case tokens <- struct{}{}:
		case <-quit:
			return nil, false
		case <-cancelled:
			return nil, false
		}
		srcMu.Lock()
		defer srcMu.Unlock()
		if srcEnd || (!opt.keepOnCancel && ctx.Err() != nil) {
			<-tokens
			return nil, false
		}
		select {
		case <-quit:
			<-tokens
			return nil, false
		default:
		}
		p, ok := src()
		if ok && p.Index != started {
			fatal = fmt.Errorf("runner: plan %d has index %d", started, p.Index)
			ok = false
			cancel()
			closeQuit()
		}
		if !ok {
			srcEnd = true
			<-tokens
			return nil, false
		}
		started++
		return &p, true
	}
	done := func(p *cachemodel.TargetPlan, obs []cachemodel.Observation, err error) {
		select {
		case <-stop:
			return // nothing more is delivered: skip the analysis
		default:
		}
		r := result{index: p.Index, err: err}
		if err == nil {
			if len(obs) == 0 {
				obs = nil
			}
			r.report = analyze(*p, obs)
		}
		select {
		case results <- r:
		case <-stop:
		}
	}
	var onObs func(*cachemodel.TargetPlan, cachemodel.Observation)
	if observations != nil {
		// The hook has run before the engine goes on: a target's
		// observations all reach OnObservation before its analysis (which
		// may report the target, as the TUI's does) starts.
		onObs = func(p *cachemodel.TargetPlan, o cachemodel.Observation) {
			ack := make(chan struct{})
			select {
			case observations <- observed{p, o, ack}:
			case <-stop:
				return
			}
			<-ack
		}
	}
	engErr := make(chan error, 1)
	go func() { engErr <- tr.runTargets(ctx, opt.limit, next, done, onObs) }()

	pending := make(map[int]cachemodel.TargetReport) // finished, waiting for an earlier target
	delivered, incomplete := 0, 0
	var hookErr, runErr error
	handle := func(r result) {
		switch {
		case errors.Is(r.err, errIncomplete):
			incomplete++
			cancel() // nothing after it can be delivered in order
			closeQuit()
			return
		case r.err != nil:
			if !errors.Is(r.err, context.Canceled) && runErr == nil {
				runErr = r.err
				cancel()
				closeQuit()
			}
			return
		case hookErr != nil:
			return
		}
		pending[r.index] = r.report
		for hookErr == nil {
			rep, ok := pending[delivered]
			if !ok {
				break
			}
			delete(pending, delivered)
			delivered++
			if hooks.OnTarget != nil {
				if err := hooks.OnTarget(rep); err != nil {
					hookErr = err
					cancel()
					closeQuit()
					closeStop()
				}
			}
			<-tokens // only now: the report is out of the window
		}
	}
	var err error
	for running := true; running; {
		select {
		case r := <-results:
			handle(r)
		case o := <-observations:
			if hookErr == nil {
				hooks.OnObservation(o.plan, o.obs)
			}
			close(o.ack)
		case err = <-engErr:
			running = false
		}
	}
	// Every done call has returned: what they sent is buffered.
	for len(results) > 0 {
		handle(<-results)
	}
	srcMu.Lock()
	defer srcMu.Unlock()
	switch {
	case hookErr != nil:
		return hookErr
	case fatal != nil:
		return fatal
	case runErr != nil:
		return runErr
	case err != nil && !errors.Is(err, context.Canceled):
		return err
	case incomplete > 0 && parent.Err() == nil:
		return fmt.Errorf("runner: engine finished with %d of %d targets incomplete", started-delivered, started)
	case ctx.Err() != nil:
		return ctx.Err()
	case delivered < started:
		return fmt.Errorf("runner: engine finished with %d of %d targets incomplete", started-delivered, started)
	}
	return nil
}
