package cachemodel

import (
	"strings"
	"testing"
)

// TestMergeReports (issue 14 item 3): three vantage points of one URL,
// one behind a poisoned cache: one target with every variant marked by
// vantage, findings prefixed, edges-disagree between the vantage points,
// cache-key facts only where all agree, and a target only one vantage
// point probed kept as it was.
func TestMergeReports(t *testing.T) {
	srv := corsServer(allowList)
	run := func(c *simCache) TargetReport {
		return simRun(t, isolatePlan(PlanOptions{}), c, srv, Policy{})
	}
	only := TargetReport{URL: "https://other.example/x", State: StateFailed, StateDetail: "connect: refused",
		Variants: []VariantResult{{Label: "(no Origin)", Error: &ProbeError{Kind: ErrConnect, Message: "refused"}}}}
	reps := []Report{
		{Label: "eu", Targets: []TargetReport{run(&simCache{})}},
		{Label: "us", Targets: []TargetReport{run(&simCache{keyOnOrigin: true}), only}},
		{Label: "ap", Targets: []TargetReport{run(&simCache{keyOnOrigin: true})}},
	}
	m := MergeReports(reps, []string{"eu", "us", "ap"})
	if len(m.Targets) != 2 || m.Summary.Targets != 2 {
		t.Fatalf("%d targets", len(m.Targets))
	}
	tr := m.Targets[0]
	n := len(reps[0].Targets[0].Variants)
	if len(tr.Variants) != 3*n || tr.Variants[0].Vantage != "eu" || tr.Variants[n].Vantage != "us" || tr.Variants[2*n].Vantage != "ap" {
		t.Fatalf("variants: %d, vantages %q %q %q", len(tr.Variants), tr.Variants[0].Vantage, tr.Variants[n].Vantage, tr.Variants[2*n].Vantage)
	}
	for _, f := range tr.Findings {
		if f.Rule == RuleEdgesDisagree {
			continue
		}
		if f.Vantage == "" || !strings.HasPrefix(f.Message, "["+f.Vantage+"] ") {
			t.Errorf("%s not labelled: %q", f.Rule, f.Message)
		}
		if f.Rule == RuleCacheServedWrongOrigin && f.Vantage != "eu" {
			t.Errorf("wrong-origin from %s", f.Vantage)
		}
	}
	f := findingByRule(tr.Findings, RuleEdgesDisagree)
	if f == nil || f.Severity != SevHigh || !strings.Contains(f.Message, "from eu a poisoned copy was served, from us, ap not") {
		t.Fatalf("edges-disagree: %+v", f)
	}
	if tr.CacheKey == nil || tr.CacheKey.OriginInKey != nil || !strings.Contains(strings.Join(tr.CacheKey.Evidence, "\n"), "origin_in_key: not the same at every vantage (eu false, us true, ap true)") {
		t.Errorf("cache key: %+v", tr.CacheKey)
	}
	if tr.State != StateOK {
		t.Errorf("state %s (%s)", tr.State, tr.StateDetail)
	}
	if o := m.Targets[1]; o.State != StateFailed || o.StateDetail != "connect: refused" || o.Variants[0].Vantage != "us" {
		t.Errorf("single-vantage target: %+v", o)
	}

	st, detail := mergeStates([]string{"eu", "us"}, []TargetState{StateOK, StatePartial}, []string{"", "timeout: x"})
	if st != StatePartial || detail != "the vantage points differ: eu ok; us partial (timeout: x)" {
		t.Errorf("mixed states: %s %q", st, detail)
	}
}

// TestReorderedKeepsFindingsOnTheirVariants: a finding's variant indexes
// follow the variants when a report is put in another order.
func TestReorderedKeepsFindingsOnTheirVariants(t *testing.T) {
	r := TargetReport{Variants: []VariantResult{{Label: "a"}, {Label: "b"}, {Label: "c"}},
		Findings: []Finding{{Rule: "x", Variants: []int{0, 2}}, {Rule: "y", Variants: []int{1}}, {Rule: "z"}}}
	got := r.Reordered([]int{2, 0, 1}) // c, a, b
	var labels []string
	for _, v := range got.Variants {
		labels = append(labels, v.Label)
	}
	if strings.Join(labels, ",") != "c,a,b" {
		t.Fatalf("variants %v, want c,a,b", labels)
	}
	name := func(f Finding) string {
		var s []string
		for _, i := range f.Variants {
			s = append(s, got.Variants[i].Label)
		}
		return strings.Join(s, ",")
	}
	if name(got.Findings[0]) != "c,a" || name(got.Findings[1]) != "b" || got.Findings[2].Variants != nil {
		t.Errorf("findings point at %q, %q, %v; want c,a (ascending indexes) and b and none", name(got.Findings[0]), name(got.Findings[1]), got.Findings[2].Variants)
	}
	if r.Variants[0].Label != "a" || r.Findings[0].Variants[1] != 2 {
		t.Error("Reordered changed the report it was called on")
	}
}
