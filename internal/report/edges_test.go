package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func tableOf(t *testing.T, tr cachemodel.TargetReport) string {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter("table", &b, Options{Mode: "observe", Width: 80})
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTableEdges (issue 14 item 1): one edge for every response is said
// once on the provider line; different edges get an EDGE column, with
// hostile PoP text escaped and bounded; without edges neither appears.
func TestTableEdges(t *testing.T) {
	tr := poisoned()
	if out := tableOf(t, tr); strings.Contains(out, "EDGE") || strings.Contains(out, "· edge ") {
		t.Errorf("edges shown without any:\n%s", out)
	}
	for i := range tr.Variants {
		tr.Variants[i].Edge = "AMS"
	}
	out := tableOf(t, tr)
	if !strings.Contains(out, "provider varnish · edge AMS · ") || strings.Contains(out, "EDGE") {
		t.Errorf("one edge:\n%s", out)
	}
	tr.Variants[1].Edge = "FRA\x1b[2J-very-long-pop-name"
	out = tableOf(t, tr)
	assertNoControls(t, out)
	if !strings.Contains(out, " EDGE ") || strings.Contains(out, "· edge AMS") {
		t.Fatalf("two edges need a column:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line wider than 80: %q", line)
		}
		if strings.HasPrefix(line, "  1  https://app.example.com") && !strings.Contains(line, " FRA") {
			t.Errorf("app's row lacks its edge: %q", line)
		}
	}
}

// With --edge, the Markdown rows of each edge say which edge they are.
func TestMarkdownEdges(t *testing.T) {
	tr := poisoned()
	var b bytes.Buffer
	w := NewWriter("markdown", &b, Options{Mode: "observe"})
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Edge |") {
		t.Errorf("an Edge column without edges:\n%s", b.String())
	}
	tr.Edges = []string{"192.0.2.1"}
	for i := range tr.Variants {
		tr.Variants[i].EdgeAddr = "192.0.2.1"
		tr.Variants[i].Edge = "AMS"
	}
	b.Reset()
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| Round | Origin | Edge |") || !strings.Contains(b.String(), "| @192.0.2.1 · edge AMS |") {
		t.Errorf("markdown edges:\n%s", b.String())
	}
}
