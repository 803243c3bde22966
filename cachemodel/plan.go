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
	vs := make([]Variant, 1, len(origins)+3)
	vs[0] = Variant{Kind: KindNoOrigin}
	// Few origins: a scan is cheaper than a map per target.
	var seen map[string]bool
	if len(origins) > 16 {
		seen = make(map[string]bool, len(origins)+2)
	}
	add := func(kind VariantKind, origin string) {
		if seen != nil {
			if seen[origin] {
				return
			}
			seen[origin] = true
		} else {
			for _, v := range vs[1:] {
				if v.Origin == origin {
					return
				}
			}
		}
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
	// One array holds every step's headers (each step's slice is capped
	// at its own, so appending to one never writes into the next).
	perStep := 3 + len(opt.Headers) // User-Agent, Accept, Origin, the user's
	size := len(variants) * perStep
	if opt.Preflight {
		size += (len(variants) - 1) * (perStep + 2) // and Access-Control-Request-*
	}
	slab := make(Headers, 0, rounds*size)
	cut := func(n int) Headers { return slab[n:len(slab):len(slab)] }
	for r := 1; r <= rounds; r++ {
		for _, v := range variants {
			n := len(slab)
			slab = appendSimpleHeaders(slab, v, opt)
			p.Steps = append(p.Steps, Step{Variant: v, Round: r, Method: simpleMethod(opt), URL: raw, Headers: cut(n)})
		}
		if opt.Preflight {
			for _, v := range variants {
				if v.HasOrigin() {
					n := len(slab)
					slab = appendPreflightHeaders(slab, v, opt)
					p.Steps = append(p.Steps, Step{Variant: v, Round: r, Method: "OPTIONS", URL: raw, Headers: cut(n), Preflight: true})
				}
			}
		}
	}
	return p
}

// SimpleStep is the request a page makes for the resource: GET (or the
// configured method) with the variant's Origin.
func SimpleStep(rawURL string, v Variant, round int, opt PlanOptions) Step {
	h := appendSimpleHeaders(make(Headers, 0, 3+len(opt.Headers)), v, opt)
	return Step{Variant: v, Round: round, Method: simpleMethod(opt), URL: rawURL, Headers: h}
}

func simpleMethod(opt PlanOptions) string {
	if opt.Method == "" {
		return "GET"
	}
	return opt.Method
}

// appendSimpleHeaders appends a simple request's headers to dst.
func appendSimpleHeaders(dst Headers, v Variant, opt PlanOptions) Headers {
	h := appendBaseHeaders(dst, opt)
	if v.HasOrigin() {
		h = append(h, Header{"Origin", v.Origin})
	}
	return append(h, opt.Headers...)
}

// PreflightStep is the browser's CORS preflight for the configured request
// method and headers. A preflight never carries credentials, so user
// headers named Cookie or Authorization are left out of it.
func PreflightStep(rawURL string, v Variant, round int, opt PlanOptions) Step {
	h := appendPreflightHeaders(make(Headers, 0, 5+len(opt.Headers)), v, opt)
	return Step{Variant: v, Round: round, Method: "OPTIONS", URL: rawURL, Headers: h, Preflight: true}
}

// appendPreflightHeaders appends a preflight's headers to dst.
func appendPreflightHeaders(dst Headers, v Variant, opt PlanOptions) Headers {
	method := opt.RequestMethod
	if method == "" {
		method = "GET"
	}
	h := appendBaseHeaders(dst, opt)
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
	return h
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

func appendBaseHeaders(h Headers, opt PlanOptions) Headers {
	if opt.UserAgent != "" && !hasHeader(opt.Headers, "User-Agent") {
		h = append(h, Header{"User-Agent", opt.UserAgent})
	}
	if !hasHeader(opt.Headers, "Accept") {
		h = append(h, Header{"Accept", "*/*"})
	}
	return h
}

func hasHeader(h Headers, name string) bool { _, ok := h.Get(name); return ok }
