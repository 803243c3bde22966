package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/browser"
	"github.com/corscope/corscope/internal/browserconfirm"
	"github.com/corscope/corscope/internal/browsertest"
	"github.com/corscope/corscope/internal/demo"
)

// needBrowser skips (naming the browser it waits for) when k is missing,
// or fails under CORSCOPE_REQUIRE_BROWSERS=1 (CI): browsertest.Require.
func needBrowser(t *testing.T, k browser.Kind) { browsertest.Require(t, k) }

// noBrowserLeft asserts that no browser started by --confirm-in is still
// running (their profiles live under this process's
// browserconfirm.DirPrefix()).
func noBrowserLeft(t *testing.T) {
	t.Helper()
	if left := browser.Running(browserconfirm.DirPrefix()); len(left) > 0 {
		t.Errorf("browser processes still running after the run: %v", left)
	}
}

// confirmOf finds the variant of origin in a target that carries the
// browser's answer.
func confirmOf(t *testing.T, tr cachemodel.TargetReport, origin string) cachemodel.VariantResult {
	t.Helper()
	for _, v := range tr.Variants {
		if v.BrowserConfirm != nil && v.Origin != nil && *v.Origin == origin {
			return v
		}
	}
	t.Fatalf("%s: no variant of %s carries browser_confirm", tr.URL, origin)
	return cachemodel.VariantResult{}
}

func hasRule(tr cachemodel.TargetReport, rule string) *cachemodel.Finding {
	for i := range tr.Findings {
		if tr.Findings[i].Rule == rule {
			return &tr.Findings[i]
		}
	}
	return nil
}

// The demo CDN in front of the demo origin, with one poisoned variant:
// /cors/no-vary.json (no Vary: Origin) was first fetched with Origin
// https://admin.example.com, so the CDN serves admin's grant to everyone.
// The real browser, on a page served as https://app.example.com, must
// block it where corscope reports cache-served-wrong-origin, and allow it
// on the page served as https://admin.example.com; every answer must agree
// with corscope's.
func TestConfirmInAgainstCDNStandIn(t *testing.T) {
	for _, k := range []browser.Kind{browser.Chromium, browser.Firefox} {
		t.Run(string(k), func(t *testing.T) {
			needBrowser(t, k)
			env, err := demo.Start(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			target := env.CDNURL + "/cors/no-vary.json?v=poisoned"
			poison(t, target, "https://admin.example.com")
			code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--format", "json", "--fail-on", "none",
				"--confirm-in", string(k), "-o", "https://app.example.com", "-o", "https://admin.example.com", target)
			noBrowserLeft(t)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			rep := decodeReport(t, out)
			tr := rep.Targets[0]

			v := confirmOf(t, tr, "https://app.example.com")
			bc := v.BrowserConfirm
			t.Logf("poisoned variant: corscope anonymous=%s (%s); %s %s: anonymous %s [%s], credentials %s",
				tri(v.CORS.Allowed), v.CORS.Reason, bc.Browser, bc.Version, bc.Anonymous.Words(), bc.Anonymous.Console, bc.Credentials.Words())
			if bc.Browser != string(k) || bc.Version == "" || bc.URL != target {
				t.Errorf("browser_confirm names %q %q %q", bc.Browser, bc.Version, bc.URL)
			}
			if v.CORS.Allowed == nil || *v.CORS.Allowed {
				t.Fatalf("corscope's verdict on the poisoned variant: allowed=%s, want blocked", tri(v.CORS.Allowed))
			}
			if bc.Anonymous.Result != cachemodel.BrowserBlocked || bc.Credentials.Result != cachemodel.BrowserBlocked {
				t.Errorf("browser: anonymous %s, credentials %s; want both blocked", bc.Anonymous.Words(), bc.Credentials.Words())
			}
			if bc.Anonymous.Error == "" {
				t.Errorf("no fetch() error text for the blocked request")
			}
			if k == browser.Chromium && !strings.Contains(bc.Anonymous.Console, "blocked by CORS policy") ||
				k == browser.Chromium && !strings.Contains(bc.Anonymous.Console, "https://admin.example.com") {
				t.Errorf("Chromium's console error not captured: %q", bc.Anonymous.Console)
			}
			if bc.Anonymous.Agrees == nil || !*bc.Anonymous.Agrees || bc.Credentials.Agrees == nil || !*bc.Credentials.Agrees {
				t.Errorf("agrees: anonymous %s, credentials %s; want true, true", tri(bc.Anonymous.Agrees), tri(bc.Credentials.Agrees))
			}
			if hasRule(tr, cachemodel.RuleCacheServedWrongOrigin) == nil {
				t.Errorf("corscope's cache finding missing beside the browser's block: %s", findingsOf(tr))
			}
			if hasRule(tr, cachemodel.RuleBrowserDisagrees) != nil {
				t.Errorf("browser-disagrees where both agree: %s", findingsOf(tr))
			}

			// admin's own grant: allowed anonymously (status readable);
			// blocked with credentials (no Access-Control-Allow-Credentials),
			// by corscope and the browser alike.
			g := confirmOf(t, tr, "https://admin.example.com").BrowserConfirm
			if g.Anonymous.Result != cachemodel.BrowserAllowed || g.Anonymous.Status == nil || *g.Anonymous.Status != 200 ||
				g.Anonymous.Agrees == nil || !*g.Anonymous.Agrees {
				t.Errorf("admin: browser anonymous %s agrees=%s, want allowed, status 200, agreeing", g.Anonymous.Words(), tri(g.Anonymous.Agrees))
			}
			if g.Credentials.Result != cachemodel.BrowserBlocked || g.Credentials.Agrees == nil || !*g.Credentials.Agrees {
				t.Errorf("admin: browser credentials %s agrees=%s, want blocked, agreeing", g.Credentials.Words(), tri(g.Credentials.Agrees))
			}

			// The table puts the browser's block and console error beside
			// corscope's verdict and finding.
			if k != browser.Chromium {
				return
			}
			code, out, errs = runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--format", "table", "--fail-on", "none",
				"--confirm-in", string(k), "-o", "https://app.example.com", "-o", "https://admin.example.com", target)
			noBrowserLeft(t)
			if code != exitOK {
				t.Fatalf("table: exit %d: %s", code, errs)
			}
			flat := strings.Join(strings.Fields(out), " ")
			for _, want := range []string{
				"⧉ chromium " + bc.Version + " from https://app.example.com: anonymous blocked (TypeError: Failed to fetch)",
				"corscope: blocked, blocked (agree)",
				"has a value 'https://admin.example.com' that is not equal to the supplied origin",
				"[HIGH] cache-served-wrong-origin",
			} {
				if !strings.Contains(flat, want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// poison fills the cache for target with origin's response.
func poison(t *testing.T, target, origin string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// A server that answers corscope (its User-Agent) with the right ACAO and
// browsers with another origin's: the browser blocks what corscope allows,
// and the report must say so as a browser-disagrees finding naming both
// answers.
func TestConfirmInDisagreementIsAFinding(t *testing.T) {
	needBrowser(t, browser.Chromium)
	var fromBrowser atomic.Int32 // requests the browser made to the real target
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "http://app.test" && strings.Contains(r.UserAgent(), "Chrome/") {
			fromBrowser.Add(1)
		}
		origin := r.Header.Get("Origin")
		if !strings.HasPrefix(r.UserAgent(), "corscope/") && origin != "" {
			origin = "https://other.example.com"
		}
		if origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		w.Header().Set("Vary", "Origin, User-Agent")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--format", "json", "--fail-on", "medium",
		"--confirm-in", "chromium", "-o", "http://app.test", srv.URL+"/api")
	noBrowserLeft(t)
	if code != exitFindings {
		t.Errorf("exit %d, want %d (a medium finding with --fail-on medium): %s", code, exitFindings, errs)
	}
	// The target itself is not mapped: the browser reached this server,
	// once per credentials mode, with the page's Origin.
	if n := fromBrowser.Load(); n < 2 {
		t.Errorf("the target saw %d requests from the browser, want 2 (omit, include)", n)
	}
	rep := decodeReport(t, out)
	tr := rep.Targets[0]
	v := confirmOf(t, tr, "http://app.test")
	if v.CORS.Allowed == nil || !*v.CORS.Allowed {
		t.Fatalf("corscope's verdict allowed=%s, want allowed", tri(v.CORS.Allowed))
	}
	bc := v.BrowserConfirm
	if bc.Anonymous.Result != cachemodel.BrowserBlocked || bc.Anonymous.Agrees == nil || *bc.Anonymous.Agrees {
		t.Errorf("browser anonymous %s agrees=%s, want blocked, disagreeing", bc.Anonymous.Words(), tri(bc.Anonymous.Agrees))
	}
	f := hasRule(tr, cachemodel.RuleBrowserDisagrees)
	if f == nil {
		t.Fatalf("no browser-disagrees finding: %s", findingsOf(tr))
	}
	if f.Severity != cachemodel.SevMedium || !strings.Contains(f.Message, "chromium") ||
		!strings.Contains(f.Evidence[0], "says blocked") || !strings.Contains(f.Evidence[0], "corscope says allowed") ||
		!strings.Contains(f.Evidence[0], "other.example.com") {
		t.Errorf("finding does not name both answers: %+v", *f)
	}
}

// Without the browser installed: one line, exit 2, before anything runs.
func TestConfirmInWithoutBrowserIsExit2(t *testing.T) {
	saved := browser.Binaries[browser.Firefox]
	browser.Binaries[browser.Firefox] = []string{"/nonexistent/corscope-no-such-firefox"}
	defer func() { browser.Binaries[browser.Firefox] = saved }()
	code, out, errs := runCLI(t, "", "check", "--format", "json", "--confirm-in", "firefox", "-o", "https://app.example.com", "http://127.0.0.1:9/x")
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if out != "" {
		t.Errorf("stdout: %q, want nothing", out)
	}
	if n := strings.Count(strings.TrimSpace(errs), "\n"); n != 0 || !strings.Contains(errs, "no firefox browser installed") {
		t.Errorf("stderr %q: want one line saying no firefox is installed", errs)
	}
	for _, args := range [][]string{
		{"check", "--confirm-in", "safari", "http://127.0.0.1:9/x"},
		{"check", "--confirm-in", "chromium", "--resolve", "a.example:80:127.0.0.1", "http://a.example/x"},
	} {
		if code, _, errs := runCLI(t, "", args...); code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, one line", args, code, errs)
		}
	}
}
