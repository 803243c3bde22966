package cachemodel

import "testing"

// A plan is built per target while the run goes on, so its cost is paid
// per target: the URL written once, the steps and their headers in one
// array each, no map (13 allocations before: a headers slice per step, a
// map and a growing slice of variants).
func TestBuildObservePlanAllocations(t *testing.T) {
	u := mustURL("https://cdn.example.com/static/app.js?v=12")
	opt := PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 1, UserAgent: "corscope/test"}
	allocs := testing.AllocsPerRun(100, func() { _ = BuildObservePlan(0, u, opt) })
	if allocs > 6 {
		t.Errorf("BuildObservePlan made %.0f allocations; want at most 6", allocs)
	}
}

// The steps share one array of headers; appending to one step's headers
// must not write into the next step's.
func TestObservePlanStepHeadersDoNotOverlap(t *testing.T) {
	u := mustURL("https://cdn.example.com/a.js")
	p := BuildObservePlan(0, u, PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 2, Preflight: true, UserAgent: "ua"})
	want := make([]Headers, len(p.Steps))
	for i, st := range p.Steps {
		want[i] = append(Headers(nil), st.Headers...)
	}
	for i := range p.Steps {
		p.Steps[i].Headers = append(p.Steps[i].Headers, Header{"X-Added", "1"})
	}
	for i, st := range p.Steps {
		if len(st.Headers) != len(want[i])+1 {
			t.Fatalf("step %d: %d headers", i, len(st.Headers))
		}
		for j, h := range want[i] {
			if st.Headers[j] != h {
				t.Errorf("step %d header %d = %v, want %v (overwritten by another step's append)", i, j, st.Headers[j], h)
			}
		}
	}
}

// An isolate plan (38 steps for two origins) writes the target's URL once
// and appends each key's buster to it (one allocation per key), and keeps
// its steps, their headers and their one-step After lists in one array
// each (before: the URL serialised again per key, a headers slice and an
// After list per step, a growing step slice: 281 allocations; 172 now).
// What is left is mostly per key (its random value, its URL) and per
// generated origin.
func TestBuildIsolatePlanAllocations(t *testing.T) {
	u := mustURL("https://cdn.example.com/static/app.js?v=12")
	opt := PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 1, UserAgent: "corscope/test"}
	var p TargetPlan
	allocs := testing.AllocsPerRun(50, func() { p = BuildIsolatePlan(0, u, opt, IsolateOptions{}) })
	t.Logf("%d steps, %.0f allocations", len(p.Steps), allocs)
	if allocs > 180 {
		t.Errorf("BuildIsolatePlan made %.0f allocations; want at most 180", allocs)
	}
}
