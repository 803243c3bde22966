package cachemodel

import (
	"strings"
	"testing"
	"time"
)

func TestAnalyzeVariants(t *testing.T) {
	u, _ := ParseTargetURL("https://cdn.example.com/app.js")
	plan := BuildObservePlan(0, u, PlanOptions{
		Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 1,
		Headers: Headers{{"Authorization", "Bearer s3cret"}},
	})
	// Steps: no Origin, app, admin, same-origin, null.
	resp := func(h ...Header) *Response { return &Response{Status: 200, Proto: "HTTP/1.1", Headers: h} }
	obs := []Observation{
		{Response: resp(Header{"CF-Cache-Status", "MISS"}, Header{"CF-Ray", "1-AMS"}), Timing: Timing{Total: 1500 * time.Microsecond}},
		{Response: resp(Header{"CF-Cache-Status", "HIT"}, Header{"Age", "3"}, Header{"Access-Control-Allow-Origin", "https://app.example.com"}, Header{"Access-Control-Allow-Credentials", "true"})},
		{Response: resp(Header{"CF-Cache-Status", "HIT"}, Header{"Access-Control-Allow-Origin", "https://app.example.com"})},
		{Response: resp(Header{"CF-Cache-Status", "MISS"})},
		{Err: &ProbeError{Kind: ErrTimeout, Message: "no response within 10s"}},
	}
	rep := Analyze(plan, obs, AnalyzeOptions{})
	if rep.URL != "https://cdn.example.com/app.js" || rep.Provider != ProviderCloudflare || len(rep.Variants) != 5 {
		t.Fatalf("target: %q %q %d variants", rep.URL, rep.Provider, len(rep.Variants))
	}
	no, app, admin, same, null := rep.Variants[0], rep.Variants[1], rep.Variants[2], rep.Variants[3], rep.Variants[4]
	// The edge is per response: only the first one carries CF-Ray.
	if no.Edge != "AMS" || app.Edge != "" {
		t.Errorf("edges: %q %q, want AMS and none", no.Edge, app.Edge)
	}
	if strings.Join(rep.ProviderEvidence, "|") != "cloudflare: CF-Cache-Status header|cloudflare: CF-Ray header" {
		t.Errorf("provider evidence %q", rep.ProviderEvidence)
	}

	if no.Origin != nil || no.CORS.Applicable || no.CORS.Allowed != nil || no.Cache.Status != StatusMiss || no.Cache.Source != "CF-Cache-Status" {
		t.Errorf("no-Origin variant: %+v", no)
	}
	if no.Timing.TotalMS != 1.5 {
		t.Errorf("timing: %v", no.Timing)
	}
	if app.Origin == nil || *app.Origin != "https://app.example.com" || !*app.CORS.Allowed || !*app.CORS.AllowedWithCredentials {
		t.Errorf("app variant should be allowed both ways: %+v", app.CORS)
	}
	if app.Cache.Age == nil || *app.Cache.Age != 3 || app.Cache.Status != StatusHit {
		t.Errorf("app cache: %+v", app.Cache)
	}
	if *admin.CORS.Allowed || admin.CORS.Reason != string(ReasonACAOMismatch) || admin.CORS.ReasonWithCredentials != string(ReasonACAOMismatch) {
		t.Errorf("admin got app's ACAO and must be blocked: %+v", admin.CORS)
	}
	if admin.CORS.ACAO == nil || *admin.CORS.ACAO != "https://app.example.com" || !strings.Contains(admin.CORS.Detail, "admin.example.com") {
		t.Errorf("admin detail: %+v", admin.CORS)
	}
	if same.Kind != KindSameOrigin || same.CORS.Applicable || same.CORS.Allowed == nil || !*same.CORS.Allowed {
		t.Errorf("same-origin: %+v", same.CORS)
	}
	if null.Response != nil || null.Error == nil || null.Error.Kind != ErrTimeout || null.CORS.Allowed != nil {
		t.Errorf("failed null variant: %+v", null)
	}
	for _, v := range rep.Variants {
		if strings.Contains(v.Curl, "s3cret") {
			t.Errorf("curl leaks the Authorization value: %s", v.Curl)
		}
		if a, _ := v.Request.Headers.Get("Authorization"); a != "REDACTED" {
			t.Errorf("request headers leak Authorization: %q", a)
		}
	}
	// The ACAO header differs across origins in round 1.
	found := false
	for _, d := range rep.Diffs {
		if strings.EqualFold(d.Name, "Access-Control-Allow-Origin") && d.Scope == DiffAcrossVariants {
			found = true
		}
	}
	if !found {
		t.Errorf("ACAO difference not reported: %+v", rep.Diffs)
	}
}

func TestAnalyzePreflightAndMissing(t *testing.T) {
	u, _ := ParseTargetURL("https://api.example.com/v1")
	plan := BuildObservePlan(0, u, PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 1, Preflight: true, RequestMethod: "PUT", RequestHeaders: []string{"X-Token"}})
	var pf int
	for i, s := range plan.Steps {
		if s.Preflight && s.Variant.Origin == "https://app.example.com" {
			pf = i
		}
	}
	obs := make([]Observation, len(plan.Steps))
	obs[pf] = Observation{Response: &Response{Status: 204, Headers: Headers{
		{"Access-Control-Allow-Origin", "https://app.example.com"},
		{"Access-Control-Allow-Methods", "GET, POST"},
		{"Access-Control-Allow-Headers", "x-token"},
	}}}
	rep := Analyze(plan, obs, AnalyzeOptions{})
	v := rep.Variants[pf]
	if !v.Preflight || v.Method != "OPTIONS" || *v.CORS.Allowed || v.CORS.Reason != string(ReasonMethodDenied) {
		t.Errorf("PUT not in ACAM must fail the preflight: %+v", v.CORS)
	}
	if rep.Variants[0].Error == nil || rep.Variants[0].Error.Kind != ErrCanceled {
		t.Errorf("a step without observation must read as cancelled: %+v", rep.Variants[0])
	}
}
