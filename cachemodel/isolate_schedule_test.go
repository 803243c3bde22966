package cachemodel

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// depths gives each step of a Scheduled plan its round trip: 1 + the
// deepest of its After steps.
func depths(t *testing.T, p TargetPlan) []int {
	t.Helper()
	d := make([]int, len(p.Steps))
	for i, s := range p.Steps {
		d[i] = 1
		for _, a := range s.After {
			if a < 0 || a >= i {
				t.Fatalf("step %d waits for step %d: not an earlier step", i, a)
			}
			d[i] = max(d[i], d[a]+1)
		}
	}
	return d
}

// Issue 16, item 1: the isolate plan orders only the requests on one cache
// key (each after the one before), starts the repeat keys one round trip
// after keys 1 and 2, the preflight key with them, and the adversarial keys
// after every key's first request: 3 round trips of chains (4 with one
// more round; the preflight chain is as long as its variants).
func TestBuildIsolatePlanSchedule(t *testing.T) {
	u := mustURL("https://cdn.example.com/app.js")
	for _, c := range []struct {
		name      string
		opt       PlanOptions
		wantDepth int
	}{
		{"two origins", PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}}, 3},
		{"rounds 3", PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 3}, 4},
		{"preflight", PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Preflight: true}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := BuildIsolatePlan(0, u, c.opt, IsolateOptions{Rand: seeded(3)})
			if !p.Scheduled {
				t.Fatal("isolate plan not Scheduled")
			}
			d := depths(t, p)
			if m := slices.Max(d); m != c.wantDepth {
				t.Errorf("%d round trips of chains, want %d (depths %v)", m, c.wantDepth, d)
			}
			var firsts []int
			last := map[string]int{} // key -> its latest step so far
			for i, s := range p.Steps {
				prev, seen := last[s.CacheKey]
				last[s.CacheKey] = i
				if seen {
					// Same key: right after the previous step on it.
					if !slices.Equal(s.After, []int{prev}) {
						t.Errorf("step %d (%s) After %v, want [%d]", i, s.Experiment, s.After, prev)
					}
					continue
				}
				if s.Experiment != ExperimentAdversarial {
					firsts = append(firsts, i)
				}
				switch s.Experiment {
				case ExperimentNoOriginFirst, ExperimentOriginAFirst, ExperimentPreflight:
					if len(s.After) != 0 {
						t.Errorf("step %d: key %s waits for %v", i, s.Experiment, s.After)
					}
				case ExperimentRepeat:
					if d[i] != 2 || !slices.Equal(s.After, firsts[:2]) {
						t.Errorf("step %d: %s starts after %v (round trip %d), want after keys 1 and 2's first", i, s.Experiment, s.After, d[i])
					}
				case ExperimentAdversarial:
					if d[i] != 3 {
						t.Errorf("step %d: adversarial in round trip %d", i, d[i])
					}
				}
			}
			if g := AdversarialGuard(p); !slices.Equal(g, firsts) {
				t.Errorf("guard %v, want every key's first request %v", g, firsts)
			}
		})
	}
}

// AdversarialSafeEarly decides on the guard steps alone; when it says
// safe, AdversarialSafe over the whole head must say so too (else the
// guard would send what today's rule withholds). Random outcomes per
// step: a fresh answer, a cache HIT, or a failure.
func TestAdversarialSafeEarlyImpliesSafe(t *testing.T) {
	plan := isolatePlan(PlanOptions{})
	n := AdversarialStart(plan)
	r := rand.New(rand.NewPCG(1, 2))
	early, safe := 0, 0
	for range 3000 {
		obs := make([]Observation, len(plan.Steps))
		for i := range plan.Steps[:n] {
			switch r.IntN(6) {
			case 0:
				obs[i] = Observation{Step: i, Err: &ProbeError{Kind: ErrConnect, Message: "refused"}}
			case 1:
				obs[i] = Observation{Step: i, Response: &Response{Status: 200, Headers: Headers{{"X-Cache", "HIT"}, {"Age", "3"}}}}
			default:
				obs[i] = Observation{Step: i, Response: &Response{Status: 200, Headers: Headers{{"X-Cache", "MISS"}}}}
			}
		}
		ok, _ := AdversarialSafe(plan, obs)
		if ok {
			safe++
		}
		if AdversarialSafeEarly(plan, obs) {
			early++
			if !ok {
				t.Fatalf("early guard says safe, the whole head does not: %+v", obs[:n])
			}
		}
	}
	if early == 0 || early == 3000 {
		t.Errorf("early guard said safe %d of 3000 times (whole head: %d): the test proves nothing", early, safe)
	}
	if AdversarialSafeEarly(TargetPlan{Steps: plan.Steps}, make([]Observation, len(plan.Steps))) {
		t.Error("an unscheduled plan has no early guard")
	}
}
