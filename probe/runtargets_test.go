package probe

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// RunTargets takes plans from next as workers free up and hands each
// target back whole, every step in place, once all its steps are done;
// observed sees every observation before its target's done.
func TestRunTargetsHandsBackWholeTargets(t *testing.T) {
	srv := quietServer(t)
	e := newEngine(t, Config{Concurrency: 8})
	plans := allocPlans(srv.addr(), 40)
	var mu sync.Mutex
	i := 0
	next := func() (*cachemodel.TargetPlan, bool) {
		mu.Lock()
		defer mu.Unlock()
		if i == len(plans) {
			return nil, false
		}
		i++
		return &plans[i-1], true
	}
	var observedN atomic.Int64
	seenPerTarget := make([]atomic.Int64, len(plans))
	got := make([][]cachemodel.Observation, len(plans))
	err := e.RunTargets(context.Background(), 4, next, func(p *cachemodel.TargetPlan, obs []cachemodel.Observation) {
		if n := seenPerTarget[p.Index].Load(); n != int64(len(p.Steps)) {
			t.Errorf("target %d done after %d of %d observations", p.Index, n, len(p.Steps))
		}
		got[p.Index] = obs
	}, func(p *cachemodel.TargetPlan, o cachemodel.Observation) {
		observedN.Add(1)
		seenPerTarget[p.Index].Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := observedN.Load(); n != int64(len(plans)*5) {
		t.Errorf("%d observations, want %d", n, len(plans)*5)
	}
	for ti, obs := range got {
		if len(obs) != 5 {
			t.Fatalf("target %d: %d observations", ti, len(obs))
		}
		for s, o := range obs {
			if o.Target != ti || o.Step != s || o.Err != nil || o.Response == nil || o.Response.Status != 200 {
				t.Fatalf("target %d step %d: %+v", ti, s, o)
			}
		}
	}
}
