package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func TestEscapeTerminalRunes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"plain ascii"`, `"plain ascii"`},
		{`"café … → ✓ 漢 \u001b"`, `"café … → ✓ 漢 \u001b"`},
		{"\"\u009b31m\"", `"\u009b31m"`},
		{"\"a\u0080b\u009fc\"", `"a\u0080b\u009fc"`},
		{"\"\u00a0 stays\"", "\"\u00a0 stays\""}, // NBSP is C2 A0: printable
		{"\"\u202aL\u202eR\u202c\u2066I\u2069\"", `"\u202aL\u202eR\u202c\u2066I\u2069"`},
		{"\"\u2029 \u2060 \u206a\"", "\"\u2029 \u2060 \u206a\""}, // outside the ranges (encoding/json handles U+2029)
		{"\"…\u202e…\"", `"…\u202e…"`},
		{"[\"\u009d\",\"\u2067\"]", `["\u009d","\u2067"]`},
		{"\"trailing lead \xc2\"", "\"trailing lead \xc2\""}, // not a rune: left alone
	}
	for _, tt := range tests {
		if got := string(escapeTerminalRunes([]byte(tt.in))); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	clean := []byte(`{"a":"nothing to do … ✓"}`)
	if got := escapeTerminalRunes(clean); &got[0] != &clean[0] {
		t.Error("clean input was copied")
	}
}

// Many harmless E2 runes and no C2 must not make the scan quadratic.
func TestEscapeTerminalRunesLinear(t *testing.T) {
	in := []byte(`"` + strings.Repeat("…", 200000) + "\u202e\"")
	out := escapeTerminalRunes(in)
	if !bytes.HasSuffix(out, []byte(`\u202e"`)) {
		t.Errorf("tail %q", out[len(out)-10:])
	}
}

// The JSON report escapes C1 and bidi controls from servers and still
// decodes to exactly what was received.
func TestJSONReportEscapesTerminalControls(t *testing.T) {
	hostile := "\u009b31m \u009d0;TITLE\u009c \u202eEVIL\u202c \u2066I\u2069 é"
	tr := cachemodel.TargetReport{URL: "https://x.example/", Variants: []cachemodel.VariantResult{{
		Label: "v", Response: &cachemodel.ResponseInfo{Headers: cachemodel.Headers{{Name: "X-Evil", Value: hostile}}},
	}}}
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
	for _, r := range []string{"\u009b", "\u009d", "\u009c", "\u202e", "\u202c", "\u2066", "\u2069"} {
		if strings.Contains(buf.String(), r) {
			t.Errorf("raw %U in the JSON report", []rune(r)[0])
		}
	}
	var rep cachemodel.Report
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if got, _ := rep.Targets[0].Variants[0].Response.Headers.Get("X-Evil"); got != hostile {
		t.Errorf("decoded %q, want %q", got, hostile)
	}
}

// FuzzEscapeTerminalRunes: for any string encoded as a JSON string, the
// escaped document is still valid JSON, decodes to the same value as the
// original, and holds no raw C1 or bidi control.
func FuzzEscapeTerminalRunes(f *testing.F) {
	for _, s := range []string{"", "plain", "\u009b31m", "…\u202e…", "\u2066\u2069\u0080\u009f", "é\u00a0\u2029", "\xc2", "\xe2\x80", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := json.Marshal(map[string]string{"k": s, s: "v"})
		if err != nil {
			t.Fatal(err)
		}
		out := escapeTerminalRunes(doc)
		var before, after map[string]string
		if err := json.Unmarshal(doc, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("escaped document %q does not decode: %v", out, err)
		}
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("decoded %q, want %q", after, before)
		}
		for _, r := range string(out) {
			if r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("raw %U left in %q", r, out)
			}
		}
	})
}
