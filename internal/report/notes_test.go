package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func TestRedirectAndBodyNotes(t *testing.T) {
	base := "https://cdn.example.com/a"
	variant := func(label string, status int, redirects []string, bodyErr *cachemodel.ProbeError) cachemodel.VariantResult {
		return cachemodel.VariantResult{Label: label, Round: 1, Request: cachemodel.RequestInfo{URL: base},
			Response: &cachemodel.ResponseInfo{Status: status, Redirects: redirects, BodyBytes: 3, BodyTruncated: bodyErr != nil, BodyError: bodyErr}}
	}
	loop := []string{"https://cdn.example.com/b", base, "https://cdn.example.com/b"}
	tests := []struct {
		name string
		v    cachemodel.VariantResult
		want string
	}{
		{"loop", variant("x", 302, loop, nil),
			"↪ followed 3 redirects: /a → /b → /a → /b (a redirect loop: browsers give up on it; the last answer is shown)"},
		{"limit", variant("x", 301, []string{base + "?n=1"}, nil),
			"↪ followed 1 redirect: /a → /a?n=1 (stopped at the --follow limit; the last answer, a 301, is shown)"},
		{"other host, escaped", variant("x", 200, []string{"https://evil.example/\u202ex"}, nil),
			`↪ followed 1 redirect: /a → https://evil.example/\u202ex`},
		{"body", variant("o\x1b", 200, nil, &cachemodel.ProbeError{Kind: cachemodel.ErrTimeout, Message: "timed out after 1s reading the body"}),
			`! round 1 o\x1b: body cut short after 3 bytes: timeout: timed out after 1s reading the body (the headers are complete)`},
	}
	for _, tt := range tests {
		got := redirectNote(tt.v) + bodyErrorNote(tt.v)
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	if n := redirectNote(variant("x", 200, nil, nil)) + bodyErrorNote(variant("x", 200, nil, nil)); n != "" {
		t.Errorf("plain response got notes %q", n)
	}

	// In the table and Markdown, a loop shared by every variant is said once.
	tr := cachemodel.TargetReport{URL: base, Variants: []cachemodel.VariantResult{
		variant("(no Origin)", 302, loop, nil), variant("https://app.example.com", 302, loop, nil),
	}}
	for _, format := range []string{"table", "markdown"} {
		var buf bytes.Buffer
		if err := NewWriter(format, &buf, Options{Width: 200}).Target(tr); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(buf.String(), "followed 3 redirects"); n != 1 {
			t.Errorf("%s: redirect note printed %d times:\n%s", format, n, buf.String())
		}
	}
}

// Issue 11 item 7: the Markdown Vary cell shows several lines as sent.
func TestMarkdownShowsVaryLinesAsSent(t *testing.T) {
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/app.js")
	plan := cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com"}, Rounds: 1})
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i := range obs {
		obs[i] = cachemodel.Observation{Response: &cachemodel.Response{Status: 200, Headers: cachemodel.Headers{
			{Name: "Vary", Value: "accept-encoding"}, {Name: "Vary", Value: "origin"}}}}
	}
	tr := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	var b strings.Builder
	w := NewWriter("markdown", &b, Options{Tool: "t", Mode: "observe"})
	if err := w.Target(tr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| accept-encoding<br>origin |") || strings.Contains(b.String(), "accept-encoding, origin |") {
		t.Errorf("Vary cell does not show the lines as sent:\n%s", b.String())
	}
}
