package cachemodel

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// RuleEdgesDisagree: the edge addresses of one run (--edge) answered the
// same requests differently: one serves a poisoned copy, another does not.
const RuleEdgesDisagree = "edges-disagree"

// JoinEdgePlans merges one plan per edge address (built alike for the
// same target) into the target's plan: every step is marked with its edge,
// the cache experiments of every edge come first, edge after edge, then
// the adversarial steps of every edge (so AdversarialStart still cuts
// where the generated origins begin). With no edges it returns plans[0].
func JoinEdgePlans(plans []TargetPlan, edges []string) TargetPlan {
	if len(edges) == 0 || len(plans) == 0 {
		if len(plans) == 0 {
			return TargetPlan{}
		}
		return plans[0]
	}
	out := TargetPlan{Index: plans[0].Index, URL: plans[0].URL, Scheduled: plans[0].Scheduled}
	// Where each plan's step lands in the joined plan, so a Scheduled
	// plan's After indexes still name the same steps (still lower ones:
	// heads keep their order, tails follow every head in their order).
	at := make([][]int, len(plans))
	heads := 0
	for i, p := range plans {
		heads += AdversarialStart(p)
		at[i] = make([]int, len(p.Steps))
	}
	head, tail := 0, heads
	for i, p := range plans {
		cut := AdversarialStart(p)
		for j := range p.Steps {
			if j < cut {
				at[i][j] = head
				head++
			}
		}
	}
	for i, p := range plans {
		cut := AdversarialStart(p)
		for j := range p.Steps {
			if j >= cut {
				at[i][j] = tail
				tail++
			}
		}
	}
	out.Steps = make([]Step, tail)
	for i, p := range plans {
		for j, st := range p.Steps {
			st.Edge = edges[i]
			if len(st.After) > 0 {
				after := make([]int, len(st.After))
				for k, a := range st.After {
					after[k] = at[i][a]
				}
				st.After = after
			}
			out.Steps[at[i][j]] = st
		}
	}
	return out
}

// edgeAddrs lists the distinct Step.Edge values of a plan in order of
// first appearance ("" included when some step has none).
func edgeAddrs(plan TargetPlan) []string {
	if len(plan.Steps) > 0 && !slices.ContainsFunc(plan.Steps, func(s Step) bool { return s.Edge != "" }) {
		return singleNoEdge // the common case: no --edge
	}
	var out []string
	for _, st := range plan.Steps {
		if !slices.Contains(out, st.Edge) {
			out = append(out, st.Edge)
		}
	}
	return out
}

// singleNoEdge is edgeAddrs' answer for a plan sent to the URL's host
// only. Callers must not modify it.
var singleNoEdge = []string{""}

// edgeResult is one edge's analysis inside a multi-edge target.
type edgeResult struct {
	addr string
	rep  TargetReport
	at   []int // rep's variant k is variant at[k] of the merged report
}

// analyzeEdges analyses each edge's steps on their own (a copy stored at
// one edge never reaches a request sent to another), then merges: the
// variants stay in plan order, each finding names its edge, and
// edges-disagree compares the edges.
func analyzeEdges(plan TargetPlan, obs []Observation, opt AnalyzeOptions, addrs []string) TargetReport {
	rep := TargetReport{
		URL:      plan.URL,
		Provider: ProviderUnknown,
		Variants: make([]VariantResult, len(plan.Steps)),
		Diffs:    []HeaderDiff{},
		Findings: []Finding{},
		Edges:    addrs,
	}
	served := make([]servedInfo, len(plan.Steps))
	groups := make([]edgeResult, len(addrs))
	var facts []*CacheKeyFacts
	for gi, addr := range addrs {
		sub := TargetPlan{Index: plan.Index, URL: plan.URL}
		var subObs []Observation
		var idx []int
		for i, st := range plan.Steps {
			if st.Edge != addr {
				continue
			}
			sub.Steps = append(sub.Steps, st)
			var o Observation
			if i < len(obs) {
				o = obs[i]
			}
			subObs = append(subObs, o)
			idx = append(idx, i)
		}
		r, sv := analyzeGroup(sub, subObs, opt)
		for k, i := range idx {
			rep.Variants[i] = r.Variants[k]
			served[i] = sv[k]
		}
		if rep.Provider == ProviderUnknown {
			rep.Provider = r.Provider
		}
		for _, f := range r.Findings {
			f.Variants = remapVariants(f.Variants, idx)
			f.Edge = addr
			f.Message = "At edge " + addr + ": " + f.Message
			rep.Findings = append(rep.Findings, f)
		}
		facts = append(facts, r.CacheKey)
		groups[gi] = edgeResult{addr: addr, rep: r, at: idx}
	}
	var cells []DiffCell
	for i, st := range plan.Steps {
		if st.Preflight || (st.Experiment != "" && st.Experiment != ExperimentRepeat) {
			continue
		}
		v := rep.Variants[i]
		c := DiffCell{Label: edgeLabel(st.Edge) + " " + v.Label, Round: v.Round, Failed: v.Response == nil}
		if v.Response != nil {
			c.Headers = v.Response.Headers
		}
		cells = append(cells, c)
	}
	if d := DiffVariants(cells, nil); d != nil { // nil: VolatileHeader, without lower-casing each name
		rep.Diffs = d
	}
	rep.CacheKey = mergeFacts("edge", addrs, facts)
	rep.Findings = append(rep.Findings, edgesDisagree(groups, rep.Provider, plan.URL)...)
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		ri, rj := rep.Findings[i].Severity.Rank(), rep.Findings[j].Severity.Rank()
		if ri != rj {
			return ri > rj
		}
		return rep.Findings[i].Rule < rep.Findings[j].Rule
	})
	rep.State, rep.StateDetail = computeState(rep.Variants, served)
	return rep
}

func edgeLabel(addr string) string {
	if addr == "" {
		return "@(DNS)"
	}
	return "@" + addr
}

// mergeFacts keeps a cache-key fact only when every edge that inferred it
// agrees; where edges disagree the fact is unknown and the evidence says
// why.
func mergeFacts(where string, addrs []string, facts []*CacheKeyFacts) *CacheKeyFacts {
	var out *CacheKeyFacts
	for i, f := range facts {
		if f == nil {
			continue
		}
		if out == nil {
			out = &CacheKeyFacts{}
		}
		for _, e := range f.Evidence {
			out.Evidence = append(out.Evidence, where+" "+addrs[i]+": "+e)
		}
	}
	if out == nil {
		return nil
	}
	merge := func(name string, get func(*CacheKeyFacts) *bool) *bool {
		var val *bool
		var parts []string
		conflict := false
		for i, f := range facts {
			if f == nil || get(f) == nil {
				// Known at one edge is not known for the target: another
				// edge may well differ.
				parts = append(parts, addrs[i]+" unknown")
				conflict = true
				continue
			}
			b := *get(f)
			parts = append(parts, addrs[i]+" "+strconv.FormatBool(b))
			if val == nil {
				val = &b
			} else if *val != b {
				conflict = true
			}
		}
		if conflict {
			if val != nil {
				out.Evidence = append(out.Evidence, name+": not the same at every "+where+" ("+strings.Join(parts, ", ")+"), so unknown")
			}
			return nil
		}
		return val
	}
	out.OriginInKey = merge("origin_in_key", func(f *CacheKeyFacts) *bool { return f.OriginInKey })
	out.VaryHonoured = merge("vary_honoured", func(f *CacheKeyFacts) *bool { return f.VaryHonoured })
	out.Cacheable = merge("cacheable", func(f *CacheKeyFacts) *bool { return f.Cacheable })
	return out
}

// poisonRules are the findings that mean a cache served a copy made for
// another request to a CORS request.
var poisonRules = map[string]bool{
	RuleCacheServedWrongOrigin: true,
	RuleCacheServedWithoutACAO: true,
	RuleCDNIgnoresVary:         true,
	RuleCachedCopyWithoutACAO:  true,
}

// edgesDisagree compares the edges of one target. When some edge served a
// poisoned copy (a poisonRules finding) and another answered with 2xx and
// no such finding, it reports which edge is which, rated like the worst
// poisoning finding, with how to purge each poisoned edge. Otherwise, when
// the same request got a different browser verdict at different edges
// (their own answers, error statuses left out), it reports that at medium.
func edgesDisagree(groups []edgeResult, provider Provider, target string) []Finding {
	var poisoned, clean []edgeResult
	worst := SevInfo
	var ev []string
	allFromError := true
	for _, g := range groups {
		hits := poisonHits(&g.rep, &worst, &allFromError)
		switch {
		case len(hits) > 0:
			poisoned = append(poisoned, g)
			ev = append(ev, fmt.Sprintf("edge %s%s: poisoned copy served (%s)", g.addr, popNote(g.rep), strings.Join(hits, ", ")))
		case answered2xx(g.rep) > 0:
			clean = append(clean, g)
			ev = append(ev, fmt.Sprintf("edge %s%s: no poisoned copy seen in %d answers", g.addr, popNote(g.rep), answered2xx(g.rep)))
		default:
			ev = append(ev, fmt.Sprintf("edge %s: no 2xx answer, no verdict", g.addr))
		}
	}
	if len(poisoned) > 0 && len(clean) > 0 {
		names := make([]string, len(poisoned))
		for i, g := range poisoned {
			names[i] = g.addr
		}
		cleanNames := make([]string, len(clean))
		for i, g := range clean {
			cleanNames[i] = g.addr
		}
		msg := fmt.Sprintf("The edges disagree: %s served a poisoned copy, %s did not in this run; users reaching %s get a copy made for another request (CORS fails \"randomly\", depending on the edge)",
			strings.Join(names, ", "), strings.Join(cleanNames, ", "), orList(names))
		f := Finding{Rule: RuleEdgesDisagree, Severity: worst, Message: msg, Evidence: ev,
			Variants: poisonVariants(poisoned), Fix: edgePurgeFix(provider, target, names)}
		if allFromError {
			f.markFromErrorResponses("")
		}
		return []Finding{f}
	}
	return verdictDisagreement(groups)
}

// verdictDisagreement compares the browser verdicts of the same request
// (experiment, request kind, Origin, round, occurrence) across edges.
func verdictDisagreement(groups []edgeResult) []Finding {
	type seen struct {
		addr    string
		allowed bool
		line    string
		variant int
	}
	by := map[string][]seen{}
	var order []string
	for _, g := range groups {
		count := map[string]int{}
		for vi, v := range g.rep.Variants {
			if v.Experiment != "" && v.Experiment != ExperimentRepeat {
				continue
			}
			if !v.CORS.Applicable || v.CORS.Allowed == nil || v.Response == nil || v.Response.Status >= 400 {
				continue
			}
			k := fmt.Sprintf("%s|%s|%t|%s|%d", v.Experiment, v.Method, v.Preflight, v.Label, v.Round)
			count[k]++
			k += "|" + strconv.Itoa(count[k])
			if _, ok := by[k]; !ok {
				order = append(order, k)
			}
			word := "blocked"
			if *v.CORS.Allowed {
				word = "allowed"
			}
			acao := "no ACAO"
			if v.CORS.ACAO != nil {
				acao = "ACAO " + strconv.Quote(*v.CORS.ACAO)
			}
			at := vi
			if vi < len(g.at) {
				at = g.at[vi]
			}
			by[k] = append(by[k], seen{addr: g.addr, allowed: *v.CORS.Allowed, variant: at,
				line: fmt.Sprintf("edge %s%s: round %d %s: %d, %s, cache %s → %s", g.addr, popOf(v), v.Round, v.Label, v.Response.Status, acao, v.Cache.Status, word)})
		}
	}
	var ev []string
	var vars []int
	for _, k := range order {
		s := by[k]
		differ := false
		for _, x := range s[1:] {
			if x.allowed != s[0].allowed {
				differ = true
			}
		}
		if !differ {
			continue
		}
		for _, x := range s {
			ev = append(ev, x.line)
			vars = append(vars, x.variant)
		}
	}
	if len(ev) == 0 {
		return nil
	}
	if len(ev) > maxEvidence {
		more := len(ev) - (maxEvidence - 1)
		ev = append(ev[:maxEvidence-1:maxEvidence-1], fmt.Sprintf("… and %d more", more))
	}
	return []Finding{{Rule: RuleEdgesDisagree, Severity: SevMedium,
		Message:  "The edges disagree: the same request is allowed at one edge and blocked at another, so whether CORS works depends on the edge a user reaches",
		Evidence: ev,
		Variants: variantSet(vars),
		Fix:      "Compare the edges' configuration and stored copies; make every edge key on Origin (or honour Vary: Origin) and purge the copies already stored."}}
}

func answered2xx(r TargetReport) int {
	n := 0
	for _, v := range r.Variants {
		if v.Response != nil && v.Response.Status >= 200 && v.Response.Status < 300 {
			n++
		}
	}
	return n
}

// popNote names the PoPs an edge address's responses came from, e.g.
// " (PoP AMS)", or "".
func popNote(r TargetReport) string {
	pops := edgePoPs(r.Variants)
	if len(pops) == 0 {
		return ""
	}
	return " (PoP " + strings.Join(pops, ", ") + ")"
}

func popOf(v VariantResult) string {
	if v.Edge == "" {
		return ""
	}
	return " (PoP " + v.Edge + ")"
}

// edgePoPs lists the distinct PoPs (VariantResult.Edge) of the variants
// that got a response, in order of first appearance.
func edgePoPs(vs []VariantResult) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		if v.Response == nil || v.Edge == "" || seen[v.Edge] {
			continue
		}
		seen[v.Edge] = true
		out = append(out, v.Edge)
	}
	return out
}

func orList(names []string) string {
	if len(names) == 1 {
		return "that edge"
	}
	return "those edges"
}

// managedPurge names the managed CDNs whose purge is global: one purge of
// the URL clears every edge.
var managedPurge = map[Provider]string{
	ProviderCloudflare: "Cloudflare",
	ProviderFastly:     "Fastly",
	ProviderCloudFront: "CloudFront",
	ProviderAkamai:     "Akamai",
	ProviderVercel:     "Vercel",
	ProviderNetlify:    "Netlify",
}

// edgePurgeFix says how to clear the poisoned edges: a managed CDN's purge
// is global (no per-edge purge exists); a cache you run is purged at each
// poisoned edge itself.
func edgePurgeFix(p Provider, target string, poisoned []string) string {
	base := "Key the cache on Origin (or honour Vary: Origin) at every edge, then purge. "
	if name, ok := managedPurge[p]; ok {
		return base + name + "'s purge is global, not per edge: one purge of the URL (every Origin variant: corscope purge " + target + ") clears every edge."
	}
	var cmds []string
	for _, e := range poisoned {
		cmds = append(cmds, "edge "+e+": curl -X PURGE --connect-to "+edgeConnectTo(target, e)+" "+target)
	}
	return base + "Each edge holds its own copy: purge it at every poisoned edge (if the cache accepts PURGE; with nginx, the cache_purge location), e.g. " + strings.Join(cmds, "; ") + "."
}

// edgeConnectTo is curl's --connect-to value that sends a request for
// rawURL to edge (an IP, keeping the URL's port, or IP:port; IPv6 in
// brackets): "host:port:ip:port".
func edgeConnectTo(rawURL, edge string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "::" + edge
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	ip, eport := splitEdge(edge)
	if eport == "" {
		eport = port
	}
	return host + ":" + port + ":" + ip + ":" + eport
}

// splitEdge splits a normalised edge address into its IP (IPv6 in
// brackets) and port ("" when it keeps the URL's).
func splitEdge(edge string) (ip, port string) {
	if strings.HasPrefix(edge, "[") {
		end := strings.IndexByte(edge, ']')
		if end < 0 {
			return edge, ""
		}
		ip, rest := edge[:end+1], edge[end+1:]
		return ip, strings.TrimPrefix(rest, ":")
	}
	if i := strings.LastIndexByte(edge, ':'); i >= 0 {
		return edge[:i], edge[i+1:]
	}
	return edge, ""
}

// crossVariantRules are the findings that compare one variant's response
// with another's (a copy stored for one request, served to another).
var crossVariantRules = map[string]bool{
	RuleCacheServedWrongOrigin: true,
	RuleCacheServedWithoutACAO: true,
	RuleCDNIgnoresVary:         true,
	RuleCORSInconsistent:       true,
}

// noteCrossEdge: when the responses of one target came from different
// edges (PoPs), a copy one variant got was not necessarily stored by the
// request it is compared with, since every edge has its own cache. The
// comparing findings keep their severity (the copy served is still what a
// user got) but say so in the message and the evidence, and the cache-key
// facts carry the same caveat.
func noteCrossEdge(rep *TargetReport) {
	pops := edgePoPs(rep.Variants)
	if len(pops) < 2 {
		return
	}
	list := strings.Join(pops, ", ")
	counts := map[string]int{}
	for _, v := range rep.Variants {
		if v.Response != nil && v.Edge != "" {
			counts[v.Edge]++
		}
	}
	parts := make([]string, len(pops))
	for i, p := range pops {
		parts[i] = fmt.Sprintf("%s %d", p, counts[p])
	}
	evidence := "responses came from different edges (" + strings.Join(parts, ", ") +
		"): each edge has its own cache, so a copy served at one edge may not be the one stored by a request at another"
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if !crossVariantRules[f.Rule] {
			continue
		}
		f.Message += " (variants were served by different edges: " + list + "; a cross-edge comparison is weaker evidence)"
		f.Evidence = append(f.Evidence, evidence)
	}
	if rep.CacheKey != nil {
		rep.CacheKey.Evidence = append(rep.CacheKey.Evidence, evidence+"; the cache-key facts compare across edges")
	}
}

// poisonHits lists the rules of rep's findings that say a cache served a
// copy made for another request, raising *worst to their worst severity
// and clearing *allFromError when one rests on a 2xx/3xx answer. The edge
// and the vantage-point comparisons read a group's poisoning the same way.
// poisonVariants are the variants (in the merged report) the poisoning
// findings of groups rest on.
func poisonVariants(groups []edgeResult) []int {
	var out []int
	for _, g := range groups {
		for _, f := range g.rep.Findings {
			if poisonRules[f.Rule] {
				out = append(out, remapVariants(f.Variants, g.at)...)
			}
		}
	}
	return variantSet(out)
}

func poisonHits(rep *TargetReport, worst *Severity, allFromError *bool) []string {
	var hits []string
	for _, f := range rep.Findings {
		if !poisonRules[f.Rule] {
			continue
		}
		hits = append(hits, f.Rule)
		if f.Severity.Rank() > worst.Rank() {
			*worst = f.Severity
		}
		if !f.FromErrorStatus {
			*allFromError = false
		}
	}
	return hits
}
