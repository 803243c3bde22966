package cachemodel

import "time"

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
func Analyze(plan TargetPlan, obs []Observation, opt AnalyzeOptions) TargetReport {
	rep := TargetReport{
		URL:      plan.URL,
		Provider: ProviderUnknown,
		Variants: make([]VariantResult, len(plan.Steps)),
		Diffs:    []HeaderDiff{},
		Findings: []Finding{},
	}
	var cells []DiffCell
	for i, step := range plan.Steps {
		var o Observation
		if i < len(obs) {
			o = obs[i]
		}
		if o.Response == nil && o.Err == nil {
			o.Err = &ProbeError{Kind: ErrCanceled, Message: "not run: the run was cancelled"}
		}
		if o.Err != nil && o.Err.Kind == ErrCanceled {
			rep.State = TargetCanceled
		}
		vr := analyzeStep(step, o, opt)
		rep.Variants[i] = vr
		if o.Response != nil && rep.Provider == ProviderUnknown {
			rep.Provider = DetectProvider(o.Response.Headers)
		}
		if !step.Preflight && (step.Experiment == "" || step.Experiment == ExperimentRepeat) {
			c := DiffCell{Label: step.Variant.Label(), Round: step.Round, Failed: o.Response == nil}
			if o.Response != nil {
				c.Headers = o.Response.Headers
			}
			cells = append(cells, c)
		}
	}
	if d := DiffVariants(cells, VolatileHeader); d != nil {
		rep.Diffs = d
	}
	rep.Findings, rep.CacheKey = Diagnose(rep.Variants, rep.Provider, opt.Policy)
	return rep
}

func analyzeStep(step Step, o Observation, opt AnalyzeOptions) VariantResult {
	reqHeaders := RedactHeaders(step.Headers, secretHeaders...)
	vr := VariantResult{
		Label:       step.Variant.Label(),
		Kind:        step.Variant.Kind,
		Origin:      step.Variant.OriginPtr(),
		Round:       step.Round,
		Method:      step.Method,
		Preflight:   step.Preflight,
		Experiment:  step.Experiment,
		CacheBuster: step.CacheKey,
		Request:     RequestInfo{URL: step.URL, Headers: reqHeaders},
		Error:       o.Err,
		Timing: TimingInfo{
			ConnectMS: ms(o.Timing.Connect), TTFBMS: ms(o.Timing.TTFB), TotalMS: ms(o.Timing.Total),
		},
		Cache: CacheInfo{Status: StatusUnknown},
		Curl:  CurlCommand(step.Method, step.URL, reqHeaders, opt.Curl),
	}
	vr.CORS.Vary = []string{}
	if o.Response == nil {
		vr.CORS.Applicable = step.Variant.Kind != KindNoOrigin && step.Variant.Kind != KindSameOrigin
		vr.CORS.Reason = "request failed"
		vr.CORS.ReasonWithCredentials = "request failed"
		return vr
	}
	r := o.Response
	vr.Response = &ResponseInfo{
		Status: r.Status, Proto: r.Proto, Headers: r.Headers, RemoteAddr: r.RemoteAddr,
		BodyBytes: r.BodyBytes, BodyTruncated: r.BodyTruncated,
		BodyError: r.BodyErr, Redirects: r.Redirects,
	}
	cv := NormalizeCacheStatus(r.Headers)
	vr.Cache = CacheInfo{Status: cv.Status, Source: cv.Source, Raw: cv.Raw, Weak: cv.Weak}
	if age, ok := ParseAge(r.Headers); ok {
		vr.Cache.Age = &age
	}
	vr.CORS = corsInfo(step, r)
	return vr
}

func corsInfo(step Step, r *Response) CORSInfo {
	ci := CORSInfo{Vary: []string{}}
	ao := ParseAllowOrigin(r.Headers)
	if ao.Present {
		v := ao.Combined
		ci.ACAO = &v
		ci.ACAOCount = len(ao.Lines)
	}
	if v, ok := r.Headers.Combined(hdrACAC); ok {
		ci.ACAC = &v
	}
	if vary := ParseVary(r.Headers); vary.Present {
		ci.Vary = vary.Fields
	}
	switch step.Variant.Kind {
	case KindNoOrigin:
		ci.Reason = "no Origin sent: not a CORS request"
		ci.ReasonWithCredentials = ci.Reason
		return ci
	case KindSameOrigin:
		yes := true
		ci.Allowed, ci.AllowedWithCredentials = &yes, &yes
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
		anon = CheckPreflight(req, r.Status, r.Headers)
		req.Mode = Credentialed
		cred = CheckPreflight(req, r.Status, r.Headers)
	} else {
		anon = CheckCORS(step.Variant.Origin, r.Headers, Anonymous)
		cred = CheckCORS(step.Variant.Origin, r.Headers, Credentialed)
	}
	ci.Allowed, ci.AllowedWithCredentials = &anon.Allowed, &cred.Allowed
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
