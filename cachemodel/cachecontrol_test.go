package cachemodel

import (
	"reflect"
	"testing"
)

func TestParseCacheControl(t *testing.T) {
	type flags struct{ public, private, noStore, noCache, mustRevalidate, immutable bool }
	cases := []struct {
		name       string
		h          Headers
		present    bool
		directives []ccDirective
		flags      flags
		maxAge     *int64
		sMaxAge    *int64
		swr        *int64
		private    []string
	}{
		{name: "absent", h: hdrKV("Vary", "Origin")},
		{name: "public max-age", h: hdrKV("Cache-Control", "public, max-age=600"), present: true,
			directives: []ccDirective{{"public", ""}, {"max-age", "600"}}, flags: flags{public: true}, maxAge: csTTL(600)},
		{name: "case-insensitive names", h: hdrKV("cache-control", "Public, MAX-AGE=60, S-MaxAge=3600"), present: true,
			directives: []ccDirective{{"public", ""}, {"max-age", "60"}, {"s-maxage", "3600"}}, flags: flags{public: true}, maxAge: csTTL(60), sMaxAge: csTTL(3600)},
		{name: "immutable asset", h: hdrKV("Cache-Control", "public, max-age=31536000, immutable"), present: true,
			directives: []ccDirective{{"public", ""}, {"max-age", "31536000"}, {"immutable", ""}}, flags: flags{public: true, immutable: true}, maxAge: csTTL(31536000)},
		{name: "netlify static", h: hdrKV("Cache-Control", "public,max-age=0,must-revalidate"), present: true,
			directives: []ccDirective{{"public", ""}, {"max-age", "0"}, {"must-revalidate", ""}}, flags: flags{public: true, mustRevalidate: true}, maxAge: csTTL(0)},
		{name: "no-store no-cache", h: hdrKV("Cache-Control", "no-cache, no-store"), present: true,
			directives: []ccDirective{{"no-cache", ""}, {"no-store", ""}}, flags: flags{noCache: true, noStore: true}},
		{name: "private with quoted fields", h: hdrKV("Cache-Control", `private="Set-Cookie, X-User", max-age=60`), present: true,
			directives: []ccDirective{{"private", "Set-Cookie, X-User"}, {"max-age", "60"}}, flags: flags{private: true}, maxAge: csTTL(60), private: []string{"Set-Cookie", "X-User"}},
		{name: "quoted max-age accepted", h: hdrKV("Cache-Control", `max-age="30"`), present: true,
			directives: []ccDirective{{"max-age", "30"}}, maxAge: csTTL(30)},
		{name: "escaped quote in value", h: hdrKV("Cache-Control", `ext="a\"b, c", public`), present: true,
			directives: []ccDirective{{"ext", `a"b, c`}, {"public", ""}}, flags: flags{public: true}},
		{name: "swr across lines", h: hdrKV("Cache-Control", "max-age=60", "Cache-Control", "stale-while-revalidate=120"), present: true,
			directives: []ccDirective{{"max-age", "60"}, {"stale-while-revalidate", "120"}}, maxAge: csTTL(60), swr: csTTL(120)},
		{name: "first valid max-age wins", h: hdrKV("Cache-Control", "max-age=abc, max-age=10, max-age=20"), present: true,
			directives: []ccDirective{{"max-age", "abc"}, {"max-age", "10"}, {"max-age", "20"}}, maxAge: csTTL(10)},
		{name: "negative max-age ignored", h: hdrKV("Cache-Control", "max-age=-1"), present: true,
			directives: []ccDirective{{"max-age", "-1"}}},
		{name: "sloppy spacing and empties", h: hdrKV("Cache-Control", " ,  public ,, max-age = 5 ,"), present: true,
			directives: []ccDirective{{"public", ""}, {"max-age", "5"}}, flags: flags{public: true}, maxAge: csTTL(5)},
		{name: "unterminated quote runs to end", h: hdrKV("Cache-Control", `private="set-cookie, no-store`), present: true,
			directives: []ccDirective{{"private", "set-cookie, no-store"}}, flags: flags{private: true}, private: []string{"set-cookie", "no-store"}},
		{name: "empty value", h: hdrKV("Cache-Control", ""), present: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cc, directives := ccRead(c.h)
			if cc.present != c.present || !reflect.DeepEqual(directives, c.directives) {
				t.Errorf("present=%v directives=%q", cc.present, directives)
			}
			got := flags{cc.public, cc.private, cc.noStore, cc.noCache, cc.mustRevalidate, cc.immutable}
			if got != c.flags {
				t.Errorf("flags = %+v, want %+v", got, c.flags)
			}
			maxAge, sMaxAge, swr := ccPtr(&cc, ccMaxAge), ccPtr(&cc, ccSMaxAge), ccPtr(&cc, ccSWR)
			if !reflect.DeepEqual(maxAge, c.maxAge) || !reflect.DeepEqual(sMaxAge, c.sMaxAge) || !reflect.DeepEqual(swr, c.swr) {
				t.Errorf("max-age=%v s-maxage=%v swr=%v", ccDeref(maxAge), ccDeref(sMaxAge), ccDeref(swr))
			}
			if !reflect.DeepEqual(cc.privateFields, c.private) {
				t.Errorf("private fields = %q, want %q", cc.privateFields, c.private)
			}
		})
	}
}

// ccDirective is one directive as scanCacheControl reports it.
type ccDirective struct{ Name, Value string }

// ccRead reads h's Cache-Control as the analysis does (readFacts), with
// the directives scanned on the way.
func ccRead(h Headers) (ccFlags, []ccDirective) {
	var ds []ccDirective
	for _, f := range h {
		if headerNameIs(f.Name, "Cache-Control") {
			scanCacheControl(f.Value, func(n, v string) { ds = append(ds, ccDirective{n, v}) })
		}
	}
	return readFacts(h).cc, ds
}

// ccPtr is a numeric directive's value, nil when absent or invalid.
func ccPtr(f *ccFlags, k int) *int64 {
	if n, ok := f.seconds(k); ok {
		return &n
	}
	return nil
}

func ccDeref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestSharedCacheable(t *testing.T) {
	cases := []struct {
		name   string
		status int
		h      Headers
		want   bool
		why    string
	}{
		{"no-store wins", 200, hdrKV("Cache-Control", "public, max-age=600, no-store"), false, "no-store"},
		{"private", 200, hdrKV("Cache-Control", "private, max-age=600"), false, "private"},
		{"s-maxage", 200, hdrKV("Cache-Control", "max-age=0, s-maxage=300"), true, "s-maxage=300"},
		{"s-maxage=0", 200, hdrKV("Cache-Control", "s-maxage=0"), true, "s-maxage=0"},
		{"max-age", 200, hdrKV("Cache-Control", "max-age=600"), true, "max-age=600"},
		{"max-age=0", 200, hdrKV("Cache-Control", "max-age=0"), true, "max-age=0, revalidated on each use"},
		{"public on a 302", 302, hdrKV("Cache-Control", "public"), true, "public"},
		{"Expires", 200, hdrKV("Expires", "Thu, 01 Dec 2094 16:00:00 GMT"), true, "Expires"},
		{"heuristic with Last-Modified", 200, hdrKV("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"), true, "heuristic freshness from Last-Modified"},
		{"heuristic 404", 404, nil, true, "status 404 is heuristically cacheable"},
		{"302 without freshness", 302, hdrKV("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"), false, "status 302 without explicit freshness"},
		{"500", 500, hdrKV("Cache-Control", "no-cache"), false, "status 500 without explicit freshness"},
		{"no-cache is storable", 200, hdrKV("Cache-Control", "no-cache, max-age=60"), true, "max-age=60, no-cache: revalidated on each use"},
		{"qualified private is storable", 200, hdrKV("Cache-Control", `private="Set-Cookie", max-age=60`), true, "max-age=60, private fields stripped"},
		{"Set-Cookie noted", 200, hdrKV("Cache-Control", "public, max-age=60", "Set-Cookie", "sid=1"), true, "max-age=60, has Set-Cookie"},
		{"Set-Cookie does not matter when not storable", 200, hdrKV("Cache-Control", "no-store", "Set-Cookie", "sid=1"), false, "no-store"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := readFacts(c.h)
			got, why := f.sharedCacheable(c.status, true)
			if got != c.want || why != c.why {
				t.Errorf("got %v %q; want %v %q", got, why, c.want, c.why)
			}
		})
	}
}

func BenchmarkReadFacts(b *testing.B) {
	h := hdrKV(
		"Content-Type", "application/json",
		"Cache-Control", "public, max-age=600, s-maxage=3600, stale-while-revalidate=60",
		"Vary", "Origin",
	)
	b.ReportAllocs()
	for b.Loop() {
		f := readFacts(h)
		if n, _ := f.cc.seconds(ccMaxAge); n != 600 {
			b.Fatal("unexpected parse")
		}
	}
}
