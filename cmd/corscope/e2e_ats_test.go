package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/demo"
)

// TestRealTrafficServerIsNotSquid (issue 11 item 5): real Apache Traffic
// Server on loopback with Server: ATS/9.x, a verbose Via and
// X-Cache-Lookup: miss was reported as Squid, and the fix then named
// Squid. The provider must be trafficserver, and no fix may name Squid.
func TestRealTrafficServerIsNotSquid(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	base := cachetest.TrafficServer(t, cachetest.Host(origin.URL))
	tr := checkThrough(t, base, "/cors/no-vary.json", "--mode", "observe", "--rounds", "2")
	first := variant(t, tr, "", 1)
	lookup, _ := first.Response.Headers.Get("X-Cache-Lookup")
	server, _ := first.Response.Headers.Get("Server")
	via, _ := first.Response.Headers.Get("Via")
	if lookup == "" || !strings.HasPrefix(server, "ATS/") || !strings.Contains(via, "ApacheTrafficServer") {
		t.Fatalf("setup: X-Cache-Lookup %q, Server %q, Via %q", lookup, server, via)
	}
	if tr.Provider != cachemodel.ProviderTrafficServer {
		t.Errorf("provider %q, want %q (X-Cache-Lookup %q, Server %q)", tr.Provider, cachemodel.ProviderTrafficServer, lookup, server)
	}
	// ATS's own lookup result is read as the cache status, so the
	// no-Origin copy it serves to every Origin is seen as such: not
	// "CORS not enabled".
	if first.Cache.Status != cachemodel.StatusMiss || first.Cache.Source != "X-Cache-Lookup" {
		t.Errorf("no-Origin round 1: cache %s via %q", first.Cache.Status, first.Cache.Source)
	}
	for _, o := range e2eOrigins {
		if v := variant(t, tr, o, 1); v.Cache.Status != cachemodel.StatusHit || v.CORS.ACAO != nil {
			t.Errorf("%s: cache %s ACAO %s, want the no-Origin copy (HIT, no ACAO)", o, v.Cache.Status, acao(v))
		}
	}
	if tr.State != cachemodel.StateOK {
		t.Errorf("state %q (%s): a stored copy is no proof that CORS is off", tr.State, tr.StateDetail)
	}
	rules := map[string]bool{}
	for _, f := range tr.Findings {
		rules[f.Rule] = true
	}
	if !rules[cachemodel.RuleCachedCopyWithoutACAO] || rules[cachemodel.RuleCORSNotEnabled] {
		t.Errorf("findings %v", rules)
	}
	for _, f := range tr.Findings {
		if strings.Contains(strings.ToLower(f.Fix), "squid") {
			t.Errorf("%s fix names Squid: %s", f.Rule, f.Fix)
		}
	}
}

// TestRealTrafficServerViaCodes (issue 18): a stock Traffic Server sends
// no status header, only its Via codes. Read from the real ATS on
// loopback, they must say MISS on the first request, HIT while the copy is
// fresh, EXPIRED once it is stale and the origin sends a new one; and the
// check through it names trafficserver, with the Via as the status source.
func TestRealTrafficServerViaCodes(t *testing.T) {
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "public, max-age=1")
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Path == "/etag.txt" {
			w.Header().Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer origin.Close()
	base := cachetest.TrafficServerStock(t, cachetest.Host(origin.URL))
	get := func(path string) cachemodel.Headers {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		var h cachemodel.Headers
		for name, vals := range resp.Header {
			for _, v := range vals {
				h = append(h, cachemodel.Header{Name: name, Value: v})
			}
		}
		if _, ok := h.Get("X-Cache-Lookup"); ok {
			t.Fatal("setup: the stock ATS sends X-Cache-Lookup")
		}
		return h
	}
	want := func(h cachemodel.Headers, status cachemodel.CacheStatus) {
		t.Helper()
		via, _ := h.Get("Via")
		v := cachemodel.NormalizeCacheStatus(h)
		t.Logf("Via %q -> %s", via, v.Status)
		if v.Status != status || v.Source != "Via" {
			t.Errorf("Via %q: status %s from %q, want %s from Via", via, v.Status, v.Source, status)
		}
		if p := cachemodel.DetectProvider(h); p != cachemodel.ProviderTrafficServer {
			t.Errorf("Via %q: provider %s", via, p)
		}
	}
	want(get("/stale.txt"), cachemodel.StatusMiss)
	want(get("/stale.txt"), cachemodel.StatusHit)
	want(get("/etag.txt"), cachemodel.StatusMiss)
	time.Sleep(2500 * time.Millisecond)
	before := hits.Load()
	want(get("/stale.txt"), cachemodel.StatusExpired)
	// A stale copy the origin confirms with 304 is served from the cache.
	want(get("/etag.txt"), cachemodel.StatusRevalidated)
	if hits.Load() != before+2 {
		t.Errorf("setup: the stale requests did not reach the origin")
	}

	demoOrigin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer demoOrigin.Close()
	tr := checkThrough(t, cachetest.TrafficServerStock(t, cachetest.Host(demoOrigin.URL)), "/cors/no-vary.json", "--mode", "observe", "--rounds", "2")
	if tr.Provider != cachemodel.ProviderTrafficServer {
		t.Errorf("provider %q (evidence %q)", tr.Provider, tr.ProviderEvidence)
	}
	first := variant(t, tr, "", 1)
	if first.Cache.Status != cachemodel.StatusMiss || first.Cache.Source != "Via" {
		t.Errorf("no-Origin round 1: cache %s via %q", first.Cache.Status, first.Cache.Source)
	}
	for _, o := range e2eOrigins {
		if v := variant(t, tr, o, 1); v.Cache.Status != cachemodel.StatusHit || v.CORS.ACAO != nil {
			t.Errorf("%s: cache %s ACAO %s, want the no-Origin copy (HIT, no ACAO)", o, v.Cache.Status, acao(v))
		}
	}
}
