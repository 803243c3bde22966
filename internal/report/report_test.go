package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/corscope/corscope/cachemodel"
)

// poisoned is a target whose cache served app's grant to admin, with a
// hostile header value thrown in.
func poisoned() cachemodel.TargetReport {
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/app.js")
	plan := cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 1})
	r := func(h ...cachemodel.Header) *cachemodel.Response {
		return &cachemodel.Response{Status: 200, Proto: "HTTP/1.1", Headers: h}
	}
	obs := []cachemodel.Observation{
		{Response: r(cachemodel.Header{Name: "X-Varnish", Value: "32770"}, cachemodel.Header{Name: "X-Evil", Value: "\x1b]0;pwned\x07\x1b[2J"})},
		{Response: r(cachemodel.Header{Name: "X-Varnish", Value: "32772 32771"}, cachemodel.Header{Name: "Age", Value: "4"}, cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: "https://app.example.com"})},
		{Response: r(cachemodel.Header{Name: "X-Varnish", Value: "32774 32771"}, cachemodel.Header{Name: "Age", Value: "4"}, cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: "https://app.example.com"})},
		{Response: r(cachemodel.Header{Name: "X-Varnish", Value: "32776"})},
		{Err: &cachemodel.ProbeError{Kind: cachemodel.ErrTimeout, Message: "no response within 10s \x1b[31m"}},
	}
	rep := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	rep.Findings = []cachemodel.Finding{{Rule: "cache-served-wrong-origin", Severity: cachemodel.SevHigh, Message: "admin got app's ACAO from cache", Fix: "send Vary: Origin"}}
	return rep
}

func render(t *testing.T, format string, width int) string {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(format, &b, Options{Tool: "corscope test", Mode: "observe", Width: width})
	if jw, ok := w.(*jsonWriter); ok {
		jw.now = func() time.Time { return time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC) }
	}
	var sum cachemodel.Summary
	tr := poisoned()
	sum.Add(tr)
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	sum.Add(tr)
	if err := w.End(sum); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func assertNoControls(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			t.Fatalf("control character %U at byte %d reached the output:\n%q", r, i, out)
		}
	}
}

func TestTableGolden(t *testing.T) {
	for _, w := range []int{80, 120} {
		t.Run(map[int]string{80: "80", 120: "120"}[w], func(t *testing.T) {
			out := render(t, "table", w)
			assertNoControls(t, out)
			for _, line := range strings.Split(out, "\n") {
				if n := len([]rune(line)); n > w {
					t.Errorf("line wider than %d: %d %q", w, n, line)
				}
			}
			golden.RequireEqual(t, []byte(out))
		})
	}
}

func TestMarkdownGolden(t *testing.T) {
	out := render(t, "markdown", 0)
	assertNoControls(t, out)
	golden.RequireEqual(t, []byte(out))
}

func TestJSONIsOneDocument(t *testing.T) {
	out := render(t, "json", 0)
	var rep cachemodel.Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not a report: %v\n%s", err, out)
	}
	if rep.Schema != cachemodel.ReportSchema || rep.Mode != "observe" || len(rep.Targets) != 2 || rep.Summary.Requests != 10 || rep.Summary.Failed != 2 {
		t.Fatalf("decoded: %+v", rep)
	}
	v := rep.Targets[0].Variants[2]
	if v.Origin == nil || *v.Origin != "https://admin.example.com" || v.CORS.Allowed == nil || *v.CORS.Allowed || v.Cache.Status != cachemodel.StatusHit {
		t.Fatalf("admin variant: %+v", v)
	}
	if rep.Targets[0].Variants[0].Origin != nil {
		t.Fatal("no-Origin variant must encode origin as null")
	}
	if rep.Summary.Findings[cachemodel.SevHigh] != 2 {
		t.Fatalf("summary findings: %v", rep.Summary.Findings)
	}
	// Field names of the documented format.
	for _, key := range []string{`"origin": null`, `"allowed_with_credentials"`, `"acao"`, `"curl"`, `"cache": {`, `"source": "X-Varnish"`, `"error": {`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// isolated is an isolate-mode target whose server trusts any origin ending
// in "app.example.com" (so the suffix bypass gets through).
func isolated(t *testing.T) cachemodel.TargetReport {
	t.Helper()
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/font.woff2")
	plan := cachemodel.BuildIsolatePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 2},
		cachemodel.IsolateOptions{Rand: &countingReader{}})
	obs := make([]cachemodel.Observation, len(plan.Steps))
	seen := map[string]bool{}
	for i, s := range plan.Steps {
		h := cachemodel.Headers{{Name: "X-Cache", Value: "MISS"}}
		key := s.CacheKey + "|" + s.Variant.Origin
		if seen[key] {
			h = cachemodel.Headers{{Name: "X-Cache", Value: "HIT"}, {Name: "Age", Value: "1"}}
		}
		seen[key] = true
		if strings.HasSuffix(s.Variant.Origin, "app.example.com") {
			h = append(h, cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: s.Variant.Origin}, cachemodel.Header{Name: "Vary", Value: "Origin"})
		}
		obs[i] = cachemodel.Observation{Target: 0, Step: i, Response: &cachemodel.Response{Status: 200, Headers: h}}
	}
	return cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
}

func TestTableIsolateGolden(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter("table", &b, Options{Mode: "isolate", Width: 80})
	if err := w.Target(isolated(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	assertNoControls(t, out)
	for _, want := range []string{"· repeat — each variant on its own fresh cache key", "suffix evil", "generated attacker-style origins blocked", "cache key: Origin in key"} {
		if !strings.Contains(out, want) {
			t.Errorf("isolate table lacks %q", want)
		}
	}
	golden.RequireEqual(t, []byte(out))
}

// countingReader is a deterministic "random" source: 0, 1, 2, ...
type countingReader struct{ n byte }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

// The Markdown report of an isolate run names each row's experiment and
// its cache key, as the table does, and marks a stored answer served for
// another request with ⚠ like the table and the TUI.
func TestMarkdownIsolateKeepsExperimentsAndMarks(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter("markdown", &b, Options{Mode: "isolate"})
	rep := isolated(t)
	if err := w.Target(rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	assertNoControls(t, out)
	for _, want := range []string{"| Round | Experiment | Origin |", "| repeat — each variant on its own fresh cache key |", "| adversarial"} {
		if !strings.Contains(out, want) {
			t.Errorf("isolate Markdown lacks %q:\n%s", want, out)
		}
	}
	served := cachemodel.ServedForAnother(&rep)
	marks := 0
	for _, s := range served {
		if s {
			marks++
		}
	}
	if got := strings.Count(out, "⚠ "); got != marks {
		t.Errorf("%d ⚠ marks in the Markdown, want %d (one per variant served another request's answer)", got, marks)
	}
}

// The table names the edges that served the variants next to the provider,
// and nothing when no response named one.
func TestTableNamesEdges(t *testing.T) {
	tr := poisoned()
	table := func(tr cachemodel.TargetReport) string {
		var b bytes.Buffer
		w := NewWriter("table", &b, Options{Tool: "corscope test", Mode: "observe", Width: 100})
		if err := w.Begin(); err != nil {
			t.Fatal(err)
		}
		if err := w.Target(tr); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if out := table(tr); strings.Contains(out, "edge") {
		t.Errorf("edge named without one:\n%s", out)
	}
	tr.Variants[0].Edge, tr.Variants[1].Edge, tr.Variants[2].Edge = "AMS", "FRA", "AMS"
	// Several edges: a column names each row's, the provider line none.
	if out := table(tr); !strings.Contains(out, " EDGE ") || !strings.Contains(out, " FRA ") {
		t.Errorf("no EDGE column in:\n%s", out)
	}
	var b bytes.Buffer
	w := NewWriter("markdown", &b, Options{Tool: "corscope test", Mode: "observe"})
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Provider: varnish · edges AMS, FRA · requests") {
		t.Errorf("markdown lacks the edges:\n%s", b.String())
	}
	tr.Variants[1].Edge = ""
	if out := table(tr); !strings.Contains(out, "provider varnish · edge AMS · ") {
		t.Errorf("no edge in:\n%s", out)
	}
}
