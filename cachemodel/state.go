package cachemodel

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// TargetState says how far a target's answers can be trusted as a whole,
// before any finding: whether its requests got answers, whether any answer
// was a success (2xx) and whether the server sent CORS headers at all.
type TargetState string

// Target states, from the least to the most that is known. Each one but ok
// is said wherever a target's result is shown (table, JSON, Markdown, the
// TUI), so that nothing reads "ok" without answers behind it.
const (
	// StateOK: every request got a response and some got a 2xx.
	StateOK TargetState = "ok"
	// StateFailed: every request failed (no response at all).
	StateFailed TargetState = "failed"
	// StateCanceled: an interrupt (Ctrl-C, SIGTERM, SIGHUP) stopped the
	// run before every request of the target was answered: its verdicts
	// and findings are incomplete.
	StateCanceled TargetState = "canceled"
	// StatePartial: some requests failed, so the verdicts and findings
	// rest on part of the plan only.
	StatePartial TargetState = "partial"
	// StateNon2xx: responses came, but none was a 2xx: they are error or
	// redirect pages, so there is no CORS verdict about the resource.
	StateNon2xx TargetState = "non-2xx"
	// StateCORSNotEnabled: the server answered the requests from the
	// given origins (--origin, --allow, the config; not null or generated
	// origins) with a 2xx but sent none of them an
	// Access-Control-Allow-Origin (fresh answers, not only stored copies):
	// CORS is not enabled for them.
	StateCORSNotEnabled TargetState = "cors-not-enabled"
)

// Unknown reports whether the state leaves the target without a complete
// verdict: check exits 4 (unknown) for these unless findings decide.
func (s TargetState) Unknown() bool {
	return s == StateFailed || s == StatePartial || s == StateNon2xx || s == StateCanceled
}

// Short is the state in at most 7 columns, for the TUI target list.
func (s TargetState) Short() string {
	if s == StateCORSNotEnabled {
		return "no CORS"
	}
	return string(s)
}

// TargetStates lists every state, in the order summaries count them.
var TargetStates = []TargetState{StateOK, StateCORSNotEnabled, StatePartial, StateNon2xx, StateFailed, StateCanceled}

// ComputeState derives a target's state and a one-line explanation from
// its analysed variants. The explanation names the errors (as the probe
// reported them, untrusted text) or statuses behind it; it is "" for ok.
func ComputeState(vs []VariantResult) (TargetState, string) {
	served := make([]servedInfo, len(vs))
	for i, v := range vs {
		served[i] = statusServed(v)
	}
	return computeState(vs, served)
}

// computeState is ComputeState with how each variant was served (from the
// cache status, or as the analysis inferred it).
func computeState(vs []VariantResult, served []servedInfo) (TargetState, string) {
	// A 2xx preflight says nothing about the resource (CORS middleware
	// answers OPTIONS for any path), so only the other requests count
	// for non-2xx, unless the plan has nothing else.
	simple := 0
	for _, v := range vs {
		if !v.Preflight {
			simple++
		}
	}
	var failed, canceled, answered, ok2xx int
	statuses := map[int]int{}
	errs := map[string]int{}
	var errOrder []string
	for _, v := range vs {
		if v.Response == nil {
			failed++
			if v.Error != nil && v.Error.Kind == ErrCanceled {
				canceled++
				continue
			}
			msg := "no response"
			if v.Error != nil {
				msg = string(v.Error.Kind) + ": " + v.Error.Message
			}
			if errs[msg] == 0 {
				errOrder = append(errOrder, msg)
			}
			errs[msg]++
			continue
		}
		answered++
		statuses[v.Response.Status]++
		if v.Response.Status >= 200 && v.Response.Status <= 299 && (!v.Preflight || simple == 0) {
			ok2xx++
		}
	}
	errText := func() string {
		if len(errOrder) == 0 {
			return "the run was cancelled"
		}
		s := errOrder[0]
		if len(errOrder) > 1 {
			s += fmt.Sprintf(" (and %d other errors)", len(errOrder)-1)
		}
		return s
	}
	switch {
	case len(vs) == 0:
		return StateFailed, "nothing was probed"
	case answered == 0 && canceled == failed:
		return StateCanceled, "the run was stopped before any request was answered"
	case canceled > 0:
		// An interrupt cut the plan short: whatever the answers so far
		// say, the experiments that would contradict them never ran.
		return StateCanceled, fmt.Sprintf("the run was stopped after %d of %d requests: the verdicts are incomplete", answered, len(vs))
	case answered == 0:
		return StateFailed, fmt.Sprintf("every request failed (%d of %d): %s", failed, len(vs), errText())
	case ok2xx == 0:
		return StateNon2xx, "no request got a 2xx (status " + statusList(statuses) + "): error pages say nothing about the resource's CORS; check the URL"
	case failed > 0:
		return StatePartial, fmt.Sprintf("%d of %d requests failed, so the verdicts rest on part of the plan: %s", failed, len(vs), errText())
	}
	if n, ok := corsNotEnabled(vs, served); ok {
		return StateCORSNotEnabled, fmt.Sprintf("no Access-Control-Allow-Origin on %s to the given origins: CORS is not enabled for them", countNoun(n, "response"))
	}
	return StateOK, ""
}

// corsNotEnabled: no request from a given origin got ACAO, and at least
// one of them got a 2xx that is known not to be a stored copy, or came
// with no sign of a cache on the path. A copy stored for a request without
// Origin lacks ACAO even when the server sends it (see
// cached-copy-without-acao), and a cache that does not say HIT or MISS may
// have served one. n counts the responses to the given origins.
func corsNotEnabled(vs []VariantResult, served []servedInfo) (n int, ok bool) {
	fresh := false
	for i, v := range vs {
		if !corsVariant(v) || v.Response == nil {
			continue
		}
		n++
		if v.CORS.ACAO != nil {
			return n, false
		}
		if v.Response.Status >= 200 && v.Response.Status <= 299 && !mayBeStored(v, served[i]) {
			fresh = true
		}
	}
	return n, n > 0 && fresh
}

// mayBeStored: the response is a stored copy, or it came through a cache
// (a cache status header, Age, Via or a known CDN's headers) that did not
// say whether it was one.
func mayBeStored(v VariantResult, s servedInfo) bool {
	switch s.state {
	case servedCached:
		return true
	case servedFresh:
		return false
	}
	h := v.Response.Headers
	return v.Cache.Source != "" || h.Count("Age") > 0 || h.Count("Via") > 0 || DetectProvider(h) != ProviderUnknown
}

// corsVariant: a request from one of the origins the user gave (--origin,
// --allow, the config). Origin: null and the generated attacker-style
// origins are meant to be refused, so a refusal says nothing about whether
// CORS is enabled.
func corsVariant(v VariantResult) bool {
	return v.Origin != nil && v.Kind == KindConfigured
}

func statusList(m map[int]int) string {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, ", ")
}

func countNoun(n int, word string) string {
	if n == 1 {
		return "the 1 " + word
	}
	return "any of the " + strconv.Itoa(n) + " " + word + "s"
}
