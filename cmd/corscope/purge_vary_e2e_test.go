package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
)

// varyOrigin answers every GET with Vary: Origin, the reflected ACAO for
// an allowed Origin, a shared-cacheable Cache-Control and the origin's own
// fetch counter in X-Origin-Hits. There is no ETag or Last-Modified and the
// body is the same on every fetch: only the counter tells one fetch from
// another.
func varyOrigin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	return testOrigin(t, true, true)
}

// testOrigin is varyOrigin with Vary: Origin and the counter optional.
func testOrigin(t *testing.T, vary, counter bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	hits := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		h := w.Header()
		if vary {
			h.Set("Vary", "Origin")
		}
		h.Set("Cache-Control", "public, max-age=120")
		h.Set("Content-Type", "application/json")
		if counter {
			h.Set("X-Origin-Hits", fmt.Sprint(n))
		}
		if o := r.Header.Get("Origin"); o == e2eOrigins[0] || o == e2eOrigins[1] {
			h.Set("Access-Control-Allow-Origin", o)
		}
		_, _ = w.Write([]byte(`{"static":true}` + "\n"))
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// TestPurgeCLINginxVaryVariantSurvives is issue 11 item 1: nginx stores
// one copy per Origin under one key (Vary: Origin), and ngx_cache_purge
// reaches only the copy stored under the plain key. The purge answers 200
// for no Origin and 404 for both Origin variants; re-probing then finds the
// admin copy still served from the cache with the pre-purge fetch counter.
// corscope must call that copy still cached (exit 1), never exit 0.
func TestPurgeCLINginxVaryVariantSurvives(t *testing.T) {
	origin, hits := varyOrigin(t)
	base := cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{Purge: true})
	cfg := writeConfig(t, `
[[purge]]
provider = "http"
hosts = ["127.0.0.1"]
method = "PURGE"
url_template = "{scheme}://{host}/purge{path}"
`, 0o600)
	target := base + "/asset.json"
	for _, o := range []string{"", e2eOrigins[0], e2eOrigins[1]} {
		cacheStatusOf(t, target, o)
		if st := cacheStatusOf(t, target, o); st != cachemodel.StatusHit {
			t.Fatalf("priming %q: %s, want HIT", o, st)
		}
	}
	if n := hits.Load(); n != 3 {
		t.Fatalf("priming fetched %d times from the origin, want 3 (one per variant)", n)
	}

	r := runPurgeCLI(t, purgeEnv(t), "", false, "purge", "--config", cfg, "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], target)
	t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)

	// What nginx really did: the admin copy is the one fetched while priming.
	if st := cacheStatusOf(t, target, e2eOrigins[1]); st != cachemodel.StatusHit {
		t.Fatalf("after the purge the admin copy is %s; the scenario needs it to survive", st)
	}
	if r.code != exitFindings {
		t.Errorf("exit %d, want %d (a copy is still cached)", r.code, exitFindings)
	}
	var adminLine string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, target) && strings.HasSuffix(strings.SplitN(l, ": ", 2)[0], e2eOrigins[1]) {
			adminLine = l
		}
	}
	if !strings.Contains(adminLine, "✗ still cached") {
		t.Errorf("admin copy reported as %q, want ✗ still cached", adminLine)
	}
}

// TestPurgeCLIUnknownExits4: nginx keeps one copy for every Origin (no
// Vary, URL-only key) of a response that is the same on every fetch. After
// the purge the first re-probe refills the cache and the others hit that
// copy, which nothing tells from the old one (the copy was primed with the
// app Origin, so even its ACAO is the refill's): they are unknown, and
// unknown is exit 4, never 0.
func TestPurgeCLIUnknownExits4(t *testing.T) {
	origin, _ := testOrigin(t, false, false)
	base := cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{Purge: true})
	cfg := writeConfig(t, `
[[purge]]
provider = "http"
hosts = ["127.0.0.1"]
method = "PURGE"
url_template = "{scheme}://{host}/purge{path}"
`, 0o600)
	target := base + "/static.json"
	cacheStatusOf(t, target, e2eOrigins[0])
	if st := cacheStatusOf(t, target, ""); st != cachemodel.StatusHit {
		t.Fatalf("priming: %s", st)
	}
	r := runPurgeCLI(t, purgeEnv(t), "", false, "purge", "--config", cfg, "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], target)
	if r.code != exitUnknown {
		t.Errorf("exit %d, want %d\n%s%s", r.code, exitUnknown, r.stdout, r.stderr)
	}
	for _, want := range []string{"verify: re-probed 3 cached copies: 1 purged, 0 still cached, 2 unknown", "? unknown"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 of 3 cached copies could not be verified (unknown)") {
		t.Errorf("stderr %q", r.stderr)
	}
}
