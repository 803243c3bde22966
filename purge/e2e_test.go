package purge_test

// End-to-end: real Varnish and nginx (internal/cachetest) and the demo's
// Cloudflare-like CDN with its purge API, all on 127.0.0.1. Verification
// uses the real probe engine; the purge package itself only sees it as a
// runner.Engine.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/probe"
	"github.com/corscope/corscope/purge"
)

var origins = []string{"https://app.example.com", "https://admin.example.com"}

// variants are the three copies every test primes: no Origin and two.
var variants = append([]string{""}, origins...)

// cacheStatus GETs url with an Origin ("" for none) and returns the
// normalised cache status the way corscope reads it.
func cacheStatus(t *testing.T, rawURL, origin string) cachemodel.CacheStatus {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var h cachemodel.Headers
	for k, vs := range resp.Header {
		for _, v := range vs {
			h = append(h, cachemodel.Header{Name: k, Value: v})
		}
	}
	return cachemodel.NormalizeCacheStatus(h).Status
}

// prime fills the cache with every variant and checks each is now a HIT.
func prime(t *testing.T, rawURL string, which ...string) {
	t.Helper()
	for _, o := range which {
		cacheStatus(t, rawURL, o)
		if st := cacheStatus(t, rawURL, o); st != cachemodel.StatusHit {
			t.Fatalf("priming %q: second request %s, want HIT", o, st)
		}
	}
}

func plan(t *testing.T, rawURL string, withOrigins ...string) cachemodel.PurgePlan {
	t.Helper()
	u, err := cachemodel.ParseTargetURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cachemodel.BuildPurgePlan(cachemodel.PurgeURLs, nil, []*url.URL{u}, withOrigins)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func engine(t *testing.T) *probe.Engine {
	t.Helper()
	eng, err := probe.New(probe.Config{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

func run(t *testing.T, p cachemodel.PurgePlan, opt purge.Options) (*purge.Job, purge.Result) {
	t.Helper()
	job, err := purge.Prepare(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	res, err := purge.Execute(context.Background(), job, purge.ExecOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return job, res
}

func verifyAll(t *testing.T, job *purge.Job, res purge.Result) purge.Verification {
	t.Helper()
	v, err := purge.Verify(context.Background(), engine(t), job, res, purge.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantOutcomes(t *testing.T, v purge.Verification, want map[string]purge.VerifyOutcome) {
	t.Helper()
	if len(v.Checks) != len(want) {
		t.Errorf("%d checks, want %d", len(v.Checks), len(want))
	}
	for _, c := range v.Checks {
		if w, ok := want[c.Variant.Origin]; !ok || c.Outcome != w {
			t.Errorf("%s: %s (%s, %s), want %s", c.Variant.Label(), c.Outcome, c.Status, c.Reason, w)
		}
	}
}

// TestNginxPurgesOneVariantPerRequest is the "done means": with
// Origin in nginx's cache key, a plain URL purge leaves both Origin copies
// cached, and corscope's purge (one request per variant, each with its
// Origin) clears all three, which verification proves.
func TestNginxPurgesOneVariantPerRequest(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(origins))
	defer origin.Close()
	base := cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{KeyOnOrigin: true, Purge: true})
	target := base + "/cors/no-vary.json?v=1"
	entry := purge.Settings{Provider: purge.ProviderHTTP, Method: "PURGE", URLTemplate: "{scheme}://{host}/purge{path}"}
	opt := purge.Options{Providers: []purge.Settings{entry}}

	prime(t, target, variants...)

	// A plain URL purge: one request, no Origin.
	_, res := run(t, plan(t, target), opt)
	if len(res.Requests) != 1 || res.Requests[0].Status != 200 {
		t.Fatalf("plain purge: %+v", res.Requests)
	}
	for _, o := range origins {
		if st := cacheStatus(t, target, o); st != cachemodel.StatusHit {
			t.Errorf("after a plain URL purge the %s copy is %s; nginx should still hold it", o, st)
		}
	}
	if st := cacheStatus(t, target, ""); st != cachemodel.StatusMiss {
		t.Errorf("the plain purge did not remove the no-Origin copy: %s", st)
	}

	// corscope's purge: every variant.
	job, res := run(t, plan(t, target, origins...), opt)
	if len(res.Requests) != 3 {
		t.Fatalf("%d requests, want one per variant", len(res.Requests))
	}
	for _, r := range res.Requests {
		if !r.OK || r.Status != 200 || r.NotCached {
			t.Errorf("%s: %+v", r.Request.Covers[0].Variant.Label(), r)
		}
	}
	v := verifyAll(t, job, res)
	wantOutcomes(t, v, map[string]purge.VerifyOutcome{"": purge.Purged, origins[0]: purge.Purged, origins[1]: purge.Purged})

	// Verification refilled the cache. Purge twice: the second purge finds
	// nothing, which the module reports as 404 or 412, not as a failure.
	run(t, plan(t, target, origins...), opt)
	_, res = run(t, plan(t, target, origins...), opt)
	for _, r := range res.Requests {
		if !r.OK || !r.NotCached || (r.Status != 404 && r.Status != 412) {
			t.Errorf("purging an absent copy: %+v", r)
		}
	}
}

// TestNginxPurgeMissesAnOriginCopy shows verification naming a copy the
// purge did not include.
func TestNginxPurgeMissesAnOriginCopy(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(origins))
	defer origin.Close()
	base := cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{KeyOnOrigin: true, Purge: true})
	target := base + "/cors/vary.json"
	entry := purge.Settings{Provider: purge.ProviderHTTP, Method: "PURGE", URLTemplate: "{scheme}://{host}/purge{path}"}

	prime(t, target, variants...)
	// nginx sends no Age; the demo origin's ETag (a per-fetch counter) is
	// what tells the old copy from the one verification refills.
	// Purge only no-Origin and the first origin, then verify all three
	// copies: the job of the full plan, with the narrower purge's result.
	_, res := run(t, plan(t, target, origins[0]), purge.Options{Providers: []purge.Settings{entry}})
	full, err := purge.Prepare(plan(t, target, origins...), purge.Options{Providers: []purge.Settings{entry}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := purge.Verify(context.Background(), engine(t), full, res, purge.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantOutcomes(t, v, map[string]purge.VerifyOutcome{"": purge.Purged, origins[0]: purge.Purged, origins[1]: purge.StillCached})
	for _, c := range v.Checks {
		if c.Variant.Origin == origins[1] && !strings.Contains(c.Reason, "not included in the purge") {
			t.Errorf("reason %q", c.Reason)
		}
	}
}

// TestVarnishPurgeDropsAllVariants: Varnish's purge removes every Vary
// variant, so even the plain URL purge clears all three; corscope's
// per-variant requests are harmless there.
func TestVarnishPurgeDropsAllVariants(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(origins))
	defer origin.Close()
	base := cachetest.Varnish(t, cachetest.Host(origin.URL))
	target := base + "/cors/vary.json"
	opt := purge.Options{Provider: purge.ProviderHTTP} // no config: PURGE to the URL itself

	prime(t, target, variants...)
	_, res := run(t, plan(t, target), opt)
	if len(res.Requests) != 1 || res.Requests[0].Status != 200 {
		t.Fatalf("plain purge: %+v", res.Requests)
	}
	for _, o := range variants {
		if st := cacheStatus(t, target, o); st != cachemodel.StatusMiss {
			t.Errorf("after Varnish's purge the %q copy is %s, want MISS", o, st)
		}
	}

	prime(t, target, variants...)
	job, res := run(t, plan(t, target, origins...), opt)
	if len(res.Requests) != 3 {
		t.Fatalf("%d requests", len(res.Requests))
	}
	v := verifyAll(t, job, res)
	wantOutcomes(t, v, map[string]purge.VerifyOutcome{"": purge.Purged, origins[0]: purge.Purged, origins[1]: purge.Purged})
}

// demoCloudflare runs the demo origin, its Cloudflare-like CDN and the
// Cloudflare-shaped purge API.
func demoCloudflare(t *testing.T) (cdnURL string, api *demo.PurgeAPI, entry purge.Settings, env func(string) string) {
	t.Helper()
	origin := httptest.NewServer(demo.OriginHandler(origins))
	t.Cleanup(origin.Close)
	cdn := demo.NewCDN(origin.URL, demo.CDNOptions{})
	t.Cleanup(cdn.CloseIdleConnections)
	front := httptest.NewServer(cdn)
	t.Cleanup(front.Close)
	const zone, token = "0123456789abcdef0123456789abcdef", "demo-token-abc123-SECRET"
	api = demo.NewPurgeAPI(cdn, zone, token)
	apiSrv := httptest.NewServer(api)
	t.Cleanup(apiSrv.Close)
	entry = purge.Settings{Provider: purge.ProviderCloudflare, APIBase: apiSrv.URL + "/client/v4", ZoneID: zone, BatchSize: 30, TokenEnv: "DEMO_CF_TOKEN"}
	env = func(k string) string {
		if k == "DEMO_CF_TOKEN" {
			return token
		}
		return ""
	}
	return front.URL, api, entry, env
}

// TestCloudflareDemoEndToEnd: the demo CDN keys /cors/keyed.json on Origin
// like Cloudflare; a files purge without headers.Origin leaves the Origin
// copies, corscope's per-variant files clear them.
func TestCloudflareDemoEndToEnd(t *testing.T) {
	cdnURL, api, entry, env := demoCloudflare(t)
	target := cdnURL + "/cors/keyed.json"
	opt := purge.Options{Providers: []purge.Settings{entry}, Getenv: env}

	prime(t, target, variants...)
	run(t, plan(t, target), opt)
	for _, o := range origins {
		if st := cacheStatus(t, target, o); st != cachemodel.StatusHit {
			t.Errorf("plain files purge removed the %s copy (%s); the demo CDN keys on Origin", o, st)
		}
	}

	prime(t, target, variants...)
	job, res := run(t, plan(t, target, origins...), opt)
	reqs := api.Requests()
	last := reqs[len(reqs)-1]
	if !last.Authorized || !last.Success || last.Removed != 3 || last.Action != "purge_cache" {
		t.Errorf("purge API saw %+v", last)
	}
	if res.Requests[0].IDs[0] == "" {
		t.Error("no purge id")
	}
	v := verifyAll(t, job, res)
	wantOutcomes(t, v, map[string]purge.VerifyOutcome{"": purge.Purged, origins[0]: purge.Purged, origins[1]: purge.Purged})

	// A tag purge (the origin sets Cache-Tag: corscope-demo,keyed) takes
	// every variant at once.
	prime(t, target, variants...)
	u, _ := cachemodel.ParseTargetURL(target)
	tp, err := cachemodel.BuildPurgePlan(cachemodel.PurgeTags, []string{"keyed"}, []*url.URL{u}, origins)
	if err != nil {
		t.Fatal(err)
	}
	job, res = run(t, tp, opt)
	wantOutcomes(t, verifyAll(t, job, res), map[string]purge.VerifyOutcome{"": purge.Purged, origins[0]: purge.Purged, origins[1]: purge.Purged})

	// A wrong token: the API's 403 surfaces as an API failure.
	bad := purge.Options{Providers: []purge.Settings{entry}, Getenv: func(string) string { return "wrong-token" }}
	job, err = purge.Prepare(plan(t, target), bad)
	if err != nil {
		t.Fatal(err)
	}
	_, err = purge.Execute(context.Background(), job, purge.ExecOptions{})
	if err == nil || !strings.Contains(err.Error(), "code 10000: Authentication error") || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("wrong token: %v", err)
	}
}

// TestCloudflareDemoNullCopyReported: Cloudflare's API takes no Origin:
// null, so that copy is skipped and verification names it.
func TestCloudflareDemoNullCopyReported(t *testing.T) {
	cdnURL, _, entry, env := demoCloudflare(t)
	target := cdnURL + "/cors/keyed.json"
	prime(t, target, "", origins[0], "null")
	job, res := run(t, plan(t, target, origins[0], "null"), purge.Options{Providers: []purge.Settings{entry}, Getenv: env})
	v := verifyAll(t, job, res)
	wantOutcomes(t, v, map[string]purge.VerifyOutcome{"": purge.Purged, origins[0]: purge.Purged, "null": purge.StillCached})
	for _, c := range v.Checks {
		if c.Variant.Origin == "null" && !strings.Contains(c.Reason, "not included in the purge") {
			t.Errorf("reason %q", c.Reason)
		}
	}
}
