package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// The ACAO column renders one value one way on every row: a cache that
// served app's grant to admin and to the null origin shows the same cell on
// both rows at 80 columns (before, the null row kept the scheme and was
// cut in the middle while the admin row dropped it).
func TestACAOCellSameValueSameRendering(t *testing.T) {
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/app.js")
	plan := cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 1})
	grant := cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: "https://app.example.com"}
	r := func(h ...cachemodel.Header) *cachemodel.Response {
		return &cachemodel.Response{Status: 200, Proto: "HTTP/1.1", Headers: append(h, cachemodel.Header{Name: "X-Varnish", Value: "32772 32771"}, cachemodel.Header{Name: "Age", Value: "4"})}
	}
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i := range obs {
		obs[i] = cachemodel.Observation{Response: r(grant)}
	}
	tr := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	var b bytes.Buffer
	w := NewWriter("table", &b, Options{Mode: "observe", Width: 80})
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var cells []string
	for _, l := range strings.Split(out, "\n") {
		for _, o := range []string{"https://admin.example.com", "(no Origin)", "null"} {
			if strings.HasPrefix(l, "  1  "+o+" ") {
				// ACAO is the column before the verdict: find it by the header.
				head := strings.Index(out[strings.Index(out, "  R  ORIGIN"):], "ACAO")
				cells = append(cells, strings.TrimSpace(string([]rune(l)[head:head+16])))
			}
		}
	}
	if len(cells) != 3 {
		t.Fatalf("found %d of the admin, no-Origin and null rows:\n%s", len(cells), out)
	}
	for _, c := range cells {
		if c != "app.example.com" {
			t.Errorf("ACAO cells %q: one value, rendered differently (want app.example.com on every row)\n%s", cells, out)
			break
		}
	}
}
