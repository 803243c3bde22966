package runner

import (
	"context"

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
// probed at once, and at most ReorderWindow(concurrency) plans and finished
// reports are held: reports are delivered in plan order, and when a slow
// target holds the head of the window the source is not asked for more
// until it is delivered. An engine that is not a TargetEngine runs each
// target through its own eng.Run call, which keeps its steps in order.
//
// Each target is analysed on the goroutine that probed it. The hooks are
// called from StreamFrom's own goroutine, one at a time. When ctx is
// cancelled the source is not asked for more (a plan it was building then
// may be dropped unstarted); targets already started are completed (with
// their cancelled steps) and delivered, and ctx.Err() is returned.
func StreamFrom(ctx context.Context, eng Engine, src Source, concurrency int, analyze Analyzer, hooks Hooks) error {
	concurrency = max(concurrency, 1)
	var tr targetRunner = perPlanRun{eng}
	if te, ok := eng.(TargetEngine); ok {
		tr = native{te}
	}
	return stream(ctx, tr, src, streamOptions{limit: concurrency, window: ReorderWindow(concurrency)}, analyze, hooks)
}
