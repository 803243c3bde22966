package cachemodel

import (
	"strings"
	"testing"
)

func confirmed(allowed, withCreds *bool, anon, creds string, notCompared string) VariantResult {
	return VariantResult{Label: "https://app.example.com", Round: 2, Response: &ResponseInfo{Status: 200},
		CORS: CORSInfo{Applicable: true, Allowed: allowed, AllowedWithCredentials: withCreds, Reason: "x", ReasonWithCredentials: string(ReasonACACMissing)},
		BrowserConfirm: &BrowserConfirm{Browser: "chromium", Version: "156", NotCompared: notCompared,
			Anonymous: BrowserFetch{Result: anon}, Credentials: BrowserFetch{Result: creds, Console: "has been blocked by CORS policy"}}}
}

func TestCompareBrowserAndDisagreement(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		name                string
		v                   VariantResult
		wantAnon, wantCreds string // "true", "false", "null"
		finding             bool
	}{
		{"both agree", confirmed(&yes, &no, BrowserAllowed, BrowserBlocked, ""), "true", "true", false},
		{"browser blocks what corscope allows with credentials", confirmed(&yes, &yes, BrowserAllowed, BrowserBlocked, ""), "true", "false", true},
		{"unknown and failed are never compared", confirmed(&yes, &yes, BrowserUnknown, BrowserFailed, ""), "null", "null", false},
		{"not comparable (isolate)", confirmed(&no, &no, BrowserAllowed, BrowserAllowed, "cache-busted"), "null", "null", false},
		{"corscope's verdict unknown", confirmed(nil, nil, BrowserBlocked, BrowserBlocked, ""), "null", "null", false},
	} {
		v := c.v
		CompareBrowser(&v)
		if got := tri(v.BrowserConfirm.Anonymous.Agrees); got != c.wantAnon {
			t.Errorf("%s: anonymous agrees %s, want %s", c.name, got, c.wantAnon)
		}
		if got := tri(v.BrowserConfirm.Credentials.Agrees); got != c.wantCreds {
			t.Errorf("%s: credentials agrees %s, want %s", c.name, got, c.wantCreds)
		}
		f := BrowserDisagreement([]VariantResult{v})
		if (f != nil) != c.finding {
			t.Fatalf("%s: finding %v, want %v", c.name, f, c.finding)
		}
		if f != nil {
			ev := f.Evidence[0]
			if f.Rule != RuleBrowserDisagrees || f.Severity != SevMedium ||
				!strings.Contains(ev, "chromium 156 says blocked") || !strings.Contains(ev, "corscope says allowed") ||
				!strings.Contains(ev, "with credentials") || !strings.Contains(ev, "console: has been blocked") {
				t.Errorf("%s: %+v", c.name, *f)
			}
		}
	}
}

func tri(b *bool) string {
	switch {
	case b == nil:
		return "null"
	case *b:
		return "true"
	}
	return "false"
}
