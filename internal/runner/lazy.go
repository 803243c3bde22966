package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/corscope/corscope/cachemodel"
)

// Source yields the plans of a run one at a time, in input order: the i-th
// call returns the plan with Index i, and ok=false ends the input.
// StreamFrom calls it from one goroutine, only when the plan may start
// soon, so a source that builds each plan when asked keeps at most
// ReorderWindow plans alive however long the input is. It must return
// promptly (it is not interrupted by cancellation).
type Source func() (plan cachemodel.TargetPlan, ok bool)

// reorderFactor sizes the reorder window against the concurrency: a slow
// target at the head of the window leaves the others this much room to
// finish before the source is asked for more.
const reorderFactor = 4

// ReorderWindow is the most plans StreamFrom keeps alive at once (built
// but not yet delivered) for a concurrency.
func ReorderWindow(concurrency int) int { return reorderFactor * max(concurrency, 1) }

// StreamFrom is Stream for plans made on demand, so memory is bounded by
// the concurrency instead of the input: at most concurrency targets are
// probed at once (each through its own eng.Run call, which keeps a
// target's steps in order), and at most ReorderWindow(concurrency) plans
// and finished reports are held: reports are delivered in plan order, and
// when a slow target holds the head of the window the source is not asked
// for more until it is delivered.
//
// Each target is analysed on the goroutine that probed it. The hooks are
// called from StreamFrom's own goroutine, one at a time. When ctx is
// cancelled the source is not asked for more (a plan it was building then
// may be dropped unstarted); targets already started are completed (with
// their cancelled steps) and delivered, and ctx.Err() is returned.
func StreamFrom(ctx context.Context, eng Engine, src Source, concurrency int, analyze Analyzer, hooks Hooks) error {
	concurrency = max(concurrency, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// One token per live plan: taken by the producer before it builds a
	// plan, given back when the plan's report has been delivered.
	tokens := make(chan struct{}, ReorderWindow(concurrency))
	plans := make(chan cachemodel.TargetPlan)
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		defer close(plans)
		for {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p, ok := src()
			if !ok {
				return
			}
			select {
			case plans <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel()
		<-produced
	}()

	type finished struct {
		index    int
		report   cachemodel.TargetReport
		complete bool
		err      error
	}
	type observed struct {
		plan *cachemodel.TargetPlan
		obs  cachemodel.Observation
	}
	results := make(chan finished, concurrency)
	var observations chan observed
	if hooks.OnObservation != nil {
		observations = make(chan observed)
	}
	launch := func(p cachemodel.TargetPlan) {
		if len(p.Steps) == 0 { // complete from the start
			results <- finished{index: p.Index, report: analyze(p, nil), complete: true}
			return
		}
		ch := make(chan cachemodel.Observation, 16)
		errc := make(chan error, 1)
		go func() { errc <- eng.Run(ctx, []cachemodel.TargetPlan{p}, ch) }()
		obs := make([]cachemodel.Observation, len(p.Steps))
		got := 0
		for o := range ch {
			if o.Target != p.Index || o.Step < 0 || o.Step >= len(p.Steps) {
				continue // not ours; a buggy engine must not crash the run
			}
			if observations != nil {
				observations <- observed{&p, o}
			}
			obs[o.Step] = o
			got++
		}
		f := finished{index: p.Index, err: <-errc}
		if got == len(p.Steps) {
			f.report, f.complete = analyze(p, obs), true
		}
		results <- f
	}

	done := make(map[int]cachemodel.TargetReport) // finished, waiting for an earlier target
	next, started, running, incomplete := 0, 0, 0, 0
	var hookErr, runErr error
	in := (<-chan cachemodel.TargetPlan)(plans)
	for in != nil || running > 0 {
		var recv <-chan cachemodel.TargetPlan
		if running < concurrency {
			recv = in
		}
		select {
		case p, ok := <-recv:
			if !ok {
				in = nil
				continue
			}
			if p.Index != started {
				runErr = fmt.Errorf("runner: plan %d has index %d", started, p.Index)
				cancel()
				in = nil
				continue
			}
			started++
			running++
			go launch(p)
		case o := <-observations:
			if hookErr == nil {
				hooks.OnObservation(o.plan, o.obs)
			}
		case f := <-results:
			running--
			if f.err != nil && !errors.Is(f.err, context.Canceled) && runErr == nil {
				runErr = f.err
				cancel()
				in = nil
			}
			if !f.complete {
				incomplete++
				cancel() // nothing after it can be delivered in order
				in = nil
				continue
			}
			if hookErr != nil {
				continue
			}
			done[f.index] = f.report
			for hookErr == nil {
				rep, ok := done[next]
				if !ok {
					break
				}
				delete(done, next)
				next++
				if hooks.OnTarget != nil {
					if err := hooks.OnTarget(rep); err != nil {
						hookErr = err
						cancel()
						in = nil
					}
				}
				<-tokens // only now: the report is out of the window
			}
		}
	}
	switch {
	case hookErr != nil:
		return hookErr
	case runErr != nil:
		return runErr
	case incomplete > 0:
		return fmt.Errorf("runner: engine finished with %d of %d targets incomplete", incomplete, started)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return nil
}
