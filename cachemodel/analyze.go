package cachemodel

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// AnalyzeOptions tunes how a target's observations become a report.
type AnalyzeOptions struct {
	// Curl is passed to the reproducer of every variant.
	Curl CurlOptions
	// Policy is checked by the policy-* findings (nothing when empty).
	Policy Policy
}

// secretHeaders are request headers whose values never appear in reports or
// reproducers: they are credentials the user passed with -H.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// Analyze turns one target's plan and observations (indexed like
// plan.Steps; missing ones count as cancelled) into its report: per-variant
// verdicts, header differences, findings and, for isolate plans, the
// inferred cache-key facts. Isolate plans compare headers only within the
// repeat experiment (each variant alone on its key), since the other
// experiments deliberately mix stored copies.
//
// A plan sent through several edge addresses (Step.Edge, --edge) is
// analysed per edge: each edge's variants are compared only with each
// other, the findings say which edge they were drawn from, and
// edges-disagree says when one edge serves a poisoned copy and another
// does not.
func Analyze(plan TargetPlan, obs []Observation, opt AnalyzeOptions) TargetReport {
	addrs := edgeAddrs(plan)
	if len(addrs) > 1 {
		return analyzeEdges(plan, obs, opt, addrs)
	}
	rep, _ := analyzeGroup(plan, obs, opt)
	if len(addrs) == 1 && addrs[0] != "" {
		rep.Edges = addrs
	}
	return rep
}

// analyzeGroup is Analyze for steps sent to one place; it also returns
// how each variant was served.
func analyzeGroup(plan TargetPlan, obs []Observation, opt AnalyzeOptions) (TargetReport, []servedInfo) {
	rep := TargetReport{
		URL:      plan.URL,
		Provider: ProviderUnknown,
		Variants: make([]VariantResult, len(plan.Steps)),
		Diffs:    []HeaderDiff{},
		Findings: []Finding{},
	}
	var cellBuf [8]DiffCell // an observe plan's variants fit: no allocation
	cells := cellBuf[:0]
	// One allocation each for every variant's pointed-to values and for
	// the facts read from the responses.
	boxes := make([]variantBox, len(plan.Steps))
	facts := make([]respFacts, len(plan.Steps))
	for i, step := range plan.Steps {
		var o Observation
		if i < len(obs) {
			o = obs[i]
		}
		if o.Response == nil && o.Err == nil {
			o.Err = &ProbeError{Kind: ErrCanceled, Message: "not run: the run was cancelled"}
		}
		if o.Response != nil {
			facts[i] = readFacts(o.Response.Headers)
		}
		vr := &rep.Variants[i]
		analyzeStep(vr, &boxes[i], &facts[i], step, o, opt)
		if o.Response != nil {
			if rep.Provider == ProviderUnknown {
				// The first response that names a product decides; until one
				// does, the first evidence seen (a conflict) is kept.
				d := DetectProduct(o.Response.Headers)
				if d.Provider != ProviderUnknown || rep.ProviderEvidence == nil {
					rep.Provider, rep.ProviderEvidence = d.Provider, d.Evidence
				}
				vr.Edge = d.Edge
			} else {
				vr.Edge = EdgeOf(o.Response.Headers)
			}
		}
		if !step.Preflight && (step.Experiment == "" || step.Experiment == ExperimentRepeat) {
			c := DiffCell{Label: vr.Label, Round: step.Round, Failed: o.Response == nil}
			if o.Response != nil {
				c.Headers = o.Response.Headers
			}
			cells = append(cells, c)
		}
	}
	if d := DiffVariants(cells, nil); d != nil { // nil: VolatileHeader, without lower-casing each name
		rep.Diffs = d
	}
	var served []servedInfo
	rep.Findings, rep.CacheKey, served = diagnoseFacts(rep.Variants, facts, rep.Provider, opt.Policy)
	noteCrossEdge(&rep)
	rep.State, rep.StateDetail = computeState(rep.Variants, served)
	return rep, served
}

// variantBox holds the values a VariantResult points to, so that one
// allocation per target backs them all.
type variantBox struct {
	origin, acao, acac    string
	allowed, allowedCreds bool
	age                   int64
	resp                  ResponseInfo
	vary                  [3]string
}

// analyzeStep fills vr from one step and its observation; f holds the
// facts read from the response (zero without one), box the storage vr's
// pointers use.
func analyzeStep(vr *VariantResult, box *variantBox, f *respFacts, step Step, o Observation, opt AnalyzeOptions) {
	reqHeaders := step.Headers
	if hasSecret(reqHeaders) {
		reqHeaders = RedactHeaders(step.Headers, secretHeaders...)
	}
	var origin *string
	if step.Variant.HasOrigin() {
		box.origin = step.Variant.Origin
		origin = &box.origin
	}
	*vr = VariantResult{
		Label:       step.Variant.Label(),
		Kind:        step.Variant.Kind,
		Origin:      origin,
		Round:       step.Round,
		Method:      step.Method,
		Preflight:   step.Preflight,
		Experiment:  step.Experiment,
		CacheBuster: step.CacheKey,
		EdgeAddr:    step.Edge,
		Request:     RequestInfo{URL: step.URL, Headers: reqHeaders},
		Error:       o.Err,
		Timing: TimingInfo{
			ConnectMS: ms(o.Timing.Connect), TTFBMS: ms(o.Timing.TTFB), TotalMS: ms(o.Timing.Total),
		},
		Cache: CacheInfo{Status: StatusUnknown},
		Curl:  CurlCommand(step.Method, step.URL, reqHeaders, curlFor(step, opt.Curl)),
	}
	if o.Response == nil {
		vr.CORS.Vary = []string{}
		vr.CORS.Applicable = step.Variant.Kind != KindNoOrigin && step.Variant.Kind != KindSameOrigin
		vr.CORS.Reason = "request failed"
		vr.CORS.ReasonWithCredentials = "request failed"
		return
	}
	r := o.Response
	box.resp = ResponseInfo{
		Status: r.Status, Proto: r.Proto, Headers: r.Headers, RemoteAddr: r.RemoteAddr,
		BodyBytes: r.BodyBytes, BodyTruncated: r.BodyTruncated,
		BodyError: r.BodyErr, Redirects: r.Redirects,
	}
	vr.Response = &box.resp
	if r.Final != nil {
		vr.Response.Sent = sentInfo(*r.Final)
		vr.Response.Hops = make([]HopInfo, len(r.Hops))
		for i, h := range r.Hops {
			vr.Response.Hops[i] = HopInfo{Request: *sentInfo(h.Request), Status: h.Status, Headers: h.Headers}
		}
	}
	cv := NormalizeCacheStatus(r.Headers)
	vr.Cache = CacheInfo{Status: cv.Status, Source: cv.Source, Raw: cv.Raw, Weak: cv.Weak}
	if f.hasAge {
		box.age = f.age
		vr.Cache.Age = &box.age
	}
	vr.CORS = corsInfo(step, r, f, box)
	if r.Final != nil && !step.Preflight {
		redirectCORS(step, r, vr)
	}
}

// hasSecret reports whether h carries a header of secretHeaders.
func hasSecret(h Headers) bool {
	for _, f := range h {
		for _, s := range secretHeaders {
			if headerNameIs(f.Name, s) {
				return true
			}
		}
	}
	return false
}

func sentInfo(s SentRequest) *SentInfo {
	return &SentInfo{URL: s.URL, Origin: s.Origin, DroppedHeaders: s.Dropped}
}

// redirectCORS applies the CORS check to a followed redirect chain the way
// browsers do (Fetch: HTTP fetch runs the check on every response once the
// response tainting is "cors", which it becomes at the first URL not of the
// request's origin and stays): every 3xx answer on the way must pass it,
// and the final answer is checked against the Origin actually sent for it
// ("null" after a cross-origin redirect). A hop that fails stops the
// browser: the variant is blocked there.
func redirectCORS(step Step, r *Response, vr *VariantResult) {
	if step.Variant.Kind == KindNoOrigin || !step.Variant.HasOrigin() {
		return
	}
	reqOrigin := step.Variant.Origin
	cors := step.Variant.Kind != KindSameOrigin
	taints := func(rawURL string) bool {
		if cors {
			return true
		}
		u, err := url.Parse(rawURL)
		if err != nil {
			return true
		}
		return OriginOf(u) != reqOrigin
	}
	anonOK, credOK := true, true
	var anonWhy, credWhy BlockReason
	var detail string
	for i := range vr.Response.Hops {
		h := &vr.Response.Hops[i]
		if cors = taints(h.Request.URL); !cors || h.Request.Origin == nil {
			continue
		}
		anon := CheckCORS(*h.Request.Origin, h.Headers, Anonymous)
		cred := CheckCORS(*h.Request.Origin, h.Headers, Credentialed)
		h.CORS = &HopCORS{Allowed: anon.Allowed, AllowedWithCredentials: cred.Allowed,
			Reason: string(anon.Reason), ReasonWithCredentials: string(cred.Reason)}
		where := fmt.Sprintf("redirect %d (%d from %s)", i+1, h.Status, h.Request.URL)
		if anonOK && !anon.Allowed {
			anonOK, anonWhy = false, anon.Reason
			detail = where + ": " + anon.Detail + "; a browser stops at this redirect"
		}
		if credOK && !cred.Allowed {
			credOK, credWhy = false, cred.Reason
			if anonOK {
				detail = where + ": " + cred.Detail + "; a credentialed request stops at this redirect"
			}
		}
	}
	final := vr.Response.Sent
	if cors = taints(final.URL); !cors || final.Origin == nil {
		return // still same-origin: no check, as without redirects
	}
	if anonOK {
		a := CheckCORS(*final.Origin, r.Headers, Anonymous)
		anonOK, anonWhy = a.Allowed, a.Reason
		if !a.Allowed {
			detail = a.Detail
		}
	}
	if credOK {
		c := CheckCORS(*final.Origin, r.Headers, Credentialed)
		credOK, credWhy = c.Allowed, c.Reason
		if !c.Allowed && anonOK {
			detail = c.Detail
		}
	}
	ci := &vr.CORS
	ci.Applicable = true
	ci.Allowed, ci.AllowedWithCredentials = &anonOK, &credOK
	ci.Reason, ci.ReasonWithCredentials = string(anonWhy), string(credWhy)
	ci.Detail = ""
	if !anonOK || !credOK {
		ci.Detail = detail
	}
	if *final.Origin != reqOrigin {
		note := fmt.Sprintf("after the redirects the browser sent Origin: %s, not %s", *final.Origin, reqOrigin)
		if ci.Detail == "" {
			ci.Detail = note
		} else {
			ci.Detail += " (" + note + ")"
		}
	}
}

func corsInfo(step Step, r *Response, f *respFacts, box *variantBox) CORSInfo {
	ci := CORSInfo{Vary: []string{}}
	if f.acaoN > 0 {
		box.acao = f.acao
		ci.ACAO = &box.acao
		ci.ACAOCount = f.acaoN
	}
	if f.acacN > 0 {
		box.acac = f.acac
		ci.ACAC = &box.acac
	}
	if f.varyN > 0 {
		ci.Vary = box.vary[:0]
		for _, x := range r.Headers {
			if headerNameIs(x.Name, hdrVary) {
				ci.Vary = appendFieldList(ci.Vary, x.Value)
			}
		}
		if len(ci.Vary) == 0 {
			ci.Vary = nil // as ParseVary: present, but no element
		}
	}
	switch step.Variant.Kind {
	case KindNoOrigin:
		ci.Reason = "no Origin sent: not a CORS request"
		ci.ReasonWithCredentials = ci.Reason
		return ci
	case KindSameOrigin:
		box.allowed = true
		ci.Allowed, ci.AllowedWithCredentials = &box.allowed, &box.allowed
		ci.Reason = "same-origin: browsers run no CORS check"
		ci.ReasonWithCredentials = ci.Reason
		return ci
	}
	ci.Applicable = true
	var anon, cred CORSCheck
	if step.Preflight {
		req := PreflightRequest{Origin: step.Variant.Origin}
		req.Method, _ = step.Headers.Get("Access-Control-Request-Method")
		if acrh, ok := step.Headers.Get("Access-Control-Request-Headers"); ok {
			req.Headers, _ = ParseFieldList([]string{acrh})
		}
		req.Mode = Anonymous
		anonB := CheckPreflightBrowsers(req, r.Status, r.Headers)
		req.Mode = Credentialed
		credB := CheckPreflightBrowsers(req, r.Status, r.Headers)
		anon, cred = anonB.Now, credB.Now
		if dev := cmp.Or(anonB.Deviation, credB.Deviation); dev != "" {
			sa, sc := anonB.Standard, credB.Standard
			ci.Standard = &StandardVerdict{Deviation: dev, Allowed: sa.Allowed, AllowedWithCredentials: sc.Allowed,
				Reason: string(sa.Reason), ReasonWithCredentials: string(sc.Reason),
				Detail: cmp.Or(sa.Detail, sc.Detail), Browsers: slices.Clone(MeasuredBrowsers)}
		}
	} else {
		anon = CheckCORS(step.Variant.Origin, r.Headers, Anonymous)
		cred = CheckCORS(step.Variant.Origin, r.Headers, Credentialed)
	}
	box.allowed, box.allowedCreds = anon.Allowed, cred.Allowed
	ci.Allowed, ci.AllowedWithCredentials = &box.allowed, &box.allowedCreds
	ci.Reason, ci.ReasonWithCredentials = string(anon.Reason), string(cred.Reason)
	switch {
	case !anon.Allowed:
		ci.Detail = anon.Detail
	case !cred.Allowed:
		ci.Detail = cred.Detail
	}
	return ci
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// curlFor adds the step's edge (--edge) to the reproducer's options.
func curlFor(step Step, c CurlOptions) CurlOptions {
	if step.Edge != "" {
		c.ConnectTo = append(append([]string(nil), c.ConnectTo...), edgeConnectTo(step.URL, step.Edge))
	}
	return c
}
