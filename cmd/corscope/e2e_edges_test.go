package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/tui"
)

// twoEdges starts two real Varnish edges in front of one demo origin:
// edge A with the built-in VCL (honours Vary, keys on the URL), edge B
// keying on Origin as a correctly configured edge does. It primes edge A's
// copy of path with a request from e2eOrigins[0] (the demo path sends no
// Vary), so A serves that origin's grant to everyone. It returns the URL
// (on edge A's address) and the two edge addresses.
func twoEdges(t *testing.T, path string) (target, edgeA, edgeB string) {
	t.Helper()
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	t.Cleanup(origin.Close)
	a := cachetest.Varnish(t, cachetest.Host(origin.URL))
	b := cachetest.VarnishKeyOnOrigin(t, cachetest.Host(origin.URL))
	req, err := http.NewRequest("GET", a+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", e2eOrigins[0])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != e2eOrigins[0] || res.Header.Get("Vary") != "" {
		t.Fatalf("priming: ACAO %q Vary %q", got, res.Header.Get("Vary"))
	}
	return a + path, cachetest.Host(a), cachetest.Host(b)
}

// TestEdgesSideBySide (issue 14 item 2): two real Varnish edges, one
// holding a copy poisoned by another origin, one keyed on Origin. check
// --edge A --edge B sends every variant through each, the report labels
// each variant with its edge, the poisoned edge has its own
// cache-served-wrong-origin finding, and edges-disagree names the
// poisoned edge with a purge command for it.
func TestEdgesSideBySide(t *testing.T) {
	target, edgeA, edgeB := twoEdges(t, "/cors/no-vary.json?edges=1")
	code, out, errs := runCLI(t, "", "check", "--format", "json", "--fail-on", "high", "--mode", "observe", "--rounds", "1",
		"-o", e2eOrigins[0], "-o", e2eOrigins[1], "--edge", edgeA, "--edge", edgeB, target)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (high finding): %s", code, exitFindings, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != 1 {
		t.Fatalf("%d targets", len(rep.Targets))
	}
	tr := rep.Targets[0]
	if strings.Join(tr.Edges, " ") != edgeA+" "+edgeB {
		t.Errorf("edges %v, want [%s %s]", tr.Edges, edgeA, edgeB)
	}
	perEdge := map[string]int{}
	for _, v := range tr.Variants {
		perEdge[v.EdgeAddr]++
		if v.Response == nil {
			t.Fatalf("variant %s at %s failed: %+v", v.Label, v.EdgeAddr, v.Error)
		}
		if !strings.Contains(v.Curl, "--connect-to") || !strings.Contains(v.Curl, v.EdgeAddr) {
			t.Errorf("curl reproducer does not pin the edge: %s", v.Curl)
		}
		if v.Origin == nil || *v.Origin != e2eOrigins[1] {
			continue
		}
		// What each edge really served the second origin.
		switch v.EdgeAddr {
		case edgeA:
			if v.Cache.Status != cachemodel.StatusHit || acao(v) != e2eOrigins[0] || *v.CORS.Allowed {
				t.Errorf("edge A served %s: %s ACAO %s allowed %v; want the poisoned HIT", e2eOrigins[1], v.Cache.Status, acao(v), *v.CORS.Allowed)
			}
		case edgeB:
			if v.Cache.Status != cachemodel.StatusMiss || acao(v) != e2eOrigins[1] || !*v.CORS.Allowed {
				t.Errorf("edge B served %s: %s ACAO %s; want its own MISS", e2eOrigins[1], v.Cache.Status, acao(v))
			}
		}
	}
	if perEdge[edgeA] == 0 || perEdge[edgeA] != perEdge[edgeB] || len(perEdge) != 2 {
		t.Errorf("variants per edge: %v", perEdge)
	}
	var disagree *cachemodel.Finding
	wrong := map[string]bool{}
	for i, f := range tr.Findings {
		switch f.Rule {
		case cachemodel.RuleEdgesDisagree:
			disagree = &tr.Findings[i]
		case cachemodel.RuleCacheServedWrongOrigin:
			wrong[f.Edge] = true
			if !strings.HasPrefix(f.Message, "At edge "+f.Edge+": ") {
				t.Errorf("finding does not name its edge: %q", f.Message)
			}
		}
	}
	if !wrong[edgeA] || wrong[edgeB] {
		t.Errorf("cache-served-wrong-origin per edge: %v, want only %s", wrong, edgeA)
	}
	if disagree == nil {
		t.Fatalf("no %s finding: %+v", cachemodel.RuleEdgesDisagree, tr.Findings)
	}
	if disagree.Severity != cachemodel.SevHigh ||
		!strings.Contains(disagree.Message, edgeA+" served a poisoned copy, "+edgeB+" did not in this run") {
		t.Errorf("edges-disagree: %s %q", disagree.Severity, disagree.Message)
	}
	if !strings.Contains(disagree.Fix, "curl -X PURGE --connect-to") || !strings.Contains(disagree.Fix, "edge "+edgeA+":") ||
		strings.Contains(disagree.Fix, "edge "+edgeB+":") {
		t.Errorf("purge hint should name the poisoned edge only: %q", disagree.Fix)
	}

	// Isolate mode: each edge on its own fresh keys, no priming needed:
	// edge A's experiments show the poisoning, edge B's do not, and the
	// generated origins are sent to both (both key on the buster).
	code, out, errs = runCLI(t, "", "check", "--format", "json", "--fail-on", "none",
		"-o", e2eOrigins[0], "-o", e2eOrigins[1], "--edge", edgeA, "--edge", edgeB, target+"&isolate=1")
	if code != exitOK {
		t.Fatalf("isolate: exit %d: %s", code, errs)
	}
	iso := decodeReport(t, out).Targets[0]
	adv := map[string]int{}
	keys := map[string]string{}
	for _, v := range iso.Variants {
		if v.Experiment == cachemodel.ExperimentAdversarial && v.Response != nil {
			adv[v.EdgeAddr]++
		}
		if v.Experiment == "origin-a-first" {
			if k, ok := keys[v.EdgeAddr]; ok && k != v.CacheBuster {
				t.Errorf("one experiment, two keys at %s", v.EdgeAddr)
			}
			keys[v.EdgeAddr] = v.CacheBuster
		}
	}
	if adv[edgeA] == 0 || adv[edgeA] != adv[edgeB] {
		t.Errorf("adversarial requests per edge: %v", adv)
	}
	if keys[edgeA] == "" || keys[edgeA] == keys[edgeB] {
		t.Errorf("edges must get fresh keys of their own: %v", keys)
	}
	if f := findingByRule(iso.Findings, cachemodel.RuleEdgesDisagree); f == nil || !strings.Contains(f.Message, edgeA+" served a poisoned copy") {
		t.Errorf("isolate edges-disagree: %+v", f)
	}

	// The same edges from the configuration file (probe.edges).
	cfgPath := filepath.Join(t.TempDir(), "corscope.toml")
	if err := os.WriteFile(cfgPath, []byte("[probe]\nedges = [\""+edgeA+"\", \""+edgeB+"\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "--config", cfgPath, "check", "--format", "json", "--fail-on", "none", "--mode", "observe", "--rounds", "1",
		"-o", e2eOrigins[0], "-o", e2eOrigins[1], target)
	if code != exitOK {
		t.Fatalf("config edges: exit %d: %s", code, errs)
	}
	if got := decodeReport(t, out).Targets[0]; strings.Join(got.Edges, " ") != edgeA+" "+edgeB || findingByRule(got.Findings, cachemodel.RuleEdgesDisagree) == nil {
		t.Errorf("probe.edges not applied: edges %v, findings %d", got.Edges, len(got.Findings))
	}

	// The table shows the edges side by side: one group per edge.
	code, out, errs = runCLI(t, "", "check", "--format", "table", "--fail-on", "none", "--mode", "observe", "--rounds", "1",
		"-o", e2eOrigins[0], "-o", e2eOrigins[1], "--edge", edgeA, "--edge", edgeB, target)
	if code != exitOK {
		t.Fatalf("table: exit %d: %s", code, errs)
	}
	t.Logf("table:\n%s", out)
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"· @" + edgeA, "· @" + edgeB, "edges-disagree", "✗ @" + edgeA + " https://admin.example.com: ACAO"} {
		if !strings.Contains(flat, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

func TestEdgeFlagBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--edge", "cdn.example.com"},
		{"--edge", "203.0.113.7:0"},
		{"--edge", "[::1"},
		{"--edge", "127.0.0.1", "--proxy", "http://127.0.0.1:3128"},
	} {
		code, out, errs := runCLI(t, "", append(append([]string{"check", "--format", "json"}, args...), "http://127.0.0.1:1/")...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "--edge") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want one --edge line and exit %d", args, code, out, errs, exitUsage)
		}
	}
}

func findingByRule(fs []cachemodel.Finding, rule string) *cachemodel.Finding {
	for i := range fs {
		if fs[i].Rule == rule {
			return &fs[i]
		}
	}
	return nil
}

// TestTUIPurgerVerifiesEveryEdge: in the view with --edge, a purge sent to
// the URL (here an http PURGE, which reaches edge A only) is verified at
// every edge: edge A's copies are gone, edge B still holds its own, and
// the outcome says so per edge instead of "purged".
func TestTUIPurgerVerifiesEveryEdge(t *testing.T) {
	target, edgeA, edgeB := twoEdges(t, "/cors/no-vary.json?purge=edges")
	eng := testEngine(t)
	u, err := cachemodel.ParseTargetURL(target)
	if err != nil {
		t.Fatal(err)
	}
	edges := []string{edgeA, edgeB}
	plan := edgePlan(edges, func() cachemodel.TargetPlan {
		return cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: e2eOrigins, Rounds: 1, UserAgent: "corscope/test"})
	})
	var rep cachemodel.TargetReport
	err = runner.Stream(context.Background(), eng, []cachemodel.TargetPlan{plan}, func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
	}, runner.Hooks{OnTarget: func(r cachemodel.TargetReport) error { rep = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	p := &tuiPurger{
		providers: []config.Purge{{Provider: config.PurgeHTTP, Method: "PURGE"}},
		getenv:    envMap(nil), userAgent: "corscope/test", engine: eng, edges: edges,
		auditPath: func() (string, error) { return filepath.Join(t.TempDir(), "purge.log"), nil },
	}
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	got := checksByLabel(out)
	t.Logf("summary: %s", out.Summary)
	for _, c := range out.Checks {
		t.Logf("check %s: %s (%s)", c.Label, c.Verdict, c.Reason)
	}
	if c := got["@"+edgeA+" "+e2eOrigins[1]]; c.Verdict != tui.VerdictPurged {
		t.Errorf("edge A %s: %+v, want purged", e2eOrigins[1], c)
	}
	if c := got["@"+edgeB+" "+e2eOrigins[1]]; c.Verdict != tui.VerdictStillCached {
		t.Errorf("edge B %s: %+v, want still cached (the PURGE never reached edge B)", e2eOrigins[1], c)
	}
	if !strings.Contains(out.Summary, "re-probed at 2 edges: ") || strings.Contains(out.Summary, " 0 still cached") {
		t.Errorf("summary %q", out.Summary)
	}
}

// The interactive view's plans honour --edge too: every variant once per
// edge, each step pinned.
func TestTUIPlanUsesEdges(t *testing.T) {
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
	f := newTUIFlags()
	if err := f.flags.ParseFlags([]string{"--edge", "127.0.0.2", "--edge", "[::1]:8443", "-o", e2eOrigins[0]}); err != nil {
		t.Fatal(err)
	}
	f.applyCheckConfig(f.flags.Flags(), config.Default())
	opt, closeEngine, err := a.tuiOptions(t.Context(), f, f.flags.Flags(), config.Default(), []string{"http://cdn.invalid:8080/x"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeEngine()
	for _, mode := range []tui.Mode{tui.ModeObserve, tui.ModeIsolate} {
		plan, err := opt.Plan(tui.PlanRequest{URL: opt.URLs[0], Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, s := range plan.Steps {
			per[s.Edge]++
		}
		if len(per) != 2 || per["127.0.0.2"] == 0 || per["127.0.0.2"] != per["[::1]:8443"] {
			t.Errorf("%s: steps per edge %v", mode, per)
		}
	}
	// A bad edge is a usage error before anything runs.
	f = newTUIFlags()
	_ = f.flags.ParseFlags([]string{"--edge", "edge.example"})
	f.applyCheckConfig(f.flags.Flags(), config.Default())
	if _, _, err := a.tuiOptions(t.Context(), f, f.flags.Flags(), config.Default(), []string{"http://cdn.invalid:8080/x"}); err == nil || !strings.Contains(err.Error(), "--edge") {
		t.Errorf("bad --edge in the view: %v", err)
	}
}
