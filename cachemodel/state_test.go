package cachemodel

import (
	"strings"
	"testing"
)

func noCORS(string, bool) string { return "" }

func notFound(method, origin string, has bool, fetch int) (int, Headers) {
	h := Headers{{"Cache-Control", "no-store"}}
	if has {
		h = append(h, Header{"Access-Control-Allow-Origin", origin})
	}
	return 404, h
}

func TestTargetStates(t *testing.T) {
	plan := observePlan(PlanOptions{})
	failAll := func(plan TargetPlan) []Observation {
		obs := make([]Observation, len(plan.Steps))
		for i := range obs {
			obs[i] = Observation{Err: &ProbeError{Kind: ErrConnect, Message: "dial tcp 127.0.0.1:9: connect: connection refused"}}
		}
		return obs
	}
	cases := []struct {
		name        string
		rep         TargetReport
		want        TargetState
		detail      string
		findings    string
		unknownWant bool
	}{
		{"every request failed", Analyze(plan, failAll(plan), AnalyzeOptions{}), StateFailed,
			"every request failed (", "", true},
		{"some requests failed", func() TargetReport {
			obs := make([]Observation, len(plan.Steps))
			c := &simCache{none: true}
			for i, s := range plan.Steps {
				obs[i] = Observation{Response: c.serve(s, corsServer(allowList))}
			}
			obs[1] = Observation{Err: &ProbeError{Kind: ErrTimeout, Message: "read timed out"}}
			return Analyze(plan, obs, AnalyzeOptions{})
		}(), StatePartial, "1 of ", "vary-origin-missing:medium", true},
		{"404 everywhere", simRun(t, plan, &simCache{none: true}, notFound, Policy{}), StateNon2xx,
			"no request got a 2xx (status 404)", "origin-null-allowed:low", true},
		{"no ACAO for anyone", simRun(t, plan, &simCache{none: true}, corsServer(noCORS), Policy{}), StateCORSNotEnabled,
			"no Access-Control-Allow-Origin", "cors-not-enabled:low", false},
		{"no ACAO, policy says allow", simRun(t, plan, &simCache{none: true}, corsServer(noCORS), Policy{Allow: []string{"https://app.example.com"}}), StateCORSNotEnabled,
			"no Access-Control-Allow-Origin", "cors-not-enabled:medium policy-allowed-origin-blocked:medium", false},
		{"isolate, no ACAO for anyone", simRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(noCORS), Policy{}), StateCORSNotEnabled,
			"no Access-Control-Allow-Origin", "cors-not-enabled:low", false},
		{"allow-list server", simRun(t, plan, &simCache{none: true}, corsServer(allowList), Policy{}), StateOK, "", "vary-origin-missing:medium", false},
	}
	for _, c := range cases {
		if c.rep.State != c.want || !strings.Contains(c.rep.StateDetail, c.detail) {
			t.Errorf("%s: state %q (%q), want %q containing %q", c.name, c.rep.State, c.rep.StateDetail, c.want, c.detail)
		}
		if c.want == StateOK && c.rep.StateDetail != "" {
			t.Errorf("%s: ok with detail %q", c.name, c.rep.StateDetail)
		}
		if got := ruleSet(c.rep.Findings); got != c.findings {
			t.Errorf("%s: findings %q, want %q", c.name, got, c.findings)
		}
		if c.rep.State.Unknown() != c.unknownWant {
			t.Errorf("%s: Unknown() = %v", c.name, c.rep.State.Unknown())
		}
		var s Summary
		s.Add(c.rep)
		if s.States[c.want] != 1 || len(s.States) != len(TargetStates) {
			t.Errorf("%s: summary states %v", c.name, s.States)
		}
	}
}

func TestFailedStateNamesTheError(t *testing.T) {
	plan := observePlan(PlanOptions{})
	obs := make([]Observation, len(plan.Steps))
	for i := range obs {
		obs[i] = Observation{Err: &ProbeError{Kind: ErrConnect, Message: "connection refused"}}
	}
	rep := Analyze(plan, obs, AnalyzeOptions{})
	if want := "connect: connection refused"; !strings.Contains(rep.StateDetail, want) {
		t.Errorf("detail %q lacks %q", rep.StateDetail, want)
	}
	if got := Analyze(plan, nil, AnalyzeOptions{}); got.State != StateCanceled {
		t.Errorf("nothing run: state %q", got.State)
	}
}

// Issue 11 item 4: observe mode, the cache was primed by a request
// without Origin and serves that copy (no ACAO, no Vary: Origin) to every
// Origin. It must not read as "no findings", nor as "CORS not enabled".
func TestObserveCachedCopyWithoutACAO(t *testing.T) {
	rep := simRun(t, observePlan(PlanOptions{}), &simCache{}, corsServer(allowList), Policy{})
	for _, v := range rep.Variants {
		if v.Origin != nil && v.Kind == KindConfigured && (v.CORS.ACAO != nil || v.Cache.Status != StatusHit) {
			t.Fatalf("setup: %s got %s ACAO %v", v.Label, v.Cache.Status, v.CORS.ACAO)
		}
	}
	if rep.State != StateOK {
		t.Errorf("state %q (%s): stored copies are not proof that CORS is off", rep.State, rep.StateDetail)
	}
	f := findingByRule(rep.Findings, RuleCachedCopyWithoutACAO)
	if f == nil {
		t.Fatalf("no %s: %q", RuleCachedCopyWithoutACAO, ruleSet(rep.Findings))
	}
	for _, want := range []string{"served from the cache", "stored for a request without Origin"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message lacks %q: %s", want, f.Message)
		}
	}
	if !strings.Contains(f.Fix, "--mode isolate") || !strings.Contains(f.Fix, "x in the TUI") {
		t.Errorf("fix does not point to isolate mode: %s", f.Fix)
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "a request without Origin") {
		t.Errorf("evidence does not name the no-Origin request:\n%s", ev)
	}
	// The same server probed in isolate mode gets fresh answers: the
	// proven finding instead.
	iso := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(allowList), Policy{})
	if findingByRule(iso.Findings, RuleCachedCopyWithoutACAO) != nil || findingByRule(iso.Findings, RuleCacheServedWithoutACAO) == nil {
		t.Errorf("isolate: %q", ruleSet(iso.Findings))
	}
}

// A 2xx preflight does not make a 404 resource ok.
func TestNon2xxIgnoresPreflights(t *testing.T) {
	plan := BuildObservePlan(0, simTarget, PlanOptions{Origins: []string{"https://app.example.com"}, Preflight: true, RequestMethod: "PUT", Rounds: 1})
	srv := func(method, origin string, has bool, fetch int) (int, Headers) {
		h := Headers{{"Cache-Control", "no-store"}}
		if method == "OPTIONS" {
			return 204, append(h, Header{"Access-Control-Allow-Origin", origin}, Header{"Access-Control-Allow-Methods", "PUT"})
		}
		return 404, h
	}
	rep := simRun(t, plan, &simCache{none: true}, srv, Policy{})
	pre := 0
	for _, v := range rep.Variants {
		if v.Preflight {
			pre++
		}
	}
	if pre == 0 {
		t.Fatal("setup: no preflights in the plan")
	}
	if rep.State != StateNon2xx {
		t.Errorf("state %q (%s), want non-2xx", rep.State, rep.StateDetail)
	}
}

// A cache that does not say HIT or MISS (no status header, Age 0 or none,
// only Via) may have served the no-Origin copy: no "CORS not enabled" from
// such answers, but the uncertain finding instead. Seen with real Traffic
// Server before its X-Cache-Lookup was read.
func TestSilentCacheIsNotCORSNotEnabled(t *testing.T) {
	// A Via without Traffic Server's bracketed codes: with them the cache
	// does say HIT or MISS (classifyATSVia).
	via := Header{"Via", "http/1.1 edge (ApacheTrafficServer/9.2.9)"}
	rep := simRun(t, observePlan(PlanOptions{}), &simCache{statusHeader: "-", noAge: true}, corsServer(allowList, via), Policy{})
	for _, v := range rep.Variants {
		if v.Cache.Status != StatusUnknown {
			t.Fatalf("setup: %s has cache status %s", v.Label, v.Cache.Status)
		}
	}
	if rep.State == StateCORSNotEnabled || findingByRule(rep.Findings, RuleCORSNotEnabled) != nil {
		t.Errorf("claims CORS is not enabled from answers a cache may have stored: %s %q", rep.State, ruleSet(rep.Findings))
	}
	if findingByRule(rep.Findings, RuleCachedCopyWithoutACAO) == nil {
		t.Errorf("no %s: %q", RuleCachedCopyWithoutACAO, ruleSet(rep.Findings))
	}
	// The same answers with no sign of a cache read as the server's own.
	rep = simRun(t, observePlan(PlanOptions{}), &simCache{none: true}, corsServer(noCORS), Policy{})
	if rep.State != StateCORSNotEnabled {
		t.Errorf("no cache: state %q", rep.State)
	}
}
