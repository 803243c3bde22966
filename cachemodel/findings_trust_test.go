package cachemodel

import (
	"regexp"
	"strings"
	"testing"
)

// trustServer answers with ACAO = Origin when ok(origin) holds, with
// Vary: Origin, never cached.
func trustServer(ok func(origin string) bool, creds bool) simServer {
	return func(method, origin string, has bool, fetch int) (int, Headers) {
		h := Headers{{"Cache-Control", "no-store"}, {"Vary", "Origin"}}
		if has && ok(origin) {
			h = append(h, Header{"Access-Control-Allow-Origin", origin})
			if creds {
				h = append(h, Header{"Access-Control-Allow-Credentials", "true"})
			}
		}
		return 200, h
	}
}

func TestOriginTrustRules(t *testing.T) {
	app := "https://app.example.com"
	unescaped := regexp.MustCompile(`^https://app.example.com$`)
	anySub := regexp.MustCompile(`^https?://([a-z0-9-]+\.)*app\.example\.com$`)
	cases := []struct {
		name      string
		ok        func(string) bool
		plain     string // findings without credentials
		withCreds string // findings with ACAC: true
	}{
		{"exact allow-list", func(o string) bool { return o == app }, "", ""},
		// evilapp.example.com lies under example.com: the subdomain severities.
		{"endsWith host", func(o string) bool { return strings.HasSuffix(o, "app.example.com") },
			"origin-bypass-suffix:info origin-insecure-scheme-allowed:info origin-subdomain-allowed:info",
			"origin-bypass-suffix:low origin-insecure-scheme-allowed:medium origin-subdomain-allowed:low"},
		{"startsWith origin", func(o string) bool { return strings.HasPrefix(o, app) },
			"origin-any-port-allowed:info origin-bypass-prefix:low origin-bypass-special-char:low",
			"origin-any-port-allowed:low origin-bypass-prefix:high origin-bypass-special-char:high"},
		{"regex with unescaped dots", unescaped.MatchString,
			"origin-bypass-unescaped-dot:low", "origin-bypass-unescaped-dot:high"},
		{"every subdomain, any scheme", anySub.MatchString,
			"origin-insecure-scheme-allowed:info origin-subdomain-allowed:info",
			"origin-insecure-scheme-allowed:medium origin-subdomain-allowed:low"},
		{"null allowed", func(o string) bool { return o == app || o == "null" },
			"origin-null-allowed:low", "origin-null-allowed:high"},
		// Reflection subsumes every specific bypass (and null): one finding.
		{"reflect anything", func(string) bool { return true },
			"origin-reflected-any:low", "origin-reflected-any:high"},
	}
	opt := PlanOptions{Origins: []string{app}}
	for _, c := range cases {
		for _, creds := range []bool{false, true} {
			rep := simRun(t, isolatePlan(opt), &simCache{none: true}, trustServer(c.ok, creds), Policy{})
			want := c.plain
			if creds {
				want = c.withCreds
			}
			if got := ruleSet(rep.Findings); got != want {
				t.Errorf("%s (credentials %v):\n got  %q\n want %q", c.name, creds, got, want)
			}
		}
	}
}

func TestReflectedAnyEvidenceListsTheSubsumedKinds(t *testing.T) {
	rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{none: true}, trustServer(func(string) bool { return true }, true), Policy{})
	f := findingByRule(rep.Findings, RuleOriginReflectedAny)
	if f == nil {
		t.Fatalf("got %q", ruleSet(rep.Findings))
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{"adversarial #1 https://corscope-", "also allowed: null, gen-suffix", "gen-other-port", `ACAC "true"`} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
}

func TestInsecureSchemeOnPlainHTTPResourceIsInfo(t *testing.T) {
	u := mustURL("http://cdn.example.com/a.js")
	plan := BuildIsolatePlan(0, u, PlanOptions{Origins: []string{"https://app.example.com"}}, IsolateOptions{Rand: seeded(2)})
	srv := trustServer(func(o string) bool { return strings.HasSuffix(o, "//app.example.com") }, true)
	rep := simRun(t, plan, &simCache{none: true}, srv, Policy{})
	if got := ruleSet(rep.Findings); got != "origin-insecure-scheme-allowed:info" {
		t.Errorf("got %q", got)
	}
}

func TestObserveModeTrustNeedsNoGeneratedOrigins(t *testing.T) {
	// Observe mode never sends generated origins, so reflection shows only
	// as "null allowed"; nothing claims more than was seen.
	rep := simRun(t, observePlan(PlanOptions{}), &simCache{none: true}, trustServer(func(string) bool { return true }, true), Policy{})
	if got := ruleSet(rep.Findings); got != "origin-null-allowed:high" {
		t.Errorf("got %q", got)
	}
}

func TestPolicyRules(t *testing.T) {
	app, admin, other := "https://app.example.com", "https://admin.example.com", "https://other.example.org"
	cases := []struct {
		name   string
		allow  []string
		creds  bool
		want   string
		inText string
	}{
		{"matches the server", []string{app, admin}, false, "", ""},
		{"a policy origin the server blocks", []string{app, admin, other}, false, "policy-allowed-origin-blocked:medium", other},
		{"the server allows more than the policy", []string{app}, false, "policy-unexpected-origin-allowed:medium", admin},
		{"... with credentials", []string{app}, true, "policy-unexpected-origin-allowed:high", admin},
		{"* wants every origin allowed", []string{"*"}, false, "policy-allowed-origin-blocked:medium", other},
	}
	for _, c := range cases {
		opt := PlanOptions{Origins: []string{app, admin, other}}
		srv := trustServer(func(o string) bool { return simAllowList[o] }, c.creds)
		rep := simRun(t, isolatePlan(opt), &simCache{none: true}, srv, Policy{Allow: c.allow})
		if got := ruleSet(rep.Findings); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			continue
		}
		if c.want != "" && !strings.Contains(rep.Findings[0].Message, c.inText) {
			t.Errorf("%s: message should name %s: %s", c.name, c.inText, rep.Findings[0].Message)
		}
	}
	// No policy, no policy findings, whatever the server does.
	rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{none: true}, trustServer(func(o string) bool { return o == admin }, false), Policy{})
	if len(rep.Findings) != 0 {
		t.Errorf("no policy: got %q", ruleSet(rep.Findings))
	}
}

// A suffix look-alike is only an outsider's domain when it is registrable
// itself (Public Suffix List): "evilexample.com" for example.com, but not
// "evilapp.example.com" for app.example.com, which lies under example.com.
func TestSuffixBypassSeverityFollowsRegistrableDomain(t *testing.T) {
	cases := []struct {
		trusted   string
		wantPlain Severity
		wantCreds Severity
		wantText  string
	}{
		{"https://app.example.com", SevInfo, SevLow, "lies under example.com"},
		{"https://example.com", SevLow, SevHigh, "a domain of their own"},
		{"https://shop.example.co.uk", SevInfo, SevLow, "lies under example.co.uk"},
		{"https://example.co.uk", SevLow, SevHigh, "a domain of their own"},
		// github.io is a public suffix: evilfoo.github.io is anyone's.
		{"https://foo.github.io", SevLow, SevHigh, "a domain of their own"},
		// An unlisted TLD: "evilintranet" has no registrable domain to lie under.
		{"https://intranet", SevLow, SevHigh, "a domain of their own"},
	}
	for _, c := range cases {
		host := strings.TrimPrefix(c.trusted, "https://")
		for _, creds := range []bool{false, true} {
			srv := trustServer(func(o string) bool {
				return o == c.trusted || o == "https://evil"+host
			}, creds)
			rep := simRun(t, isolatePlan(PlanOptions{Origins: []string{c.trusted}}), &simCache{none: true}, srv, Policy{})
			f := findingByRule(rep.Findings, RuleOriginBypassSuffix)
			if f == nil {
				t.Errorf("%s: no %s in %q", c.trusted, RuleOriginBypassSuffix, ruleSet(rep.Findings))
				continue
			}
			want := c.wantPlain
			if creds {
				want = c.wantCreds
			}
			if f.Severity != want || !strings.Contains(f.Message, c.wantText) {
				t.Errorf("%s (credentials %v): got %s %q, want %s and %q", c.trusted, creds, f.Severity, f.Message, want, c.wantText)
			}
		}
	}
}

func TestInsecureSchemeMessageFitsTheTargetScheme(t *testing.T) {
	srv := trustServer(func(o string) bool { return strings.HasSuffix(o, "//app.example.com") }, true)
	for _, c := range []struct{ target, want, not string }{
		{"http://cdn.example.com/a.js", "served over plain HTTP", "https responses"},
		{"https://cdn.example.com/a.js", "these https responses", "plain HTTP, so"},
	} {
		plan := BuildIsolatePlan(0, mustURL(c.target), PlanOptions{Origins: []string{"https://app.example.com"}}, IsolateOptions{Rand: seeded(2)})
		rep := simRun(t, plan, &simCache{none: true}, srv, Policy{})
		f := findingByRule(rep.Findings, RuleOriginInsecureScheme)
		if f == nil {
			t.Fatalf("%s: got %q", c.target, ruleSet(rep.Findings))
		}
		if !strings.Contains(f.Message, c.want) || strings.Contains(f.Message, c.not) {
			t.Errorf("%s: message %q: want %q, not %q", c.target, f.Message, c.want, c.not)
		}
	}
}
