package main

import (
	"net/http/httptest"
	"strings"
	"testing"

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
