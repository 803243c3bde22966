package cachemodel

import (
	"fmt"
	"strings"
)

// MergeReports merges reports made from several vantage points (one per
// report, named by vantages[i]) into one: targets by URL in order of first
// appearance, each with the variants of every report that probed it (in
// report order, each marked with its Vantage), the findings of every
// report (marked and prefixed with their vantage), cache-key facts only
// where every vantage agrees, and edges-disagree when one vantage point got
// a poisoned copy and another did not (each reaches its own edge).
func MergeReports(reps []Report, vantages []string) Report {
	out := Report{Schema: ReportSchema, Targets: []TargetReport{}}
	if len(reps) == 0 {
		return out
	}
	out.Tool, out.GeneratedAt, out.Mode = reps[0].Tool, reps[0].GeneratedAt, reps[0].Mode
	out.Label = strings.Join(vantages, ", ")
	type part struct {
		vantage string
		t       TargetReport
	}
	var order []string
	parts := map[string][]part{}
	for i, r := range reps {
		for _, t := range r.Targets {
			if _, ok := parts[t.URL]; !ok {
				order = append(order, t.URL)
			}
			parts[t.URL] = append(parts[t.URL], part{vantages[i], t})
		}
	}
	for _, url := range order {
		ps := parts[url]
		t := TargetReport{URL: url, Provider: ProviderUnknown, Variants: []VariantResult{}, Diffs: []HeaderDiff{}, Findings: []Finding{}}
		var groups []edgeResult
		var names []string
		var facts []*CacheKeyFacts
		for _, p := range ps {
			at := make([]int, len(p.t.Variants))
			for k := range at {
				at[k] = len(t.Variants) + k
			}
			if t.Provider == ProviderUnknown {
				t.Provider = p.t.Provider
			}
			for _, v := range p.t.Variants {
				v.Vantage = p.vantage
				t.Variants = append(t.Variants, v)
			}
			for _, d := range p.t.Diffs {
				if d.Label != "" {
					d.Label = "[" + p.vantage + "] " + d.Label
				}
				t.Diffs = append(t.Diffs, d)
			}
			for _, f := range p.t.Findings {
				f.Vantage = p.vantage
				f.Variants = remapVariants(f.Variants, at)
				f.Message = "[" + p.vantage + "] " + f.Message
				t.Findings = append(t.Findings, f)
			}
			for _, e := range p.t.Edges {
				if !contains(t.Edges, e) {
					t.Edges = append(t.Edges, e)
				}
			}
			groups = append(groups, edgeResult{addr: p.vantage, rep: p.t, at: at})
			names = append(names, p.vantage)
			facts = append(facts, p.t.CacheKey)
		}
		if len(ps) > 1 {
			t.CacheKey = mergeFacts("vantage", names, facts)
			t.Findings = append(t.Findings, vantagesDisagree(groups, t.Provider, url)...)
		} else {
			t.CacheKey = ps[0].t.CacheKey
		}
		sortFindings(t.Findings)
		states := make([]TargetState, len(ps))
		details := make([]string, len(ps))
		for i, p := range ps {
			states[i], details[i] = p.t.State, p.t.StateDetail
			if states[i] == "" { // a report written before states existed
				states[i], details[i] = ComputeState(p.t.Variants)
			}
		}
		t.State, t.StateDetail = mergeStates(names, states, details)
		out.Summary.Add(t)
		out.Targets = append(out.Targets, t)
	}
	if out.Summary.Findings == nil {
		out.Summary.Findings = map[Severity]int{}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// vantagesDisagree is edgesDisagree between vantage points: each reaches
// the edge nearest to it, so one getting a poisoned copy and another not
// is the "fails only in some places" symptom.
func vantagesDisagree(groups []edgeResult, provider Provider, target string) []Finding {
	var poisoned, clean []string
	var ev []string
	worst := SevInfo
	allFromError := true
	for _, g := range groups {
		hits := poisonHits(&g.rep, &worst, &allFromError)
		switch {
		case len(hits) > 0:
			poisoned = append(poisoned, g.addr)
			ev = append(ev, fmt.Sprintf("from %s%s: poisoned copy served (%s)", g.addr, popNote(g.rep), strings.Join(hits, ", ")))
		case answered2xx(g.rep) > 0:
			clean = append(clean, g.addr)
			ev = append(ev, fmt.Sprintf("from %s%s: no poisoned copy seen in %d answers", g.addr, popNote(g.rep), answered2xx(g.rep)))
		default:
			ev = append(ev, fmt.Sprintf("from %s: no 2xx answer, no verdict", g.addr))
		}
	}
	if len(poisoned) == 0 || len(clean) == 0 {
		return nil
	}
	f := Finding{Rule: RuleEdgesDisagree, Severity: worst,
		Message: fmt.Sprintf("The vantage points disagree: from %s a poisoned copy was served, from %s not; each reaches its own edge, so CORS fails only for users near the poisoned ones",
			strings.Join(poisoned, ", "), strings.Join(clean, ", ")),
		Evidence: ev, Variants: poisonVariants(groups)}
	if name, ok := managedPurge[provider]; ok {
		f.Fix = "Key the cache on Origin (or honour Vary: Origin) at every edge, then purge. " + name + "'s purge is global, not per edge: one purge of the URL (every Origin variant: corscope purge " + target + ") clears every edge."
	} else {
		f.Fix = "Key the cache on Origin (or honour Vary: Origin) at every edge, then purge the copy at each edge the poisoned vantage points reach (the PoP in the evidence; corscope check --edge ADDR probes one edge from anywhere)."
	}
	if allFromError {
		f.markFromErrorResponses("")
	}
	return []Finding{f}
}

// sortFindings orders findings by severity, highest first, then rule id,
// keeping the order of equal ones.
func sortFindings(fs []Finding) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && less(fs[j], fs[j-1]); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func less(a, b Finding) bool {
	if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
		return ra > rb
	}
	return a.Rule < b.Rule
}

// mergeStates combines the vantage points' states of one target (each
// drawn by its own analysis): the same state everywhere stays; otherwise
// the target is partial when any vantage point lacks a complete verdict,
// else ok (CORS answered somewhere; a vantage point's cors-not-enabled
// finding stays with its label). The detail lists every vantage point's
// state.
func mergeStates(names []string, states []TargetState, details []string) (TargetState, string) {
	if len(states) == 1 {
		return states[0], details[0]
	}
	same := true
	for _, s := range states[1:] {
		if s != states[0] {
			same = false
		}
	}
	var parts []string
	for i, s := range states {
		p := names[i] + " " + string(s)
		if details[i] != "" {
			p += " (" + details[i] + ")"
		}
		if s != StateOK || details[i] != "" {
			parts = append(parts, p)
		}
	}
	if same {
		if len(parts) == 0 {
			return states[0], ""
		}
		return states[0], strings.Join(parts, "; ")
	}
	merged := StateOK
	for _, s := range states {
		if s.Unknown() {
			merged = StatePartial
		}
	}
	all := make([]string, len(states))
	for i, s := range states {
		all[i] = names[i] + " " + string(s)
		if details[i] != "" {
			all[i] += " (" + details[i] + ")"
		}
	}
	return merged, "the vantage points differ: " + strings.Join(all, "; ")
}

// Reordered returns r with its variants in a new order: variant k of the
// result is r.Variants[order[k]] (order is a permutation of r's variant
// indexes). Findings keep pointing at the same variants.
func (r TargetReport) Reordered(order []int) TargetReport {
	at := make([]int, len(r.Variants)) // old index -> new
	vs := make([]VariantResult, 0, len(order))
	for k, old := range order {
		at[old] = k
		vs = append(vs, r.Variants[old])
	}
	r.Variants = vs
	fs := make([]Finding, len(r.Findings))
	for i, f := range r.Findings {
		f.Variants = remapVariants(f.Variants, at)
		fs[i] = f
	}
	if r.Findings != nil {
		r.Findings = fs
	}
	return r
}
