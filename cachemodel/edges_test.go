package cachemodel

import (
	"strconv"
	"strings"
	"testing"
)

func TestEdgeOf(t *testing.T) {
	cases := []struct {
		h    Headers
		want string
	}{
		{Headers{{"CF-Ray", "8f1c2e3a4b5c6d7e-AMS"}}, "AMS"},
		{Headers{{"cf-ray", " 8f1c2e3a4b5c6d7e-FRA "}}, "FRA"},
		{Headers{{"CF-Ray", "8f1c2e3a4b5c6d7e"}}, ""},
		{Headers{{"CF-Ray", "8f1c2e3a4b5c6d7e-"}}, ""},
		{Headers{{"X-Amz-Cf-Pop", "FRA56-P1"}}, "FRA56-P1"},
		{Headers{{"X-Served-By", "cache-fra-etou8220119-FRA, cache-ams21-AMS"}}, "AMS"},
		{Headers{{"X-Served-By", "cache-lhr7331-LHR"}}, "LHR"},
		{Headers{{"X-Edge-Pop", "par1"}}, "par1"},
		{Headers{{"Server", "nginx"}}, ""},
		// Not a PoP name: refused rather than cut to a plausible-looking one.
		{Headers{{"X-Edge-Pop", strings.Repeat("x", 500)}}, ""},
	}
	for _, c := range cases {
		if got := EdgeOf(c.h); got != c.want {
			t.Errorf("EdgeOf(%v) = %q, want %q", c.h, got, c.want)
		}
	}
}

// popRun is simRun with a CF-Ray naming the PoP pop(i) on response i.
func popRun(t *testing.T, plan TargetPlan, c *simCache, srv simServer, pop func(i int) string) TargetReport {
	t.Helper()
	obs := make([]Observation, len(plan.Steps))
	for i, s := range plan.Steps {
		r := c.serve(s, srv)
		r.Headers = append(r.Headers, Header{"CF-Ray", "8f1c2e3a4b5c6d7e-" + pop(i)})
		obs[i] = Observation{Target: plan.Index, Step: i, Response: r}
	}
	return Analyze(plan, obs, AnalyzeOptions{})
}

// TestCrossEdgeComparisonIsWeaker (issue 14 item 1): when a run's
// responses came from different PoPs, the findings that compare one
// variant's copy with another's keep their severity but say the
// comparison crossed edges; from one PoP they say nothing of the kind.
func TestCrossEdgeComparisonIsWeaker(t *testing.T) {
	const note = "(variants were served by different edges: AMS, FRA; a cross-edge comparison is weaker evidence)"
	rep := popRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(allowList), func(i int) string {
		if i%2 == 0 {
			return "AMS"
		}
		return "FRA"
	})
	for _, v := range rep.Variants {
		if v.Edge != "AMS" && v.Edge != "FRA" {
			t.Fatalf("variant %s edge %q", v.Label, v.Edge)
		}
	}
	f := findingByRule(rep.Findings, RuleCacheServedWrongOrigin)
	if f == nil {
		t.Fatalf("no %s: %s", RuleCacheServedWrongOrigin, ruleSet(rep.Findings))
	}
	if f.Severity != SevHigh || !strings.HasSuffix(f.Message, note) {
		t.Errorf("wrong-origin across edges: %s %q", f.Severity, f.Message)
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "responses came from different edges (AMS ") {
		t.Errorf("evidence does not say the edges differ:\n%s", ev)
	}
	// A per-response finding is not a comparison: no note.
	if v := findingByRule(rep.Findings, RuleVaryOriginMissing); v == nil || strings.Contains(v.Message, "different edges") {
		t.Errorf("vary-origin-missing: %+v", v)
	}
	if rep.CacheKey == nil || !strings.Contains(strings.Join(rep.CacheKey.Evidence, "\n"), "compare across edges") {
		t.Errorf("cache-key facts lack the caveat: %+v", rep.CacheKey)
	}

	one := popRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(allowList), func(int) string { return "AMS" })
	for _, f := range one.Findings {
		if strings.Contains(f.Message, "different edges") || strings.Contains(strings.Join(f.Evidence, " "), "different edges") {
			t.Errorf("one PoP, yet %s says edges differ: %q", f.Rule, f.Message)
		}
	}
}

// edgeRun serves each step through the cache and server of its edge.
func edgeRun(t *testing.T, plan TargetPlan, at map[string]*simCache, srv map[string]simServer, extra Headers) TargetReport {
	t.Helper()
	obs := make([]Observation, len(plan.Steps))
	for i, s := range plan.Steps {
		r := at[s.Edge].serve(s, srv[s.Edge])
		r.Headers = append(r.Headers, extra...)
		obs[i] = Observation{Target: plan.Index, Step: i, Response: r}
	}
	return Analyze(plan, obs, AnalyzeOptions{})
}

var simEdges = []string{"192.0.2.1", "192.0.2.2:8443"}

func twoEdgePlan() TargetPlan {
	return JoinEdgePlans([]TargetPlan{isolatePlan(PlanOptions{}), isolatePlan(PlanOptions{})}, simEdges)
}

// TestEdgesDisagree (issue 14 item 2): edge A's cache ignores Origin and
// is poisoned, edge B keys on Origin. Each edge is analysed on its own,
// the findings name their edge, and edges-disagree names the poisoned
// edge and says how to purge it.
func TestEdgesDisagree(t *testing.T) {
	plan := twoEdgePlan()
	cut := AdversarialStart(plan)
	for i, s := range plan.Steps {
		if (i >= cut) != (s.Experiment == ExperimentAdversarial) {
			t.Fatalf("step %d (%s at %s) on the wrong side of the adversarial cut %d", i, s.Experiment, s.Edge, cut)
		}
	}
	srv := corsServer(allowList)
	rep := edgeRun(t, plan,
		map[string]*simCache{simEdges[0]: {}, simEdges[1]: {keyOnOrigin: true}},
		map[string]simServer{simEdges[0]: srv, simEdges[1]: srv}, nil)
	if strings.Join(rep.Edges, " ") != strings.Join(simEdges, " ") {
		t.Errorf("edges %v", rep.Edges)
	}
	for i, v := range rep.Variants {
		if v.EdgeAddr != plan.Steps[i].Edge {
			t.Fatalf("variant %d at %q, step at %q", i, v.EdgeAddr, plan.Steps[i].Edge)
		}
	}
	for _, f := range rep.Findings {
		if f.Rule == RuleEdgesDisagree {
			continue
		}
		if f.Edge == "" || !strings.HasPrefix(f.Message, "At edge "+f.Edge+": ") {
			t.Errorf("%s does not name its edge: %q", f.Rule, f.Message)
		}
		if f.Rule == RuleCacheServedWrongOrigin && f.Edge != simEdges[0] {
			t.Errorf("wrong-origin at the clean edge %s", f.Edge)
		}
	}
	f := findingByRule(rep.Findings, RuleEdgesDisagree)
	if f == nil {
		t.Fatalf("no edges-disagree: %s", ruleSet(rep.Findings))
	}
	if f.Severity != SevHigh || !strings.Contains(f.Message, "192.0.2.1 served a poisoned copy, 192.0.2.2:8443 did not in this run") {
		t.Errorf("edges-disagree: %s %q", f.Severity, f.Message)
	}
	if !strings.Contains(f.Fix, "edge 192.0.2.1: curl -X PURGE --connect-to cdn.example.com:443:192.0.2.1:443 https://cdn.example.com/app.js?v=1") ||
		strings.Contains(f.Fix, "edge 192.0.2.2") {
		t.Errorf("purge hint: %q", f.Fix)
	}
	if rep.Variants[0].Curl == "" || !strings.Contains(rep.Variants[0].Curl, "--connect-to cdn.example.com:443:192.0.2.1:443") {
		t.Errorf("reproducer does not pin the edge: %s", rep.Variants[0].Curl)
	}
	if rep.CacheKey == nil || rep.CacheKey.OriginInKey != nil {
		t.Errorf("origin_in_key differs per edge, must be unknown: %+v", rep.CacheKey)
	}

	// A managed CDN's purge is global: no per-edge command.
	rep = edgeRun(t, twoEdgePlan(),
		map[string]*simCache{simEdges[0]: {}, simEdges[1]: {keyOnOrigin: true}},
		map[string]simServer{simEdges[0]: srv, simEdges[1]: srv}, Headers{{"CF-Ray", "8f1c2e3a4b5c6d7e-AMS"}})
	if f := findingByRule(rep.Findings, RuleEdgesDisagree); f == nil || !strings.Contains(f.Fix, "Cloudflare's purge is global") || strings.Contains(f.Fix, "curl") {
		t.Errorf("managed CDN purge hint: %+v", f)
	}
}

func TestEdgesAgree(t *testing.T) {
	srv := corsServer(allowList)
	for name, caches := range map[string]map[string]*simCache{
		"both poisoned": {simEdges[0]: {}, simEdges[1]: {}},
		"both clean":    {simEdges[0]: {keyOnOrigin: true}, simEdges[1]: {keyOnOrigin: true}},
	} {
		rep := edgeRun(t, twoEdgePlan(), caches, map[string]simServer{simEdges[0]: srv, simEdges[1]: srv}, nil)
		if f := findingByRule(rep.Findings, RuleEdgesDisagree); f != nil {
			t.Errorf("%s: %+v", name, *f)
		}
	}
	// No cache at all, but the edges' servers answer differently: the
	// same request is allowed at one edge and blocked at the other.
	rep := edgeRun(t, twoEdgePlan(),
		map[string]*simCache{simEdges[0]: {none: true}, simEdges[1]: {none: true}},
		map[string]simServer{simEdges[0]: corsServer(allowList, Header{"Vary", "Origin"}), simEdges[1]: corsServer(func(string, bool) string { return "" })}, nil)
	f := findingByRule(rep.Findings, RuleEdgesDisagree)
	if f == nil || f.Severity != SevMedium || !strings.Contains(strings.Join(f.Evidence, "\n"), "edge 192.0.2.2:8443: round 1 https://app.example.com: 200, no ACAO") {
		t.Errorf("verdict disagreement: %+v", f)
	}
}

// Joining per-edge plans keeps a Scheduled plan's dependencies: every
// After still names the step it named in its own edge's plan, and is lower
// than the step itself, so the edges run side by side as fast as one.
func TestJoinEdgePlansKeepsSchedule(t *testing.T) {
	u, _ := ParseTargetURL("https://cdn.example.com/a.js")
	opt := PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 2}
	var plans []TargetPlan
	for i := range 2 {
		plans = append(plans, BuildIsolatePlan(0, u, opt, IsolateOptions{Rand: &countingRand{n: byte(i * 97)}}))
	}
	if !plans[0].Scheduled {
		t.Fatal("isolate plans are not Scheduled: the join has no schedule to keep, and isolate mode lost its concurrency")
	}
	joined := JoinEdgePlans(plans, []string{"192.0.2.1", "192.0.2.2"})
	if !joined.Scheduled || len(joined.Steps) != len(plans[0].Steps)+len(plans[1].Steps) {
		t.Fatalf("joined: scheduled %v, %d steps", joined.Scheduled, len(joined.Steps))
	}
	key := func(st Step) string {
		return st.Edge + "|" + st.Method + "|" + st.URL + "|" + st.Experiment + "|" + st.Variant.Label() + "|" + strconv.Itoa(st.Round)
	}
	orig := map[string][]string{} // step key -> keys of its After steps, in its own plan
	for i, p := range plans {
		for _, st := range p.Steps {
			st.Edge = []string{"192.0.2.1", "192.0.2.2"}[i]
			var deps []string
			for _, a := range st.After {
				d := p.Steps[a]
				d.Edge = st.Edge
				deps = append(deps, key(d))
			}
			orig[key(st)] = deps
		}
	}
	for n, st := range joined.Steps {
		var deps []string
		for _, a := range st.After {
			if a >= n {
				t.Fatalf("step %d waits for step %d, not an earlier one", n, a)
			}
			deps = append(deps, key(joined.Steps[a]))
		}
		if strings.Join(deps, ",") != strings.Join(orig[key(st)], ",") {
			t.Errorf("step %d (%s) waits for %v, in its own plan for %v", n, key(st), deps, orig[key(st)])
		}
	}
}

type countingRand struct{ n byte }

func (c *countingRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}
