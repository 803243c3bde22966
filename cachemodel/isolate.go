package cachemodel

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// DefaultBusterParam is the default name of isolate mode's cache-busting
// query parameter.
const DefaultBusterParam = "corscope"

// Isolate-mode experiments (Step.Experiment). Each runs on fresh cache keys
// of its own, so its requests see only what they themselves stored.
const (
	// ExperimentNoOriginFirst: no Origin, then each configured origin. Does
	// a cached non-CORS response reach CORS requests?
	ExperimentNoOriginFirst = "no-origin-first"
	// ExperimentOriginAFirst: origin A, origin B, then no Origin. Is one
	// origin's grant served to another?
	ExperimentOriginAFirst = "origin-a-first"
	// ExperimentRepeat: each variant twice (or --rounds times) on its own
	// key. Is the response cacheable, does it HIT on itself, and what does
	// the server answer each Origin when no cache is in the way?
	ExperimentRepeat = "repeat"
	// ExperimentPreflight: one preflight per Origin variant, in order, on
	// one key (only with --preflight).
	ExperimentPreflight = "preflight"
	// ExperimentAdversarial: each generated origin once, on its own key.
	// The fresh key guarantees the origin server answers (the server's
	// trust logic, not a cached grant). Always last in the plan, so a
	// runner can withhold it when the cache ignores the busting parameter
	// (see AdversarialStart and AdversarialSafe).
	ExperimentAdversarial = "adversarial"
)

// IsolateOptions shapes isolate mode.
type IsolateOptions struct {
	// Param is the cache-busting query parameter; "" means
	// DefaultBusterParam.
	Param string
	// Rand supplies the busting values and the random label of generated
	// origins; nil means crypto/rand. Tests inject a fixed stream.
	Rand io.Reader
}

// BuildIsolatePlan lays out the isolate-mode experiments for one target:
// no-origin-first, origin-a-first, repeat (one key per variant), preflight
// (with opt.Preflight) and adversarial (one key per generated origin). Every
// experiment key gets a fresh random busting value, appended to the URL's
// query as Param=value; the rest of the URL is left exactly as given.
//
// Experiments 1 and 2 use the configured origins; when fewer than two are
// configured, the target's own origin and "null" fill in, so the
// experiments still compare two Origin values.
func BuildIsolatePlan(index int, target *url.URL, opt PlanOptions, iso IsolateOptions) TargetPlan {
	param := iso.Param
	if param == "" {
		param = DefaultBusterParam
	}
	rg := &randHex{r: iso.Rand}
	if rg.r == nil {
		rg.r = rand.Reader
	}
	label := "corscope-" + rg.next(4)
	variants := ObserveVariants(target, opt.Origins)
	var configured, fillers, withOrigin []Variant
	for _, v := range variants {
		switch v.Kind {
		case KindConfigured:
			configured = append(configured, v)
		case KindSameOrigin, KindNull:
			fillers = append(fillers, v)
		}
		if v.HasOrigin() {
			withOrigin = append(withOrigin, v)
		}
	}
	probes := configured
	if len(probes) == 0 {
		probes = fillers
	}
	pair := append(append([]Variant(nil), configured...), fillers...)[:2]
	noOrigin := Variant{Kind: KindNoOrigin}

	// The steps of one key form a chain (each after the one before); keys
	// are independent, so a runner may send them at once (Scheduled). Keys
	// 1 and 2 (and the preflight key) start at once. The repeat keys start
	// after both first requests of keys 1 and 2 are in: a cache that
	// ignores the busting parameter then serves a fresh key's first
	// request from what those stored, which AdversarialSafe notices. The
	// adversarial keys come after every key's first request (what the
	// guard reads; see AdversarialGuard).
	raw := target.String() // once; each key's URL is this plus its buster
	generated := GenerateOrigins(target, opt.Origins, label)
	repeats := max(opt.Rounds, 2)
	n := len(probes) + 1 + len(pair) + 1 + len(variants)*repeats + len(generated)
	if opt.Preflight {
		n += len(withOrigin)
	}
	p := TargetPlan{Index: index, URL: raw, Scheduled: true, Steps: make([]Step, 0, n)}
	// One array holds every step's headers (each step's slice capped at
	// its own), as in BuildObservePlan.
	slab := make(Headers, 0, n*(5+len(opt.Headers)))
	var openers, firsts []int
	prevs := make([]int, 0, n) // the one-step After lists of chained steps, in one array
	experiment := func(name string, preflight bool, seq []Variant, rounds int, after []int) {
		key := rg.next(6)
		u := appendBuster(raw, target, param, key)
		prev := -1
		for r := 1; r <= rounds; r++ {
			for _, v := range seq {
				from := len(slab)
				s := Step{Variant: v, Round: r, URL: u}
				if preflight {
					slab = appendPreflightHeaders(slab, v, opt)
					s.Method, s.Preflight = "OPTIONS", true
				} else {
					slab = appendSimpleHeaders(slab, v, opt)
					s.Method = simpleMethod(opt)
				}
				s.Headers = slab[from:len(slab):len(slab)]
				s.Experiment, s.CacheKey = name, key
				if prev < 0 {
					s.After = after
					firsts = append(firsts, len(p.Steps))
				} else {
					prevs = append(prevs, prev)
					s.After = prevs[len(prevs)-1 : len(prevs) : len(prevs)]
				}
				prev = len(p.Steps)
				p.Steps = append(p.Steps, s)
			}
		}
	}
	experiment(ExperimentNoOriginFirst, false, append([]Variant{noOrigin}, probes...), 1, nil)
	experiment(ExperimentOriginAFirst, false, append(pair, noOrigin), 1, nil)
	openers = append(openers, firsts...)
	for _, v := range variants {
		experiment(ExperimentRepeat, false, []Variant{v}, repeats, openers)
	}
	if opt.Preflight {
		// Its own chain, as long as the Origin variants, from the start:
		// caches keep OPTIONS apart from GET, so what the GET keys store
		// cannot answer its first request; the repeat keys are what
		// notices an ignored busting parameter.
		experiment(ExperimentPreflight, true, withOrigin, 1, nil)
	}
	guard := append([]int(nil), firsts...)
	for _, g := range generated {
		experiment(ExperimentAdversarial, false, []Variant{g}, 1, guard)
	}
	return p
}

// AdversarialStart returns the index of the plan's first adversarial step
// (len(plan.Steps) when there is none). Adversarial steps are always last.
func AdversarialStart(plan TargetPlan) int {
	for i, s := range plan.Steps {
		if s.Experiment == ExperimentAdversarial {
			return i
		}
	}
	return len(plan.Steps)
}

// AdversarialSafe decides, from the observations of the steps before
// AdversarialStart, whether the generated origins may be sent: only when at
// least one request got a response and no fresh key's first request was
// already served from cache. Otherwise the cache ignores the busting
// parameter, the "fresh" keys are the real one, and an attacker-style
// Origin could poison what real users get. why says what was seen.
func AdversarialSafe(plan TargetPlan, obs []Observation) (ok bool, why string) {
	n := AdversarialStart(plan)
	head := TargetPlan{Index: plan.Index, URL: plan.URL, Steps: plan.Steps[:n]}
	if len(obs) > n {
		obs = obs[:n]
	}
	rep := Analyze(head, obs, AnalyzeOptions{})
	answered := false
	for _, v := range rep.Variants {
		if v.Response != nil {
			answered = true
			break
		}
	}
	if !answered {
		return false, "no request of the cache experiments got a response"
	}
	d := newDiag(rep.Variants, rep.Provider, Policy{})
	if len(d.busterHits) > 0 {
		return false, "the cache ignores the busting parameter (" + d.ref(d.busterHits[0]) + " was already served from cache), so adversarial origins would reach the real cache key"
	}
	return true, ""
}

// AdversarialGuard returns the steps the guard may decide on early: the
// After of the plan's first adversarial step (in a plan from
// BuildIsolatePlan, the first request of every cache key), or nil when
// there is none or the plan is not Scheduled. When those steps alone make
// AdversarialSafe true, it is true of the whole head too (a response among
// them is a response among all; a fresh key's first request is among them,
// and whether it was served from cache depends on its own response only),
// so the adversarial steps may start before the rest of the head is in.
func AdversarialGuard(plan TargetPlan) []int {
	n := AdversarialStart(plan)
	if !plan.Scheduled || n == len(plan.Steps) {
		return nil
	}
	return plan.Steps[n].After
}

// AdversarialSafeEarly is AdversarialSafe on the guard steps only (obs
// indexed like plan.Steps; only the guard steps' entries are read). It
// returns false whenever it cannot tell: the caller then waits for the
// whole head and asks AdversarialSafe.
func AdversarialSafeEarly(plan TargetPlan, obs []Observation) bool {
	guard := AdversarialGuard(plan)
	if len(guard) == 0 {
		return false
	}
	sub := TargetPlan{Index: plan.Index, URL: plan.URL, Steps: make([]Step, 0, len(guard))}
	subObs := make([]Observation, 0, len(guard))
	for _, i := range guard {
		if i < 0 || i >= len(plan.Steps) || i >= len(obs) || plan.Steps[i].Experiment == ExperimentAdversarial {
			return false
		}
		s := plan.Steps[i]
		s.After = nil
		sub.Steps = append(sub.Steps, s)
		o := obs[i]
		o.Step = len(subObs)
		subObs = append(subObs, o)
	}
	ok, _ := AdversarialSafe(sub, subObs)
	return ok
}

// withBuster appends param=value to the URL's query, leaving the existing
// query bytes untouched (re-encoding them could change the cache key).
// appendBuster is withBuster for a target whose String() is raw, without
// serialising the URL again: the buster goes at the end of the query.
func appendBuster(raw string, target *url.URL, param, value string) string {
	if target.Fragment != "" || target.RawFragment != "" {
		return withBuster(target, param, value) // the query is not at the end
	}
	param, value = url.QueryEscape(param), url.QueryEscape(value)
	sep := "&"
	if target.RawQuery == "" {
		raw, sep = strings.TrimSuffix(raw, "?"), "?"
	}
	var b strings.Builder // one allocation for the URL
	b.Grow(len(raw) + len(sep) + len(param) + 1 + len(value))
	b.WriteString(raw)
	b.WriteString(sep)
	b.WriteString(param)
	b.WriteByte('=')
	b.WriteString(value)
	return b.String()
}

func withBuster(target *url.URL, param, value string) string {
	u := *target
	kv := url.QueryEscape(param) + "=" + url.QueryEscape(value)
	if u.RawQuery == "" {
		u.RawQuery = kv
	} else {
		u.RawQuery += "&" + kv
	}
	u.ForceQuery = false
	return u.String()
}

// randHex draws random hex strings. If the source fails (an exhausted test
// reader), a counter keeps values unique within the plan.
type randHex struct {
	r io.Reader
	n int
}

func (g *randHex) next(bytes int) string {
	b := make([]byte, bytes)
	g.n++
	if _, err := io.ReadFull(g.r, b); err != nil {
		s := strconv.Itoa(g.n)
		for len(s) < 2*bytes {
			s = "0" + s
		}
		return s
	}
	return hex.EncodeToString(b)
}
