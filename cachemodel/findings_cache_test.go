package cachemodel

import (
	"strings"
	"testing"
)

// TestFindingsScenarioMatrix runs every server behaviour through every
// cache model in isolate mode and pins the exact findings (rule:severity).
func TestFindingsScenarioMatrix(t *testing.T) {
	creds := Header{"Access-Control-Allow-Credentials", "true"}
	vary := Header{"Vary", "Origin"}
	servers := map[string]simServer{
		"vary":              corsServer(allowList, vary),
		"no-vary":           corsServer(allowList),
		"wildcard":          corsServer(wildcard),
		"wildcard-creds":    corsServer(wildcard, creds),
		"reflect-any-creds": corsServer(reflectAny, creds, vary),
		"private":           corsServer(allowList, Header{"Cache-Control", "private, max-age=300"}),
	}
	caches := map[string]func() *simCache{
		"shared":       func() *simCache { return &simCache{} },
		"origin-keyed": func() *simCache { return &simCache{keyOnOrigin: true} },
		"ignores-vary": func() *simCache { return &simCache{ignoreVary: true} },
		"no-cache":     func() *simCache { return &simCache{none: true} },
	}
	const (
		cacheBugs = "cache-served-without-acao:medium cache-served-wrong-origin:high vary-origin-missing:medium"
	)
	want := map[string]map[string]string{
		"vary": {"shared": "", "origin-keyed": "", "no-cache": "",
			"ignores-vary": "cache-served-without-acao:medium cache-served-wrong-origin:high cdn-ignores-vary:medium"},
		"no-vary": {"shared": cacheBugs, "ignores-vary": cacheBugs,
			"origin-keyed": "vary-origin-missing:info", "no-cache": "vary-origin-missing:low"},
		"wildcard": {"shared": "wildcard-origin:info", "origin-keyed": "wildcard-origin:info",
			"ignores-vary": "wildcard-origin:info", "no-cache": "wildcard-origin:info"},
		"wildcard-creds": {
			"shared":       "credentialed-response-shared-cacheable:medium wildcard-with-credentials:low",
			"origin-keyed": "credentialed-response-shared-cacheable:medium wildcard-with-credentials:low",
			"ignores-vary": "credentialed-response-shared-cacheable:medium wildcard-with-credentials:low",
			"no-cache":     "credentialed-response-shared-cacheable:low wildcard-with-credentials:low"},
		"reflect-any-creds": {
			"shared":       "credentialed-response-shared-cacheable:medium origin-reflected-any:high",
			"origin-keyed": "credentialed-response-shared-cacheable:medium origin-reflected-any:high",
			"no-cache":     "credentialed-response-shared-cacheable:low origin-reflected-any:high",
			"ignores-vary": "cache-served-without-acao:medium cache-served-wrong-origin:high cdn-ignores-vary:medium credentialed-response-shared-cacheable:medium origin-reflected-any:high"},
		"private": {"shared": "", "origin-keyed": "", "ignores-vary": "", "no-cache": ""},
	}
	for srvName, srv := range servers {
		for cacheName, mk := range caches {
			rep := simRun(t, isolatePlan(PlanOptions{}), mk(), srv, Policy{})
			if got := ruleSet(rep.Findings); got != want[srvName][cacheName] {
				t.Errorf("%s behind %s:\n got  %q\n want %q", srvName, cacheName, got, want[srvName][cacheName])
				for _, f := range rep.Findings {
					t.Logf("  %s: %s %v", f.Rule, f.Message, f.Evidence)
				}
			}
			for _, f := range rep.Findings {
				if f.Message == "" || f.Fix == "" || len(f.Evidence) == 0 {
					t.Errorf("%s behind %s: %s lacks message, fix or evidence: %+v", srvName, cacheName, f.Rule, f)
				}
			}
		}
	}
}

func TestVaryOriginMissing(t *testing.T) {
	t.Run("evidence names both answers and the missing Vary", func(t *testing.T) {
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(allowList), Policy{})
		f := findingByRule(rep.Findings, RuleVaryOriginMissing)
		if f == nil {
			t.Fatal("no finding")
		}
		ev := strings.Join(f.Evidence, "\n")
		for _, want := range []string{"ACAO depends on the Origin", "no ACAO", `ACAO "https://app.example.com"`, "no Vary: Origin on", "max-age=300"} {
			if !strings.Contains(ev, want) {
				t.Errorf("evidence lacks %q:\n%s", want, ev)
			}
		}
		if !strings.Contains(f.Fix, "Vary: Origin") || !strings.Contains(f.Fix, "At the cache") {
			t.Errorf("fix: %s", f.Fix)
		}
	})
	t.Run("Vary only on CORS responses still misses the no-Origin one", func(t *testing.T) {
		srv := func(method, origin string, has bool, fetch int) (int, Headers) {
			h := Headers{{"Cache-Control", "max-age=60"}}
			if has {
				h = append(h, Header{"Vary", "Origin"})
				if simAllowList[origin] {
					h = append(h, Header{"Access-Control-Allow-Origin", origin})
				}
			}
			return 200, h
		}
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, srv, Policy{})
		if got := ruleIDs(rep.Findings); !strings.Contains(got, RuleVaryOriginMissing) || !strings.Contains(got, RuleCacheServedWithoutACAO) {
			t.Errorf("got %q", got)
		}
	})
	t.Run("ACAO * only on CORS requests depends on Origin too", func(t *testing.T) {
		srv := corsServer(func(_ string, has bool) string {
			if has {
				return "*"
			}
			return ""
		})
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, srv, Policy{})
		if got := ruleSet(rep.Findings); got != "cache-served-without-acao:medium vary-origin-missing:medium wildcard-origin:info" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("a fixed single-origin ACAO needs no Vary", func(t *testing.T) {
		srv := corsServer(func(string, bool) string { return "https://app.example.com" })
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, srv, Policy{})
		if len(rep.Findings) != 0 {
			t.Errorf("got %q", ruleSet(rep.Findings))
		}
	})
	t.Run("no-store responses are never shared", func(t *testing.T) {
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(allowList, Header{"Cache-Control", "no-store"}), Policy{})
		if len(rep.Findings) != 0 {
			t.Errorf("got %q", ruleSet(rep.Findings))
		}
	})
}

func TestCacheServedWrongOriginObserveMode(t *testing.T) {
	// Hand-built observe run: the real key already holds admin's grant.
	plan := observePlan(PlanOptions{Rounds: 1})
	hit := func(acao string) *Response {
		h := Headers{{"CF-Cache-Status", "HIT"}, {"Age", "40"}, {"Cache-Control", "max-age=600"}}
		if acao != "" {
			h = append(h, Header{"Access-Control-Allow-Origin", acao})
		}
		return &Response{Status: 200, Headers: h}
	}
	// Steps: none, app, admin, same-origin, null.
	obs := []Observation{{Response: hit("https://admin.example.com")}, {Response: hit("https://admin.example.com")},
		{Response: hit("https://admin.example.com")}, {Response: hit("https://admin.example.com")}, {Response: hit("https://admin.example.com")}}
	rep := Analyze(plan, obs, AnalyzeOptions{})
	f := findingByRule(rep.Findings, RuleCacheServedWrongOrigin)
	if f == nil || f.Severity != SevHigh {
		t.Fatalf("want cache-served-wrong-origin high, got %q", ruleSet(rep.Findings))
	}
	if !strings.Contains(f.Message, "https://app.example.com") || !strings.Contains(strings.Join(f.Evidence, "\n"), "round 1 https://app.example.com") {
		t.Errorf("message/evidence: %s %v", f.Message, f.Evidence)
	}
	if !strings.Contains(f.Fix, "Cloudflare") || !strings.Contains(f.Fix, "files[].headers.Origin") {
		t.Errorf("fix should be Cloudflare-specific: %s", f.Fix)
	}
	if rep.CacheKey != nil {
		t.Errorf("observe mode infers no cache key: %+v", rep.CacheKey)
	}

	// A grant for an origin corscope never sent, with no fresh answer to
	// compare: someone else's copy or a fixed ACAO; not confirmed.
	for i := range obs {
		obs[i] = Observation{Response: hit("https://other.example.org")}
	}
	rep = Analyze(plan, obs, AnalyzeOptions{})
	if findingByRule(rep.Findings, RuleCacheServedWrongOrigin) != nil {
		t.Errorf("unconfirmed wrong-origin reported: %q", ruleSet(rep.Findings))
	}
}

func TestCacheRulesNegativeCases(t *testing.T) {
	t.Run("correct Vary: Origin setup in observe mode", func(t *testing.T) {
		rep := simRun(t, observePlan(PlanOptions{Rounds: 3}), &simCache{}, corsServer(allowList, Header{"Vary", "Origin"}), Policy{})
		if len(rep.Findings) != 0 {
			t.Errorf("got %q", ruleSet(rep.Findings))
		}
	})
	t.Run("404 page without CORS headers", func(t *testing.T) {
		srv := func(string, string, bool, int) (int, Headers) {
			return 404, Headers{{"Content-Type", "text/html"}, {"Cache-Control", "max-age=60"}}
		}
		for _, plan := range []TargetPlan{isolatePlan(PlanOptions{}), observePlan(PlanOptions{})} {
			rep := simRun(t, plan, &simCache{}, srv, Policy{})
			if len(rep.Findings) != 0 {
				t.Errorf("got %q", ruleSet(rep.Findings))
			}
		}
	})
	t.Run("429 rate-limit pages in the middle of a run", func(t *testing.T) {
		// The server allows app with Vary, but every third response is a
		// bare 429: nothing about CORS may be concluded from those.
		good := corsServer(allowList, Header{"Vary", "Origin"})
		srv := func(method, origin string, has bool, fetch int) (int, Headers) {
			if fetch%3 == 0 {
				return 429, Headers{{"Retry-After", "1"}}
			}
			return good(method, origin, has, fetch)
		}
		for _, plan := range []TargetPlan{isolatePlan(PlanOptions{}), observePlan(PlanOptions{Rounds: 3})} {
			rep := simRun(t, plan, &simCache{}, srv, Policy{})
			nothingAboveInfo(t, "429", rep.Findings)
		}
	})
	t.Run("static * everywhere", func(t *testing.T) {
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(wildcard), Policy{})
		nothingAboveInfo(t, "static *", rep.Findings)
	})
}

func TestErrorStatusFindingsCappedAtLow(t *testing.T) {
	// A 404 page that reflects any Origin with credentials and no Vary:
	// everything it shows is rated low at most and marked.
	srv := func(method, origin string, has bool, fetch int) (int, Headers) {
		h := Headers{{"Cache-Control", "max-age=60"}}
		if has {
			h = append(h, Header{"Access-Control-Allow-Origin", origin}, Header{"Access-Control-Allow-Credentials", "true"})
		}
		return 404, h
	}
	rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, srv, Policy{})
	if len(rep.Findings) == 0 {
		t.Fatal("the reflection should still be reported")
	}
	for _, f := range rep.Findings {
		if !f.FromErrorStatus || f.Severity.Rank() > SevLow.Rank() || !strings.Contains(f.Message, "status 404") {
			t.Errorf("%s: severity %s, from_error_status %v, %q", f.Rule, f.Severity, f.FromErrorStatus, f.Message)
		}
	}
	if findingByRule(rep.Findings, RuleOriginReflectedAny) == nil {
		t.Errorf("got %q", ruleSet(rep.Findings))
	}
}

func TestCDNIgnoresVaryFixIsProviderSpecific(t *testing.T) {
	c := &simCache{ignoreVary: true, statusHeader: "Akamai-Cache-Status"}
	srv := corsServer(allowList, Header{"Vary", "Origin"})
	rep := simRun(t, isolatePlan(PlanOptions{}), c, srv, Policy{})
	if rep.Provider != ProviderAkamai {
		t.Fatalf("provider %s", rep.Provider)
	}
	f := findingByRule(rep.Findings, RuleCDNIgnoresVary)
	if f == nil || !strings.Contains(f.Fix, "Akamai does not honour Vary") || !strings.Contains(f.Fix, "Cache ID Modification") {
		t.Fatalf("want an Akamai-specific fix: %+v", f)
	}
	if rep.CacheKey == nil || boolStr(rep.CacheKey.VaryHonoured) != "false" || boolStr(rep.CacheKey.OriginInKey) != "false" {
		t.Errorf("facts: %+v", rep.CacheKey)
	}
}

func TestPreflightCacheableWithoutVary(t *testing.T) {
	opt := PlanOptions{Preflight: true, RequestMethod: "GET"}
	cases := []struct {
		name  string
		extra []Header
		want  bool
	}{
		{"explicit max-age, no Vary", []Header{{"Cache-Control", "max-age=600"}}, true},
		{"explicit max-age with Vary: Origin", []Header{{"Cache-Control", "max-age=600"}, {"Vary", "Origin"}}, false},
		{"no freshness: OPTIONS is not cacheable", []Header{{"Cache-Control", "no-cache"}}, false},
	}
	for _, c := range cases {
		srv := func(method, origin string, has bool, fetch int) (int, Headers) {
			h := Headers{}
			if method == "OPTIONS" {
				h = append(h, c.extra...)
			} else {
				h = append(h, Header{"Cache-Control", "no-store"})
			}
			if simAllowList[origin] {
				h = append(h, Header{"Access-Control-Allow-Origin", origin}, Header{"Access-Control-Allow-Methods", "GET"})
			}
			if method == "OPTIONS" {
				return 204, h
			}
			return 200, h
		}
		rep := simRun(t, isolatePlan(opt), &simCache{}, srv, Policy{})
		if got := findingByRule(rep.Findings, RulePreflightCacheableNoVary) != nil; got != c.want {
			t.Errorf("%s: reported=%v, want %v (%q)", c.name, got, c.want, ruleSet(rep.Findings))
		}
	}
}

func TestCredentialedSharedCacheable(t *testing.T) {
	creds := Header{"Access-Control-Allow-Credentials", "true"}
	cases := []struct {
		name string
		srv  simServer
		want string
	}{
		{"public", corsServer(allowList, creds, Header{"Vary", "Origin"}), "medium"},
		{"private", corsServer(allowList, creds, Header{"Vary", "Origin"}, Header{"Cache-Control", "private"}), ""},
		{"Vary: Cookie", corsServer(allowList, creds, Header{"Vary", "Origin, Cookie"}), ""},
		{"ACAC without ACAO is no grant", corsServer(func(string, bool) string { return "" }, creds), ""},
	}
	for _, c := range cases {
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, c.srv, Policy{})
		got := ""
		if f := findingByRule(rep.Findings, RuleCredentialedSharedCache); f != nil {
			got = string(f.Severity)
			if !strings.Contains(strings.Join(f.Evidence, "\n"), "this cache stores it") {
				t.Errorf("%s: evidence should say the cache stored it: %v", c.name, f.Evidence)
			}
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCORSInconsistent(t *testing.T) {
	// Two backends behind a load balancer: every other response forgets
	// ACAO for app.
	flaky := func(method, origin string, has bool, fetch int) (int, Headers) {
		h := Headers{{"Cache-Control", "no-store"}, {"Vary", "Origin"}}
		if simAllowList[origin] && fetch%2 == 0 {
			h = append(h, Header{"Access-Control-Allow-Origin", origin})
		}
		return 200, h
	}
	rep := simRun(t, observePlan(PlanOptions{Rounds: 2}), &simCache{none: true}, flaky, Policy{})
	f := findingByRule(rep.Findings, RuleCORSInconsistent)
	if f == nil || f.Severity != SevLow {
		t.Fatalf("got %q", ruleSet(rep.Findings))
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "round 1") || !strings.Contains(ev, "round 2") {
		t.Errorf("evidence should name both rounds: %v", f.Evidence)
	}
	steady := corsServer(allowList, Header{"Vary", "Origin"}, Header{"Cache-Control", "no-store"})
	rep = simRun(t, observePlan(PlanOptions{Rounds: 3}), &simCache{none: true}, steady, Policy{})
	if findingByRule(rep.Findings, RuleCORSInconsistent) != nil {
		t.Errorf("steady server reported inconsistent: %q", ruleSet(rep.Findings))
	}
}

func TestCacheBusterIneffective(t *testing.T) {
	c := &simCache{ignoreQuery: true}
	plan := isolatePlan(PlanOptions{})
	rep := simRun(t, plan, c, corsServer(allowList), Policy{})
	if got := ruleSet(rep.Findings); !strings.Contains(got, "cache-buster-ineffective:info") {
		t.Fatalf("got %q", got)
	}
	for _, f := range rep.Findings {
		if f.Rule == RuleCacheServedWrongOrigin || f.Rule == RuleCDNIgnoresVary {
			// Observe-grade rules may still fire, but only on direct
			// evidence; inferences from the experiments must not.
			if strings.Contains(strings.Join(f.Evidence, " "), "stored by") {
				t.Errorf("%s draws on experiment sequences although the key was not fresh: %v", f.Rule, f.Evidence)
			}
		}
	}
	k := rep.CacheKey
	if k == nil || k.OriginInKey != nil || k.VaryHonoured != nil || k.Cacheable != nil || !strings.Contains(strings.Join(k.Evidence, " "), "no cache-key conclusions") {
		t.Errorf("facts must all be unknown: %+v", k)
	}
	// The guard withholds the adversarial origins.
	obs := make([]Observation, len(plan.Steps))
	c2 := &simCache{ignoreQuery: true}
	for i, s := range plan.Steps[:AdversarialStart(plan)] {
		obs[i] = Observation{Response: c2.serve(s, corsServer(allowList))}
	}
	if ok, why := AdversarialSafe(plan, obs); ok || !strings.Contains(why, "ignores the busting parameter") {
		t.Errorf("AdversarialSafe = %v, %q", ok, why)
	}
}

func TestCacheFixesNameTheProvider(t *testing.T) {
	names := map[Provider]string{
		ProviderCloudflare: "Cloudflare", ProviderCloudFront: "CloudFront", ProviderAkamai: "Akamai",
		ProviderFastly: "Fastly", ProviderVarnish: "Varnish", ProviderNginx: "nginx",
		ProviderSquid: "Squid", ProviderTrafficServer: "Apache Traffic Server",
	}
	for p, name := range names {
		for _, ignored := range []bool{false, true} {
			if fix := cacheKeyFix(p, ignored); !strings.HasPrefix(fix, name) {
				t.Errorf("%s: cache-key fix does not start with %q: %s", p, name, fix)
			}
		}
		if fix := varyIgnoredFix(p); !strings.Contains(fix, name) {
			t.Errorf("%s: vary fix does not name %q: %s", p, name, fix)
		}
	}
	if fix := cacheKeyFix(ProviderUnknown, false); !strings.HasPrefix(fix, "At the cache") {
		t.Errorf("unknown provider: %s", fix)
	}
}

// In observe mode, two origins each served their own grant from cache
// without Vary: Origin prove the cache keys on Origin, so the missing Vary
// is only informational; one origin served another's grant is not such
// proof.
func TestObserveInfersOriginInKey(t *testing.T) {
	u, _ := ParseTargetURL("https://cdn.example.com/keyed.json")
	plan := BuildObservePlan(0, u, PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 2})
	run := func(acaoFor func(origin string) string) TargetReport {
		obs := make([]Observation, len(plan.Steps))
		for i, s := range plan.Steps {
			h := Headers{{"Cache-Control", "public, max-age=300"}, {"CF-Cache-Status", map[bool]string{true: "MISS", false: "HIT"}[s.Round == 1]}}
			if s.Variant.HasOrigin() && s.Variant.Kind == KindConfigured {
				h = append(h, Header{"Access-Control-Allow-Origin", acaoFor(s.Variant.Origin)})
			}
			obs[i] = Observation{Response: &Response{Status: 200, Headers: h}}
		}
		return Analyze(plan, obs, AnalyzeOptions{})
	}
	rule := func(rep TargetReport) *Finding {
		for i := range rep.Findings {
			if rep.Findings[i].Rule == RuleVaryOriginMissing {
				return &rep.Findings[i]
			}
		}
		return nil
	}
	keyed := run(func(o string) string { return o })
	f := rule(keyed)
	if f == nil || f.Severity != SevInfo || keyed.CacheKey == nil || keyed.CacheKey.OriginInKey == nil || !*keyed.CacheKey.OriginInKey {
		t.Fatalf("per-Origin copies: want vary-origin-missing at info and origin_in_key true; got %+v, %+v", f, keyed.CacheKey)
	}
	poisoned := run(func(string) string { return "https://app.example.com" })
	if poisoned.CacheKey != nil {
		t.Fatalf("one grant served to both origins proves nothing about the key: %+v", poisoned.CacheKey)
	}
}

// When this run shows the cache ignoring Vary: Origin, no fix text may
// claim that the detected product honours Vary (issue 11 item 7).
func TestFixDoesNotClaimVaryHonouredWhenTheRunShowsOtherwise(t *testing.T) {
	for _, p := range []struct {
		provider Provider
		header   Header
	}{
		{ProviderVarnish, Header{"X-Varnish", "32773 32770"}},
		{ProviderNginx, Header{"Server", "nginx/1.25.3"}}, // with the simulated X-Cache
		{ProviderSquid, Header{"Server", "squid/6.6"}},
		{ProviderTrafficServer, Header{"Server", "ATS/9.2.3"}},
		{ProviderFastly, Header{"Fastly-Debug-Digest", "abc"}},
	} {
		// Every response says Vary: Origin and the cache ignores it.
		srv := corsServer(func(o string, has bool) string { return allowList(o, has) }, Header{"Vary", "Origin"}, p.header)
		rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{ignoreVary: true}, srv, Policy{})
		if rep.Provider != p.provider {
			t.Fatalf("provider %s, want %s", rep.Provider, p.provider)
		}
		if k := rep.CacheKey; k == nil || k.VaryHonoured == nil || *k.VaryHonoured {
			t.Fatalf("%s: vary_honoured should be false: %+v", p.provider, k)
		}
		if len(rep.Findings) == 0 {
			t.Fatalf("%s: no findings", p.provider)
		}
		for _, f := range rep.Findings {
			if strings.Contains(f.Fix, "honours Vary") {
				t.Errorf("%s: %s fix claims Vary is honoured although vary_honoured=false: %s", p.provider, f.Rule, f.Fix)
			}
		}
		// The same server behind a cache that honours Vary may say so.
		ok := simRun(t, isolatePlan(PlanOptions{}), &simCache{}, corsServer(reflectAny, p.header), Policy{})
		for _, f := range ok.Findings {
			if strings.Contains(f.Fix, "this run showed") {
				t.Errorf("%s: %s fix claims Vary was ignored without evidence: %s", p.provider, f.Rule, f.Fix)
			}
		}
	}
}

// TestCloudFrontS3Fix: S3 behind CloudFront sends Vary: Origin only on CORS
// responses, so the copy a request without Origin stored (no Vary, no
// ACAO) reaches CORS requests. The fix must say that S3 cannot send Vary
// on every response and point at CloudFront's cache policy (not the
// managed CORS-S3Origin origin request policy, which does not key on
// Origin); without S3 the usual origin-side Vary fix stays.
func TestCloudFrontS3Fix(t *testing.T) {
	s3 := func(server string) simServer {
		return func(method, origin string, has bool, fetch int) (int, Headers) {
			h := Headers{{"ETag", `"v1"`}, {"Cache-Control", "public, max-age=300"}, {"Via", "1.1 0123abcd.cloudfront.net (CloudFront)"}, {"Server", server}}
			if has && simAllowList[origin] {
				h = append(h, Header{"Access-Control-Allow-Origin", origin},
					Header{"Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"})
			}
			return 200, h
		}
	}
	fixOf := func(rep TargetReport, rule string) string {
		for _, f := range rep.Findings {
			if f.Rule == rule {
				return f.Fix
			}
		}
		t.Fatalf("no %s finding: %+v", rule, rep.Findings)
		return ""
	}
	// Isolate mode proves it; observe mode can only suspect it.
	for _, c := range []struct {
		plan TargetPlan
		rule string
	}{{isolatePlan(PlanOptions{}), RuleCacheServedWithoutACAO}, {observePlan(PlanOptions{Rounds: 2}), RuleCachedCopyWithoutACAO}} {
		rep := simRun(t, c.plan, &simCache{}, s3("AmazonS3"), Policy{})
		if rep.Provider != ProviderCloudFront {
			t.Fatalf("provider %q, want cloudfront", rep.Provider)
		}
		fix := fixOf(rep, c.rule)
		for _, want := range []string{"The origin is Amazon S3, which sends Vary: Origin", "only on CORS responses",
			"the fix is at CloudFront", "CloudFront: put the Origin header in the behaviour's cache key", "UseOriginCacheControlHeaders",
			"CORS-S3Origin and CORS-CustomOrigin policies are origin request policies", "corscope purge --provider cloudfront"} {
			if !strings.Contains(fix, want) {
				t.Errorf("fix lacks %q:\n%s", want, fix)
			}
		}
		if strings.Contains(fix, fixVaryOrigin) {
			t.Errorf("the S3 fix must not ask S3 for Vary on every response:\n%s", fix)
		}
		other := fixOf(simRun(t, c.plan, &simCache{}, s3("nginx"), Policy{}), c.rule)
		if !strings.Contains(other, fixVaryOrigin) || strings.Contains(other, "Amazon S3") {
			t.Errorf("a non-S3 origin behind CloudFront gets the origin-side Vary fix:\n%s", other)
		}
	}
}

// TestProductFixTexts: every product of the table gets a cache-side fix of
// its own (Vercel and Netlify still get the generic one); the products
// issue 18 names say how they key on Origin or purge, and where no
// per-Origin purge exists, say so.
func TestProductFixTexts(t *testing.T) {
	generic := cacheKeyFix(ProviderUnknown, false)
	genericOK := map[Provider]bool{ProviderVercel: true, ProviderNetlify: true}
	for _, p := range Products {
		for _, ignored := range []bool{false, true} {
			fix := cacheKeyFix(p.Provider, ignored)
			if fix == generic || fix == cacheKeyFix(ProviderUnknown, true) {
				if !genericOK[p.Provider] {
					t.Errorf("%s (vary ignored %v): generic fix", p.Provider, ignored)
				}
				continue
			}
			if ignored && strings.Contains(fix, "honours Vary:") {
				t.Errorf("%s: claims Vary is honoured after this run saw it ignored: %s", p.Provider, fix)
			}
		}
	}
	want := map[Provider][]string{
		ProviderBunny:       {"Bunny", "api.bunny.net/purge", "No per-Origin purge exists here"},
		ProviderKeyCDN:      {"KeyCDN", "Purge URL", "No per-Origin purge exists here"},
		ProviderAzure:       {"Rules engine", "No per-Origin purge exists here"},
		ProviderGoogleCloud: {"cache key policy", "invalidate-cdn-cache", "no per-Origin invalidation"},
		ProviderStackPath:   {"StackPath", "EdgeRule", "No per-Origin purge exists here"},
		ProviderCDN77:       {"CDN77", "No per-Origin purge exists here; purge the URL or change the key"},
		ProviderVelocix:     {"Velocix", "No per-Origin purge exists here; purge the URL or change the key"},
		ProviderFly:         {"Fly.io", "No per-Origin purge exists here; purge the URL or change the key"},
		ProviderDenoDeploy:  {"Deno Deploy", "No per-Origin purge exists here; purge the URL or change the key"},
		ProviderNginx:       {"srcache"},
	}
	for p, subs := range want {
		fix := cacheKeyFix(p, false)
		for _, s := range subs {
			if !strings.Contains(fix, s) {
				t.Errorf("%s fix lacks %q: %s", p, s, fix)
			}
		}
	}
}
