package cachemodel

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// hdrKV builds headers from name, value pairs.
func hdrKV(kv ...string) Headers {
	if len(kv)%2 != 0 {
		panic("hdrKV needs name/value pairs")
	}
	var h Headers
	for i := 0; i < len(kv); i += 2 {
		h = append(h, Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

func TestParseAllowOrigin(t *testing.T) {
	cases := []struct {
		name     string
		h        Headers
		present  bool
		combined string
		wildcard bool
		null     bool
		problems []string
	}{
		{"absent", hdrKV("Vary", "Origin"), false, "", false, false, nil},
		{"exact origin", hdrKV("Access-Control-Allow-Origin", "https://app.example.com"), true, "https://app.example.com", false, false, nil},
		{"origin with port", hdrKV("access-control-allow-origin", "http://localhost:8080"), true, "http://localhost:8080", false, false, nil},
		{"wildcard", hdrKV("Access-Control-Allow-Origin", "*"), true, "*", true, false, nil},
		{"null", hdrKV("Access-Control-Allow-Origin", "null"), true, "null", false, true, nil},
		{"Null is not null", hdrKV("Access-Control-Allow-Origin", "Null"), true, "Null", false, false, []string{ProblemNotAnOrigin}},
		{"duplicate lines", hdrKV("Access-Control-Allow-Origin", "https://a.example", "ACCESS-CONTROL-ALLOW-ORIGIN", "https://a.example"),
			true, "https://a.example, https://a.example", false, false, []string{ProblemDuplicate}},
		{"two wildcards are not a wildcard", hdrKV("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Origin", "*"),
			true, "*, *", false, false, []string{ProblemDuplicate}},
		{"comma list", hdrKV("Access-Control-Allow-Origin", "https://a.example, https://b.example"),
			true, "https://a.example, https://b.example", false, false, []string{ProblemList}},
		{"space list", hdrKV("Access-Control-Allow-Origin", "https://a.example https://b.example"),
			true, "https://a.example https://b.example", false, false, []string{ProblemList}},
		{"trailing slash", hdrKV("Access-Control-Allow-Origin", "https://a.example/"), true, "https://a.example/", false, false, []string{ProblemTrailingSlash}},
		{"path", hdrKV("Access-Control-Allow-Origin", "https://a.example/app"), true, "https://a.example/app", false, false, []string{ProblemPath}},
		{"subdomain wildcard", hdrKV("Access-Control-Allow-Origin", "https://*.example.com"), true, "https://*.example.com", false, false, []string{ProblemPattern}},
		{"regex", hdrKV("Access-Control-Allow-Origin", `^https://(a|b)\.example$`), true, `^https://(a|b)\.example$`, false, false, []string{ProblemPattern}},
		{"upper-case host", hdrKV("Access-Control-Allow-Origin", "https://App.Example.com"), true, "https://App.Example.com", false, false, []string{ProblemUpperCase}},
		{"upper-case scheme", hdrKV("Access-Control-Allow-Origin", "HTTPS://app.example.com"), true, "HTTPS://app.example.com", false, false, []string{ProblemUpperCase}},
		{"upper-case path only is a path problem", hdrKV("Access-Control-Allow-Origin", "https://a.example/App"), true, "https://a.example/App", false, false, []string{ProblemPath}},
		{"empty", hdrKV("Access-Control-Allow-Origin", ""), true, "", false, false, []string{ProblemEmpty}},
		{"blank", hdrKV("Access-Control-Allow-Origin", " \t"), true, " \t", false, false, []string{ProblemEmpty}},
		{"surrounding whitespace", hdrKV("Access-Control-Allow-Origin", " https://a.example "), true, " https://a.example ", false, false, []string{ProblemWhitespace}},
		{"spaced wildcard is not the wildcard", hdrKV("Access-Control-Allow-Origin", "* "), true, "* ", false, false, []string{ProblemWhitespace}},
		{"default https port", hdrKV("Access-Control-Allow-Origin", "https://a.example:443"), true, "https://a.example:443", false, false, []string{ProblemDefaultPort}},
		{"default http port", hdrKV("Access-Control-Allow-Origin", "http://a.example:80"), true, "http://a.example:80", false, false, []string{ProblemDefaultPort}},
		{"non-default port is fine", hdrKV("Access-Control-Allow-Origin", "https://a.example:4430"), true, "https://a.example:4430", false, false, nil},
		{"bare host", hdrKV("Access-Control-Allow-Origin", "a.example"), true, "a.example", false, false, []string{ProblemNotAnOrigin}},
		{"many problems, each once", hdrKV("Access-Control-Allow-Origin", "https://A.example/", "Access-Control-Allow-Origin", "https://B.example/"),
			true, "https://A.example/, https://B.example/", false, false, []string{ProblemDuplicate, ProblemTrailingSlash, ProblemUpperCase}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseAllowOrigin(c.h)
			if got.Present != c.present || got.Combined != c.combined || got.Wildcard != c.wildcard || got.Null != c.null {
				t.Errorf("got present=%v combined=%q wildcard=%v null=%v", got.Present, got.Combined, got.Wildcard, got.Null)
			}
			if !reflect.DeepEqual(got.Problems, c.problems) {
				t.Errorf("problems = %q, want %q", got.Problems, c.problems)
			}
			if len(got.Lines) != c.h.Count("Access-Control-Allow-Origin") {
				t.Errorf("lines = %q", got.Lines)
			}
		})
	}
}

func TestParseAllowCredentials(t *testing.T) {
	cases := []struct {
		name     string
		h        Headers
		present  bool
		isTrue   bool
		problems []string
	}{
		{"absent", nil, false, false, nil},
		{"true", hdrKV("Access-Control-Allow-Credentials", "true"), true, true, nil},
		{"True", hdrKV("Access-Control-Allow-Credentials", "True"), true, false, []string{ProblemNotExactlyTrue}},
		{"TRUE", hdrKV("access-control-allow-credentials", "TRUE"), true, false, []string{ProblemNotExactlyTrue}},
		{"leading space", hdrKV("Access-Control-Allow-Credentials", " true"), true, false, []string{ProblemNotExactlyTrue}},
		{"1", hdrKV("Access-Control-Allow-Credentials", "1"), true, false, []string{ProblemNotExactlyTrue}},
		{"false", hdrKV("Access-Control-Allow-Credentials", "false"), true, false, []string{ProblemNotExactlyTrue}},
		{"empty", hdrKV("Access-Control-Allow-Credentials", ""), true, false, []string{ProblemNotExactlyTrue}},
		{"two trues", hdrKV("Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Credentials", "true"), true, false, []string{ProblemDuplicate}},
		{"true and True", hdrKV("Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Credentials", "True"), true, false, []string{ProblemDuplicate, ProblemNotExactlyTrue}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseAllowCredentials(c.h)
			if got.Present != c.present || got.True != c.isTrue || !reflect.DeepEqual(got.Problems, c.problems) {
				t.Errorf("got %+v, want present=%v true=%v problems=%q", got, c.present, c.isTrue, c.problems)
			}
		})
	}
}

func TestParseMaxAge(t *testing.T) {
	cases := []struct {
		name           string
		h              Headers
		secs           int64
		present, valid bool
	}{
		{"absent", nil, 0, false, false},
		{"600", hdrKV("Access-Control-Max-Age", "600"), 600, true, true},
		{"zero", hdrKV("Access-Control-Max-Age", "0"), 0, true, true},
		{"padded", hdrKV("Access-Control-Max-Age", " 86400 "), 86400, true, true},
		{"negative", hdrKV("Access-Control-Max-Age", "-1"), 0, true, false},
		{"plus sign", hdrKV("Access-Control-Max-Age", "+5"), 0, true, false},
		{"decimal", hdrKV("Access-Control-Max-Age", "1.5"), 0, true, false},
		{"unit", hdrKV("Access-Control-Max-Age", "10s"), 0, true, false},
		{"list", hdrKV("Access-Control-Max-Age", "5, 10"), 0, true, false},
		{"two lines", hdrKV("Access-Control-Max-Age", "5", "Access-Control-Max-Age", "5"), 0, true, false},
		{"empty", hdrKV("Access-Control-Max-Age", ""), 0, true, false},
		{"huge saturates", hdrKV("Access-Control-Max-Age", "99999999999999999999999"), 1 << 31, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			secs, present, valid := ParseMaxAge(c.h)
			if secs != c.secs || present != c.present || valid != c.valid {
				t.Errorf("got %d %v %v; want %d %v %v", secs, present, valid, c.secs, c.present, c.valid)
			}
		})
	}
}

func TestParseVary(t *testing.T) {
	cases := []struct {
		name      string
		h         Headers
		present   bool
		fields    []string
		star      bool
		origin    bool
		acceptEnc bool
	}{
		{"absent", nil, false, nil, false, false, false},
		{"origin", hdrKV("Vary", "Origin"), true, []string{"Origin"}, false, true, false},
		{"lower-case and list", hdrKV("vary", "accept-encoding, origin"), true, []string{"accept-encoding", "origin"}, false, true, true},
		{"two lines", hdrKV("Vary", "Accept-Encoding", "Vary", "ORIGIN"), true, []string{"Accept-Encoding", "ORIGIN"}, false, true, true},
		{"star does not name Origin", hdrKV("Vary", "*"), true, []string{"*"}, true, false, false},
		{"star among others", hdrKV("Vary", "Origin, *"), true, []string{"Origin", "*"}, true, true, false},
		{"prefix is not a match", hdrKV("Vary", "Origin-Agent-Cluster, X-Origin"), true, []string{"Origin-Agent-Cluster", "X-Origin"}, false, false, false},
		{"empty", hdrKV("Vary", ""), true, nil, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := ParseVary(c.h)
			if v.Present != c.present || v.Star != c.star || !reflect.DeepEqual(v.Fields, c.fields) {
				t.Errorf("got %+v", v)
			}
			if v.Has("Origin") != c.origin || v.Has("origin") != c.origin {
				t.Errorf("Has(Origin) = %v, want %v", v.Has("Origin"), c.origin)
			}
			if v.Has("Accept-Encoding") != c.acceptEnc {
				t.Errorf("Has(Accept-Encoding) = %v, want %v", v.Has("Accept-Encoding"), c.acceptEnc)
			}
		})
	}
}

// The Age the analysis reads (readFacts).
func TestReadAge(t *testing.T) {
	cases := []struct {
		name string
		h    Headers
		secs int64
		ok   bool
	}{
		{"absent", nil, 0, false},
		{"142", hdrKV("Age", "142"), 142, true},
		{"zero", hdrKV("age", "0"), 0, true},
		{"padded", hdrKV("Age", " 7 "), 7, true},
		{"invalid then valid line", hdrKV("Age", "soon", "Age", "30"), 30, true},
		{"combined list", hdrKV("Age", "12, 40"), 12, true},
		{"negative", hdrKV("Age", "-3"), 0, false},
		{"decimal", hdrKV("Age", "1.5"), 0, false},
		{"huge saturates", hdrKV("Age", "123456789012345678901234567890"), 1 << 31, true},
		{"not the Age header", hdrKV("Ages", "5"), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := readFacts(c.h)
			secs, ok := f.age, f.hasAge
			if secs != c.secs || ok != c.ok {
				t.Errorf("got %d %v; want %d %v", secs, ok, c.secs, c.ok)
			}
		})
	}
}

func csTTL(n int64) *int64 { return &n }

// parseCacheStatusLines reads the lines of one Cache-Status header the
// way NormalizeCacheStatus does (joined with ","), as exported members.
func parseCacheStatusLines(values []string) []CacheStatusMember {
	var out []CacheStatusMember
	for _, m := range parseCacheStatus(strings.Join(values, ",")) {
		out = append(out, m.CacheStatusMember)
	}
	return out
}

func TestParseCacheStatus(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []CacheStatusMember
	}{
		{"empty", nil, nil},
		{"blank", []string{"  "}, nil},
		{"rfc hit", []string{"ExampleCache; hit; ttl=376"}, []CacheStatusMember{{Cache: "ExampleCache", Hit: true, TTL: csTTL(376)}}},
		{"rfc fwd stale 304", []string{"ExampleCache; fwd=stale; fwd-status=304"}, []CacheStatusMember{{Cache: "ExampleCache", Fwd: "stale", FwdStatus: 304}}},
		{"rfc two caches", []string{`OriginCache; hit; ttl=1100, "CDN Company Here"; hit; ttl=545`}, []CacheStatusMember{
			{Cache: "OriginCache", Hit: true, TTL: csTTL(1100)},
			{Cache: "CDN Company Here", Hit: true, TTL: csTTL(545)},
		}},
		{"two lines form one list", []string{"OriginCache; fwd=uri-miss; stored", `"CDN Company Here"; hit`}, []CacheStatusMember{
			{Cache: "OriginCache", Fwd: "uri-miss", Stored: true},
			{Cache: "CDN Company Here", Hit: true},
		}},
		{"negative ttl", []string{"c; hit; ttl=-30"}, []CacheStatusMember{{Cache: "c", Hit: true, TTL: csTTL(-30)}}},
		{"explicit booleans", []string{"c; fwd=miss; stored=?1; collapsed=?0"}, []CacheStatusMember{{Cache: "c", Fwd: "miss", Stored: true}}},
		{"key and detail", []string{`c; fwd=miss; key="GET https://a.example/ \"x\""; detail=abc/def`},
			[]CacheStatusMember{{Cache: "c", Fwd: "miss", Key: `GET https://a.example/ "x"`, Detail: "abc/def"}}},
		{"unknown params ignored", []string{"c; hit; x-ext=5; ttl=1.5"}, []CacheStatusMember{{Cache: "c", Hit: true}}},
		{"hostname token", []string{"proxy.example.net:3128; fwd=miss"}, []CacheStatusMember{{Cache: "proxy.example.net:3128", Fwd: "miss"}}},
		{"netlify hit", []string{`"Netlify Edge"; hit`}, []CacheStatusMember{{Cache: "Netlify Edge", Hit: true}}},
		{"netlify durable then edge", []string{`"Netlify Durable"; fwd=uri-miss; stored, "Netlify Edge"; fwd=miss`}, []CacheStatusMember{
			{Cache: "Netlify Durable", Fwd: "uri-miss", Stored: true},
			{Cache: "Netlify Edge", Fwd: "miss"},
		}},
		// Not valid Structured Fields: the lenient reader attaches the
		// orphaned parameter to the member before it.
		{"netlify swr (lenient)", []string{`"Netlify Edge"; hit, fwd=stale`}, []CacheStatusMember{{Cache: "Netlify Edge", Hit: true, Fwd: "stale"}}},
		{"upper-case keys (lenient)", []string{"Cache1; HIT; TTL=5"}, []CacheStatusMember{{Cache: "Cache1", Hit: true, TTL: csTTL(5)}}},
		{"unquoted name with space (lenient)", []string{"My Cache; fwd=miss, edge; hit"}, []CacheStatusMember{
			{Cache: "My Cache", Fwd: "miss"},
			{Cache: "edge", Hit: true},
		}},
		{"trailing comma (lenient)", []string{"a; hit,"}, []CacheStatusMember{{Cache: "a", Hit: true}}},
		{"unterminated string (lenient)", []string{`"abc; hit`}, []CacheStatusMember{{Cache: "abc; hit"}}},
		{"comma inside string", []string{`"a, b"; hit`}, []CacheStatusMember{{Cache: "a, b", Hit: true}}},
		{"quoted fwd (lenient)", []string{`c; fwd="miss"; fwd-status=200`}, []CacheStatusMember{{Cache: "c", Fwd: "miss", FwdStatus: 200}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseCacheStatusLines(c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %s\nwant %s", fmtMembers(got), fmtMembers(c.want))
			}
		})
	}
}

func fmtMembers(ms []CacheStatusMember) string {
	var b strings.Builder
	for _, m := range ms {
		ttl := "nil"
		if m.TTL != nil {
			ttl = strconv.FormatInt(*m.TTL, 10)
		}
		fmt.Fprintf(&b, "{%q hit=%v fwd=%q fwd-status=%d ttl=%s stored=%v collapsed=%v key=%q detail=%q} ",
			m.Cache, m.Hit, m.Fwd, m.FwdStatus, ttl, m.Stored, m.Collapsed, m.Key, m.Detail)
	}
	return b.String()
}

func TestCacheStatusMemberStatus(t *testing.T) {
	cases := []struct {
		m    CacheStatusMember
		want CacheStatus
	}{
		{CacheStatusMember{Hit: true}, StatusHit},
		{CacheStatusMember{Hit: true, TTL: csTTL(10)}, StatusHit},
		{CacheStatusMember{Hit: true, TTL: csTTL(0)}, StatusHit},
		{CacheStatusMember{Hit: true, TTL: csTTL(-1)}, StatusStale},
		{CacheStatusMember{Hit: true, Fwd: "stale"}, StatusUpdating},
		{CacheStatusMember{Fwd: "bypass"}, StatusBypass},
		{CacheStatusMember{Fwd: "method"}, StatusBypass},
		{CacheStatusMember{Fwd: "uri-miss"}, StatusMiss},
		{CacheStatusMember{Fwd: "vary-miss"}, StatusMiss},
		{CacheStatusMember{Fwd: "miss"}, StatusMiss},
		{CacheStatusMember{Fwd: "MISS"}, StatusMiss},
		{CacheStatusMember{Fwd: "request"}, StatusMiss},
		{CacheStatusMember{Fwd: "partial"}, StatusMiss},
		{CacheStatusMember{Fwd: "some-extension"}, StatusMiss},
		{CacheStatusMember{Fwd: "stale"}, StatusExpired},
		{CacheStatusMember{Fwd: "stale", FwdStatus: 200}, StatusExpired},
		{CacheStatusMember{Fwd: "stale", FwdStatus: 304}, StatusRevalidated},
		{CacheStatusMember{}, StatusUnknown},
		{CacheStatusMember{TTL: csTTL(5), Stored: true}, StatusUnknown},
	}
	for _, c := range cases {
		if got := c.m.Status(); got != c.want {
			t.Errorf("%s.Status() = %s, want %s", fmtMembers([]CacheStatusMember{c.m}), got, c.want)
		}
	}
}

func BenchmarkParseAllowOrigin(b *testing.B) {
	h := hdrKV(
		"Content-Type", "application/json",
		"Access-Control-Allow-Origin", "https://app.example.com",
		"Access-Control-Allow-Credentials", "true",
		"Vary", "Origin, Accept-Encoding",
		"Cache-Control", "public, max-age=600",
		"Age", "42",
	)
	b.ReportAllocs()
	for b.Loop() {
		a := ParseAllowOrigin(h)
		if !a.Present || len(a.Problems) != 0 {
			b.Fatal("unexpected parse")
		}
	}
}
