package runner

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corscope/corscope/cachemodel"
)

// startingEngine is cacheEngine that tells the step-started hook of each
// step it runs, as probe.Engine does.
type startingEngine struct{ cacheEngine }

func (f *startingEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	if started := cachemodel.StepStartedFrom(ctx); started != nil {
		for _, p := range plans {
			for i := range p.Steps {
				started(p.Index, i, time.Now())
			}
		}
	}
	return f.cacheEngine.Run(ctx, plans, out)
}

// The isolate guard runs the adversarial steps as a plan of their own,
// numbered from 0; the hook must still name them by their place in the
// whole plan, as the observations do, or the view would show the wrong
// variant in flight.
func TestIsolateEngineStepStartedNamesWholePlanSteps(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, leaks)
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/")
	p := cachemodel.BuildIsolatePlan(4, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com"}}, cachemodel.IsolateOptions{})
	cut := cachemodel.AdversarialStart(p)
	if cut == len(p.Steps) {
		t.Fatal("the plan has no adversarial steps: the test proves nothing")
	}
	var mu sync.Mutex
	started := map[int]int{}
	ctx := cachemodel.WithStepStarted(context.Background(), func(target, step int, _ time.Time) {
		if target != 4 {
			t.Errorf("step %d started for target %d, want 4", step, target)
		}
		mu.Lock()
		started[step]++
		mu.Unlock()
	})
	eng := NewIsolateEngine(&startingEngine{cacheEngine{status: "MISS"}}, 1)
	out := make(chan cachemodel.Observation)
	go func() { _ = eng.Run(ctx, []cachemodel.TargetPlan{p}, out) }()
	for range out {
	}
	for s := range p.Steps {
		if started[s] != 1 {
			t.Errorf("step %d (adversarial from %d) reported started %d times, want 1", s, cut, started[s])
		}
	}
}
