package cachemodel

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// namedVariants lists the variants whose reference (as the analysis spells
// it) appears whole in the evidence: not followed by more of an origin.
func namedVariants(vs []VariantResult, evidence []string) []int {
	d := newDiag(vs, ProviderUnknown, Policy{})
	var out []int
	for i := range vs {
		ref := d.ref(i)
		for _, e := range evidence {
			if containsRef(e, ref) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

func containsRef(e, ref string) bool {
	for from := 0; ; {
		k := strings.Index(e[from:], ref)
		if k < 0 {
			return false
		}
		end := from + k + len(ref)
		if end == len(e) {
			return true
		}
		c := e[end]
		if c == ':' && (end+1 == len(e) || c < '0' || e[end+1] < '0' || e[end+1] > '9') || c == ' ' || c == ')' || c == ',' || c == ';' {
			return true
		}
		from += k + 1
	}
}

// checkVariants asserts Finding.Variants is sorted, distinct, in range and
// holds every variant its evidence names; for the poisoning rules (whose
// evidence names every request they rest on) exactly those.
func checkVariants(t *testing.T, name string, rep TargetReport) {
	t.Helper()
	exact := map[string]bool{RuleCacheServedWrongOrigin: true, RuleCacheServedWithoutACAO: true, RuleCDNIgnoresVary: true}
	for _, f := range rep.Findings {
		for k, i := range f.Variants {
			if i < 0 || i >= len(rep.Variants) || k > 0 && f.Variants[k-1] >= i {
				t.Errorf("%s: %s: variants %v not ascending, distinct indexes into %d variants", name, f.Rule, f.Variants, len(rep.Variants))
			}
		}
		named := namedVariants(rep.Variants, f.Evidence)
		for _, i := range named {
			if !slices.Contains(f.Variants, i) {
				t.Errorf("%s: %s: evidence names variant %d (%s) but Variants is %v\n%s", name, f.Rule, i, rep.Variants[i].Label, f.Variants, strings.Join(f.Evidence, "\n"))
			}
		}
		truncated := strings.HasPrefix(f.Evidence[len(f.Evidence)-1], "… and ")
		if exact[f.Rule] && !truncated && !slices.Equal(named, f.Variants) {
			t.Errorf("%s: %s: Variants %v, evidence names %v\n%s", name, f.Rule, f.Variants, named, strings.Join(f.Evidence, "\n"))
		}
		if len(named) > 0 && len(f.Variants) == 0 {
			t.Errorf("%s: %s names requests but has no Variants", name, f.Rule)
		}
	}
}

// TestFindingVariantsIndexTheEvidence: a poisoned cache (a shared cache
// that ignores Vary, one without Vary: Origin) gives findings whose
// Variants are the requests their evidence names: the poisoned request,
// the one that stored the copy and the server's own answer.
func TestFindingVariantsIndexTheEvidence(t *testing.T) {
	vary := Header{"Vary", "Origin"}
	servers := map[string]simServer{
		"vary":              corsServer(allowList, vary),
		"no-vary":           corsServer(allowList),
		"wildcard-creds":    corsServer(wildcard, Header{"Access-Control-Allow-Credentials", "true"}),
		"reflect-any-creds": corsServer(reflectAny, Header{"Access-Control-Allow-Credentials", "true"}, vary),
	}
	caches := map[string]func() *simCache{
		"shared":       func() *simCache { return &simCache{} },
		"ignores-vary": func() *simCache { return &simCache{ignoreVary: true} },
	}
	poisoned := 0
	for srvName, srv := range servers {
		for cacheName, mk := range caches {
			rep := simRun(t, isolatePlan(PlanOptions{}), mk(), srv, Policy{})
			checkVariants(t, srvName+" behind "+cacheName, rep)
			if f := findingByRule(rep.Findings, RuleCacheServedWrongOrigin); f != nil {
				poisoned++
				// The poisoned request got another origin's grant.
				hit := false
				for _, i := range f.Variants {
					v := rep.Variants[i]
					if a := v.CORS.ACAO; a != nil && v.Origin != nil && *a != *v.Origin && strings.HasPrefix(*a, "https://") {
						hit = true
					}
				}
				if !hit {
					t.Errorf("%s behind %s: no variant in %v got another origin's ACAO", srvName, cacheName, f.Variants)
				}
			}
		}
	}
	if poisoned == 0 {
		t.Fatal("no scenario was poisoned: the test checks nothing")
	}

	// Observe mode: the real key holds admin's grant.
	plan := observePlan(PlanOptions{Rounds: 2})
	obs := make([]Observation, len(plan.Steps))
	for i := range obs {
		obs[i] = Observation{Response: &Response{Status: 200, Headers: Headers{{"CF-Cache-Status", "HIT"}, {"Age", "40"},
			{"Cache-Control", "max-age=600"}, {"Access-Control-Allow-Origin", "https://admin.example.com"}}}}
	}
	rep := Analyze(plan, obs, AnalyzeOptions{})
	f := findingByRule(rep.Findings, RuleCacheServedWrongOrigin)
	if f == nil {
		t.Fatalf("observe: no %s in %q", RuleCacheServedWrongOrigin, ruleSet(rep.Findings))
	}
	var got []string
	for _, i := range f.Variants {
		got = append(got, fmt.Sprintf("round %d %s", rep.Variants[i].Round, rep.Variants[i].Label))
	}
	if want := "round 1 https://app.example.com,round 1 null,round 2 https://app.example.com,round 2 null"; strings.Join(got, ",") != want {
		t.Errorf("observe: Variants name %q, want %q (evidence %q)", got, want, f.Evidence)
	}
	checkVariants(t, "observe", rep)
}

// TestFindingVariantsAcrossEdgesAndVantages: with several edges, and in a
// merged view of several reports, Variants index the merged report's
// variants: each edge's (each vantage's) findings point at that edge's
// requests, and edges-disagree at the poisoned edge's.
func TestFindingVariantsAcrossEdgesAndVantages(t *testing.T) {
	plan := twoEdgePlan()
	srv := corsServer(allowList)
	rep := edgeRun(t, plan,
		map[string]*simCache{simEdges[0]: {}, simEdges[1]: {keyOnOrigin: true}},
		map[string]simServer{simEdges[0]: srv, simEdges[1]: srv}, nil)
	seenDisagree := false
	for _, f := range rep.Findings {
		want := f.Edge
		if f.Rule == RuleEdgesDisagree {
			want, seenDisagree = simEdges[0], true
		}
		if len(f.Variants) == 0 {
			t.Errorf("%s at %q: no Variants", f.Rule, f.Edge)
		}
		for _, i := range f.Variants {
			if got := rep.Variants[i].EdgeAddr; got != want {
				t.Errorf("%s at %q: variant %d is at %q", f.Rule, f.Edge, i, got)
			}
		}
	}
	if !seenDisagree {
		t.Fatalf("no edges-disagree in %q", ruleSet(rep.Findings))
	}

	// Two vantage points: the poisoned one second, so its indexes move.
	clean := simRun(t, isolatePlan(PlanOptions{}), &simCache{keyOnOrigin: true}, srv, Policy{})
	bad := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, srv, Policy{})
	m := MergeReports([]Report{{Targets: []TargetReport{clean}}, {Targets: []TargetReport{bad}}}, []string{"eu", "us"})
	mt := m.Targets[0]
	seenDisagree = false
	for _, f := range mt.Findings {
		want := f.Vantage
		if f.Rule == RuleEdgesDisagree {
			want, seenDisagree = "us", true
		}
		if len(f.Variants) == 0 {
			t.Errorf("merged %s: no Variants", f.Rule)
		}
		for _, i := range f.Variants {
			if got := mt.Variants[i].Vantage; got != want {
				t.Errorf("merged %s from %q: variant %d is from %q", f.Rule, f.Vantage, i, got)
			}
		}
	}
	if !seenDisagree {
		t.Fatalf("merged: no edges-disagree in %q", ruleSet(mt.Findings))
	}
}
