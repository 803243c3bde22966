package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// ciTargets is a run with every kind of target the CI formats treat
// differently: findings above and below the threshold (and hostile text),
// a failed target, a canceled one, a non-2xx one and a finding whose rule
// the catalogue does not know.
func ciTargets() []cachemodel.TargetReport {
	p := poisoned()
	p.Findings = append(p.Findings, cachemodel.Finding{Rule: cachemodel.RuleWildcardOrigin, Severity: cachemodel.SevInfo,
		Message: "ACAO * \u202e\u009b31m", Evidence: []string{"r1 no-origin: ACAO *"}, Fix: "nothing"})
	failed := p
	failed.URL = "https://down.example.com/x"
	failed.State, failed.StateDetail, failed.Findings = cachemodel.StateFailed, "every request failed: connection refused \x1b[2J", nil
	canceled := p
	canceled.URL = "https://late.example.com/y"
	canceled.State, canceled.StateDetail, canceled.Findings = cachemodel.StateCanceled, "", nil
	non2xx := p
	non2xx.URL = "https://gone.example.com/z?a=1&b=<2>"
	non2xx.State, non2xx.StateDetail = cachemodel.StateNon2xx, "404 only"
	non2xx.Findings = []cachemodel.Finding{{Rule: "edge-disagreement", Severity: cachemodel.SevLow, Message: "a rule from the future"}}
	ok := p
	ok.URL = "https://fine.example.com/"
	ok.State, ok.StateDetail, ok.Findings = cachemodel.StateOK, "", nil
	return []cachemodel.TargetReport{p, failed, canceled, non2xx, ok}
}

func renderCI(t *testing.T, format string, failOn cachemodel.Severity) (string, []cachemodel.TargetReport) {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(format, &b, Options{Tool: "corscope v9.9.9", Mode: "isolate", FailOn: failOn})
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	var sum cachemodel.Summary
	ts := ciTargets()
	for _, tr := range ts {
		sum.Add(tr)
		if err := w.Target(tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(sum); err != nil {
		t.Fatal(err)
	}
	return b.String(), ts
}

// assertTerminalSafe: no C0/C1 control (but newline), no bidi control.
func assertTerminalSafe(t *testing.T, out string) {
	t.Helper()
	assertNoControls(t, out)
	for _, r := range out {
		if (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("bidi control %U reached the output", r)
		}
	}
}

// TestSARIFRequiredFields checks the log against the properties SARIF
// 2.1.0's schema requires (sarifLog: version, runs; run: tool;
// tool: driver; toolComponent: name; result: message; message: text;
// reportingDescriptor: id) and what GitHub code scanning reads: each
// result's ruleId among the driver's rules (and ruleIndex pointing at it),
// a level from the schema's enum, and the URL as
// locations[].physicalLocation.artifactLocation.uri.
func TestSARIFRequiredFields(t *testing.T) {
	out, targets := renderCI(t, "sarif", cachemodel.SevHigh)
	assertTerminalSafe(t, out)
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log["version"] != "2.1.0" {
		t.Errorf("version %v", log["version"])
	}
	if s, _ := log["$schema"].(string); !strings.HasPrefix(s, "https://") || !strings.Contains(s, "sarif-schema-2.1.0.json") {
		t.Errorf("$schema %q", s)
	}
	runs, _ := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("want one run, got %d", len(runs))
	}
	run := runs[0].(map[string]any)
	driver, _ := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "corscope" || driver["version"] != "v9.9.9" {
		t.Errorf("driver name %v version %v", driver["name"], driver["version"])
	}
	rules, _ := driver["rules"].([]any)
	levels := []string{"none", "note", "warning", "error"}
	var ids []string
	for i, r := range rules {
		rule := r.(map[string]any)
		id, _ := rule["id"].(string)
		if id == "" || slices.Contains(ids, id) {
			t.Fatalf("rule %d: id %q missing or repeated", i, id)
		}
		ids = append(ids, id)
		for _, k := range []string{"shortDescription", "fullDescription", "help"} {
			if m, _ := rule[k].(map[string]any); m == nil || m["text"] == "" || m["text"] == nil {
				t.Errorf("rule %s: %s.text missing", id, k)
			}
		}
		if name, _ := rule["name"].(string); name == "" {
			t.Errorf("rule %s: no name", id)
		}
		lvl, _ := rule["defaultConfiguration"].(map[string]any)["level"].(string)
		if !slices.Contains(levels, lvl) {
			t.Errorf("rule %s: defaultConfiguration.level %q", id, lvl)
		}
	}
	results, _ := run["results"].([]any)
	byURL := map[string][]string{}
	for i, r := range results {
		res := r.(map[string]any)
		id, _ := res["ruleId"].(string)
		idx, ok := res["ruleIndex"].(float64)
		if !slices.Contains(ids, id) || !ok || int(idx) >= len(ids) || ids[int(idx)] != id {
			t.Fatalf("result %d: ruleId %q / ruleIndex %v not in driver.rules", i, id, res["ruleIndex"])
		}
		if text, _ := res["message"].(map[string]any)["text"].(string); text == "" {
			t.Errorf("result %d: message.text empty", i)
		}
		if lvl, _ := res["level"].(string); !slices.Contains(levels, lvl) {
			t.Errorf("result %d: level %q", i, lvl)
		}
		locs, _ := res["locations"].([]any)
		if len(locs) != 1 {
			t.Fatalf("result %d: %d locations", i, len(locs))
		}
		uri, _ := locs[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"].(string)
		if uri == "" {
			t.Fatalf("result %d: no artifactLocation.uri", i)
		}
		byURL[uri] = append(byURL[uri], id+":"+res["level"].(string))
	}
	// One result per finding, plus target-no-verdict for the targets
	// without a verdict; nothing for the ok target without findings.
	want := map[string][]string{
		// partial: one request timed out
		targets[0].URL: {"cache-served-wrong-origin:error", "wildcard-origin:note", "target-no-verdict:warning"},
		targets[1].URL: {"target-no-verdict:error"},
		targets[2].URL: {"target-no-verdict:warning"},
		targets[3].URL: {"edge-disagreement:note", "target-no-verdict:warning"},
	}
	if len(byURL) != len(want) {
		t.Errorf("results for %d URLs, want %d: %v", len(byURL), len(want), byURL)
	}
	for u, w := range want {
		if !slices.Equal(byURL[u], w) {
			t.Errorf("%s: results %v, want %v", u, byURL[u], w)
		}
	}
	if !strings.Contains(out, `\u202e`) || !strings.Contains(out, `\u009b`) {
		t.Errorf("terminal runes should be kept as JSON escapes:\n%s", out)
	}
}

// TestSARIFCatalogueCoversRules: every Rule* constant of cachemodel has
// catalogue metadata (a rule added without it would reach SARIF viewers as
// "not described").
func TestSARIFCatalogueCoversRules(t *testing.T) {
	// Every Rule* constant of the package, wherever it is declared.
	files, err := filepath.Glob("../../cachemodel/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cachemodel sources: %v", err)
	}
	var decls []ast.Decl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, f.Decls...)
	}
	n := 0
	for _, d := range decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Rule") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				id, _ := strconv.Unquote(lit.Value)
				n++
				if _, ok := ruleIndex[id]; !ok {
					t.Errorf("rule %s (%s) has no entry in report.Rules", id, name.Name)
				}
			}
		}
	}
	if n < 25 {
		t.Fatalf("found only %d rule constants: parsing broke", n)
	}
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    string      `xml:"tests,attr"`
	Failures string      `xml:"failures,attr"`
	Errors   string      `xml:"errors,attr"`
	Skipped  string      `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Failures  []struct {
		Type    string `xml:"type,attr"`
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Errors []struct {
		Type string `xml:"type,attr"`
	} `xml:"error"`
	Skipped   []struct{} `xml:"skipped"`
	SystemOut string     `xml:"system-out"`
}

// parseJUnit decodes out strictly and checks the counts agree with the
// test cases (each counted once: failure, else error, else skipped).
func parseJUnit(t *testing.T, out string) junitSuites {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = true
	var s junitSuites
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("not well-formed JUnit XML: %v\n%s", err, out)
	}
	if len(s.Suites) != 1 {
		t.Fatalf("want one testsuite, got %d", len(s.Suites))
	}
	su := s.Suites[0]
	var fail, errs, skip int
	for _, c := range su.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("testcase without name/classname: %+v", c)
		}
		switch {
		case len(c.Failures) > 0:
			fail++
			if len(c.Errors)+len(c.Skipped) > 0 {
				t.Errorf("%s counted twice", c.Name)
			}
		case len(c.Errors) > 0:
			errs++
		case len(c.Skipped) > 0:
			skip++
		}
	}
	for _, c := range []struct {
		name string
		got  string
		want int
	}{{"tests", su.Tests, len(su.Cases)}, {"failures", su.Failures, fail}, {"errors", su.Errors, errs}, {"skipped", su.Skipped, skip}} {
		if n, err := strconv.Atoi(c.got); err != nil || n != c.want {
			t.Errorf("testsuite %s=%q, test cases say %d", c.name, c.got, c.want)
		}
	}
	if s.Tests != len(su.Cases) || s.Failures != fail || s.Errors != errs || s.Skipped != skip {
		t.Errorf("testsuites counts %d/%d/%d/%d disagree", s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	if su.Name == "" || su.Time == "" {
		t.Errorf("testsuite name %q time %q", su.Name, su.Time)
	}
	return s
}

func TestJUnitWellFormedAndCounted(t *testing.T) {
	out, targets := renderCI(t, "junit", cachemodel.SevHigh)
	assertTerminalSafe(t, out)
	s := parseJUnit(t, out)
	cases := s.Suites[0].Cases
	if len(cases) != len(targets) {
		t.Fatalf("%d testcases for %d targets", len(cases), len(targets))
	}
	got := make([]string, len(cases))
	for i, c := range cases {
		if c.Name != targets[i].URL {
			t.Errorf("testcase %d name %q, want the URL %q", i, c.Name, targets[i].URL)
		}
		got[i] = strconv.Itoa(len(c.Failures)) + "f" + strconv.Itoa(len(c.Errors)) + "e" + strconv.Itoa(len(c.Skipped)) + "s"
	}
	// poisoned: one high finding fails (the info one is in system-out);
	// failed and non-2xx: errors (non-2xx's low finding is below high);
	// canceled: skipped; ok: passes.
	if want := []string{"1f0e0s", "0f1e0s", "0f0e1s", "0f1e0s", "0f0e0s"}; !slices.Equal(got, want) {
		t.Errorf("testcases %v, want %v", got, want)
	}
	if f := cases[0].Failures[0]; f.Type != cachemodel.RuleCacheServedWrongOrigin || !strings.Contains(f.Body, "Fix: send Vary: Origin") {
		t.Errorf("failure %+v", f)
	}
	if !strings.Contains(cases[0].SystemOut, "[info] wildcard-origin") {
		t.Errorf("findings below --fail-on belong in system-out: %q", cases[0].SystemOut)
	}

	// --fail-on low: non-2xx's low finding is a failure now, not an error;
	// --fail-on none: no failures at all, and the poisoned target (partial:
	// one request timed out) is an error.
	low, _ := renderCI(t, "junit", cachemodel.SevLow)
	if s := parseJUnit(t, low); s.Failures != 2 || s.Errors != 1 {
		t.Errorf("--fail-on low: %d failures %d errors, want 2 and 1", s.Failures, s.Errors)
	}
	none, _ := renderCI(t, "junit", "")
	if s := parseJUnit(t, none); s.Failures != 0 || s.Errors != 3 || s.Skipped != 1 {
		t.Errorf("--fail-on none: %d failures %d errors %d skipped", s.Failures, s.Errors, s.Skipped)
	}
}

// TestHARLineEscaped: what the browser recorded is server text too; every
// format escapes it.
func TestHARLineEscaped(t *testing.T) {
	tr := poisoned()
	evil := "https://a.example\x1b]0;pwned\x07\u202e"
	origin := "https://app.example.com"
	tr.HAR = &cachemodel.HARCapture{Observations: []cachemodel.HARObservation{
		{Origin: &origin, Method: "GET", Status: 200, ACAO: &evil, Cache: cachemodel.StatusHit, CacheSource: "X-Cache\x1b[31m", ServerIP: "192.0.2.1", Count: 2},
		{Origin: &origin, Method: "GET", Error: "net::ERR_FAILED\x9b", Count: 1},
	}}
	for _, format := range Formats {
		var b bytes.Buffer
		w := NewWriter(format, &b, Options{Tool: "corscope test", Mode: "observe", Width: 100})
		var sum cachemodel.Summary
		sum.Add(tr)
		if err := w.Begin(); err != nil {
			t.Fatal(err)
		}
		if err := w.Target(tr); err != nil {
			t.Fatal(err)
		}
		if err := w.End(sum); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		assertTerminalSafe(t, out)
		if format == "table" && !strings.Contains(out, "browser saw (HAR): https://app.example.com GET → 200") {
			t.Errorf("table lacks the browser line:\n%s", out)
		}
		if format == "json" && !strings.Contains(out, `"har": {`) {
			t.Errorf("json lacks har:\n%s", out)
		}
	}
}
