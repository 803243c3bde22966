package cachemodel

import (
	"strings"
	"testing"
)

func TestCheckPreflightBrowsers(t *testing.T) {
	const a = "https://a.example"
	ok := func(extra ...Header) Headers {
		return append(Headers{{"Access-Control-Allow-Origin", a}}, extra...)
	}
	cred := Header{"Access-Control-Allow-Credentials", "true"}
	acam := func(v string) Header { return Header{"Access-Control-Allow-Methods", v} }
	acah := func(v string) Header { return Header{"Access-Control-Allow-Headers", v} }
	req := func(m string, mode CredentialsMode, hs ...string) PreflightRequest {
		return PreflightRequest{Origin: a, Method: m, Headers: hs, Mode: mode}
	}
	cases := []struct {
		name     string
		req      PreflightRequest
		h        Headers
		now, std bool
		dev      Deviation
	}{
		{"Authorization under * anonymous", req("GET", Anonymous, "authorization"), ok(acah("*")), true, false, DeviationAuthorizationWildcard},
		{"Authorization and X-A under *", req("GET", Anonymous, "authorization", "x-a"), ok(acah("*")), true, false, DeviationAuthorizationWildcard},
		{"PUT, Authorization under ACAM and ACAH *", req("PUT", Anonymous, "Authorization"), ok(acam("*"), acah("*")), true, false, DeviationAuthorizationWildcard},
		{"Authorization under * credentialed", req("GET", Credentialed, "authorization"), ok(cred, acah("*")), false, false, ""},
		{"Authorization not listed, no *", req("GET", Anonymous, "authorization"), ok(acah("x-a")), false, false, ""},
		{"Authorization listed", req("GET", Anonymous, "authorization"), ok(acah("Authorization")), true, true, ""},
		{"under * but method denied", req("PUT", Anonymous, "authorization"), ok(acah("*")), false, false, ""},
		{"under * but preflight 404", req("GET", Anonymous, "authorization"), ok(acah("*")), false, false, ""},
		{"* covers X-A anonymous", req("GET", Anonymous, "x-a"), ok(acah("*")), true, true, ""},
	}
	for _, c := range cases {
		status := 204
		if strings.Contains(c.name, "404") {
			status = 404
		}
		got := CheckPreflightBrowsers(c.req, status, c.h)
		if got.Now.Allowed != c.now || got.Standard.Allowed != c.std || got.Deviation != c.dev || got.Differs() != (c.dev != "") {
			t.Errorf("%s: now %v, standard %v, deviation %q; want %v, %v, %q", c.name, got.Now.Allowed, got.Standard.Allowed, got.Deviation, c.now, c.std, c.dev)
		}
		if std := CheckPreflight(c.req, status, c.h); std != got.Standard {
			t.Errorf("%s: Standard %+v is not CheckPreflight's %+v", c.name, got.Standard, std)
		}
	}
}

// The report keeps both verdicts: today's browsers first (allowed), the
// standard's in cors.standard with the browsers measured, and the finding
// says what breaks when.
func TestAuthorizationUnderWildcardReportsBothVerdicts(t *testing.T) {
	rep := observeWith(t, PlanOptions{Preflight: true, RequestMethod: "GET", RequestHeaders: []string{"Authorization"}},
		func(method, o string) Headers {
			h := Headers{{"Access-Control-Allow-Origin", o}, {"Vary", "Origin"}}
			if method == "OPTIONS" {
				h = append(h, Header{"Access-Control-Allow-Headers", "*"})
			}
			return h
		})
	if got := ruleSet(rep.Findings); got != "authorization-under-wildcard:low" {
		t.Fatalf("findings %q, want authorization-under-wildcard:low only", got)
	}
	f := findingByRule(rep.Findings, RuleAuthorizationWildcard)
	for _, want := range []string{"allowed today by Chromium 156", "Firefox ESR 153", "blocked by the Fetch standard", "switches flip"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if !strings.Contains(f.Fix, "List Authorization in Access-Control-Allow-Headers") {
		t.Errorf("fix %q", f.Fix)
	}
	n := 0
	for _, v := range rep.Variants {
		if !v.Preflight || v.Kind != KindConfigured {
			if v.CORS.Standard != nil {
				t.Errorf("%s: standard verdict on a variant without the deviation: %+v", v.Label, v.CORS.Standard)
			}
			continue
		}
		n++
		c := v.CORS
		if c.Allowed == nil || !*c.Allowed || c.AllowedWithCredentials == nil || *c.AllowedWithCredentials {
			t.Errorf("%s: now-verdicts %s/%s, want allowed anonymous, blocked credentialed", v.Label, boolStr(c.Allowed), boolStr(c.AllowedWithCredentials))
		}
		s := c.Standard
		if s == nil {
			t.Errorf("%s: no standard verdict", v.Label)
			continue
		}
		if s.Allowed || s.Reason != string(ReasonHeaderDenied) || s.Deviation != DeviationAuthorizationWildcard ||
			len(s.Browsers) != len(MeasuredBrowsers) || !strings.Contains(s.Detail, "never covers Authorization") {
			t.Errorf("%s: standard verdict %+v", v.Label, s)
		}
	}
	if n == 0 {
		t.Fatal("no preflight of a configured origin in the report")
	}
}
