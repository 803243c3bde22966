package cachemodel

import (
	"strings"
	"testing"
)

// observeWith runs a one-round observe plan against a server that adds
// extra's headers for the allow-listed origins.
func observeWith(t *testing.T, opt PlanOptions, extra func(method, origin string) Headers) TargetReport {
	t.Helper()
	if opt.Rounds == 0 {
		opt.Rounds = 1
	}
	srv := func(method, origin string, has bool, fetch int) (int, Headers) {
		h := Headers{{"Cache-Control", "no-store"}}
		if has && simAllowList[origin] {
			h = append(h, extra(method, origin)...)
		}
		if method == "OPTIONS" {
			return 204, h
		}
		return 200, h
	}
	return simRun(t, observePlan(opt), &simCache{none: true}, srv, Policy{})
}

func TestHeaderValidityRules(t *testing.T) {
	cases := []struct {
		name  string
		extra func(method, origin string) Headers
		want  string
	}{
		{"correct reflection", func(_, o string) Headers {
			return Headers{{"Access-Control-Allow-Origin", o}, {"Vary", "Origin"}}
		}, ""},
		{"two ACAO lines", func(_, o string) Headers {
			return Headers{{"Access-Control-Allow-Origin", o}, {"Access-Control-Allow-Origin", o}, {"Vary", "Origin"}}
		}, "acao-invalid:low"},
		{"a list of origins", func(string, string) Headers {
			return Headers{{"Access-Control-Allow-Origin", "https://app.example.com, https://admin.example.com"}}
		}, "acao-invalid:low"},
		{"trailing slash", func(_, o string) Headers {
			return Headers{{"Access-Control-Allow-Origin", o + "/"}, {"Vary", "Origin"}}
		}, "acao-invalid:low"},
		{"echoed pattern", func(string, string) Headers {
			return Headers{{"Access-Control-Allow-Origin", "https://*.example.com"}}
		}, "acao-invalid:low"},
		{"whitespace only", func(_, o string) Headers {
			return Headers{{"Access-Control-Allow-Origin", " " + o}, {"Vary", "Origin"}}
		}, "acao-invalid:info"},
		{"ACAC True", func(_, o string) Headers {
			return Headers{{"Access-Control-Allow-Origin", o}, {"Access-Control-Allow-Credentials", "True"}, {"Vary", "Origin"}}
		}, "acac-invalid:low"},
		{"ACAC false is harmless", func(_, o string) Headers {
			return Headers{{"Access-Control-Allow-Origin", o}, {"Access-Control-Allow-Credentials", "false"}, {"Vary", "Origin"}}
		}, ""},
		{"wildcard", func(string, string) Headers {
			return Headers{{"Access-Control-Allow-Origin", "*"}}
		}, "wildcard-origin:info"},
		{"wildcard with credentials", func(string, string) Headers {
			return Headers{{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Credentials", "true"}}
		}, "wildcard-with-credentials:low"},
	}
	for _, c := range cases {
		rep := observeWith(t, PlanOptions{}, c.extra)
		if got := ruleSet(rep.Findings); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	rep := observeWith(t, PlanOptions{}, func(_, o string) Headers {
		return Headers{{"Access-Control-Allow-Origin", o + "/"}, {"Vary", "Origin"}}
	})
	if ev := strings.Join(rep.Findings[0].Evidence, "\n"); !strings.Contains(ev, "trailing slash") || !strings.Contains(ev, "round 1 https://app.example.com") {
		t.Errorf("evidence should name the variant and the problem: %s", ev)
	}
}

func TestPreflightRules(t *testing.T) {
	preflight := func(acam, acah, maxAge string) func(method, origin string) Headers {
		return func(method, o string) Headers {
			h := Headers{{"Access-Control-Allow-Origin", o}, {"Vary", "Origin"}}
			if method == "OPTIONS" {
				h = append(h, Header{"Access-Control-Allow-Methods", acam}, Header{"Access-Control-Allow-Headers", acah})
				if maxAge != "" {
					h = append(h, Header{"Access-Control-Max-Age", maxAge})
				}
			}
			return h
		}
	}
	cases := []struct {
		name   string
		method string
		hdrs   []string
		extra  func(string, string) Headers
		want   string
	}{
		{"allowed", "PUT", []string{"X-Token"}, preflight("GET, PUT", "x-token", "600"), ""},
		{"method denied", "PUT", nil, preflight("GET, POST", "", "600"), "preflight-method-denied:low"},
		{"header denied", "GET", []string{"X-Other"}, preflight("GET", "x-token", ""), "preflight-header-denied:low"},
		{"max-age over the cap", "GET", nil, preflight("GET", "", "86400"), "max-age-over-browser-cap:info"},
		{"max-age at the cap", "GET", nil, preflight("GET", "", "7200"), ""},
	}
	for _, c := range cases {
		rep := observeWith(t, PlanOptions{Preflight: true, RequestMethod: c.method, RequestHeaders: c.hdrs}, c.extra)
		if got := ruleSet(rep.Findings); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	rep := observeWith(t, PlanOptions{Preflight: true, RequestMethod: "PUT"}, preflight("GET, POST", "", ""))
	f := findingByRule(rep.Findings, RulePreflightMethodDenied)
	if f == nil || !strings.Contains(f.Message, "PUT") || !strings.Contains(strings.Join(f.Evidence, " "), "preflight https://app.example.com") {
		t.Errorf("method-denied should name PUT and the preflight variant: %+v", f)
	}
}

// Issue 11 item 7: two Vary lines are shown as sent, not joined into one,
// and a finding suggests one line.
func TestVarySplitLines(t *testing.T) {
	split := Headers{{"Vary", "accept-encoding"}, {"Vary", "origin"}}
	rep := simRun(t, observePlan(PlanOptions{}), &simCache{none: true}, corsServer(allowList, split...), Policy{})
	f := findingByRule(rep.Findings, RuleVarySplitLines)
	if f == nil {
		t.Fatalf("no %s: %q", RuleVarySplitLines, ruleSet(rep.Findings))
	}
	if f.Severity != SevLow || !strings.Contains(f.Message, `"accept-encoding" and "origin"`) || !strings.Contains(f.Message, "only the first line") {
		t.Errorf("got %s %q", f.Severity, f.Message)
	}
	if f.Fix != "Send one Vary line listing every field: Vary: accept-encoding, origin." {
		t.Errorf("fix %q", f.Fix)
	}
	// Evidence of every rule shows the lines as sent, never joined.
	for _, x := range rep.Findings {
		for _, e := range x.Evidence {
			if strings.Contains(e, "accept-encoding, origin") {
				t.Errorf("%s evidence joins the Vary lines: %s", x.Rule, e)
			}
		}
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, `2 Vary lines "accept-encoding" and "origin"`) {
		t.Errorf("evidence:\n%s", ev)
	}
	// Another rule's evidence line describes the response: the lines as
	// sent there too.
	rep = simRun(t, observePlan(PlanOptions{}), &simCache{none: true}, corsServer(reflectAny, split...), Policy{})
	null := findingByRule(rep.Findings, RuleOriginNullAllowed)
	if null == nil {
		t.Fatalf("no %s: %q", RuleOriginNullAllowed, ruleSet(rep.Findings))
	}
	if ev := strings.Join(null.Evidence, "\n"); !strings.Contains(ev, `2 Vary lines "accept-encoding" and "origin"`) || strings.Contains(ev, "accept-encoding, origin") {
		t.Errorf("evidence joins the Vary lines:\n%s", ev)
	}
	// Origin on the first line: a first-line-only cache still varies on it.
	first := Headers{{"Vary", "Origin"}, {"Vary", "Accept-Encoding"}}
	rep = simRun(t, observePlan(PlanOptions{}), &simCache{none: true}, corsServer(allowList, first...), Policy{})
	if f := findingByRule(rep.Findings, RuleVarySplitLines); f == nil || f.Severity != SevInfo {
		t.Errorf("origin first: %+v", f)
	}
	// One line: nothing to say.
	one := Headers{{"Vary", "Accept-Encoding, Origin"}}
	rep = simRun(t, observePlan(PlanOptions{}), &simCache{none: true}, corsServer(allowList, one...), Policy{})
	if f := findingByRule(rep.Findings, RuleVarySplitLines); f != nil {
		t.Errorf("one line: %+v", f)
	}
}
