package cachemodel

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Policy is what the user says should happen: the origins that should be
// allowed (from --allow or the config's allow-list); every other origin
// should be blocked. Empty means no policy checks. "*" means every origin
// should be allowed (a public resource).
type Policy struct {
	Allow []string
}

func (p Policy) active() bool { return len(p.Allow) > 0 }

func (p Policy) allows(origin string) bool {
	for _, a := range p.Allow {
		if a == "*" || a == origin {
			return true
		}
	}
	return false
}

// Finding rule ids. They are stable: reports, configs and CI thresholds
// refer to them. docs/findings.md explains each one.
const (
	RuleVaryOriginMissing          = "vary-origin-missing"
	RuleCacheServedWrongOrigin     = "cache-served-wrong-origin"
	RuleCacheServedWithoutACAO     = "cache-served-without-acao"
	RuleCDNIgnoresVary             = "cdn-ignores-vary"
	RulePreflightCacheableNoVary   = "preflight-cacheable-without-vary"
	RuleCredentialedSharedCache    = "credentialed-response-shared-cacheable"
	RuleCORSInconsistent           = "cors-inconsistent"
	RuleCacheBusterIneffective     = "cache-buster-ineffective"
	RuleOriginReflectedAny         = "origin-reflected-any"
	RuleOriginNullAllowed          = "origin-null-allowed"
	RuleOriginBypassSuffix         = "origin-bypass-suffix"
	RuleOriginBypassPrefix         = "origin-bypass-prefix"
	RuleOriginBypassUnescapedDot   = "origin-bypass-unescaped-dot"
	RuleOriginBypassSpecialChar    = "origin-bypass-special-char"
	RuleOriginSubdomainAllowed     = "origin-subdomain-allowed"
	RuleOriginInsecureScheme       = "origin-insecure-scheme-allowed"
	RuleOriginAnyPort              = "origin-any-port-allowed"
	RuleWildcardWithCredentials    = "wildcard-with-credentials"
	RuleWildcardOrigin             = "wildcard-origin"
	RuleACAOInvalid                = "acao-invalid"
	RuleACACInvalid                = "acac-invalid"
	RuleMaxAgeOverBrowserCap       = "max-age-over-browser-cap"
	RulePreflightMethodDenied      = "preflight-method-denied"
	RulePreflightHeaderDenied      = "preflight-header-denied"
	RuleAuthorizationWildcard      = "authorization-under-wildcard"
	RulePolicyAllowedOriginBlocked = "policy-allowed-origin-blocked"
	RulePolicyUnexpectedAllowed    = "policy-unexpected-origin-allowed"
	RuleCORSNotEnabled             = "cors-not-enabled"
	RuleCachedCopyWithoutACAO      = "cached-copy-without-acao"
	RuleVarySplitLines             = "vary-split-lines"
)

// findingRules run in this order; each returns at most one finding per
// rule id, with the evidence of every occurrence.
var findingRules = []func(*diag) []Finding{
	ruleCacheBusterIneffective,
	ruleVaryOriginMissing,
	ruleCacheServedWrongOrigin,
	ruleCacheServedWithoutACAO,
	ruleCDNIgnoresVary,
	rulePreflightCacheableWithoutVary,
	ruleCredentialedSharedCacheable,
	ruleCORSInconsistent,
	ruleOriginTrust,
	ruleWildcard,
	ruleACAOInvalid,
	ruleACACInvalid,
	ruleVarySplitLines,
	ruleMaxAgeOverBrowserCap,
	rulePreflightDenied,
	ruleAuthorizationWildcard,
	rulePolicy,
	ruleCORSNotEnabled,
	ruleCachedCopyWithoutACAO,
}

// diagnose draws the findings from a target's analysed variants (in plan
// order), and in isolate mode the cache-key facts (nil in observe mode).
// Findings come sorted by severity, highest first, then by rule id. It
// also returns how each variant was served, as the analysis inferred it
// (the target's state depends on it).
func diagnose(vs []VariantResult, provider Provider, pol Policy) ([]Finding, *CacheKeyFacts, []servedInfo) {
	return diagnoseFacts(vs, nil, provider, pol)
}

// diagnoseFacts is diagnose with the facts already read from each
// variant's response (nil: read them here).
func diagnoseFacts(vs []VariantResult, facts []respFacts, provider Provider, pol Policy) ([]Finding, *CacheKeyFacts, []servedInfo) {
	d := newDiagFacts(vs, facts, provider, pol)
	// Each rule's findings are kept, then joined into one slice of the
	// exact size (or kept as they are when one rule found everything).
	var buf [32][]Finding
	found := buf[:0]
	if len(findingRules) > len(buf) {
		found = make([][]Finding, 0, len(findingRules))
	}
	n := 0
	for _, rule := range findingRules {
		if f := rule(d); len(f) > 0 {
			found = append(found, f)
			n += len(f)
		}
	}
	var out []Finding
	switch len(found) {
	case 0:
		out = []Finding{}
	case 1:
		out = found[0]
	default:
		out = make([]Finding, 0, n)
		for _, f := range found {
			out = append(out, f...)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return rb - ra
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return out, d.facts, d.served
}

// maxEvidence bounds the evidence lines of one finding; the rest are
// counted.
const maxEvidence = 8

// finding assembles a Finding. primary are the variants whose responses
// the finding is about; also are other variants its evidence names (the
// request that stored a copy, the server's own answer to compare with).
// Both go to Finding.Variants. When every one of them has an error status
// (4xx/5xx), the finding is marked FromErrorStatus and capped at low,
// because error and rate-limit pages are a classic source of false
// positives.
func (d *diag) finding(rule string, sev Severity, msg, fix string, evidence []string, primary []int, also ...int) []Finding {
	evidence = uniqueLines(evidence)
	if len(evidence) > maxEvidence {
		more := len(evidence) - (maxEvidence - 1)
		evidence = append(evidence[:maxEvidence-1:maxEvidence-1], fmt.Sprintf("… and %d more", more))
	}
	idx := make([]int, 0, len(primary)+len(also))
	f := Finding{Rule: rule, Severity: sev, Message: msg, Evidence: evidence, Variants: variantSetOwned(append(append(idx, primary...), also...)), Fix: fix}
	if len(primary) == 0 {
		return []Finding{f}
	}
	for _, i := range primary {
		if d.status(i) < 400 {
			return []Finding{f}
		}
	}
	var list []string
	for k, i := range primary {
		if st := d.status(i); !slices.ContainsFunc(primary[:k], func(j int) bool { return d.status(j) == st }) {
			list = append(list, strconv.Itoa(st))
		}
	}
	f.markFromErrorResponses(strings.Join(list, ", "))
	return []Finding{f}
}

// markFromErrorResponses marks a finding drawn only from 4xx/5xx answers:
// rated low at most, and its message says so (with the statuses, when
// given). Every rule, the edge and the vantage comparisons use it.
func (f *Finding) markFromErrorResponses(statuses string) {
	f.FromErrorStatus = true
	if f.Severity.Rank() > SevLow.Rank() {
		f.Severity = SevLow
	}
	if statuses != "" {
		f.Message += " (seen only on error responses, status " + statuses + ": rated low at most)"
	} else {
		f.Message += " (seen only on error responses: rated low at most)"
	}
}

// uniqueLines returns lines without repeats, in order; lines itself when
// it has none (the common case: nothing is copied).
func uniqueLines(lines []string) []string {
	if len(lines) > 32 {
		seen := make(map[string]bool, len(lines))
		uniq := lines[:0:0]
		for _, e := range lines {
			if !seen[e] {
				seen[e] = true
				uniq = append(uniq, e)
			}
		}
		return uniq
	}
	for k := range lines {
		if slices.Contains(lines[:k], lines[k]) {
			uniq := slices.Clone(lines[:k])
			for _, e := range lines[k+1:] {
				if !slices.Contains(uniq, e) {
					uniq = append(uniq, e)
				}
			}
			return uniq
		}
	}
	return lines
}

// variantSet returns the distinct indexes of idx, ascending (nil when
// empty), for Finding.Variants.
func variantSet(idx []int) []int {
	return variantSetOwned(slices.Clone(idx))
}

// variantSetOwned is variantSet sorting idx in place.
func variantSetOwned(idx []int) []int {
	if len(idx) == 0 {
		return nil
	}
	slices.Sort(idx)
	return slices.Compact(idx)
}

// remapVariants maps a finding's variant indexes through at (a sub-report's
// index k is at[k] in the merged report).
func remapVariants(idx, at []int) []int {
	if len(idx) == 0 {
		return nil
	}
	out := make([]int, 0, len(idx))
	for _, k := range idx {
		if k >= 0 && k < len(at) {
			out = append(out, at[k])
		}
	}
	return variantSet(out)
}

func (d *diag) status(i int) int {
	if r := d.vs[i].Response; r != nil {
		return r.Status
	}
	return 0
}

func (d *diag) headers(i int) Headers {
	if r := d.vs[i].Response; r != nil {
		return r.Headers
	}
	return nil
}

// transient reports responses that say nothing about CORS configuration:
// rate limiting and server errors (often from another layer).
func (d *diag) transient(i int) bool {
	st := d.status(i)
	return st == 429 || st >= 500
}

// usable: a response that shows the server's own answer (not known to be
// a stored copy) and is not a transient error.
func (d *diag) usable(i int) bool {
	return d.vs[i].Response != nil && d.served[i].state != servedCached && !d.transient(i)
}

// acao returns the ACAO value as the browser sees it (lines joined).
func (d *diag) acao(i int) (string, bool) {
	if a := d.vs[i].CORS.ACAO; a != nil {
		return *a, true
	}
	return "", false
}

// acaoKey is the ACAO value for comparisons, with absence as its own value.
func (d *diag) acaoKey(i int) string {
	if a, ok := d.acao(i); ok {
		return a
	}
	return "\x00absent"
}

// sameOrigin: variants i and j sent the same Origin, or both none.
func (d *diag) sameOrigin(i, j int) bool {
	a, b := d.vs[i].Origin, d.vs[j].Origin
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// corsRequest: the browser runs the CORS check on this response.
func (d *diag) corsRequest(i int) bool {
	k := d.vs[i].Kind
	return d.vs[i].Origin != nil && k != KindNoOrigin && k != KindSameOrigin
}

// credentialed: the response allows credentials (ACAC exactly "true").
func (d *diag) credentialed(i int) bool {
	return d.f[i].acacTrue()
}

// describe summarises a response for evidence: status, cache verdict and
// the CORS headers.
func (d *diag) describe(i int) string {
	var buf [256]byte
	return string(d.appendDescribe(buf[:0], i))
}

func (d *diag) appendDescribe(b []byte, i int) []byte {
	v := d.vs[i]
	if v.Response == nil {
		return append(b, "no response"...)
	}
	b = append(b, "status "...)
	b = strconv.AppendInt(b, int64(v.Response.Status), 10)
	if s := d.served[i]; s.viaStatus || s.note != "" {
		b = s.appendHow(append(b, ", "...))
	}
	if a, ok := d.acao(i); ok {
		b = strconv.AppendQuote(append(b, ", ACAO "...), a)
	} else {
		b = append(b, ", no ACAO"...)
	}
	if c := v.CORS.ACAC; c != nil {
		b = strconv.AppendQuote(append(b, ", ACAC "...), *c)
	}
	switch f := &d.f[i]; {
	case f.varyN > 1:
		b = append(append(b, ", "...), varyLinesText(v.Response.Headers.Values(hdrVary))...) // as sent: one line each
	case f.varyN == 1:
		b = strconv.AppendQuote(append(b, ", Vary "...), f.varyFirst)
	default:
		b = append(b, ", no Vary"...)
	}
	return b
}

// line is one evidence line: the variant and what it got.
func (d *diag) line(i int) string {
	var buf [256]byte
	b := append(d.appendRef(buf[:0], i), ": "...)
	return string(d.appendDescribe(b, i))
}

// storer finds the request that stored the object a cached variant got: in
// isolate mode the latest earlier request on the same key whose Origin
// (or its absence) differs from the variant's; -1 when unknown (observe
// mode, or a busting parameter the cache ignores: then anyone may have
// filled the key).
func (d *diag) storer(i int) int {
	if !d.busterOK {
		return -1
	}
	for p := d.pos[i] - 1; p >= 0; p-- {
		j := d.groups[d.keyIdx[i]][p]
		if !d.sameOrigin(j, i) && d.vs[j].Response != nil && d.served[j].state != servedCached {
			return j
		}
	}
	return -1
}
