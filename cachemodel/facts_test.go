package cachemodel

import (
	"strings"
	"testing"
)

// checkFacts fails when readFacts reads h differently from the parsers
// the rest of the package defines the headers with (Cache-Control has
// only readFacts: TestParseCacheControl and TestSharedCacheable).
func checkFacts(t *testing.T, h Headers, status int) {
	t.Helper()
	f := readFacts(h)
	ao := ParseAllowOrigin(h)
	if (f.acaoN > 0) != ao.Present || f.acaoN != len(ao.Lines) || f.acao != ao.Combined || f.acaoWildcard() != ao.Wildcard {
		t.Errorf("ACAO: facts %d %q wildcard=%v; ParseAllowOrigin %+v", f.acaoN, f.acao, f.acaoWildcard(), ao)
	}
	ac := ParseAllowCredentials(h)
	combined, _ := h.Combined(hdrACAC)
	if f.acacN != len(ac.Lines) || f.acac != combined || f.acacTrue() != ac.True {
		t.Errorf("ACAC: facts %d %q true=%v; ParseAllowCredentials %+v", f.acacN, f.acac, f.acacTrue(), ac)
	}
	vary := ParseVary(h)
	lines := h.Values(hdrVary)
	if f.varyN != len(lines) || (len(lines) > 0 && f.varyFirst != lines[0]) ||
		f.varyOrigin != (vary.Star || vary.Has("Origin")) || f.varyStar != vary.Star || f.varyCookie != vary.Has("Cookie") {
		t.Errorf("Vary: facts %+v; ParseVary %+v", f, vary)
	}
	wantOK, _ := f.sharedCacheable(status, true)
	if quick, _ := f.sharedCacheable(status, false); quick != wantOK {
		t.Errorf("Cache-Control without the phrase: %v, with it %v", quick, wantOK)
	}
}

func TestReadFactsAgreesWithParsers(t *testing.T) {
	cases := []Headers{
		nil,
		benchResponse("https://app.example.com", true).Headers,
		benchResponse("", false).Headers,
		hdrKV("access-control-allow-origin", "https://a.example", "ACCESS-CONTROL-ALLOW-ORIGIN", "https://b.example",
			"Access-Control-Allow-Credentials", "true", "access-control-allow-credentials", "true"),
		hdrKV("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", " true"),
		hdrKV("Vary", "Accept-Encoding", "vary", " origin ", "Vary", ""),
		hdrKV("Vary", "*", "Vary", "Cookie"),
		hdrKV("Vary", ",,"),
		hdrKV("Age", "x", "age", "1, 7", "Age", "9"),
		hdrKV("Cache-Control", "no-store", "Set-Cookie", "a=b"),
		hdrKV("Cache-Control", `private="Set-Cookie", max-age=60`, "Set-Cookie", "a=b"),
		hdrKV("Cache-Control", "max-age=abc, max-age=10", "cache-control", "S-MAXAGE=5, no-cache"),
		hdrKV("Expires", "0"),
		hdrKV("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"),
		hdrKV("Cache-Control", "public"),
		hdrKV("Cache-Control", "max-age=0"),
		hdrKV("Cache-Control", ""),
	}
	for _, h := range cases {
		for _, status := range []int{200, 302, 404, 500} {
			checkFacts(t, h, status)
		}
	}
}

// FuzzReadFacts: any header block, split on newlines into "Name: value"
// lines, reads the same through readFacts as through the parsers.
func FuzzReadFacts(f *testing.F) {
	f.Add("Access-Control-Allow-Origin: *\nVary: Origin\nCache-Control: public, max-age=5\nAge: 3", 200)
	f.Add("vary: cookie\nvary: *\nACCESS-CONTROL-ALLOW-CREDENTIALS: true\naccess-control-allow-credentials: true", 404)
	f.Add("Cache-Control: private=\"a\", s-maxage=9\nExpires: x\nSet-Cookie: y\nLast-Modified: z", 302)
	f.Fuzz(func(t *testing.T, block string, status int) {
		var h Headers
		for _, line := range strings.Split(block, "\n") {
			name, value, _ := strings.Cut(line, ":")
			h = append(h, Header{Name: name, Value: value})
		}
		checkFacts(t, h, status)
	})
}
