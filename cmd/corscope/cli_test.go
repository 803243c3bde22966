package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/corscope/corscope/cachemodel"
)

// runCLI runs one command line in-process and returns exit code, stdout and
// stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := a.run(context.Background(), args)
	return code, out.String(), errb.String()
}

func decodeReport(t *testing.T, s string) cachemodel.Report {
	t.Helper()
	var rep cachemodel.Report
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, s)
	}
	return rep
}

func TestUsageErrorsAreOneLineWithExit2(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "no URLs given"},
		{[]string{"check", "example.com/a.js"}, "no scheme; did you mean https://example.com/a.js"},
		{[]string{"check", "ftp://example.com/"}, "scheme must be http or https"},
		{[]string{"check", "--origin", "https://a.example/path", "http://127.0.0.1/"}, `"https://a.example/path" is not an origin: it has a path`},
		{[]string{"check", "--origin", "https://a.example/", "http://127.0.0.1/"}, "trailing slash"},
		{[]string{"check", "--bogus", "http://127.0.0.1/"}, "unknown flag: --bogus"},
		{[]string{"check", "--rounds", "0", "http://127.0.0.1/"}, `--rounds: 0 is less than 1`},
		{[]string{"check", "--timeout", "-1s", "http://127.0.0.1/"}, `--timeout: -1s is negative; want a duration like "10s"`},
		{[]string{"check", "--timeout", "soon", "http://127.0.0.1/"}, `invalid argument "soon"`},
		{[]string{"check", "--concurrency", "0", "http://127.0.0.1/"}, `--concurrency: 0 is less than 1`},
		{[]string{"check", "--body-limit", "lots", "http://127.0.0.1/"}, `"lots" is not a size`},
		{[]string{"check", "-H", "NoColon", "http://127.0.0.1/"}, `-H: "NoColon" has no colon; want "Name: value"`},
		{[]string{"check", "-H", "Host: x", "http://127.0.0.1/"}, "--resolve"},
		{[]string{"check", "--format", "xml", "http://127.0.0.1/"}, `unknown --format "xml"`},
		{[]string{"check", "--fail-on", "critical", "http://127.0.0.1/"}, `--fail-on: "critical" is not one of info, low, medium, high, none`},
		{[]string{"check", "--resolve", "nonsense", "http://127.0.0.1/"}, "--resolve"},
		{[]string{"check", "--proxy", "gopher://x:1", "http://127.0.0.1/"}, "proxy"},
		{[]string{"check", "--method", "G E T", "http://127.0.0.1/"}, `--method: "G E T" is not an HTTP method; want a method name like GET`},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, "", c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, errs)
		}
		if !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "corscope: ") {
			t.Errorf("%v: stderr %q; want one line mentioning %q", c.args, errs, c.want)
		}
		if strings.Contains(errs, "goroutine") || out != "" {
			t.Errorf("%v: unexpected output %q / %q", c.args, out, errs)
		}
	}
}

func TestCheckReadsStdinAndDedupes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Add("Vary", "Origin")
		}
	}))
	defer srv.Close()
	in := "# targets\n" + srv.URL + "/a\n\n" + srv.URL + "/b\n" + srv.URL + "/a\n"
	code, out, errs := runCLI(t, in, "check", "--rounds", "1", "-o", "https://app.example.com", "--format", "json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "skipped 1 duplicate URL") {
		t.Errorf("no note about the duplicate: %q", errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != 2 || !strings.HasSuffix(rep.Targets[0].URL, "/a") || !strings.HasSuffix(rep.Targets[1].URL, "/b") {
		t.Fatalf("targets: %+v", rep.Targets)
	}
	app := rep.Targets[0].Variants[1]
	if *app.Origin != "https://app.example.com" || *app.CORS.ACAO != "https://app.example.com" || !*app.CORS.Allowed {
		t.Fatalf("app variant: %+v", app.CORS)
	}
}

func TestCheckExitCodeWhenEverythingFails(t *testing.T) {
	l := httptest.NewServer(http.NotFoundHandler())
	addr := l.URL
	l.Close() // nothing listens there now
	code, out, errs := runCLI(t, "", "check", "--rounds", "1", "--format", "json", addr+"/")
	if code != exitFailed || !strings.Contains(errs, "every request failed") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	rep := decodeReport(t, out)
	for _, v := range rep.Targets[0].Variants {
		if v.Error == nil || v.Error.Kind != cachemodel.ErrConnect || v.Response != nil {
			t.Fatalf("variant should carry a connect error: %+v", v)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "corscope ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if !strings.Contains(out, "\nCORS verdicts checked against Chromium 156.0.8078.129, Firefox ESR 153.8.0esr\n") {
		t.Errorf("version does not name the browsers checked: %q", out)
	}
}

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/c/config.toml"
	code, out, errs := runCLI(t, "", "config", "init", path)
	if code != 0 || !strings.Contains(out, "wrote "+path) {
		t.Fatalf("init: %d %q %q", code, out, errs)
	}
	code, _, errs = runCLI(t, "", "config", "init", path)
	if code != exitUsage || !strings.Contains(errs, "--force") {
		t.Fatalf("init over an existing file must refuse: %d %q", code, errs)
	}
	code, out, errs = runCLI(t, "", "config", "check", path)
	if code != 0 || !strings.Contains(out, "[probe]") || !strings.Contains(errs, path+": ok") {
		t.Fatalf("check: %d %q %q", code, out, errs)
	}
	bad := dir + "/bad.toml"
	writeFile(t, bad, "theme = \"dark\"\n[probe]\ntimout = \"1s\"\n")
	code, _, errs = runCLI(t, "", "config", "check", bad)
	if code != exitUsage || errs != "corscope: "+bad+":3:1: unknown key \"probe.timout\" (did you mean \"probe.timeout\"?)\n" {
		t.Fatalf("typo: %d %q", code, errs)
	}
	writeFile(t, bad, "[probe]\ntimeout = \"10s\"\nrounds = \n")
	code, _, errs = runCLI(t, "", "config", "check", bad)
	if code != exitUsage || !strings.Contains(errs, bad+":3:") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("syntax error must name line and column on one line: %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "--config", dir+"/missing.toml", "config", "check")
	if code != exitUsage || !strings.Contains(errs, "missing.toml") {
		t.Fatalf("missing --config file: %d %q", code, errs)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCheckUsesConfigFile(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Origin")+" "+r.Header.Get("X-Team"))
		mu.Unlock()
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := dir + "/corscope.toml"
	writeFile(t, cfg, `
origins = ["https://app.example.com"]
[probe]
rounds = 1
mode = "observe"
headers = ["X-Team: edge"]
[policy]
fail_on = "none"
[[targets]]
url = "`+srv.URL+`/a"
[[targets]]
url = "`+srv.URL+`/b"
origins = ["https://other.example.com"]
`)
	code, out, errs := runCLI(t, "", "--config", cfg, "check", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if rep.Mode != "observe" || len(rep.Targets) != 2 {
		t.Fatalf("mode %q, %d targets", rep.Mode, len(rep.Targets))
	}
	mu.Lock()
	got := strings.Join(seen, "\n")
	mu.Unlock()
	for _, want := range []string{"/a https://app.example.com edge", "/b https://other.example.com edge"} {
		if !strings.Contains(got, want) {
			t.Errorf("origin never saw %q; requests:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/b https://app.example.com") {
		t.Errorf("target /b has its own origins but got the top-level one:\n%s", got)
	}
	// Flags override the file: --origin replaces every target's origins.
	mu.Lock()
	seen = nil
	mu.Unlock()
	code, _, errs = runCLI(t, "", "--config", cfg, "check", "--format", "json", "-o", "https://flag.example.com")
	mu.Lock()
	got = strings.Join(seen, "\n")
	mu.Unlock()
	if code != exitOK || strings.Contains(got, "other.example.com") || !strings.Contains(got, "/b https://flag.example.com") {
		t.Fatalf("--origin must override the file: exit %d %s\n%s", code, errs, got)
	}
}

func TestRootTakesProbeFlags(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}))
	defer srv.Close()
	// Not a terminal: the root command behaves like check.
	code, out, errs := runCLI(t, "", "-o", "https://app.example.com", "--mode", "observe", "--rounds", "1", srv.URL+"/x")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != 1 || *rep.Targets[0].Variants[1].Origin != "https://app.example.com" {
		t.Fatalf("root with flags: %+v", rep.Targets)
	}
}

// TestEveryCommandHasExamples: --help on every command shows how to use it.
func TestEveryCommandHasExamples(t *testing.T) {
	a := &app{getenv: func(string) string { return "" }}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.HasParent() && c.Parent().Name() == "completion" {
			return
		}
		if c.Example == "" {
			t.Errorf("%q has no examples in --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.newRootCmd())
}

// --help says which headers --follow drops at an origin change (issue 11,
// item 9).
func TestFollowHelpNamesDroppedCredentials(t *testing.T) {
	_, out, _ := runCLI(t, "", "check", "--help")
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "Authorization, Cookie and Proxy-Authorization are dropped when a redirect changes origin") {
		t.Errorf("--help for --follow does not say credentials are dropped:\n%s", out)
	}
}
