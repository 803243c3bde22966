package tui

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// --confirm-in: the variant's detail view shows the browser's own answer
// beside corscope's verdict, escaped, in the table's words (the note too,
// which the detail view used to leave out).
func TestDetailShowsBrowserConfirm(t *testing.T) {
	u := mustURL(t, urlA)
	plan := cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: []string{appOrigin}, Rounds: 1})
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i := range plan.Steps {
		obs[i] = cachemodel.Observation{Step: i, Response: &cachemodel.Response{Status: 200,
			Headers: cachemodel.Headers{{Name: "Access-Control-Allow-Origin", Value: "https://other.example"}}}}
	}
	rep := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	no := false
	for _, v := range rep.Variants {
		if v.Origin == nil || *v.Origin != appOrigin {
			continue
		}
		v.BrowserConfirm = &cachemodel.BrowserConfirm{Browser: "chromium", Version: "156.0.8078.129", Origin: appOrigin,
			Anonymous: cachemodel.BrowserFetch{Result: cachemodel.BrowserBlocked, Error: "TypeError: Failed to fetch",
				Console: "blocked by CORS policy: \x1b[31mred", Agrees: &no}, Note: "the profile was left behind"}
		doc := strings.Join(variantDoc(newTestModel(t, nil, 200, 30).c.styles, v, nil, 200), "\n")
		for _, want := range []string{"⧉ chromium 156.0.8078.129 from " + appOrigin + ": anonymous blocked (TypeError: Failed to fetch)", "(DISAGREE)", "console (anonymous): blocked by CORS policy", "note: the profile was left"} {
			if !strings.Contains(doc, want) {
				t.Errorf("detail lacks %q:\n%s", want, doc)
			}
		}
		if strings.Contains(doc, "\x1b[31m") {
			t.Errorf("console text reached the terminal unescaped")
		}
		return
	}
	t.Fatal("no variant of the configured origin")
}
