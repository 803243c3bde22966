package runner

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/corscope/corscope/cachemodel"
)

// cacheEngine answers every step with a fixed cache status and records
// which steps it ran.
type cacheEngine struct {
	status string
	mu     sync.Mutex
	ran    map[[2]int]int // (target, step within the plan it was given) -> count
	adv    int            // generated-origin steps run
}

func (f *cacheEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	for _, p := range plans {
		for i, s := range p.Steps {
			o := cachemodel.Observation{Target: p.Index, Step: i}
			if ctx.Err() != nil {
				o.Err = &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled, Message: "canceled"}
			} else {
				o.Response = &cachemodel.Response{Status: 200, Headers: cachemodel.Headers{{Name: "X-Cache", Value: f.status}}}
			}
			f.mu.Lock()
			if f.ran == nil {
				f.ran = map[[2]int]int{}
			}
			f.ran[[2]int{p.Index, i}]++
			if s.Variant.Kind.IsGenerated() {
				f.adv++
			}
			f.mu.Unlock()
			out <- o
		}
	}
	return ctx.Err()
}

func TestIsolateEngineTwoPhases(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, leaks)
	var plans []cachemodel.TargetPlan
	for i := range 3 {
		u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/" + strconv.Itoa(i))
		plans = append(plans, cachemodel.BuildIsolatePlan(i, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}}, cachemodel.IsolateOptions{}))
	}
	for _, c := range []struct {
		status   string
		withheld bool
	}{{"MISS", false}, {"HIT", true}} {
		inner := &cacheEngine{status: c.status}
		eng := NewIsolateEngine(inner, 2)
		out := make(chan cachemodel.Observation)
		go func() { _ = eng.Run(context.Background(), plans, out) }()
		seen := map[[2]int]int{}
		for o := range out {
			seen[[2]int{o.Target, o.Step}]++
			adversarial := o.Step >= cachemodel.AdversarialStart(plans[o.Target])
			if adversarial && c.withheld && (o.Err == nil || !strings.HasPrefix(o.Err.Message, "not sent: the cache ignores the busting parameter")) {
				t.Errorf("%s: withheld step reported as %+v", c.status, o)
			}
		}
		for _, p := range plans {
			for s := range p.Steps {
				if seen[[2]int{p.Index, s}] != 1 {
					t.Fatalf("%s: target %d step %d observed %d times", c.status, p.Index, s, seen[[2]int{p.Index, s}])
				}
			}
			if eng.Withheld(p.Index) != c.withheld {
				t.Errorf("%s: target %d withheld=%v", c.status, p.Index, eng.Withheld(p.Index))
			}
		}
		if (inner.adv == 0) != c.withheld {
			t.Errorf("%s: %d generated-origin requests sent", c.status, inner.adv)
		}
	}
}

func TestIsolateEngineCancelled(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, leaks)
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/")
	plans := []cachemodel.TargetPlan{cachemodel.BuildIsolatePlan(0, u, cachemodel.PlanOptions{}, cachemodel.IsolateOptions{})}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inner := &cacheEngine{status: "MISS"}
	eng := NewIsolateEngine(inner, 1)
	err := Stream(ctx, eng, plans, func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
	}, Hooks{})
	if err == nil || inner.adv != 0 {
		t.Errorf("cancelled run: err %v, %d generated origins sent", err, inner.adv)
	}
}

// Through StreamFrom the isolate engine is given one plan at a time, whose
// Index is its place in the whole run, not 0: both phases still run (or
// the adversarial one is withheld) for every target.
func TestIsolateEngineOnePlanAtATime(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, leaks)
	for _, c := range []struct {
		status   string
		withheld bool
	}{{"MISS", false}, {"HIT", true}} {
		inner := &cacheEngine{status: c.status}
		eng := NewIsolateEngine(inner, 2)
		const n = 20
		i := 0
		src := func() (cachemodel.TargetPlan, bool) {
			if i == n {
				return cachemodel.TargetPlan{}, false
			}
			u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/" + strconv.Itoa(i))
			p := cachemodel.BuildIsolatePlan(i, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com"}}, cachemodel.IsolateOptions{})
			i++
			return p, true
		}
		var reps []cachemodel.TargetReport
		err := StreamFrom(context.Background(), eng, src, 3, func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
			trimmed, _ := TrimWithheld(p, obs)
			if cut := len(trimmed.Steps) < len(p.Steps); cut != eng.Withheld(p.Index) {
				t.Errorf("%s: target %d trimmed %v, but the guard withheld %v", c.status, p.Index, cut, eng.Withheld(p.Index))
			}
			return GuardAnalyzer(func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
				return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
			})(p, obs)
		}, Hooks{OnTarget: func(r cachemodel.TargetReport) error { reps = append(reps, r); return nil }})
		if err != nil || len(reps) != n {
			t.Fatalf("%s: err %v, %d reports", c.status, err, len(reps))
		}
		for j := range n {
			if eng.Withheld(j) != c.withheld {
				t.Errorf("%s: target %d withheld=%v", c.status, j, eng.Withheld(j))
			}
		}
		if (inner.adv == 0) != c.withheld || (!c.withheld && inner.adv%n != 0) {
			t.Errorf("%s: %d generated-origin requests sent for %d targets", c.status, inner.adv, n)
		}
	}
}
