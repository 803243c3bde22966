package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// confirmTarget is a target whose configured variant carries a browser's
// answer (--confirm-in) that disagrees with corscope's verdict, with
// console text holding a terminal escape.
func confirmTarget() cachemodel.TargetReport {
	origin, acao := "https://app.example.com", "https://other.example"
	yes, no := true, false
	st := 200
	return cachemodel.TargetReport{URL: "https://cdn.example.com/a.js", Variants: []cachemodel.VariantResult{{
		Label: origin, Kind: cachemodel.KindConfigured, Origin: &origin, Round: 1, Method: "GET",
		Response: &cachemodel.ResponseInfo{Status: 200},
		CORS:     cachemodel.CORSInfo{Applicable: true, ACAO: &acao, Allowed: &yes, AllowedWithCredentials: &no},
		BrowserConfirm: &cachemodel.BrowserConfirm{Browser: "chromium", Version: "156.0.8078.129", Origin: origin,
			Anonymous: cachemodel.BrowserFetch{Result: cachemodel.BrowserBlocked, Error: "TypeError: Failed to fetch",
				Console: "has been blocked by CORS policy: value '\x1b]0;x\x07'", Agrees: &no},
			Credentials: cachemodel.BrowserFetch{Result: cachemodel.BrowserAllowed, Status: &st, Agrees: &no}},
	}}}
}

func TestBrowserConfirmInEveryFormat(t *testing.T) {
	tr := confirmTarget()
	want := map[string][]string{
		"table":    {"⧉ chromium 156.0.8078.129 from https://app.example.com: anonymous blocked (TypeError: Failed to fetch), with credentials allowed, status 200; corscope: allowed, blocked (DISAGREE)", "console (anonymous): has been blocked by CORS policy"},
		"markdown": {"⧉ chromium 156.0.8078.129 from https://app.example.com: anonymous blocked (TypeError: Failed to fetch)", "(DISAGREE)", "<br>console (anonymous): has been blocked by CORS policy"},
	}
	for format, wants := range want {
		var buf bytes.Buffer
		if err := NewWriter(format, &buf, Options{Width: 400}).Target(tr); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", format, w, out)
			}
		}
		if strings.Contains(out, "\x1b]0;") || strings.Contains(out, "\x07") {
			t.Errorf("%s: console text reached the output unescaped", format)
		}
	}
	var buf bytes.Buffer
	w := NewWriter("json", &buf, Options{Tool: "t", Mode: "observe"})
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	if err := w.End(cachemodel.Summary{}); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Targets []struct {
			Variants []struct {
				BrowserConfirm map[string]any `json:"browser_confirm"`
			} `json:"variants"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	bc := rep.Targets[0].Variants[0].BrowserConfirm
	anon, _ := bc["anonymous"].(map[string]any)
	if bc["browser"] != "chromium" || anon["result"] != "blocked" || anon["agrees"] != false {
		t.Errorf("browser_confirm in JSON: %v", bc)
	}
}
