package cachemodel

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Fuzz targets for the header parsers. Server text is untrusted, so beyond
// "never panics" each target checks invariants the rest of corscope relies
// on. Run one with: go test ./cachemodel -run '^$' -fuzz '^FuzzParseVary$' -fuzztime 3s

// fzHeaders turns "Name: value" lines into headers; a line without a colon
// is a name with an empty value.
func fzHeaders(s string) Headers {
	var h Headers
	for line := range strings.SplitSeq(s, "\n") {
		name, value, _ := strings.Cut(line, ":")
		h = append(h, Header{Name: name, Value: strings.TrimPrefix(value, " ")})
	}
	return h
}

// fzLines splits a fuzz string into header values on '\n'; the empty
// string means no lines at all.
func fzLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func fzHeadersNamed(name string, values []string) Headers {
	h := make(Headers, 0, len(values)+1)
	h = append(h, Header{"Content-Type", "text/plain"})
	for _, v := range values {
		h = append(h, Header{name, v})
	}
	return h
}

var knownOriginProblems = []string{ProblemDuplicate, ProblemList, ProblemTrailingSlash, ProblemPath,
	ProblemPattern, ProblemUpperCase, ProblemEmpty, ProblemWhitespace, ProblemNotAnOrigin, ProblemDefaultPort}

func FuzzParseAllowOrigin(f *testing.F) {
	for _, s := range []string{
		"", "*", "null", "Null", "https://a.example", "https://a.example/", "https://a.example/path",
		"https://a.example, https://b.example", "https://a.example\nhttps://a.example", "*\n*",
		"https://*.example.com", `^https://(a|b)\.example$`, "HTTPS://A.EXAMPLE", " https://a.example ",
		" \t", "a.example", "://", "https://", "https://a.example:8443", "\x00\xff", "https://ä.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := fzLines(s)
		a := ParseAllowOrigin(fzHeadersNamed("Access-Control-Allow-Origin", lines))
		if a.Present != (len(lines) > 0) || !slices.Equal(a.Lines, lines) {
			t.Fatalf("present=%v lines=%q for %q", a.Present, a.Lines, lines)
		}
		if a.Combined != strings.Join(lines, ", ") {
			t.Fatalf("combined %q", a.Combined)
		}
		if a.Wildcard != (len(lines) == 1 && lines[0] == "*") || a.Null != (len(lines) == 1 && lines[0] == "null") {
			t.Fatalf("wildcard=%v null=%v for %q", a.Wildcard, a.Null, lines)
		}
		if (a.Wildcard || a.Null) && len(a.Problems) != 0 {
			t.Fatalf("valid value with problems %q", a.Problems)
		}
		if slices.Contains(a.Problems, ProblemDuplicate) != (len(lines) > 1) {
			t.Fatalf("duplicate problem wrong for %d lines: %q", len(lines), a.Problems)
		}
		for i, p := range a.Problems {
			if !slices.Contains(knownOriginProblems, p) || slices.Contains(a.Problems[:i], p) {
				t.Fatalf("unknown or repeated problem %q in %q", p, a.Problems)
			}
		}
	})
}

func FuzzParseAllowCredentials(f *testing.F) {
	for _, s := range []string{"", "true", "True", "TRUE", " true", "true ", "1", "false", "true\ntrue", "true\nfalse", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := fzLines(s)
		c := ParseAllowCredentials(fzHeadersNamed("Access-Control-Allow-Credentials", lines))
		if c.Present != (len(lines) > 0) {
			t.Fatalf("present=%v for %q", c.Present, lines)
		}
		if c.True != (len(lines) == 1 && lines[0] == "true") {
			t.Fatalf("true=%v for %q", c.True, lines)
		}
		if c.True == (len(c.Problems) > 0) && c.Present {
			t.Fatalf("true=%v but problems %q", c.True, c.Problems)
		}
	})
}

func FuzzParseVary(f *testing.F) {
	for _, s := range []string{"", "Origin", "origin", "ORIGIN", "*", "Origin, *", "Accept-Encoding\nOrigin",
		"Origin-Agent-Cluster", " , origin ,", "orıgin", "Origin;q=1", `"Origin"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := fzLines(s)
		v := ParseVary(fzHeadersNamed("Vary", lines))
		if v.Present != (len(lines) > 0) {
			t.Fatalf("present=%v", v.Present)
		}
		want, _ := ParseFieldList(lines)
		if !slices.Equal(v.Fields, want) {
			t.Fatalf("fields %q, want %q", v.Fields, want)
		}
		hasOrigin := slices.ContainsFunc(v.Fields, func(f string) bool { return strings.EqualFold(f, "origin") })
		if v.Has("origin") != hasOrigin || v.Has("Origin") != hasOrigin {
			t.Fatalf("Has(origin)=%v, elements %q", v.Has("origin"), v.Fields)
		}
		if v.Star != slices.Contains(v.Fields, "*") || v.Has("*") != v.Star {
			t.Fatalf("star=%v, elements %q", v.Star, v.Fields)
		}
	})
}

func FuzzParseMaxAge(f *testing.F) {
	for _, s := range []string{"", "0", "600", " 600 ", "-1", "+5", "1.5", "5, 10", "5\n5", "99999999999999999999999", "0x10", "６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := fzLines(s)
		secs, present, valid := ParseMaxAge(fzHeadersNamed("Access-Control-Max-Age", lines))
		if present != (len(lines) > 0) {
			t.Fatalf("present=%v for %q", present, lines)
		}
		if !valid {
			if secs != 0 {
				t.Fatalf("invalid but seconds=%d", secs)
			}
			return
		}
		if len(lines) != 1 || secs < 0 || secs > 1<<31 {
			t.Fatalf("valid %d from %q", secs, lines)
		}
		digits := strings.Trim(lines[0], " \t")
		if strings.TrimLeft(digits, "0123456789") != "" {
			t.Fatalf("valid from non-digits %q", lines[0])
		}
		if n, err := strconv.ParseInt(digits, 10, 64); err == nil && n <= 1<<31 && n != secs {
			t.Fatalf("seconds %d, want %d", secs, n)
		}
	})
}

func FuzzCacheControl(f *testing.F) {
	for _, s := range []string{
		"", "public, max-age=600", "no-store", "private", `private="Set-Cookie, X-A"`, "max-age=0, must-revalidate",
		"s-maxage=3600, stale-while-revalidate=60", `max-age="30"`, `ext="a\"b`, `"`, `=`, ",,,", "MAX-AGE=1\nno-cache",
		"max-age=99999999999999999999", "immutable, public, max-age=31536000", `private="`, `a="\`,
	} {
		f.Add(s, 200)
	}
	f.Add("public", 302)
	f.Fuzz(func(t *testing.T, s string, status int) {
		h := fzHeadersNamed("Cache-Control", fzLines(s))
		c, directives := ccRead(h)
		names := map[string]bool{}
		for _, d := range directives {
			if d.Name == "" || d.Name != strings.ToLower(d.Name) {
				t.Fatalf("directive name %q not lower-cased", d.Name)
			}
			names[d.Name] = true
		}
		if c.noStore != names["no-store"] || c.public != names["public"] || c.private != names["private"] ||
			c.noCache != names["no-cache"] || c.immutable != names["immutable"] || c.mustRevalidate != names["must-revalidate"] {
			t.Fatalf("flags disagree with directives %q", directives)
		}
		for _, k := range []int{ccMaxAge, ccSMaxAge, ccSWR} {
			if n, ok := c.seconds(k); ok && (n < 0 || n > 1<<31) {
				t.Fatalf("seconds out of range: %d", n)
			}
		}
		ok, why := c.sharedCacheable(status, storeHints{}, true)
		if why == "" || (c.noStore && ok) {
			t.Fatalf("sharedCacheable = %v %q for %q", ok, why, s)
		}
		if quick, _ := c.sharedCacheable(status, storeHints{}, false); quick != ok {
			t.Fatalf("sharedCacheable without the phrase = %v, with it %v", quick, ok)
		}
	})
}

func FuzzParseCacheStatus(f *testing.F) {
	for _, s := range []string{
		"", "ExampleCache; hit; ttl=376", "ExampleCache; fwd=stale; fwd-status=304",
		`OriginCache; hit; ttl=1100, "CDN Company Here"; hit; ttl=545`, `"Netlify Edge"; hit, fwd=stale`,
		`"Netlify Durable"; fwd=uri-miss; stored, "Netlify Edge"; fwd=miss`, `"unterminated; hit`, `c; key="\"`,
		"c; ttl=-9999999999999999", "c; ttl=1.25; x=:aGk=:; y=?0", "(a b); hit", ",,", "a;;b", "a; hit=", `"\`, "\t",
	} {
		f.Add(s, "cache", int64(10))
	}
	f.Fuzz(func(t *testing.T, s, name string, ttl int64) {
		ms := parseCacheStatusLines(fzLines(s))
		if len(ms) > strings.Count(s, ",")+strings.Count(s, "\n")+1 {
			t.Fatalf("%d members from %q", len(ms), s)
		}
		for _, m := range ms {
			_ = m.Status() // must not panic on any member
			if m.FwdStatus < 0 || m.FwdStatus > 999 {
				t.Fatalf("fwd-status %d", m.FwdStatus)
			}
		}
		// Round trip: a well-formed member built from the inputs must come
		// back exactly.
		if name == "" || !sfIsAlpha(name[0]) || strings.ContainsFunc(name, func(r rune) bool {
			return r > 0x7e || !(isTchar(byte(r)) || r == ':' || r == '/')
		}) {
			return
		}
		ttl %= 1_000_000_000_000_000
		got := parseCacheStatusLines([]string{name + "; hit; ttl=" + strconv.FormatInt(ttl, 10), `"x y"; fwd=miss`})
		if len(got) != 2 || got[0].Cache != name || !got[0].Hit || got[0].TTL == nil || *got[0].TTL != ttl ||
			got[1].Cache != "x y" || got[1].Fwd != "miss" {
			t.Fatalf("round trip of %q ttl %d: %s", name, ttl, fmtMembers(got))
		}
	})
}

var knownStatuses = []CacheStatus{StatusHit, StatusMiss, StatusExpired, StatusStale, StatusRevalidated,
	StatusUpdating, StatusBypass, StatusDynamic, StatusPass, StatusUnknown}

func FuzzNormalizeCacheStatus(f *testing.F) {
	for _, s := range []string{
		"", "CF-Cache-Status: HIT", "cf-cache-status: none\nAge: 5", `Cache-Status: "Netlify Edge"; hit, fwd=stale`,
		"Cache-Status: c; ttl=5\nX-Cache: MISS", "x-vercel-cache: PRERENDER", "Akamai-Cache-Status: Hit from child, Miss from parent",
		"X-Cache-Status: UPDATING", "X-Cache: MISS, HIT\nX-Served-By: cache-jfk1041-JFK, cache-ord1720-ORD",
		"X-Cache: RefreshHit from cloudfront", "X-Cache: TCP_REFRESH_FAIL_HIT from a1.akamai", "X-Cache: hit-stale",
		"CDN-Cache: HIT", "X-Varnish: 1 2", "X-Varnish: 1, 2 3", "Age: 142", "Age: 0", "X-Cache: ,,,", "X-Cache:",
		"Akamai-Cache-Status: ,", "Cache-Status: ,\"", "X-Cache: WARM\nCF-Cache-Status: FROZEN",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := fzHeaders(s)
		v := NormalizeCacheStatus(h)
		if !slices.Contains(knownStatuses, v.Status) {
			t.Fatalf("status %q", v.Status)
		}
		if n := len(v.Layers); n > 0 && v.Layers[n-1].Status != v.Status {
			t.Fatalf("status %s but user-facing layer %+v", v.Status, v.Layers[n-1])
		}
		if v.Source == "" {
			if v.Status != StatusUnknown || v.Raw != "" || v.Weak || v.Layers != nil {
				t.Fatalf("no source but %+v", v)
			}
		} else if !slices.ContainsFunc(h, func(f Header) bool { return f.Name == v.Source }) {
			t.Fatalf("source %q is not a received header name", v.Source)
		}
		if v.Weak && (v.Status != StatusHit || !strings.EqualFold(v.Source, "Age")) {
			t.Fatalf("weak verdict %+v", v)
		}
		// CF-Cache-Status has top priority: a recognised value always wins.
		others := slices.DeleteFunc(h.Clone(), func(f Header) bool { return strings.EqualFold(f.Name, "CF-Cache-Status") })
		top := NormalizeCacheStatus(append(Headers{{"CF-Cache-Status", "miss"}}, others...))
		if top.Status != StatusMiss || top.Source != "CF-Cache-Status" || top.Weak {
			t.Fatalf("CF-Cache-Status did not win: %+v", top)
		}
	})
}

var knownProviders = func() []Provider {
	ps := []Provider{ProviderUnknown}
	for _, p := range Products {
		ps = append(ps, p.Provider)
	}
	return ps
}()

func FuzzDetectProvider(f *testing.F) {
	for _, s := range []string{
		"", "CF-Ray: 1-AMS", "X-Served-By: cache-lhr1-LHR\nX-Varnish: 1 2", "X-Amz-Cf-Pop: PHX50-C2",
		"X-Cache: TCP_HIT from a23.deploy.akamaitechnologies.com", "x-vercel-id: fra1::1", `Cache-Status: "Netlify Edge"; hit`,
		"Via: 1.1 varnish (Varnish/6.0)", "Server: nginx\nX-Cache: HIT", "X-Cache: MISS from proxy", "Server: ATS/9.2",
		"Server:", ":", "Via: ApacheTrafficServer squid varnish cloudfront",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := fzHeaders(s)
		p := DetectProvider(h)
		if !slices.Contains(knownProviders, p) {
			t.Fatalf("provider %q", p)
		}
		// CF-Ray names Cloudflare: with it the answer is Cloudflare, or
		// unknown when another CDN's headers are there too, never a third
		// product.
		if got := DetectProvider(append(h.Clone(), Header{"cf-ray", "0-AMS"})); got != ProviderCloudflare && got != ProviderUnknown {
			t.Fatalf("CF-Ray present but %s", got)
		}
	})
}

// FuzzDetectProduct: no header set makes detection panic, name a product
// that is not in the table, or name one product while the evidence holds
// another of the same rank (that is a conflict: unknown); the edge is
// always a short plain token.
func FuzzDetectProduct(f *testing.F) {
	for _, s := range []string{
		"X-Cache: HIT from velocix.com\nVia: 1.1 velocix.com:80 (pcd/1.0)",
		"Server: BunnyCDN-DE1-1079\nCDN-Cache: HIT", "Server: CDN77-Turbo\nX-77-Pop: frankfurtDE",
		"Via: 1.1 google\nX-Cache-Status: hit", "Server: keycdn-engine\nX-Edge-Location: defr",
		"X-Azure-Ref: 0abc\nX-Cache: TCP_HIT", "Fly-Request-Id: 01H-ams\nServer: Fly/1 (2024)",
		"Server: deno/gcp-europe-west3", "X-Edge-Pop: fra1", "Via: https/1.1 e (ApacheTrafficServer/9.2 [uScSsSfUpSeN:t cCSp sS])",
		"CF-Ray: 1-AMS\nX-Served-By: cache-lhr1-LHR", "Server: NetDNA-cache/2.2\nX-Cache: HIT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := fzHeaders(s)
		d := DetectProduct(h)
		if !slices.Contains(knownProviders, d.Provider) {
			t.Fatalf("provider %q", d.Provider)
		}
		if d.Edge != "" && !plausibleEdge(d.Edge) {
			t.Fatalf("edge %q", d.Edge)
		}
		if d.Provider == ProviderUnknown {
			return
		}
		p, _ := ProductOf(d.Provider)
		own := false
		for _, e := range d.Evidence {
			name, _, _ := strings.Cut(e, ": ")
			if name == string(d.Provider) {
				own = true
				continue
			}
			if o, ok := ProductOf(Provider(name)); ok && o.Tier == p.Tier {
				t.Fatalf("named %s while %s of the same rank has evidence: %q", d.Provider, name, d.Evidence)
			}
		}
		if !own {
			t.Fatalf("named %s without evidence of its own: %q", d.Provider, d.Evidence)
		}
	})
}
