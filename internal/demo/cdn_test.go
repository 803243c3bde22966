package demo

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the injectable clock for TTL tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type cdnFixture struct {
	origin *origin
	cdn    *CDN
	url    string // the CDN's base URL
	clock  *fakeClock
	client *http.Client
}

// startCDN runs the demo origin behind a CDN with a fake clock. upstream,
// when non-nil, replaces the demo origin.
func startCDN(t *testing.T, opts CDNOptions, upstream http.Handler) *cdnFixture {
	t.Helper()
	f := &cdnFixture{clock: newFakeClock(), client: newTestClient(t)}
	if upstream == nil {
		upstream = OriginHandler(testAllowed)
		f.origin = upstream.(*origin)
	}
	up := httptest.NewServer(upstream)
	opts.Now = f.clock.Now
	f.cdn = NewCDN(up.URL, opts)
	front := httptest.NewServer(f.cdn)
	f.url = front.URL
	t.Cleanup(func() {
		front.Close()
		f.cdn.CloseIdleConnections()
		up.Close()
	})
	return f
}

// step is one request through the CDN and what must come back.
type step struct {
	origin string // noOrigin for none
	status string // CF-Cache-Status
	acao   string // "" = absent
	hits   string // X-Origin-Hits
}

func runSteps(t *testing.T, f *cdnFixture, path string, steps []step) {
	t.Helper()
	for i, s := range steps {
		resp, _ := fetch(t, f.client, http.MethodGet, f.url+path, s.origin)
		got := resp.Header.Get("CF-Cache-Status")
		acao, hasACAO := resp.Header["Access-Control-Allow-Origin"]
		label := fmt.Sprintf("step %d (Origin %q)", i+1, strings.ReplaceAll(s.origin, noOrigin, "none"))
		if got != s.status {
			t.Errorf("%s: CF-Cache-Status = %q, want %q", label, got, s.status)
		}
		switch {
		case s.acao == "" && hasACAO:
			t.Errorf("%s: ACAO = %q, want absent", label, acao)
		case s.acao != "" && (len(acao) != 1 || acao[0] != s.acao):
			t.Errorf("%s: ACAO = %q, want %q", label, acao, s.acao)
		}
		if h := resp.Header.Get("X-Origin-Hits"); h != s.hits {
			t.Errorf("%s: X-Origin-Hits = %q, want %q", label, h, s.hits)
		}
	}
}

func TestCDNMissThenHitWithAge(t *testing.T) {
	f := startCDN(t, CDNOptions{}, nil)
	first, body1 := fetch(t, f.client, http.MethodGet, f.url+"/cors/wildcard.json", noOrigin)
	f.clock.Advance(7 * time.Second)
	second, body2 := fetch(t, f.client, http.MethodGet, f.url+"/cors/wildcard.json", noOrigin)

	if got := first.Header.Get("CF-Cache-Status"); got != StatusMiss {
		t.Errorf("first CF-Cache-Status = %q, want MISS", got)
	}
	if _, ok := first.Header["Age"]; ok {
		t.Errorf("MISS carries Age %q; Cloudflare sends Age only on cache-served responses", first.Header.Get("Age"))
	}
	if got := second.Header.Get("CF-Cache-Status"); got != StatusHit {
		t.Errorf("second CF-Cache-Status = %q, want HIT", got)
	}
	if got := second.Header.Get("Age"); got != "7" {
		t.Errorf("HIT Age = %q, want 7", got)
	}
	for _, name := range []string{"ETag", "Date", "X-Origin-Hits", "Last-Modified"} {
		if first.Header.Get(name) != second.Header.Get(name) {
			t.Errorf("%s changed on HIT: %q -> %q", name, first.Header.Get(name), second.Header.Get(name))
		}
	}
	if body1 != body2 {
		t.Errorf("HIT body %q differs from MISS body %q", body2, body1)
	}
	for _, r := range []*http.Response{first, second} {
		if r.Header.Get("Server") != CDNServerName {
			t.Errorf("Server = %q", r.Header.Get("Server"))
		}
		if ray := r.Header.Get("CF-Ray"); len(ray) != 21 || !strings.HasSuffix(ray, "-DEMO") {
			t.Errorf("CF-Ray = %q, want 16 hex digits + -DEMO", ray)
		}
		if r.Header.Get("Cache-Tag") != "" {
			t.Error("Cache-Tag leaked to the client; Cloudflare strips it")
		}
	}
	if first.Header.Get("CF-Ray") == second.Header.Get("CF-Ray") {
		t.Error("CF-Ray repeated; it must be per response")
	}
}

func TestCDNCacheKeyScenarios(t *testing.T) {
	cases := []struct {
		name, path string
		steps      []step
		stored     int
	}{
		{"missing Vary serves app's grant to admin (poisoning)", "/cors/no-vary.json", []step{
			{appOrigin, StatusMiss, appOrigin, "1"},
			{adminOrigin, StatusHit, appOrigin, "1"},
			{noOrigin, StatusHit, appOrigin, "1"},
		}, 1},
		{"cached without ACAO breaks CORS requests", "/cors/no-acao-without-origin.js", []step{
			{noOrigin, StatusMiss, "", "1"},
			{appOrigin, StatusHit, "", "1"},
			{adminOrigin, StatusHit, "", "1"},
		}, 1},
		{"Vary: Origin keeps one variant per Origin", "/cors/vary.json", []step{
			{appOrigin, StatusMiss, appOrigin, "1"},
			{adminOrigin, StatusMiss, adminOrigin, "2"},
			{noOrigin, StatusMiss, "", "3"},
			{evilOrigin, StatusMiss, "", "4"},
			{appOrigin, StatusHit, appOrigin, "1"},
			{adminOrigin, StatusHit, adminOrigin, "2"},
			{noOrigin, StatusHit, "", "3"},
		}, 4},
		{"Origin in the key keeps variants apart without Vary", "/cors/keyed.json", []step{
			{appOrigin, StatusMiss, appOrigin, "1"},
			{adminOrigin, StatusMiss, adminOrigin, "2"},
			{noOrigin, StatusMiss, "", "3"},
			{appOrigin, StatusHit, appOrigin, "1"},
			{noOrigin, StatusHit, "", "3"},
		}, 3},
		{"private is bypassed and never stored", "/cors/private.json", []step{
			{appOrigin, StatusBypass, appOrigin, "1"},
			{adminOrigin, StatusBypass, adminOrigin, "2"},
			{appOrigin, StatusBypass, appOrigin, "3"},
		}, 0},
		{"static wildcard is shared safely", "/cors/wildcard.json", []step{
			{noOrigin, StatusMiss, "*", "1"},
			{appOrigin, StatusHit, "*", "1"},
			{evilOrigin, StatusHit, "*", "1"},
		}, 1},
		{"unknown path is not cacheable", "/nope", []step{
			{noOrigin, StatusDynamic, "", ""},
			{noOrigin, StatusDynamic, "", ""},
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startCDN(t, CDNOptions{}, nil)
			runSteps(t, f, tc.path, tc.steps)
			if got := f.cdn.Len(); got != tc.stored {
				t.Errorf("stored objects = %d, want %d", got, tc.stored)
			}
		})
	}
}

func TestCDNQueryIsPartOfTheKey(t *testing.T) {
	f := startCDN(t, CDNOptions{}, nil)
	runSteps(t, f, "/cors/no-vary.json?corscope=a1", []step{{appOrigin, StatusMiss, appOrigin, "1"}})
	runSteps(t, f, "/cors/no-vary.json?corscope=b2", []step{{adminOrigin, StatusMiss, adminOrigin, "2"}})
	runSteps(t, f, "/cors/no-vary.json?corscope=a1", []step{{adminOrigin, StatusHit, appOrigin, "1"}})
}

func TestCDNIgnoringVaryOption(t *testing.T) {
	// A cache that ignores Vary turns the correct origin into a poisoned one:
	// what corscope's cdn-ignores-vary finding is about.
	f := startCDN(t, CDNOptions{HonourVary: []string{}}, nil)
	runSteps(t, f, "/cors/vary.json", []step{
		{appOrigin, StatusMiss, appOrigin, "1"},
		{adminOrigin, StatusHit, appOrigin, "1"},
	})
	// And with Origin keying switched off, keyed.json poisons too.
	g := startCDN(t, CDNOptions{KeyOnOrigin: []string{}}, nil)
	runSteps(t, g, "/cors/keyed.json", []step{
		{appOrigin, StatusMiss, appOrigin, "1"},
		{adminOrigin, StatusHit, appOrigin, "1"},
	})
}

func TestCDNExpiryWithFakeClock(t *testing.T) {
	f := startCDN(t, CDNOptions{}, nil)
	path := "/cors/vary.json"
	runSteps(t, f, path, []step{{appOrigin, StatusMiss, appOrigin, "1"}})

	f.clock.Advance(299 * time.Second)
	resp, _ := fetch(t, f.client, http.MethodGet, f.url+path, appOrigin)
	if resp.Header.Get("CF-Cache-Status") != StatusHit || resp.Header.Get("Age") != "299" {
		t.Errorf("at 299s: status %q Age %q, want HIT 299", resp.Header.Get("CF-Cache-Status"), resp.Header.Get("Age"))
	}
	f.clock.Advance(time.Second) // age 300 = max-age: stale
	runSteps(t, f, path, []step{
		{appOrigin, StatusExpired, appOrigin, "2"},
		{appOrigin, StatusHit, appOrigin, "2"},
		{adminOrigin, StatusMiss, adminOrigin, "3"}, // other variants are unaffected
	})
	resp, _ = fetch(t, f.client, http.MethodGet, f.url+path, appOrigin)
	if resp.Header.Get("Age") != "0" {
		t.Errorf("Age after refetch = %q, want 0", resp.Header.Get("Age"))
	}
}

func TestCDNNonGETIsDynamic(t *testing.T) {
	f := startCDN(t, CDNOptions{}, nil)
	for _, m := range []string{http.MethodPost, http.MethodHead, http.MethodOptions} {
		resp, _ := fetch(t, f.client, m, f.url+"/cors/vary.json", appOrigin)
		if got := resp.Header.Get("CF-Cache-Status"); got != StatusDynamic {
			t.Errorf("%s: CF-Cache-Status = %q, want DYNAMIC", m, got)
		}
	}
	resp, _ := fetch(t, f.client, http.MethodOptions, f.url+"/cors/vary.json", appOrigin)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Methods") != allowMethods {
		t.Errorf("preflight through CDN: %d ACAM %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Methods"))
	}
	if f.cdn.Len() != 0 {
		t.Errorf("non-GET responses were stored: %d objects", f.cdn.Len())
	}
}

func TestCDNBigBodyStreamsThrough(t *testing.T) {
	f := startCDN(t, CDNOptions{}, nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	resp, err := f.client.Get(f.url + BigPath)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("CF-Cache-Status") != StatusMiss || resp.ContentLength != BigSize {
		t.Errorf("big.bin: status %q length %d, want MISS %d", resp.Header.Get("CF-Cache-Status"), resp.ContentLength, BigSize)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if err != nil || n != 1<<20 {
		t.Fatalf("read %d (%v), want 1 MiB", n, err)
	}
	resp.Body.Close()

	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("allocated %d MiB to pass 1 MiB through: the CDN is buffering", grew>>20)
	}
	waitFor(t, "origin stream to stop after the client left", func() bool { return f.origin.streams.Load() == 0 })
	if w := f.origin.streamed.Load(); w > 64<<20 {
		t.Errorf("origin wrote %d MiB after the client left", w>>20)
	}
	if f.cdn.Len() != 0 {
		t.Errorf("big body was stored (%d objects)", f.cdn.Len())
	}
}

// customUpstream serves bodies the demo origin doesn't: chunked bodies
// above and below the cap, Vary: *, cookies, odd statuses.
func customUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=60")
		switch r.URL.Path {
		case "/chunked-big": // no Content-Length: the CDN finds out while reading
			for i := 0; i < 3*64; i++ {
				_, _ = w.Write([]byte(strings.Repeat(string(rune('a'+i%26)), 16<<10)))
				w.(http.Flusher).Flush()
			}
		case "/chunked-small":
			_, _ = w.Write([]byte("small"))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(" body"))
		case "/vary-star":
			h.Set("Vary", "*")
			_, _ = w.Write([]byte("x"))
		case "/cookie":
			h.Set("Set-Cookie", "s=1")
			_, _ = w.Write([]byte("x"))
		case "/no-cc":
			h.Del("Cache-Control")
			_, _ = w.Write([]byte("x"))
		case "/public":
			h.Set("Cache-Control", "public")
			_, _ = w.Write([]byte("x"))
		case "/aged":
			h.Set("Age", "50")
			_, _ = w.Write([]byte("x"))
		case "/redirect":
			http.Redirect(w, r, "/public", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
}

func TestCDNStorageRules(t *testing.T) {
	cases := []struct {
		path        string
		first, then string
		stored      int
		wantLen     int
	}{
		{"/chunked-big", StatusMiss, StatusMiss, 0, 3 << 20},
		{"/chunked-small", StatusMiss, StatusHit, 1, len("small body")},
		{"/vary-star", StatusMiss, StatusMiss, 0, 1},
		{"/cookie", StatusBypass, StatusBypass, 0, 1},
		{"/no-cc", StatusDynamic, StatusDynamic, 0, 1},
		{"/public", StatusMiss, StatusHit, 1, 1},
		{"/redirect", StatusDynamic, StatusDynamic, 0, -1},
		{"/missing", StatusDynamic, StatusDynamic, 0, -1},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			f := startCDN(t, CDNOptions{}, customUpstream())
			for i, want := range []string{tc.first, tc.then} {
				resp, body := fetch(t, f.client, http.MethodGet, f.url+tc.path, noOrigin)
				if got := resp.Header.Get("CF-Cache-Status"); got != want {
					t.Errorf("request %d: CF-Cache-Status = %q, want %q", i+1, got, want)
				}
				if tc.wantLen >= 0 && len(body) != tc.wantLen {
					t.Errorf("request %d: body %d bytes, want %d", i+1, len(body), tc.wantLen)
				}
				if tc.path == "/redirect" && resp.StatusCode != http.StatusFound {
					t.Errorf("redirect was followed: status %d", resp.StatusCode)
				}
			}
			if f.cdn.Len() != tc.stored {
				t.Errorf("stored %d objects, want %d", f.cdn.Len(), tc.stored)
			}
		})
	}
}

func TestCDNUpstreamAgeCountsTowardsTTL(t *testing.T) {
	f := startCDN(t, CDNOptions{}, customUpstream())
	fetch(t, f.client, http.MethodGet, f.url+"/aged", noOrigin)
	f.clock.Advance(5 * time.Second)
	resp, _ := fetch(t, f.client, http.MethodGet, f.url+"/aged", noOrigin)
	if resp.Header.Get("Age") != "55" {
		t.Errorf("Age = %q, want 55 (50 from upstream + 5)", resp.Header.Get("Age"))
	}
	f.clock.Advance(5 * time.Second) // 60 = max-age
	resp, _ = fetch(t, f.client, http.MethodGet, f.url+"/aged", noOrigin)
	if got := resp.Header.Get("CF-Cache-Status"); got != StatusExpired {
		t.Errorf("CF-Cache-Status = %q, want EXPIRED", got)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name   string
		status int
		cc     []string
		extra  http.Header
		auth   bool
		ttl    time.Duration
		class  string
	}{
		{"max-age", 200, []string{"public, max-age=300"}, nil, false, 300 * time.Second, ""},
		{"s-maxage wins", 200, []string{"max-age=10, s-maxage=99"}, nil, false, 99 * time.Second, ""},
		{"split lines", 200, []string{"public", "max-age=20"}, nil, false, 20 * time.Second, ""},
		{"upper case", 200, []string{"Public, Max-Age=30"}, nil, false, 30 * time.Second, ""},
		{"quoted", 200, []string{`max-age="40"`}, nil, false, 40 * time.Second, ""},
		{"public only", 200, []string{"public"}, nil, false, time.Hour, ""},
		{"private", 200, []string{"private, max-age=300"}, nil, false, 0, StatusBypass},
		{"no-store", 200, []string{"no-store"}, nil, false, 0, StatusBypass},
		{"no-cache", 200, []string{"no-cache, max-age=300"}, nil, false, 0, StatusBypass},
		{"max-age=0", 200, []string{"max-age=0"}, nil, false, 0, StatusBypass},
		{"malformed max-age", 200, []string{"max-age=soon"}, nil, false, 0, StatusDynamic},
		{"set-cookie", 200, []string{"public, max-age=60"}, http.Header{"Set-Cookie": {"a=b"}}, false, 0, StatusBypass},
		{"no directives", 200, nil, nil, false, 0, StatusDynamic},
		{"404", 404, []string{"public, max-age=60"}, nil, false, 0, StatusDynamic},
		{"206", 206, []string{"public, max-age=60"}, nil, false, 0, StatusDynamic},
		{"authorization without public", 200, []string{"max-age=60"}, nil, true, 0, StatusBypass},
		{"authorization with public", 200, []string{"public, max-age=60"}, nil, true, 60 * time.Second, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tc.auth {
				req.Header.Set("Authorization", "Bearer x")
			}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			for _, v := range tc.cc {
				resp.Header.Add("Cache-Control", v)
			}
			for k, v := range tc.extra {
				resp.Header[k] = v
			}
			ttl, class := classify(req, resp, time.Hour)
			if ttl != tc.ttl || class != tc.class {
				t.Errorf("classify = (%v, %q), want (%v, %q)", ttl, class, tc.ttl, tc.class)
			}
		})
	}
}

func TestCDNBadUpstream(t *testing.T) {
	for _, up := range []string{"://nope", "ftp://127.0.0.1", "http://127.0.0.1:1"} {
		t.Run(up, func(t *testing.T) {
			c := NewCDN(up, CDNOptions{})
			t.Cleanup(c.CloseIdleConnections)
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cors/vary.json", nil))
			if rec.Code != http.StatusBadGateway {
				t.Errorf("status = %d, want 502", rec.Code)
			}
			if body := rec.Body.String(); strings.Count(strings.TrimSpace(body), "\n") != 0 || !strings.HasPrefix(body, "demo cdn: ") {
				t.Errorf("error body not one line: %q", body)
			}
		})
	}
}

func TestCDNHopByHopHeadersAreDropped(t *testing.T) {
	src := http.Header{
		"Connection":        {"close, X-Secret-Hop"},
		"X-Secret-Hop":      {"1"},
		"Keep-Alive":        {"timeout=5"},
		"Transfer-Encoding": {"chunked"},
		"Cache-Tag":         {"a,b"},
		"Vary":              {"Origin"},
	}
	got := cleanHeader(src)
	for _, gone := range []string{"Connection", "X-Secret-Hop", "Keep-Alive", "Transfer-Encoding", "Cache-Tag"} {
		if _, ok := got[gone]; ok {
			t.Errorf("%s kept", gone)
		}
	}
	if got.Get("Vary") != "Origin" {
		t.Error("end-to-end header Vary dropped")
	}
}

func TestCDNPurgeMethods(t *testing.T) {
	app, admin := appOrigin, adminOrigin
	// fill stores: vary.json x3 variants, keyed.json x3 keys, no-vary x1, wildcard x1.
	fill := func(t *testing.T, f *cdnFixture) {
		for _, o := range []string{appOrigin, adminOrigin, noOrigin} {
			fetch(t, f.client, http.MethodGet, f.url+"/cors/vary.json", o)
			fetch(t, f.client, http.MethodGet, f.url+"/cors/keyed.json", o)
		}
		fetch(t, f.client, http.MethodGet, f.url+"/cors/no-vary.json", appOrigin)
		fetch(t, f.client, http.MethodGet, f.url+"/cors/wildcard.json?v=1", noOrigin)
		if f.cdn.Len() != 8 {
			t.Fatalf("fill stored %d objects, want 8", f.cdn.Len())
		}
	}
	host := func(f *cdnFixture) string { return strings.TrimPrefix(f.url, "http://") }
	hostname := func(f *cdnFixture) string { return strings.Split(host(f), ":")[0] }

	cases := []struct {
		name    string
		purge   func(f *cdnFixture) int
		removed int
		// after: path, origin, expected status on the next request
		after []struct{ path, origin, status string }
	}{
		{"URL on a Vary path removes every variant",
			func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/cors/vary.json", nil) }, 3,
			[]struct{ path, origin, status string }{{"/cors/vary.json", appOrigin, StatusMiss}, {"/cors/keyed.json", appOrigin, StatusHit}}},
		{"URL with an Origin on a Vary path still removes every variant",
			func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/cors/vary.json", &app) }, 3, nil},
		{"URL without Origin on a keyed path leaves the Origin-keyed copies",
			func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/cors/keyed.json", nil) }, 1,
			[]struct{ path, origin, status string }{{"/cors/keyed.json", noOrigin, StatusMiss}, {"/cors/keyed.json", appOrigin, StatusHit}, {"/cors/keyed.json", adminOrigin, StatusHit}}},
		{"URL with Origin on a keyed path removes exactly that copy",
			func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/cors/keyed.json", &admin) }, 1,
			[]struct{ path, origin, status string }{{"/cors/keyed.json", adminOrigin, StatusMiss}, {"/cors/keyed.json", appOrigin, StatusHit}, {"/cors/keyed.json", noOrigin, StatusHit}}},
		{"query must match", func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/cors/wildcard.json", nil) }, 0, nil},
		{"query matches", func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/cors/wildcard.json?v=1", nil) }, 1, nil},
		{"path is case-sensitive", func(f *cdnFixture) int { return f.cdn.Purge(f.url+"/CORS/no-vary.json", nil) }, 0, nil},
		{"scheme is case-insensitive", func(f *cdnFixture) int {
			return f.cdn.Purge("HTTP"+strings.TrimPrefix(f.url, "http")+"/cors/no-vary.json", nil)
		}, 1, nil},
		{"other host", func(f *cdnFixture) int { return f.cdn.Purge("http://example.com/cors/no-vary.json", nil) }, 0, nil},
		{"unparsable URL", func(f *cdnFixture) int { return f.cdn.Purge("http://[::1/x", nil) }, 0, nil},
		{"everything", func(f *cdnFixture) int { return f.cdn.PurgeAll() }, 8, nil},
		{"host with port", func(f *cdnFixture) int { return f.cdn.PurgeHosts([]string{host(f)}) }, 8, nil},
		{"host without port", func(f *cdnFixture) int { return f.cdn.PurgeHosts([]string{hostname(f)}) }, 8, nil},
		{"host with another port", func(f *cdnFixture) int { return f.cdn.PurgeHosts([]string{hostname(f) + ":1"}) }, 0, nil},
		{"prefix of a directory", func(f *cdnFixture) int { return f.cdn.PurgePrefixes([]string{host(f) + "/cors/"}) }, 8, nil},
		{"prefix ignores the query", func(f *cdnFixture) int { return f.cdn.PurgePrefixes([]string{host(f) + "/cors/wild"}) }, 1, nil},
		{"prefix of a keyed path takes every Origin", func(f *cdnFixture) int {
			return f.cdn.PurgePrefixes([]string{host(f) + "/cors/keyed.json"})
		}, 3, nil},
		{"prefix is case-sensitive", func(f *cdnFixture) int { return f.cdn.PurgePrefixes([]string{host(f) + "/CORS/"}) }, 0, nil},
		{"tag per path", func(f *cdnFixture) int { return f.cdn.PurgeTags([]string{"VARY"}) }, 3, nil},
		{"tag for all", func(f *cdnFixture) int { return f.cdn.PurgeTags([]string{"nothing", "corscope-demo"}) }, 8, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startCDN(t, CDNOptions{}, nil)
			fill(t, f)
			if got := tc.purge(f); got != tc.removed {
				t.Errorf("removed %d, want %d", got, tc.removed)
			}
			if got := f.cdn.Len(); got != 8-tc.removed {
				t.Errorf("Len = %d after purge, want %d", got, 8-tc.removed)
			}
			for _, a := range tc.after {
				resp, _ := fetch(t, f.client, http.MethodGet, f.url+a.path, a.origin)
				if got := resp.Header.Get("CF-Cache-Status"); got != a.status {
					t.Errorf("after purge %s (%q): %q, want %q", a.path, a.origin, got, a.status)
				}
			}
		})
	}
}

func TestCDNConcurrentUse(t *testing.T) {
	f := startCDN(t, CDNOptions{MaxObjects: 5}, nil)
	var wg sync.WaitGroup
	origins := []string{appOrigin, adminOrigin, noOrigin, evilOrigin}
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				path := Paths[i%9].Path + fmt.Sprintf("?g=%d", i%3)
				req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
				if o := origins[(g+i)%4]; o != noOrigin {
					req.Header.Set("Origin", o)
				}
				resp, err := f.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if i%5 == 0 {
					f.cdn.PurgeTags([]string{"vary"})
				}
			}
		}()
	}
	wg.Wait()
	if n := f.cdn.Len(); n > 5 {
		t.Errorf("stored %d objects, cap is 5", n)
	}
}

func TestHostMatching(t *testing.T) {
	norm := []struct{ scheme, in, want string }{
		{"http", "Example.COM:80", "example.com"},
		{"https", "example.com:443", "example.com"},
		{"http", "example.com:443", "example.com:443"},
		{"https", "[::1]:443", "[::1]"},
		{"http", "127.0.0.1:8080", "127.0.0.1:8080"},
	}
	for _, tc := range norm {
		if got := normHost(tc.scheme, tc.in); got != tc.want {
			t.Errorf("normHost(%q, %q) = %q, want %q", tc.scheme, tc.in, got, tc.want)
		}
	}
	match := []struct {
		want, stored string
		ok           bool
	}{
		{"example.com", "example.com", true},
		{"EXAMPLE.com", "example.com:8080", true},
		{"example.com:8080", "example.com:8080", true},
		{"example.com:8081", "example.com:8080", false},
		{"example.co", "example.com", false},
		{"::1", "[::1]:8080", true},
		{"[::1]", "[::1]:8080", true},
	}
	for _, tc := range match {
		if got := hostMatches(tc.want, tc.stored); got != tc.ok {
			t.Errorf("hostMatches(%q, %q) = %v, want %v", tc.want, tc.stored, got, tc.ok)
		}
	}
}
