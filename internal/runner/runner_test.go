package runner

import (
	"context"
	"errors"
	"math/rand"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// fakeEngine answers every step, finishing targets in a shuffled order so
// the runner's reordering is exercised.
type fakeEngine struct{ seed int64 }

func (f fakeEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	var all []cachemodel.Observation
	for _, p := range plans {
		for i := range p.Steps {
			all = append(all, cachemodel.Observation{Target: p.Index, Step: i, Response: &cachemodel.Response{Status: 200 + i}})
		}
	}
	rand.New(rand.NewSource(f.seed)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, o := range all {
		select {
		case out <- o:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func plans(n, steps int) []cachemodel.TargetPlan {
	ps := make([]cachemodel.TargetPlan, n)
	for i := range ps {
		ps[i] = cachemodel.TargetPlan{Index: i, URL: "http://t" + string(rune('a'+i%26)) + ".example/"}
		for s := 0; s < steps; s++ {
			ps[i].Steps = append(ps[i].Steps, cachemodel.Step{Method: "GET"})
		}
	}
	return ps
}

func analyze(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
	rep := cachemodel.TargetReport{URL: p.URL}
	for _, o := range obs {
		rep.Variants = append(rep.Variants, cachemodel.VariantResult{Response: &cachemodel.ResponseInfo{Status: o.Response.Status}})
	}
	return rep
}

func TestStreamDeliversInPlanOrderWithEveryStep(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		ps := plans(40, 3)
		var got []int
		seen := 0
		err := Stream(context.Background(), fakeEngine{seed}, ps, analyze, Hooks{
			OnObservation: func(*cachemodel.TargetPlan, cachemodel.Observation) { seen++ },
			OnTarget: func(r cachemodel.TargetReport) error {
				got = append(got, len(got))
				if r.URL != ps[len(got)-1].URL {
					t.Fatalf("seed %d: target %d delivered out of order: %s", seed, len(got)-1, r.URL)
				}
				for i, v := range r.Variants {
					if v.Response.Status != 200+i {
						t.Fatalf("steps misplaced: %+v", r.Variants)
					}
				}
				return nil
			},
		})
		if err != nil || len(got) != 40 || seen != 120 {
			t.Fatalf("seed %d: err=%v targets=%d observations=%d", seed, err, len(got), seen)
		}
	}
}

func TestStreamStopsOnHookError(t *testing.T) {
	stop := errors.New("disk full")
	n := 0
	err := Stream(context.Background(), fakeEngine{1}, plans(50, 2), analyze, Hooks{OnTarget: func(cachemodel.TargetReport) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err=%v after %d targets", err, n)
	}
}

func TestStreamRejectsBadIndexes(t *testing.T) {
	ps := plans(2, 1)
	ps[1].Index = 7
	if err := Stream(context.Background(), fakeEngine{1}, ps, analyze, Hooks{}); err == nil {
		t.Fatal("want an error for a plan whose index is not its position")
	}
}

// shortEngine drops the last observation, as a buggy engine might.
type shortEngine struct{}

func (shortEngine) Run(_ context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	out <- cachemodel.Observation{Target: 0, Step: 0, Response: &cachemodel.Response{Status: 200}}
	out <- cachemodel.Observation{Target: 99, Step: 0} // unknown target: ignored
	return nil
}

func TestStreamReportsIncompleteTargets(t *testing.T) {
	if err := Stream(context.Background(), shortEngine{}, plans(2, 1), analyze, Hooks{}); err == nil {
		t.Fatal("want an error when the engine leaves targets incomplete")
	}
}
