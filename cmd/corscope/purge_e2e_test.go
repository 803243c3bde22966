package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/demo"
)

// cacheStatusOf GETs url with an Origin ("" for none) and returns the
// normalised cache status. Raw requests, not `check`, so these tests do
// not depend on check's modes and cache busters.
func cacheStatusOf(t *testing.T, rawURL, origin string) cachemodel.CacheStatus {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
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

// primeVariants stores the no-Origin, e2e-origin and null copies and checks
// each is then served from the cache.
func primeVariants(t *testing.T, base, path string) {
	t.Helper()
	for _, o := range append([]string{"", "null"}, e2eOrigins...) {
		cacheStatusOf(t, base+path, o)
		if st := cacheStatusOf(t, base+path, o); st != cachemodel.StatusHit {
			t.Fatalf("priming %q: %s, want HIT", o, st)
		}
	}
}

// statusOf returns the cache status of the no-Origin and e2e-origin copies.
func statusOf(t *testing.T, base, path string) map[string]cachemodel.CacheStatus {
	t.Helper()
	out := map[string]cachemodel.CacheStatus{}
	for _, o := range append([]string{""}, e2eOrigins...) {
		out[o] = cacheStatusOf(t, base+path, o)
	}
	return out
}

// TestPurgeCLINginx: with Origin in nginx's key, a plain `corscope purge
// URL` clears only the no-Origin copy (both Origin copies are still HITs), while `corscope purge -o A -o B URL` clears all three and its
// verification says so.
func TestPurgeCLINginx(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	base := cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{KeyOnOrigin: true, Purge: true})
	cfg := writeConfig(t, `
[[purge]]
provider = "http"
hosts = ["127.0.0.1"]
method = "PURGE"
url_template = "{scheme}://{host}/purge{path}"
`, 0o600)
	env := purgeEnv(t)
	path := "/cors/no-vary.json"

	primeVariants(t, base, path)
	r := runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", base+path)
	if r.code != exitOK || !strings.Contains(r.stdout, "verify: re-probed 1 cached copy: 1 purged") {
		t.Fatalf("plain purge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st := statusOf(t, base, path)
	for _, o := range e2eOrigins {
		if st[o] != cachemodel.StatusHit {
			t.Errorf("after a plain URL purge %s is %s; nginx keeps the Origin copies", o, st[o])
		}
	}

	r = runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], base+path)
	if r.code != exitOK {
		t.Fatalf("variant purge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"✓ PURGE " + base + "/purge" + path + " [(no Origin)] → 200 purged",
		"✓ PURGE " + base + "/purge" + path + " [" + e2eOrigins[0] + "] → 200 purged",
		"verify: re-probed 3 cached copies: 3 purged, 0 still cached, 0 unknown",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestPurgeCLIVarnish: no config, --provider http sends PURGE to the URL
// itself; Varnish drops every variant.
func TestPurgeCLIVarnish(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	base := cachetest.Varnish(t, cachetest.Host(origin.URL))
	path := "/cors/vary.json"
	primeVariants(t, base, path)
	r := runPurgeCLI(t, purgeEnv(t), "", false, "purge", "--provider", "http", "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], base+path)
	if r.code != exitOK || !strings.Contains(r.stdout, "3 purged, 0 still cached") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestPurgeCLIDemoCloudflare: the demo CDN (Origin in the key on
// /cors/keyed.json) behind its Cloudflare-shaped purge API. The Origin:
// null copy cannot go through Cloudflare's URL purge, so verification
// names it and the exit code is 1.
func TestPurgeCLIDemoCloudflare(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	cdn := demo.NewCDN(origin.URL, demo.CDNOptions{})
	defer cdn.CloseIdleConnections()
	front := httptest.NewServer(cdn)
	defer front.Close()
	api := demo.NewPurgeAPI(cdn, "abcdef0123456789abcdef0123456789", purgeToken)
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	cfg := writeConfig(t, `
[[purge]]
provider = "cloudflare"
token_env = "CF_TEST_TOKEN"
api_base = "`+apiSrv.URL+`/client/v4"
zone_id = "abcdef0123456789abcdef0123456789"
`, 0o600)
	env := purgeEnv(t)
	path := "/cors/keyed.json"

	primeVariants(t, front.URL, path)
	r := runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], front.URL+path)
	if r.code != exitOK || !strings.Contains(r.stdout, "3 purged, 0 still cached") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	reqs := api.Requests()
	if last := reqs[len(reqs)-1]; !last.Authorized || !last.Success || last.Removed != 3 {
		t.Errorf("purge API saw %+v", last)
	}
	if strings.Contains(r.stdout, "the re-probe is served") {
		t.Errorf("a clean re-probe is reported as failing again:\n%s", r.stdout)
	}

	// A URL whose cause is not fixed (no Vary: Origin): the purge clears
	// the copies, the re-probe is poisoned again, and the output says so
	// rather than leave "✓ purged" to be read as fixed.
	primeVariants(t, front.URL, "/cors/no-vary.json")
	r = runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], front.URL+"/cors/no-vary.json")
	if !strings.Contains(r.stdout, "⚠ the re-probe is served copies made for another request again ([HIGH] cache-served-wrong-origin): the purge removed the old copies, but the cause is at the origin") {
		t.Errorf("exit %d, stdout lacks the recurring-finding note:\n%s%s", r.code, r.stdout, r.stderr)
	}

	primeVariants(t, front.URL, path) // stores the null copy again too
	r = runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", "-o", e2eOrigins[0], "-o", "null", front.URL+path)
	if r.code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		front.URL + path + " null: Cloudflare's purge API takes Origin values",
		"✗ still cached",
		"null copy not included in the purge",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "1 of 3 cached copies still cached after the purge") {
		t.Errorf("stderr %q", r.stderr)
	}
}
