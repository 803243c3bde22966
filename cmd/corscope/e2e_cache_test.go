package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/demo"
)

var e2eOrigins = []string{"https://app.example.com", "https://admin.example.com"}

// checkThrough runs `check --format json` on a path behind a cache and
// returns the single target's report.
func checkThrough(t *testing.T, base, path string, extra ...string) cachemodel.TargetReport {
	t.Helper()
	args := append([]string{"check", "--format", "json", "--fail-on", "none", "-o", e2eOrigins[0], "-o", e2eOrigins[1]}, extra...)
	code, out, errs := runCLI(t, "", append(args, base+path)...)
	if code != exitOK {
		t.Fatalf("check %s: exit %d: %s", path, code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != 1 {
		t.Fatalf("want 1 target, got %d", len(rep.Targets))
	}
	return rep.Targets[0]
}

// variant finds the simple (non-preflight) result for an origin ("" = no
// Origin) in a round.
func variant(t *testing.T, tr cachemodel.TargetReport, origin string, round int) cachemodel.VariantResult {
	t.Helper()
	for _, v := range tr.Variants {
		o := ""
		if v.Origin != nil {
			o = *v.Origin
		}
		if o == origin && v.Round == round && !v.Preflight {
			return v
		}
	}
	t.Fatalf("no variant %q round %d", origin, round)
	return cachemodel.VariantResult{}
}

func acao(v cachemodel.VariantResult) string {
	if v.CORS.ACAO == nil {
		return "-"
	}
	return *v.CORS.ACAO
}

// TestCheckAgainstRealCaches is the core acceptance test: real Varnish and
// nginx on loopback in front of the demo origin, and check must report
// MISS then HIT and the ACAO each variant really got.
func TestCheckAgainstRealCaches(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	caches := map[string]struct {
		base     string
		provider cachemodel.Provider
		source   string
	}{
		"varnish": {cachetest.Varnish(t, cachetest.Host(origin.URL)), cachemodel.ProviderVarnish, "X-Varnish"},
		"nginx":   {cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{}), cachemodel.ProviderNginx, "X-Cache-Status"},
	}
	for name, c := range caches {
		t.Run(name, func(t *testing.T) {
			// Correct setup: Vary: Origin keeps a copy per Origin.
			tr := checkThrough(t, c.base, "/cors/vary.json")
			if tr.Provider != c.provider {
				t.Errorf("provider %q, want %q", tr.Provider, c.provider)
			}
			for _, o := range append([]string{""}, e2eOrigins...) {
				r1, r2 := variant(t, tr, o, 1), variant(t, tr, o, 2)
				if r1.Cache.Status != cachemodel.StatusMiss || r2.Cache.Status != cachemodel.StatusHit {
					t.Errorf("vary.json %q: cache %s then %s, want MISS then HIT", o, r1.Cache.Status, r2.Cache.Status)
				}
				if r2.Cache.Source != c.source {
					t.Errorf("cache source %q, want %q", r2.Cache.Source, c.source)
				}
				want := o
				if o == "" {
					want = "-"
				}
				if acao(r1) != want || acao(r2) != want {
					t.Errorf("vary.json %q: ACAO %q then %q, want %q", o, acao(r1), acao(r2), want)
				}
				if o != "" && (!*r2.CORS.Allowed || !strings.Contains(strings.Join(r2.CORS.Vary, ","), "Origin")) {
					t.Errorf("vary.json %q round 2 should be allowed with Vary: Origin: %+v", o, r2.CORS)
				}
			}
			// Missing Vary: the no-Origin response is stored first and
			// served to everyone, so CORS requests get no ACAO at all.
			tr = checkThrough(t, c.base, "/cors/no-vary.json")
			first := variant(t, tr, "", 1)
			if first.Cache.Status != cachemodel.StatusMiss {
				t.Errorf("no-vary first request: %s", first.Cache.Status)
			}
			for _, o := range e2eOrigins {
				v := variant(t, tr, o, 1)
				if v.Cache.Status != cachemodel.StatusHit || v.CORS.ACAO != nil || *v.CORS.Allowed || v.CORS.Reason != string(cachemodel.ReasonMissingACAO) {
					t.Errorf("no-vary %q: want a HIT without ACAO, blocked: cache=%s acao=%q %+v", o, v.Cache.Status, acao(v), v.CORS)
				}
			}
		})
	}
}

// TestObserveAfterNoOriginPrimedTheCache (issue 11 item 4): real Varnish
// in front of the demo's missing-Vary path. A request without Origin
// stores the copy; observe mode then sees every Origin get that copy (HIT,
// no ACAO), which looks like a resource without CORS. The report must say
// that the copy came from the cache and that isolate mode can tell the two
// apart, and must not call it "CORS not enabled".
func TestObserveAfterNoOriginPrimedTheCache(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	base := cachetest.Varnish(t, cachetest.Host(origin.URL))
	const path = "/cors/no-vary.json?primed=observe"
	tr := checkThrough(t, base, path, "--mode", "observe", "--rounds", "1")
	if tr.Provider != cachemodel.ProviderVarnish {
		t.Fatalf("provider %q", tr.Provider)
	}
	for _, o := range e2eOrigins {
		v := variant(t, tr, o, 1)
		if v.Cache.Status != cachemodel.StatusHit || v.CORS.ACAO != nil {
			t.Fatalf("setup: %s got %s, ACAO %s; want the no-Origin copy (HIT, no ACAO)", o, v.Cache.Status, acao(v))
		}
	}
	if tr.State != cachemodel.StateOK {
		t.Errorf("state %q (%s): stored copies are no proof that CORS is off", tr.State, tr.StateDetail)
	}
	var f *cachemodel.Finding
	for i := range tr.Findings {
		switch tr.Findings[i].Rule {
		case cachemodel.RuleCachedCopyWithoutACAO:
			f = &tr.Findings[i]
		case cachemodel.RuleCORSNotEnabled:
			t.Errorf("observe mode claims CORS is not enabled from stored copies: %+v", tr.Findings[i])
		}
	}
	if f == nil {
		t.Fatalf("no %s finding: %+v", cachemodel.RuleCachedCopyWithoutACAO, tr.Findings)
	}
	if !strings.Contains(f.Message, "served from the cache") || !strings.Contains(f.Fix, "--mode isolate") {
		t.Errorf("finding does not explain the cached copy or point to isolate mode: %+v", *f)
	}
	// Isolate mode asks the server on fresh keys and proves what observe
	// mode could not.
	tr = checkThrough(t, base, path)
	rules := map[string]bool{}
	for _, x := range tr.Findings {
		rules[x.Rule] = true
	}
	if !rules[cachemodel.RuleCacheServedWithoutACAO] || rules[cachemodel.RuleCachedCopyWithoutACAO] {
		t.Errorf("isolate mode: %v", rules)
	}
}
