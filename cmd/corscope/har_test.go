package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/tui"
)

// harSecrets are the credential values in internal/har/testdata/handwritten.har.
var harSecrets = []string{"HARSECRET", "sid=", "Bearer "}

// loopbackHAR writes the hand-written HAR fixture with its hosts pointed at
// loopback: cdn.example.com/app.js at the demo CDN's missing-Vary path,
// fonts.example.net at its Vary: Origin path, api.example.com at api (a
// server recording what it was sent).
func loopbackHAR(t *testing.T, env *demo.Env, api string) string {
	t.Helper()
	b, err := os.ReadFile("../../internal/har/testdata/handwritten.har")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(
		"https://cdn.example.com/app.js", env.CDNURL+"/cors/no-vary.json",
		"https://cdn.example.com/x.js", env.CDNURL+"/cors/x.js",
		"https://fonts.example.net/f.woff2", env.CDNURL+"/cors/vary.json",
		"https://api.example.com/me", api+"/me",
	).Replace(string(b))
	p := filepath.Join(t.TempDir(), "capture.har")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// recorder answers with a credentialed grant and records the Cookie and
// Authorization headers it got.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Header.Get("Cookie")+"|"+req.Header.Get("Authorization"))
	r.mu.Unlock()
	if o := req.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	w.Header().Set("Vary", "Origin")
	w.Header().Set("Cache-Control", "private")
	_, _ = w.Write([]byte("{}"))
}

// TestCheckHAREndToEnd: a HAR drives a check on loopback; the report holds
// both what the browser got (har) and what corscope sees now, for every
// format; the HAR's cookies and Authorization are neither sent nor printed.
func TestCheckHAREndToEnd(t *testing.T) {
	env, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	rec := &recorder{}
	api := httptest.NewServer(rec)
	defer api.Close()
	harFile := loopbackHAR(t, env, api.URL)

	code, out, errs := runCLI(t, "", "check", "--har", harFile, "--format", "json", "--fail-on", "none")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "--har: 3 targets from 9 entries") || !strings.Contains(errs, "not sent (--har-replay-credentials sends them)") {
		t.Errorf("stderr note: %q", errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != 3 {
		t.Fatalf("%d targets, want 3", len(rep.Targets))
	}
	nv := rep.Targets[0]
	if !strings.HasSuffix(nv.URL, "/cors/no-vary.json") || nv.HAR == nil {
		t.Fatalf("first target %s, har %v", nv.URL, nv.HAR)
	}
	// The browser's side: app granted (MISS, then HIT from disk), admin
	// failed with net::ERR_FAILED.
	var admin *cachemodel.HARObservation
	for i, o := range nv.HAR.Observations {
		if o.Origin != nil && *o.Origin == "https://admin.example.com" {
			admin = &nv.HAR.Observations[i]
		}
	}
	if len(nv.HAR.Observations) != 3 || admin == nil || admin.Status != 0 || admin.Error != "net::ERR_FAILED" {
		t.Errorf("har observations %+v", nv.HAR.Observations)
	}
	// corscope's side: both origins the browser sent were probed live, and
	// the poisoning is found.
	labels := map[string]bool{}
	for _, v := range nv.Variants {
		labels[v.Label] = true
	}
	if !labels["https://app.example.com"] || !labels["https://admin.example.com"] {
		t.Errorf("variants %v lack the HAR's origins", labels)
	}
	if !strings.Contains(findingsOf(nv), "cache-served-wrong-origin:high") {
		t.Errorf("live findings %s", findingsOf(nv))
	}
	// The failed font request without Origin got its Referer's origin.
	if fonts := rep.Targets[2]; !strings.HasSuffix(fonts.URL, "/cors/vary.json") || fonts.HAR == nil || !labelsOf(fonts)["https://app.example.com"] {
		t.Errorf("fonts target %s %v", fonts.URL, labelsOf(fonts))
	}
	rec.mu.Lock()
	for _, s := range rec.seen {
		if s != "|" {
			t.Errorf("credentials sent without --har-replay-credentials: %q", s)
		}
	}
	n := len(rec.seen)
	rec.mu.Unlock()
	if n == 0 {
		t.Fatal("the api target was not probed")
	}
	assertNoHARSecrets(t, "json", out+errs)

	for _, format := range []string{"table", "markdown", "sarif", "junit"} {
		_, out, errs := runCLI(t, "", "check", "--har", harFile, "--format", format, "--fail-on", "none")
		assertNoHARSecrets(t, format, out+errs)
		if format == "table" && (!strings.Contains(out, "browser saw (HAR): https://app.example.com GET → 200") || !strings.Contains(out, "(net::ERR_FAILED)")) {
			t.Errorf("table lacks the browser line:\n%s", out)
		}
	}
}

func labelsOf(tr cachemodel.TargetReport) map[string]bool {
	m := map[string]bool{}
	for _, v := range tr.Variants {
		m[v.Label] = true
	}
	return m
}

func assertNoHARSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range harSecrets {
		if strings.Contains(out, s) {
			t.Errorf("%s: %q from the HAR reached the output", what, s)
		}
	}
}

// TestCheckHARReplayCredentials: with --har-replay-credentials the api
// target gets the HAR's Cookie and Authorization, and still no output
// format prints them.
func TestCheckHARReplayCredentials(t *testing.T) {
	env, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	rec := &recorder{}
	api := httptest.NewServer(rec)
	defer api.Close()
	harFile := loopbackHAR(t, env, api.URL)
	for _, format := range []string{"json", "table", "markdown", "sarif", "junit"} {
		code, out, errs := runCLI(t, "", "check", "--har", harFile, "--har-replay-credentials", "--format", format, "--fail-on", "none", "--mode", "observe")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, errs)
		}
		assertNoHARSecrets(t, format, out+errs)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) == 0 {
		t.Fatal("api not probed")
	}
	for _, s := range rec.seen {
		if s != "sid=HARSECRET-cookie-77|Bearer HARSECRET-token-99" {
			t.Errorf("api got %q, want the HAR's credentials", s)
		}
	}
}

// TestCheckHARBadFiles: one-line errors, exit 2.
func TestCheckHARBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--har", filepath.Join(dir, "nope.har")}, "cannot open HAR file"},
		{[]string{"check", "--har", write("bad.har", "{\"log\": [")}, "not a HAR file"},
		{[]string{"check", "--har", write("plain.har", `{"log":{"entries":[{"request":{"method":"GET","url":"http://127.0.0.1:9/","headers":[]},"response":{"status":200,"headers":[]}}]}}`)}, "none of its 1 entries"},
		{[]string{"check", "--har-replay-credentials", "http://127.0.0.1:9/"}, "--har-replay-credentials needs --har"},
	}
	huge := write("huge.har", "")
	if err := os.Truncate(huge, 257<<20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	cases = append(cases, struct {
		args []string
		want string
	}{[]string{"check", "--har", huge}, "HAR file is 257 MiB, over the 256 MiB limit"})
	for _, c := range cases {
		code, out, errs := runCLI(t, "", c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, errs, c.want)
		}
	}
}

// TestTUIHARTargets: `corscope --har FILE` (the root command's TUI flags)
// opens the view on the HAR's targets, each planned with the origins the
// browser sent.
func TestTUIHARTargets(t *testing.T) {
	env, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	harFile := loopbackHAR(t, env, "http://127.0.0.1:9")
	var errb strings.Builder
	a := &app{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &errb, getenv: func(string) string { return "" }}
	f := newTUIFlags()
	if err := f.flags.Flags().Parse([]string{"--har", harFile}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	f.applyCheckConfig(f.flags.Flags(), cfg)
	opt, closeEngine, err := a.tuiOptions(context.Background(), f, f.flags.Flags(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeEngine()
	if len(opt.URLs) != 3 || !strings.HasSuffix(opt.URLs[0].String(), "/cors/no-vary.json") {
		t.Fatalf("view URLs %v", opt.URLs)
	}
	p, err := opt.Plan(tui.PlanRequest{URL: opt.URLs[0], Mode: tui.ModeObserve})
	if err != nil {
		t.Fatal(err)
	}
	var origins []string
	for _, s := range p.Steps {
		if o, ok := s.Headers.Get("Origin"); ok {
			origins = append(origins, o)
		}
	}
	got := strings.Join(origins, " ")
	if !strings.Contains(got, "https://app.example.com") || !strings.Contains(got, "https://admin.example.com") {
		t.Errorf("plan origins %q lack the HAR's", got)
	}
}

// TestCheckChromiumHAR: the capture headless Chromium recorded
// (scripts/chromium-har.py) drives a check against a loopback server that
// answers as the recorded one did; the report shows the browser's failures
// beside the live verdicts, and the page's cookie goes nowhere.
func TestCheckChromiumHAR(t *testing.T) {
	var mu sync.Mutex
	var cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		o := r.Header.Get("Origin")
		switch {
		case r.URL.Path == "/ok.json" && o != "":
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Vary", "Origin")
		case r.URL.Path == "/wrong.json":
			w.Header().Set("Access-Control-Allow-Origin", "https://app.example.com")
		}
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	b, err := os.ReadFile("../../internal/har/testdata/chromium.har")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "chromium.har")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "http://127.0.0.1:39277", srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "check", "--har", p, "--mode", "observe", "--rounds", "1", "--format", "json", "--fail-on", "none")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	assertNoHARSecrets(t, "json", out+errs)
	rep := decodeReport(t, out)
	got := map[string]string{}
	for _, tr := range rep.Targets {
		if tr.HAR == nil || len(tr.HAR.Observations) != 1 {
			t.Fatalf("%s: har %+v", tr.URL, tr.HAR)
		}
		o := tr.HAR.Observations[0]
		live := "?"
		for _, v := range tr.Variants {
			if v.Label == "http://127.0.0.1:34431" && v.CORS.Allowed != nil {
				live = map[bool]string{true: "allowed", false: "blocked"}[*v.CORS.Allowed]
			}
		}
		got[tr.URL[len(srv.URL):]] = fmt.Sprintf("browser %d %s, now %s, state %s", o.Status, o.Error, live, tr.State)
	}
	want := map[string]string{
		"/ok.json":      "browser 200 , now allowed, state ok",
		"/no-acao.json": "browser 0 net::ERR_FAILED, now blocked, state cors-not-enabled",
		"/wrong.json":   "browser 0 net::ERR_FAILED, now blocked, state ok",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range cookies {
		if c != "" {
			t.Errorf("the HAR's cookie was sent: %q", c)
		}
	}
}
