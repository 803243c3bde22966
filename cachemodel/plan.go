package cachemodel

import (
	"net/url"
	"sort"
	"strings"
)

// PlanOptions says what to send to every target.
type PlanOptions struct {
	Origins   []string // configured origins, already validated by ParseOrigin
	Rounds    int      // repetitions of the whole variant set; < 1 means 1
	Method    string   // method of the simple requests; "" means GET
	UserAgent string
	Headers   Headers // user -H headers, added to every request
	// Preflight adds an OPTIONS request per Origin variant asking for
	// RequestMethod and RequestHeaders.
	Preflight      bool
	RequestMethod  string
	RequestHeaders []string
}

// ObserveVariants lists the Origin variants of observe mode for a target,
// in the order they are sent: no Origin first (a plain page load), then each
// configured origin, the target's own origin, and "null". Duplicates keep
// their first place, so a configured origin equal to the target's own is
// sent once, labelled configured.
func ObserveVariants(target *url.URL, origins []string) []Variant {
	vs := []Variant{{Kind: KindNoOrigin}}
	seen := map[string]bool{}
	add := func(kind VariantKind, origin string) {
		if seen[origin] {
			return
		}
		seen[origin] = true
		vs = append(vs, Variant{Kind: kind, Origin: origin})
	}
	for _, o := range origins {
		if o == "null" {
			continue // sent once below, as its own kind
		}
		add(KindConfigured, o)
	}
	add(KindSameOrigin, OriginOf(target))
	add(KindNull, "null")
	return vs
}

// BuildObservePlan lays out every request for one target in observe mode:
// Rounds × (one request per variant, then one preflight per Origin variant
// when asked). The order is part of the experiment: the first round shows
// what fills the cache, later rounds what it serves.
func BuildObservePlan(index int, target *url.URL, opt PlanOptions) TargetPlan {
	variants := ObserveVariants(target, opt.Origins)
	rounds := max(opt.Rounds, 1)
	raw := target.String() // once: every step requests the same URL
	perRound := len(variants)
	if opt.Preflight {
		perRound += len(variants) - 1 // every variant but no-Origin
	}
	p := TargetPlan{Index: index, URL: raw, Steps: make([]Step, 0, rounds*perRound)}
	for r := 1; r <= rounds; r++ {
		for _, v := range variants {
			p.Steps = append(p.Steps, SimpleStep(raw, v, r, opt))
		}
		if opt.Preflight {
			for _, v := range variants {
				if v.HasOrigin() {
					p.Steps = append(p.Steps, PreflightStep(raw, v, r, opt))
				}
			}
		}
	}
	return p
}

// SimpleStep is the request a page makes for the resource: GET (or the
// configured method) with the variant's Origin.
func SimpleStep(rawURL string, v Variant, round int, opt PlanOptions) Step {
	method := opt.Method
	if method == "" {
		method = "GET"
	}
	h := baseHeaders(opt)
	if v.HasOrigin() {
		h = append(h, Header{"Origin", v.Origin})
	}
	h = append(h, opt.Headers...)
	return Step{Variant: v, Round: round, Method: method, URL: rawURL, Headers: h}
}

// PreflightStep is the browser's CORS preflight for the configured request
// method and headers. A preflight never carries credentials, so user
// headers named Cookie or Authorization are left out of it.
func PreflightStep(rawURL string, v Variant, round int, opt PlanOptions) Step {
	method := opt.RequestMethod
	if method == "" {
		method = "GET"
	}
	h := baseHeaders(opt)
	h = append(h, Header{"Origin", v.Origin}, Header{"Access-Control-Request-Method", method})
	if acrh := RequestHeadersValue(opt.RequestHeaders); acrh != "" {
		h = append(h, Header{"Access-Control-Request-Headers", acrh})
	}
	for _, u := range opt.Headers {
		if strings.EqualFold(u.Name, "Cookie") || strings.EqualFold(u.Name, "Authorization") {
			continue
		}
		h = append(h, u)
	}
	return Step{Variant: v, Round: round, Method: "OPTIONS", URL: rawURL, Headers: h, Preflight: true}
}

// RequestHeadersValue serialises Access-Control-Request-Headers the way
// browsers do: lower-cased, sorted, deduplicated, comma-joined without
// spaces.
func RequestHeadersValue(names []string) string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func baseHeaders(opt PlanOptions) Headers {
	h := make(Headers, 0, 4+len(opt.Headers))
	if opt.UserAgent != "" && !hasHeader(opt.Headers, "User-Agent") {
		h = append(h, Header{"User-Agent", opt.UserAgent})
	}
	if !hasHeader(opt.Headers, "Accept") {
		h = append(h, Header{"Accept", "*/*"})
	}
	return h
}

func hasHeader(h Headers, name string) bool { _, ok := h.Get(name); return ok }
