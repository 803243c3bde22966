package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// targetEngine is a TargetEngine that runs its targets on a few
// goroutines and checks, after each done call, that the target's report
// was made within it (the analysis ran on the engine's goroutine).
type targetEngine struct {
	analysed  *atomic.Int64
	inDone    atomic.Int64 // done calls after which the analysis had run
	observedN atomic.Int64
}

func (e *targetEngine) Run(context.Context, []cachemodel.TargetPlan, chan<- cachemodel.Observation) error {
	panic("the runner must use RunTargets")
}

func (e *targetEngine) RunTargets(ctx context.Context, limit int, next func() (*cachemodel.TargetPlan, bool),
	done func(*cachemodel.TargetPlan, []cachemodel.Observation),
	observed func(*cachemodel.TargetPlan, cachemodel.Observation),
) error {
	var wg sync.WaitGroup
	for range max(limit, 2) {
		wg.Go(func() {
			for p, ok := next(); ok; p, ok = next() {
				obs := make([]cachemodel.Observation, len(p.Steps))
				for i := range obs {
					obs[i] = cachemodel.Observation{Target: p.Index, Step: i, Response: &cachemodel.Response{Status: 200 + i}}
					if observed != nil {
						e.observedN.Add(1)
						observed(p, obs[i])
					}
				}
				before := e.analysed.Load()
				done(p, obs)
				if e.analysed.Load() > before {
					e.inDone.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// With a TargetEngine each target is analysed inside done, on the
// engine's goroutine, and reports still arrive in plan order; the
// per-observation hand-over happens only when OnObservation is set.
func TestTargetEngineAnalysesWhereTargetFinished(t *testing.T) {
	var analysed atomic.Int64
	a := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		analysed.Add(1)
		return analyze(p, obs)
	}
	for _, withObs := range []bool{false, true} {
		eng := &targetEngine{analysed: &analysed}
		ps := plans(200, 3)
		var order []string
		seen := 0
		hooks := Hooks{OnTarget: func(r cachemodel.TargetReport) error { order = append(order, r.URL); return nil }}
		if withObs {
			hooks.OnObservation = func(*cachemodel.TargetPlan, cachemodel.Observation) { seen++ }
		}
		if err := Stream(context.Background(), eng, ps, a, hooks); err != nil {
			t.Fatal(err)
		}
		if len(order) != len(ps) {
			t.Fatalf("%d of %d reports", len(order), len(ps))
		}
		for i := range ps {
			if order[i] != ps[i].URL {
				t.Fatalf("report %d out of order", i)
			}
		}
		if n := eng.inDone.Load(); n != int64(len(ps)) {
			t.Errorf("%d of %d targets analysed inside done", n, len(ps))
		}
		if want := 0; !withObs && eng.observedN.Load() != int64(want) {
			t.Errorf("observations handed over without OnObservation: %d", eng.observedN.Load())
		}
		if withObs && seen != 600 {
			t.Errorf("OnObservation saw %d of 600 observations", seen)
		}
	}
}

// Every observation of a target has been through OnObservation before the
// target is analysed: the TUI counts a target's steps from OnObservation
// and shows its report from the analysis, so a report must never overtake
// its own last step. The hook here is slow on purpose.
func TestObservationsReachTheHookBeforeTheAnalysis(t *testing.T) {
	var analysed atomic.Int64
	engines := map[string]Engine{"plain engine": fakeEngine{7}, "target engine": &targetEngine{analysed: &analysed}}
	for name, eng := range engines {
		ps := plans(20, 3)
		seen := make([]atomic.Int64, len(ps))
		a := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
			analysed.Add(1)
			if n := seen[p.Index].Load(); n != int64(len(p.Steps)) {
				t.Errorf("%s: target %d analysed after %d of %d observations reached the hook", name, p.Index, n, len(p.Steps))
			}
			return analyze(p, obs)
		}
		err := Stream(context.Background(), eng, ps, a, Hooks{OnObservation: func(p *cachemodel.TargetPlan, o cachemodel.Observation) {
			time.Sleep(200 * time.Microsecond)
			seen[p.Index].Add(1)
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
}
