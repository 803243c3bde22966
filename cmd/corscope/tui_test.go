package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/probe"
)

// corsServer reflects every Origin without Vary.
func corsServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.Header().Set("Cache-Control", "public, max-age=60")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRootWithoutTerminalBehavesLikeCheck(t *testing.T) {
	srv := corsServer(t)
	code, out, errs := runCLI(t, "", srv.URL+"/a")
	if code != exitOK && code != exitFindings { // findings decide, as in check
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != 1 || rep.Mode != "isolate" {
		t.Errorf("want check's JSON report in check's default mode; got %d targets, mode %q", len(rep.Targets), rep.Mode)
	}
	code, out, errs = runCLI(t, "", "tui", "--mode", "observe", "--rounds", "1", "-o", "https://app.example.com", "--format-is-not-a-tui-flag", srv.URL+"/a")
	if code != exitUsage || !strings.Contains(errs, "unknown flag") {
		t.Errorf("tui with an unknown flag: exit %d, %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "tui", "--mode", "observe", "--rounds", "1", "-o", "https://app.example.com", srv.URL+"/a")
	if code != exitOK {
		t.Fatalf("tui without a terminal: exit %d: %s", code, errs)
	}
	rep = decodeReport(t, out)
	if rep.Mode != "observe" || len(rep.Targets[0].Variants) != 4 {
		t.Errorf("tui flags not passed on: mode %q, %d variants", rep.Mode, len(rep.Targets[0].Variants))
	}
}

func TestRootWithoutArgumentsShowsHelp(t *testing.T) {
	code, out, errs := runCLI(t, "")
	if code != exitOK || !strings.Contains(out, "Usage:") || errs != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestTUIKeysAndThemesFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte("theme = \"mine\"\n[themes.mine]\nbase = \"dark\"\naccent = \"#ff0000\"\n[keys]\nreprobe = \"f5\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	km, err := tuiKeys(cfg)
	if err != nil || km.Reprobe.Keys()[0] != "f5" {
		t.Errorf("keys: %v %v", km.Reprobe.Keys(), err)
	}
	list, err := tuiThemes(cfg)
	if err != nil || list[len(list)-1].Name != "mine" || len(list) != 6 {
		t.Errorf("themes: %v %v", list, err)
	}
	bad, err := config.Parse([]byte("[keys]\nexport = \"r\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tuiKeys(bad); err == nil || !strings.Contains(err.Error(), `bound to both "reprobe" and "export"`) {
		t.Errorf("a clash with a default key: %v", err)
	}
}

// writeReport runs check against a server and saves the JSON report.
func writeReport(t *testing.T, srv *httptest.Server, name string) string {
	t.Helper()
	code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--fail-on", "none", "--format", "json", "-o", "https://app.example.com", srv.URL+"/a")
	if code != exitOK {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestViewWithoutTerminal(t *testing.T) {
	srv := corsServer(t)
	old := writeReport(t, srv, "old.json")
	code, out, errs := runCLI(t, "", "view", old)
	if code != exitOK || !strings.Contains(out, srv.URL+"/a") || !strings.Contains(out, "https://app.example.com") {
		t.Fatalf("view of one report: exit %d\n%s\n%s", code, out, errs)
	}

	// The newer run: app's grant went missing.
	var rep cachemodel.Report
	data, _ := os.ReadFile(old)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	for i, v := range rep.Targets[0].Variants {
		if v.Origin != nil && *v.Origin == "https://app.example.com" {
			rep.Targets[0].Variants[i].CORS.ACAO = nil
		}
	}
	data, _ = json.Marshal(rep)
	newer := filepath.Join(t.TempDir(), "new.json")
	if err := os.WriteFile(newer, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "view", old, newer)
	if code != exitOK || !strings.Contains(out, "configured https://app.example.com · ACAO: was https://app.example.com, now -") {
		t.Errorf("view of two reports: exit %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(out, " → ") {
		t.Errorf("the change list uses → (kept for across rounds, MISS→HIT) between old and new:\n%s", out)
	}
	if got := compareTitle("/tmp/a/old.json", "new.json"); got != "view old.json vs new.json" {
		t.Errorf("title of a comparison: %q", got)
	}
	code, out, _ = runCLI(t, "", "view", old, old)
	if code != exitOK || out != "no changes\n" {
		t.Errorf("a report against itself: %q", out)
	}

	// A report's text is untrusted: the change list escapes it (the diff
	// itself, cachemodel.Changes, no longer does).
	evil := "\x1b]0;PWNED\x07\x1b[31m"
	for i := range rep.Targets[0].Variants {
		rep.Targets[0].Variants[i].CORS.ACAO = &evil
	}
	data, _ = json.Marshal(rep)
	if err := os.WriteFile(newer, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "view", old, newer)
	if code != exitOK || strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `now \x1b]0;PWNED\x07\x1b[31m`) {
		t.Errorf("hostile change: exit %d\n%q\n%s", code, out, errs)
	}
}

func TestViewRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "x.json")
	os.WriteFile(notJSON, []byte("<html>"), 0o600)
	other := filepath.Join(dir, "y.json")
	os.WriteFile(other, []byte(`{"schema":"something/v9","targets":[]}`), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"view"}, "requires at least 1 arg"},
		{append([]string{"view"}, slices.Repeat([]string{other}, 33)...), "33 reports: view merges at most 32"},
		{[]string{"view", filepath.Join(dir, "missing.json")}, "cannot open report"},
		{[]string{"view", notJSON}, "is not valid JSON"},
		{[]string{"view", other}, `schema "something/v9"`},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want one line with %q", c.args, code, out, errs, c.want)
		}
	}
}

// The view shows a request in flight against the engine's real timeout:
// --timeout when given, else the probe's default.
func TestTUIOptionsCarryTheTimeout(t *testing.T) {
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
	for _, c := range []struct {
		args []string
		want time.Duration
	}{{nil, probe.DefaultTimeout}, {[]string{"--timeout", "3s"}, 3 * time.Second}} {
		f := newTUIFlags()
		if err := f.flags.ParseFlags(c.args); err != nil {
			t.Fatal(err)
		}
		f.applyCheckConfig(f.flags.Flags(), config.Default())
		opt, closeEngine, err := a.tuiOptions(t.Context(), f, f.flags.Flags(), config.Default(), []string{"http://cdn.invalid:8080/x"})
		if err != nil {
			t.Fatal(err)
		}
		closeEngine()
		if opt.Timeout != c.want {
			t.Errorf("%v: Timeout %v, want %v", c.args, opt.Timeout, c.want)
		}
	}
}
