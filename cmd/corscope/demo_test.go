package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/tui"
)

func TestDemoCheckRunsEndToEnd(t *testing.T) {
	code, out, errs := runCLI(t, "", "demo", "--check", "--format", "json")
	if code != exitOK {
		t.Fatalf("demo --check: exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) < 8 || rep.Summary.Failed != 0 {
		t.Fatalf("demo report: %d targets, %d failed", len(rep.Targets), rep.Summary.Failed)
	}
	for _, tr := range rep.Targets {
		if !strings.HasPrefix(tr.URL, "http://127.0.0.1:") {
			t.Fatalf("demo must stay on loopback: %s", tr.URL)
		}
		if tr.Provider != cachemodel.ProviderCloudflare {
			t.Errorf("%s: provider %s, the demo CDN looks like Cloudflare", tr.URL, tr.Provider)
		}
		// The demo CDN names its edge in CF-Ray's suffix (issue 14).
		for _, v := range tr.Variants {
			if v.Response != nil && v.Edge != "DEMO" {
				t.Fatalf("%s %s: edge %q, want the demo CDN's DEMO", tr.URL, v.Label, v.Edge)
			}
		}
	}
	code, out, errs = runCLI(t, "", "demo", "--check", "--format", "table")
	if code != exitOK || !strings.Contains(out, "provider cloudflare · edge DEMO · ") {
		t.Errorf("demo table does not name the edge: exit %d %s\n%s", code, errs, out)
	}
}

// demoExpected is what `demo --check` (isolate mode, the demo's two
// origins) finds on each path behind the demo CDN: the "demo-cdn" column
// of TestE2EFindingsMatrix, which checks the same paths behind real Varnish
// and nginx too. Findings as sorted "rule:severity", then the cache-key
// facts.
var demoExpected = map[string]struct{ findings, facts string }{
	"/cors/vary.json":                 {"", "key=null vary=true cacheable=true"},
	"/cors/no-vary.json":              {"cache-served-without-acao:medium cache-served-wrong-origin:high vary-origin-missing:medium", "key=false vary=null cacheable=true"},
	"/cors/no-acao-without-origin.js": {"cache-served-without-acao:medium cache-served-wrong-origin:high vary-origin-missing:medium", "key=false vary=null cacheable=true"},
	"/cors/wildcard.json":             {"wildcard-origin:info", "key=false vary=null cacheable=true"},
	"/cors/wildcard-credentials.json": {"credentialed-response-shared-cacheable:medium wildcard-with-credentials:low", "key=false vary=null cacheable=true"},
	"/cors/reflect-any.json":          {"credentialed-response-shared-cacheable:medium origin-reflected-any:high", "key=null vary=true cacheable=true"},
	"/cors/null.json":                 {"credentialed-response-shared-cacheable:medium origin-null-allowed:high", "key=null vary=true cacheable=true"},
	"/cors/private.json":              {"", "key=null vary=null cacheable=false"},
	"/cors/keyed.json":                {"vary-origin-missing:info", "key=true vary=null cacheable=true"},
}

// TestDemoCheckFindsWhatEachPathShows is issue 6's headless demo test: the
// findings and cache-key facts of every demo path, exactly, and each
// path's documented Expected rules among them (nothing above info where it
// says "none").
func TestDemoCheckFindsWhatEachPathShows(t *testing.T) {
	code, out, errs := runCLI(t, "", "demo", "--check", "--format", "json")
	if code != exitOK {
		t.Fatalf("demo --check: exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if rep.Mode != "isolate" {
		t.Errorf("demo --check ran in %q mode, want check's default, isolate", rep.Mode)
	}
	byPath := map[string]cachemodel.TargetReport{}
	for _, tr := range rep.Targets {
		i := strings.Index(tr.URL, "/cors/")
		if i < 0 {
			t.Fatalf("unexpected target %s", tr.URL)
		}
		byPath[tr.URL[i:]] = tr
	}
	if len(byPath) != len(demo.Paths)-1 {
		t.Errorf("%d paths checked, want every path but %s (%d)", len(byPath), demo.BigPath, len(demo.Paths)-1)
	}
	for _, p := range demo.Paths {
		if p.Path == demo.BigPath {
			continue
		}
		tr, ok := byPath[p.Path]
		want, known := demoExpected[p.Path]
		if !ok || !known {
			t.Errorf("%s: reported %v, expectation known %v", p.Path, ok, known)
			continue
		}
		if got := findingsOf(tr); got != want.findings {
			t.Errorf("%s findings:\n got  %q\n want %q", p.Path, got, want.findings)
		}
		if got := keyFacts(tr); got != want.facts {
			t.Errorf("%s cache_key: %s, want %s", p.Path, got, want.facts)
		}
		rules := map[string]cachemodel.Severity{}
		for _, f := range tr.Findings {
			rules[f.Rule] = f.Severity
		}
		for _, rule := range strings.Split(p.Expected, ",") {
			rule = strings.TrimSpace(rule)
			if rule == "none" {
				for r, sev := range rules {
					if sev.Rank() > cachemodel.SevInfo.Rank() {
						t.Errorf("%s is documented as correct but reports %s (%s)", p.Path, r, sev)
					}
				}
				continue
			}
			if _, ok := rules[rule]; !ok {
				t.Errorf("%s: documented finding %s not reported (got %s)", p.Path, rule, findingsOf(tr))
			}
		}
	}
}

// runCLIWithEnv runs corscope with the real environment (set by the test
// with t.Setenv), for commands that read tokens and the state directory.
func runCLIWithEnv(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv}
	code := a.run(context.Background(), args)
	return code, out.String(), errb.String()
}

// demoConfigFile writes a config file like the one the demo gives its
// view: the cloudflare provider on the demo's purge endpoint.
func demoConfigFile(t *testing.T, env *demo.Env) string {
	t.Helper()
	e := demoPurgeEntry(env)
	text := fmt.Sprintf("[[purge]]\nprovider = %q\nhosts = [%q]\napi_base = %q\nzone_id = %q\ntoken_env = %q\n",
		e.Provider, e.Hosts[0], e.APIBase, e.ZoneID, e.TokenEnv)
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cdnGet fetches raw from the demo CDN with an Origin (nil: none) and
// returns the response headers.
func cdnGet(t *testing.T, raw string, origin *string) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != nil {
		req.Header.Set("Origin", *origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header
}

// cdnStatus is the CF-Cache-Status of cdnGet.
func cdnStatus(t *testing.T, raw string, origin *string) string {
	t.Helper()
	return cdnGet(t, raw, origin).Get("CF-Cache-Status")
}

// TestDemoPurgeEndpointClearsEveryVariant is the second half of issue 6's
// demo test: `corscope purge`, configured like the demo's view, empties
// the demo CDN of every variant its API can address, names the one it
// cannot ("null": Cloudflare's files[] take scheme://host Origins), and
// its verification proves it.
func TestDemoPurgeEndpointClearsEveryVariant(t *testing.T) {
	env := startDemo(t)
	cfg := demoConfigFile(t, env)
	state := t.TempDir()
	t.Setenv(demoTokenEnv, env.Token)
	t.Setenv("XDG_STATE_HOME", state)
	app, admin := env.Origins[0], env.Origins[1]
	keyed, noVary := env.CDNURL+"/cors/keyed.json", env.CDNURL+"/cors/no-vary.json"
	prime := func() {
		t.Helper()
		code, _, errs := runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--fail-on", "none", "--format", "json",
			"-o", app, "-o", admin, keyed, noVary)
		if code != exitOK {
			t.Fatalf("priming: exit %d: %s", code, errs)
		}
		// keyed.json: one copy per Origin (no Origin, app, admin, its own
		// origin, null); no-vary.json: one copy for all.
		if n := env.CDN.Len(); n != 6 {
			t.Fatalf("primed %d objects, want 6", n)
		}
	}

	prime()
	code, out, errs := runCLIWithEnv(t, "--config", cfg, "purge", "--yes", "--no-verify",
		"-o", app, "-o", admin, "-o", env.CDNURL, "-o", "null", keyed, noVary)
	if code != exitOK {
		t.Fatalf("purge: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, keyed+" null: ") || !strings.Contains(out, "✓ POST "+env.PurgeAPIBase+"/zones/"+env.ZoneID+"/purge_cache [8 copies] → success") {
		t.Errorf("purge output:\n%s", out)
	}
	if n := env.CDN.Len(); n != 1 {
		t.Errorf("%d objects left, want only keyed.json's null copy", n)
	}
	null := "null"
	if st := cdnStatus(t, keyed, &null); st != "HIT" {
		t.Errorf("keyed.json null copy: %s, want HIT (not addressable)", st)
	}
	for _, o := range []*string{nil, &app, &admin, &env.CDNURL} {
		if st := cdnStatus(t, keyed, o); st != "MISS" {
			t.Errorf("keyed.json Origin %v: %s after the purge, want MISS", o, st)
		}
	}
	if st := cdnStatus(t, noVary, nil); st != "MISS" {
		t.Errorf("no-vary.json: %s after the purge, want MISS", st)
	}

	// Again, with corscope's own verification.
	env.CDN.PurgeAll()
	prime()
	code, out, errs = runCLIWithEnv(t, "--config", cfg, "purge", "--yes", "-o", app, "-o", admin, keyed, noVary)
	if code != exitOK {
		t.Fatalf("purge with verification: exit %d\n%s\n%s", code, out, errs)
	}
	// keyed.json: all three copies gone. no-vary.json: the first re-probe
	// finds it gone and stores a fresh copy, which the others then hit;
	// that copy is not the one each had before the purge (it carries the
	// first re-probe's ACAO), so they are purged too.
	if !strings.Contains(out, "verify: re-probed 6 cached copies: 6 purged, 0 still cached, 0 unknown") ||
		!strings.Contains(out, "HIT on another copy than before the purge (Access-Control-Allow-Origin: "+app+" appeared)") {
		t.Errorf("verification:\n%s", out)
	}
	log, err := os.ReadFile(filepath.Join(state, "corscope", "purge.log"))
	if err != nil || strings.Count(string(log), `"event":"batch"`) != 2 || strings.Count(string(log), `"event":"sending"`) != 2 ||
		strings.Count(string(log), `"event":"result"`) != 2 || strings.Count(string(log), "\n") != 6 {
		t.Errorf("audit log (%v):\n%s", err, log)
	}
	for name, s := range map[string]string{"stdout": out, "stderr": errs, "audit log": string(log)} {
		if strings.Contains(s, env.Token) {
			t.Fatalf("the token is in %s", name)
		}
	}
}

// TestDemoViewPurgesThePoisonedCopy drives the view the demo opens, on the
// real demo after its first visit: wait for the results (no-vary.json
// flagged), select it, p, y, wait for the before/after (the poisoned app
// copy purged), go back to the matrix (after purge, diffed), quit.
func TestDemoViewPurgesThePoisonedCopy(t *testing.T) {
	env := startDemo(t)
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
	da, f, look, cleanup, err := a.demoView(config.Default(), env)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if err := demoFirstVisit(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	f.applyCheckConfig(f.flags.Flags(), look)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt, closeEngine, err := da.tuiOptions(ctx, f, f.flags.Flags(), look, env.Targets)
	if err != nil {
		t.Fatal(err)
	}
	defer closeEngine()
	if opt.Purger == nil {
		t.Fatal("the demo view has no purger")
	}

	tm := teatest.NewTestModel(t, tui.New(opt), teatest.WithInitialTermSize(120, 40))
	wait := func(what ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, w := range what {
				if !bytes.Contains(b, []byte(w)) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	wait("✓ 9 done", "HIGH")
	tm.Type("j") // the second target: /cors/no-vary.json
	wait("Variants of "+env.CDNURL+"/cors/no-vary.json", "⚠✗ wrong ACAO", "cache-served-wrong-origin")
	tm.Type("p")
	wait("y purges, n/esc cancels", "cloudflare zone "+env.ZoneID)
	tm.Type("y")
	wait("before and after", "✓ purged", "re-probed:")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	wait("after purge")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	// The copy the first visit stored, with admin's ACAO, is gone: what
	// is cached now is the view's re-probe from app.
	app := env.Origins[0]
	h := cdnGet(t, env.CDNURL+demoPoisonedPath, &app)
	if st, acao := h.Get("CF-Cache-Status"), h.Get("Access-Control-Allow-Origin"); st != "HIT" || acao != app {
		t.Errorf("cached after the purge: %s with ACAO %q, want the re-probe's copy for %s", st, acao, app)
	}
	reqs := env.PurgeAPI.Requests()
	if len(reqs) != 1 || !reqs[0].Authorized || !reqs[0].Success || !strings.Contains(reqs[0].Body, "/cors/no-vary.json") {
		t.Fatalf("purge API saw %+v", reqs)
	}
	if data, err := os.ReadFile(f.auditLog); err != nil || !strings.Contains(string(data), `"outcome":"ok"`) {
		t.Errorf("demo audit log %s: %v %s", f.auditLog, err, data)
	}
}
