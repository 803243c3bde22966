package runner

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/corscope/corscope/cachemodel"
)

// targetRunner is what stream drives: plans taken from next, each target
// handed to done whole (err: errIncomplete, or the engine's error, when it
// could not be completed), each observation to observed when that is set.
type targetRunner interface {
	runTargets(ctx context.Context, limit int, next func() (*cachemodel.TargetPlan, bool),
		done func(p *cachemodel.TargetPlan, obs []cachemodel.Observation, err error),
		observed func(p *cachemodel.TargetPlan, o cachemodel.Observation)) error
}

// native runs a TargetEngine as it is.
type native struct{ te TargetEngine }

func (n native) runTargets(ctx context.Context, limit int, next func() (*cachemodel.TargetPlan, bool),
	done func(*cachemodel.TargetPlan, []cachemodel.Observation, error),
	observed func(*cachemodel.TargetPlan, cachemodel.Observation),
) error {
	return n.te.RunTargets(ctx, limit, next, func(p *cachemodel.TargetPlan, obs []cachemodel.Observation) {
		done(p, obs, nil)
	}, observed)
}

// sharedRun adapts a plain Engine the way Stream always ran one: every plan
// in one Run, so the engine's own concurrency bounds the run; observations
// are grouped by target here, and complete targets are handed to done on
// up to GOMAXPROCS goroutines.
type sharedRun struct{ eng Engine }

func (a sharedRun) runTargets(ctx context.Context, _ int, next func() (*cachemodel.TargetPlan, bool),
	done func(*cachemodel.TargetPlan, []cachemodel.Observation, error),
	observed func(*cachemodel.TargetPlan, cachemodel.Observation),
) error {
	var plans []cachemodel.TargetPlan // indexed by position (Stream checked)
	for p, ok := next(); ok; p, ok = next() {
		plans = append(plans, *p)
	}
	type job struct {
		p   *cachemodel.TargetPlan
		obs []cachemodel.Observation
	}
	jobs := make(chan job, len(plans)) // the engine is never held up by analysis
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(plans))) {
		wg.Go(func() {
			for j := range jobs {
				done(j.p, j.obs, nil)
			}
		})
	}
	obs := make([][]cachemodel.Observation, len(plans))
	got := make([]int, len(plans))
	for i := range plans {
		if len(plans[i].Steps) == 0 { // complete from the start
			jobs <- job{&plans[i], nil}
		}
	}
	out := make(chan cachemodel.Observation, 64)
	errc := make(chan error, 1)
	go func() { errc <- a.eng.Run(ctx, plans, out) }()
	for o := range out {
		if o.Target < 0 || o.Target >= len(plans) || o.Step < 0 || o.Step >= len(plans[o.Target].Steps) {
			continue // not ours; a buggy engine must not crash the run
		}
		p := &plans[o.Target]
		if observed != nil {
			observed(p, o)
		}
		if obs[o.Target] == nil {
			obs[o.Target] = make([]cachemodel.Observation, len(p.Steps))
		}
		obs[o.Target][o.Step] = o
		if got[o.Target]++; got[o.Target] == len(p.Steps) {
			jobs <- job{p, obs[o.Target]}
			obs[o.Target] = nil
		}
	}
	close(jobs)
	wg.Wait()
	for i := range plans {
		if n := len(plans[i].Steps); n > 0 && got[i] < n {
			done(&plans[i], obs[i], errIncomplete)
		}
	}
	err := <-errc
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// perPlanRun adapts a plain Engine the way StreamFrom always ran one: each
// target through its own Run (which keeps its steps in order), up to limit
// at once.
type perPlanRun struct{ eng Engine }

func (a perPlanRun) runTargets(ctx context.Context, limit int, next func() (*cachemodel.TargetPlan, bool),
	done func(*cachemodel.TargetPlan, []cachemodel.Observation, error),
	observed func(*cachemodel.TargetPlan, cachemodel.Observation),
) error {
	var wg sync.WaitGroup
	for range max(limit, 1) {
		wg.Go(func() {
			for p, ok := next(); ok; p, ok = next() {
				a.one(ctx, p, done, observed)
			}
		})
	}
	wg.Wait()
	return nil
}

func (a perPlanRun) one(ctx context.Context, p *cachemodel.TargetPlan,
	done func(*cachemodel.TargetPlan, []cachemodel.Observation, error),
	observed func(*cachemodel.TargetPlan, cachemodel.Observation),
) {
	if len(p.Steps) == 0 { // complete from the start
		done(p, nil, nil)
		return
	}
	ch := make(chan cachemodel.Observation, 16)
	errc := make(chan error, 1)
	go func() { errc <- a.eng.Run(ctx, []cachemodel.TargetPlan{*p}, ch) }()
	obs := make([]cachemodel.Observation, len(p.Steps))
	got := 0
	for o := range ch {
		if o.Target != p.Index || o.Step < 0 || o.Step >= len(p.Steps) {
			continue // not ours; a buggy engine must not crash the run
		}
		if observed != nil {
			observed(p, o)
		}
		obs[o.Step] = o
		got++
	}
	switch err := <-errc; {
	case err != nil && !errors.Is(err, context.Canceled):
		done(p, obs, err)
	case got != len(p.Steps):
		done(p, obs, errIncomplete)
	default:
		done(p, obs, nil)
	}
}
