package cachemodel

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

func TestBuildIsolatePlanLayout(t *testing.T) {
	u := mustURL("https://cdn.example.com/a%2Fb/app.js?v=1&x=%20y")
	opt := PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}}
	plan := BuildIsolatePlan(3, u, opt, IsolateOptions{Rand: seeded(7)})
	if plan.Index != 3 || plan.URL != u.String() {
		t.Fatalf("plan %d %q", plan.Index, plan.URL)
	}
	type exp struct {
		name  string
		steps []string // labels
	}
	var got []exp
	keys := map[string]string{} // busting value -> experiment
	for i, s := range plan.Steps {
		if s.CacheKey == "" || len(s.CacheKey) != 12 {
			t.Fatalf("step %d: busting value %q", i, s.CacheKey)
		}
		if i == 0 || plan.Steps[i-1].CacheKey != s.CacheKey {
			if _, dup := keys[s.CacheKey]; dup {
				t.Fatalf("busting value %s reused by a later experiment", s.CacheKey)
			}
			keys[s.CacheKey] = s.Experiment
			got = append(got, exp{name: s.Experiment})
		}
		got[len(got)-1].steps = append(got[len(got)-1].steps, s.Variant.Label())
		// The rest of the URL is untouched; the parameter is appended.
		want := "https://cdn.example.com/a%2Fb/app.js?v=1&x=%20y&corscope=" + s.CacheKey
		if s.URL != want {
			t.Fatalf("step %d URL %q, want %q", i, s.URL, want)
		}
		if o, ok := s.Headers.Get("Origin"); ok != s.Variant.HasOrigin() || o != s.Variant.Origin {
			t.Fatalf("step %d Origin header %q/%v for %+v", i, o, ok, s.Variant)
		}
	}
	none, app, admin, same := "(no Origin)", "https://app.example.com", "https://admin.example.com", "https://cdn.example.com"
	wantHead := []exp{
		{ExperimentNoOriginFirst, []string{none, app, admin}},
		{ExperimentOriginAFirst, []string{app, admin, none}},
		{ExperimentRepeat, []string{none, none}},
		{ExperimentRepeat, []string{app, app}},
		{ExperimentRepeat, []string{admin, admin}},
		{ExperimentRepeat, []string{same, same}},
		{ExperimentRepeat, []string{"null", "null"}},
	}
	for i, w := range wantHead {
		if got[i].name != w.name || strings.Join(got[i].steps, ",") != strings.Join(w.steps, ",") {
			t.Errorf("experiment %d: %s %v, want %s %v", i, got[i].name, got[i].steps, w.name, w.steps)
		}
	}
	start := AdversarialStart(plan)
	gen := GenerateOrigins(u, opt.Origins, "x")
	if len(plan.Steps)-start != len(gen) || len(got) != len(wantHead)+len(gen) {
		t.Fatalf("%d adversarial steps, want one per generated origin (%d)", len(plan.Steps)-start, len(gen))
	}
	for i, s := range plan.Steps[start:] {
		if s.Experiment != ExperimentAdversarial || !s.Variant.Kind.IsGenerated() || s.Round != 1 {
			t.Errorf("adversarial step %d: %+v", i, s)
		}
		if i > 0 && s.CacheKey == plan.Steps[start+i-1].CacheKey {
			t.Errorf("adversarial steps share a key")
		}
	}
	for _, s := range plan.Steps[:start] {
		if s.Variant.Kind.IsGenerated() {
			t.Errorf("generated origin before the adversarial experiment: %+v", s)
		}
	}
}

func TestBuildIsolatePlanDeterministicAndOptions(t *testing.T) {
	u := mustURL("https://cdn.example.com/app.js")
	opt := PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 3, Preflight: true, RequestMethod: "PUT"}
	a := BuildIsolatePlan(0, u, opt, IsolateOptions{Rand: seeded(1), Param: "cb"})
	b := BuildIsolatePlan(0, u, opt, IsolateOptions{Rand: seeded(1), Param: "cb"})
	c := BuildIsolatePlan(0, u, opt, IsolateOptions{Rand: seeded(2), Param: "cb"})
	if len(a.Steps) != len(b.Steps) {
		t.Fatal("same seed, different plans")
	}
	for i := range a.Steps {
		if a.Steps[i].URL != b.Steps[i].URL || a.Steps[i].Variant != b.Steps[i].Variant {
			t.Fatalf("step %d differs with the same seed", i)
		}
	}
	if a.Steps[0].URL == c.Steps[0].URL {
		t.Error("different seeds gave the same busting value")
	}
	if !strings.HasSuffix(a.Steps[0].URL, "/app.js?cb="+a.Steps[0].CacheKey) {
		t.Errorf("custom parameter: %s", a.Steps[0].URL)
	}
	repeats, preflights := map[string]int{}, 0
	for _, s := range a.Steps {
		switch s.Experiment {
		case ExperimentRepeat:
			repeats[s.CacheKey]++
		case ExperimentPreflight:
			preflights++
			if !s.Preflight || s.Method != "OPTIONS" || !s.Variant.HasOrigin() {
				t.Errorf("preflight step: %+v", s)
			}
		}
	}
	for k, n := range repeats {
		if n != 3 {
			t.Errorf("repeat key %s sent %d times, want --rounds (3)", k, n)
		}
	}
	if preflights != 3 { // app, same-origin, null
		t.Errorf("%d preflights, want 3", preflights)
	}
	// With one configured origin, origin-a-first compares it with the
	// target's own origin.
	for _, s := range a.Steps {
		if s.Experiment == ExperimentOriginAFirst {
			if s.Variant.Kind != KindConfigured {
				t.Errorf("origin-a-first starts with %+v", s.Variant)
			}
			break
		}
	}
}

func TestBuildIsolatePlanWithoutConfiguredOrigins(t *testing.T) {
	plan := BuildIsolatePlan(0, mustURL("https://cdn.example.com/"), PlanOptions{}, IsolateOptions{Rand: seeded(3)})
	var first []string
	for _, s := range plan.Steps {
		if s.Experiment == ExperimentNoOriginFirst {
			first = append(first, s.Variant.Label())
		}
	}
	if strings.Join(first, ",") != "(no Origin),https://cdn.example.com,null" {
		t.Errorf("no-origin-first fills in with same-origin and null: %v", first)
	}
}

func TestBuildIsolatePlanSurvivesAFailingRandomSource(t *testing.T) {
	plan := BuildIsolatePlan(0, simTarget, PlanOptions{}, IsolateOptions{Rand: bytes.NewReader(nil)})
	seen := map[string]bool{}
	for i, s := range plan.Steps {
		if i == 0 || s.CacheKey != plan.Steps[i-1].CacheKey {
			if seen[s.CacheKey] {
				t.Fatalf("busting value %q reused", s.CacheKey)
			}
			seen[s.CacheKey] = true
		}
	}
}

func TestObservePlanNeverSendsGeneratedOrigins(t *testing.T) {
	plan := BuildObservePlan(0, simTarget, PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 3, Preflight: true})
	for _, s := range plan.Steps {
		if s.Variant.Kind.IsGenerated() || s.Experiment != "" || s.CacheKey != "" || s.URL != simTarget.String() {
			t.Fatalf("observe step %+v", s)
		}
	}
}

func TestAdversarialSafe(t *testing.T) {
	plan := isolatePlan(PlanOptions{})
	n := AdversarialStart(plan)
	obs := make([]Observation, len(plan.Steps))
	c := &simCache{}
	for i, s := range plan.Steps[:n] {
		obs[i] = Observation{Response: c.serve(s, corsServer(allowList))}
	}
	if ok, why := AdversarialSafe(plan, obs); !ok {
		t.Errorf("fresh keys behaved: want safe, got %q", why)
	}
	failed := make([]Observation, len(plan.Steps))
	for i := range failed {
		failed[i] = Observation{Err: &ProbeError{Kind: ErrConnect, Message: "refused"}}
	}
	if ok, why := AdversarialSafe(plan, failed); ok || !strings.Contains(why, "no request") {
		t.Errorf("nothing answered: got %v %q", ok, why)
	}
	if AdversarialStart(observePlan(PlanOptions{})) != len(observePlan(PlanOptions{}).Steps) {
		t.Error("an observe plan has no adversarial steps")
	}
}

func TestWithBusterKeepsTheQuery(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://a.example/", "https://a.example/?corscope=k1"},
		{"https://a.example/p?", "https://a.example/p?corscope=k1"},
		{"https://a.example/p?b=2&a=1", "https://a.example/p?b=2&a=1&corscope=k1"},
		{"https://a.example/p?corscope=old", "https://a.example/p?corscope=old&corscope=k1"},
		{"https://a.example/%7Euser/x;y?q=a+b", "https://a.example/%7Euser/x;y?q=a+b&corscope=k1"},
	}
	for _, c := range cases {
		u, err := url.Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := withBuster(u, "corscope", "k1"); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
	}
}
