package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// authWildcard is a preflight run where Authorization passes only by
// Access-Control-Allow-Headers: *, analysed by cachemodel.
func authWildcard() cachemodel.TargetReport {
	u, _ := cachemodel.ParseTargetURL("https://api.example.com/v1")
	plan := cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 1,
		Preflight: true, RequestMethod: "GET", RequestHeaders: []string{"Authorization"}})
	var obs []cachemodel.Observation
	for _, st := range plan.Steps {
		h := cachemodel.Headers{{Name: "Access-Control-Allow-Origin", Value: "*"}}
		if st.Preflight {
			h = append(h, cachemodel.Header{Name: "Access-Control-Allow-Headers", Value: "*"})
		}
		obs = append(obs, cachemodel.Observation{Response: &cachemodel.Response{Status: 200, Proto: "HTTP/1.1", Headers: h}})
	}
	return cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
}

func TestStandardVerdictIsMarked(t *testing.T) {
	tr := authWildcard()
	out := func(format string) string {
		var b bytes.Buffer
		w := NewWriter(format, &b, Options{Tool: "corscope test", Mode: "observe", Width: 200})
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
		return b.String()
	}
	table := out("table")
	for _, want := range []string{"✓ anon only †", "† round 1 https://app.example.com:", "allowed today by Chromium 156",
		"blocked by the Fetch standard (authorization-under-wildcard)", "[LOW] authorization-under-wildcard"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	md := out("markdown")
	if !strings.Contains(md, "✓ allowed today; Fetch standard: ✗ blocked: header not allowed") {
		t.Errorf("markdown lacks both verdicts:\n%s", md)
	}
	var doc struct {
		Targets []cachemodel.TargetReport `json:"targets"`
	}
	if err := json.Unmarshal([]byte(out("json")), &doc); err != nil || len(doc.Targets) != 1 {
		t.Fatalf("json: %v (%d targets)", err, len(doc.Targets))
	}
	found := false
	for _, v := range doc.Targets[0].Variants {
		if v.Kind != cachemodel.KindConfigured || !v.Preflight {
			continue
		}
		found = true
		c, s := v.CORS, v.CORS.Standard
		if c.Allowed == nil || !*c.Allowed || s == nil || s.Allowed || s.Deviation != cachemodel.DeviationAuthorizationWildcard ||
			strings.Join(s.Browsers, ", ") != "Chromium 156.0.8078.129, Firefox ESR 153.8.0esr" {
			t.Errorf("json keeps %+v / %+v, want allowed now, blocked by the standard, browsers listed", c, s)
		}
	}
	if !found {
		t.Fatal("no preflight of the configured origin in the JSON")
	}
}
