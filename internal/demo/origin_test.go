package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func startOrigin(t *testing.T) (*httptest.Server, *origin) {
	t.Helper()
	h := OriginHandler(testAllowed)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h.(*origin)
}

// corsWant is the CORS part of an expected response; "" means absent.
type corsWant struct{ acao, acac, vary string }

func TestOriginCORSHeadersPerPath(t *testing.T) {
	srv, _ := startOrigin(t)
	client := newTestClient(t)

	none := corsWant{}
	cases := []struct {
		path                            string
		cacheControl                    string
		noOrig, app, admin, evil, nullO corsWant
	}{
		{"/cors/vary.json", sharedCacheable,
			corsWant{vary: "Origin"}, corsWant{appOrigin, "", "Origin"}, corsWant{adminOrigin, "", "Origin"},
			corsWant{vary: "Origin"}, corsWant{vary: "Origin"}},
		{"/cors/no-vary.json", sharedCacheable,
			none, corsWant{acao: appOrigin}, corsWant{acao: adminOrigin}, none, none},
		{"/cors/no-acao-without-origin.js", sharedCacheable,
			none, corsWant{acao: appOrigin}, corsWant{acao: adminOrigin}, none, none},
		{"/cors/wildcard.json", sharedCacheable,
			corsWant{acao: "*"}, corsWant{acao: "*"}, corsWant{acao: "*"}, corsWant{acao: "*"}, corsWant{acao: "*"}},
		{"/cors/wildcard-credentials.json", sharedCacheable,
			corsWant{"*", "true", ""}, corsWant{"*", "true", ""}, corsWant{"*", "true", ""}, corsWant{"*", "true", ""}, corsWant{"*", "true", ""}},
		{"/cors/reflect-any.json", sharedCacheable,
			corsWant{vary: "Origin"}, corsWant{appOrigin, "true", "Origin"}, corsWant{adminOrigin, "true", "Origin"},
			corsWant{evilOrigin, "true", "Origin"}, corsWant{"null", "true", "Origin"}},
		{"/cors/null.json", sharedCacheable,
			corsWant{vary: "Origin"}, corsWant{appOrigin, "true", "Origin"}, corsWant{adminOrigin, "true", "Origin"},
			corsWant{vary: "Origin"}, corsWant{"null", "true", "Origin"}},
		{"/cors/private.json", "private, max-age=300",
			none, corsWant{acao: appOrigin}, corsWant{acao: adminOrigin}, none, none},
		{"/cors/keyed.json", sharedCacheable,
			none, corsWant{acao: appOrigin}, corsWant{acao: adminOrigin}, none, none},
	}
	for _, tc := range cases {
		variants := []struct {
			name, origin string
			want         corsWant
		}{
			{"no origin", noOrigin, tc.noOrig},
			{"allowed app", appOrigin, tc.app},
			{"allowed admin", adminOrigin, tc.admin},
			{"disallowed", evilOrigin, tc.evil},
			{"null", "null", tc.nullO},
		}
		for _, v := range variants {
			t.Run(tc.path+"/"+v.name, func(t *testing.T) {
				resp, body := fetch(t, client, http.MethodGet, srv.URL+tc.path, v.origin)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, want 200", resp.StatusCode)
				}
				assertCORS(t, resp.Header, v.want)
				if got := resp.Header.Get("Cache-Control"); got != tc.cacheControl {
					t.Errorf("Cache-Control = %q, want %q", got, tc.cacheControl)
				}
				for _, name := range []string{"Date", "ETag", "Last-Modified", "X-Origin-Hits", "Cache-Tag"} {
					if resp.Header.Get(name) == "" {
						t.Errorf("%s missing", name)
					}
				}
				if body == "" {
					t.Error("empty body")
				}
			})
		}
	}
}

func assertCORS(t *testing.T, h http.Header, want corsWant) {
	t.Helper()
	checks := []struct{ name, want string }{
		{"Access-Control-Allow-Origin", want.acao},
		{"Access-Control-Allow-Credentials", want.acac},
		{"Vary", want.vary},
	}
	for _, c := range checks {
		got := h.Values(c.name)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s = %q, want absent", c.name, got)
		case c.want != "" && (len(got) != 1 || got[0] != c.want):
			t.Errorf("%s = %q, want exactly %q", c.name, got, c.want)
		}
	}
}

func TestOriginPreflight(t *testing.T) {
	srv, _ := startOrigin(t)
	client := newTestClient(t)
	cases := []struct {
		path, origin string
		granted      bool
		want         corsWant
	}{
		{"/cors/vary.json", appOrigin, true, corsWant{appOrigin, "", "Origin"}},
		{"/cors/vary.json", evilOrigin, false, corsWant{vary: "Origin"}},
		{"/cors/vary.json", noOrigin, false, corsWant{vary: "Origin"}},
		{"/cors/no-vary.json", adminOrigin, true, corsWant{acao: adminOrigin}},
		{"/cors/no-vary.json", "null", false, corsWant{}},
		{"/cors/wildcard.json", evilOrigin, true, corsWant{acao: "*"}},
		{"/cors/wildcard-credentials.json", appOrigin, true, corsWant{"*", "true", ""}},
		{"/cors/reflect-any.json", evilOrigin, true, corsWant{evilOrigin, "true", "Origin"}},
		{"/cors/null.json", "null", true, corsWant{"null", "true", "Origin"}},
		{"/cors/null.json", evilOrigin, false, corsWant{vary: "Origin"}},
		{"/cors/private.json", appOrigin, true, corsWant{acao: appOrigin}},
		{"/cors/big.bin", appOrigin, true, corsWant{acao: "*"}},
	}
	for _, tc := range cases {
		t.Run(tc.path+"/"+strings.ReplaceAll(tc.origin, "\x00", ""), func(t *testing.T) {
			resp, body := fetch(t, client, http.MethodOptions, srv.URL+tc.path, tc.origin)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status = %d, want 204", resp.StatusCode)
			}
			if body != "" {
				t.Errorf("preflight body = %q, want empty", body)
			}
			assertCORS(t, resp.Header, tc.want)
			wantM, wantH, wantA := "", "", ""
			if tc.granted {
				wantM, wantH, wantA = allowMethods, allowHeaders, "600"
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods"); got != wantM {
				t.Errorf("ACAM = %q, want %q", got, wantM)
			}
			if got := resp.Header.Get("Access-Control-Allow-Headers"); got != wantH {
				t.Errorf("ACAH = %q, want %q", got, wantH)
			}
			if got := resp.Header.Get("Access-Control-Max-Age"); got != wantA {
				t.Errorf("ACMA = %q, want %q", got, wantA)
			}
			if got := resp.Header.Get("Cache-Control"); got != "" {
				t.Errorf("preflight Cache-Control = %q, want none", got)
			}
		})
	}
}

func TestOriginHitsAndValidatorsChange(t *testing.T) {
	srv, _ := startOrigin(t)
	client := newTestClient(t)
	first, _ := fetch(t, client, http.MethodGet, srv.URL+"/cors/vary.json", appOrigin)
	second, _ := fetch(t, client, http.MethodGet, srv.URL+"/cors/vary.json", noOrigin)
	other, _ := fetch(t, client, http.MethodGet, srv.URL+"/cors/no-vary.json", noOrigin)

	if got := first.Header.Get("X-Origin-Hits"); got != "1" {
		t.Errorf("first hits = %q, want 1", got)
	}
	if got := second.Header.Get("X-Origin-Hits"); got != "2" {
		t.Errorf("second hits = %q, want 2", got)
	}
	if got := other.Header.Get("X-Origin-Hits"); got != "1" {
		t.Errorf("hits are per path: no-vary hits = %q, want 1", got)
	}
	if first.Header.Get("ETag") == second.Header.Get("ETag") {
		t.Errorf("ETag did not change between origin responses: %q", first.Header.Get("ETag"))
	}
	if _, err := time.Parse(http.TimeFormat, first.Header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified not an HTTP date: %v", err)
	}
}

func TestOriginMethodsAndOtherPaths(t *testing.T) {
	srv, _ := startOrigin(t)
	client := newTestClient(t)
	cases := []struct {
		method, path string
		status       int
		emptyBody    bool
	}{
		{http.MethodPost, "/cors/vary.json", http.StatusOK, false},
		{http.MethodHead, "/cors/vary.json", http.StatusOK, true},
		{http.MethodHead, BigPath, http.StatusOK, true},
		{http.MethodDelete, "/cors/vary.json", http.StatusMethodNotAllowed, false},
		{http.MethodGet, "/cors/unknown.json", http.StatusNotFound, false},
		{http.MethodGet, "/", http.StatusOK, false},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := fetch(t, client, tc.method, srv.URL+tc.path, appOrigin)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if (body == "") != tc.emptyBody {
				t.Errorf("body = %q, emptyBody want %v", body, tc.emptyBody)
			}
		})
	}

	resp, body := fetch(t, client, http.MethodGet, srv.URL+"/", noOrigin)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("index Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
	var index []PathInfo
	if err := json.Unmarshal([]byte(body), &index); err != nil || len(index) != len(Paths) {
		t.Fatalf("index = %q (%v), want %d paths", body, err, len(Paths))
	}
}

// Paths is documentation; routes is behaviour: they must name the same set.
func TestPathsMatchRoutes(t *testing.T) {
	if len(Paths) != len(routes) {
		t.Fatalf("Paths has %d entries, routes %d", len(Paths), len(routes))
	}
	for _, p := range Paths {
		if _, ok := routes[p.Path]; !ok {
			t.Errorf("Paths lists %s but the origin has no route for it", p.Path)
		}
		if p.Behaviour == "" || p.Expected == "" {
			t.Errorf("%s: Behaviour and Expected must be filled", p.Path)
		}
	}
}

func TestOriginBigStopsWhenClientLeaves(t *testing.T) {
	srv, o := startOrigin(t)
	client := newTestClient(t)
	resp, err := client.Get(srv.URL + BigPath)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != BigSize {
		t.Errorf("Content-Length = %d, want %d", resp.ContentLength, BigSize)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("ACAO = %q, want *", resp.Header.Get("Access-Control-Allow-Origin"))
	}
	got, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if err != nil || got != 1<<20 {
		t.Fatalf("read %d bytes (%v), want 1 MiB", got, err)
	}
	resp.Body.Close() // closes the connection: the body was not drained
	waitFor(t, "big.bin handler to stop", func() bool { return o.streams.Load() == 0 })
	// Socket buffers absorb a few MiB at most; far below the 1 GiB body.
	if n := o.streamed.Load(); n > 64<<20 {
		t.Errorf("origin wrote %d bytes after the client left, want < 64 MiB", n)
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
