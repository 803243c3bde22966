package tui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/themes"
)

// fixCatalog returns every sentence-length string the findings are made
// of, read from cachemodel's source, plus the composed fixes (the
// origin-side Vary fix followed by each cache-side fix), so a new fix text
// is swept without anyone adding it here.
func fixCatalog(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../cachemodel/findings*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no findings sources: %v", err)
	}
	var texts []string
	var varyFix string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == 1 && vs.Names[0].Name == "fixVaryOrigin" {
				if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
					varyFix, _ = strconv.Unquote(lit.Value)
				}
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && len(s) >= 40 {
				texts = append(texts, s)
			}
			return true
		})
	}
	if varyFix == "" || len(texts) < 10 {
		t.Fatalf("catalog too small (%d texts, vary fix %q): did the fix texts move?", len(texts), varyFix)
	}
	n := len(texts)
	for _, s := range texts[:n] {
		texts = append(texts, varyFix+" "+s, "fix: "+s)
	}
	return texts
}

// checkWrap fails when a wrapped line is wider than w or when the lines
// do not hold exactly the input's characters in order (only the spaces at
// a break may go).
func checkWrap(t *testing.T, s string, w int) {
	t.Helper()
	lines := wrap(s, w)
	for _, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Fatalf("width %d: line %q is %d columns", w, l, lw)
		}
	}
	if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(s, " ", "") {
		t.Fatalf("width %d: characters lost:\nin:  %q\nout: %q", w, s, lines)
	}
}

func TestWrapNeverLosesACharacter(t *testing.T) {
	texts := fixCatalog(t)
	for _, s := range texts {
		for w := 20; w <= 240; w++ {
			checkWrap(t, s, w)
		}
	}
	t.Logf("%d texts × 221 widths", len(texts))
}

func TestWrapBreaksWhereAReaderExpects(t *testing.T) {
	cases := []struct {
		in   string
		w    int
		want []string
	}{
		// ',' or ';' on the edge: ansi.Wrap made this 24 columns at 23.
		{"part of the default key; make sure", 23, []string{"part of the default", "key; make sure"}},
		{"part of the default key; make sure", 24, []string{"part of the default key;", "make sure"}},
		{"a,b,c,d", 4, []string{"a,b,", "c,d"}},
		{"averyveryverylongword", 8, []string{"averyver", "yverylon", "gword"}},
		{"x averyveryverylongword", 8, []string{"x", "averyver", "yverylon", "gword"}},
		{"", 10, []string{""}},
		{"  indented text", 40, []string{"  indented text"}},
		{"one\ntwo", 40, []string{"one", "two"}},
	}
	for _, c := range cases {
		got := wrap(c.in, c.w)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("Cloudflare: keep Origin in the cache key (it is part of the default key; make sure", 23)
	f.Add("a,,;;  b", 1)
	f.Add("日本語のテキスト,とても長い", 3)
	f.Fuzz(func(t *testing.T, s string, w int) {
		if w < 1 || w > 300 || len(s) > 2000 || strings.ContainsAny(s, "\n\x1b\t\r") {
			return
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) {
			return
		}
		lines := wrap(s, w)
		for _, l := range lines {
			if lw := ansi.StringWidth(l); lw > w && len([]rune(l)) > 1 {
				t.Fatalf("width %d: line %q is %d columns", w, l, lw)
			}
		}
		if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(s, " ", "") {
			t.Fatalf("width %d: characters lost: %q -> %q", w, s, lines)
		}
	})
}

// The findings pane shows a finding's whole fix at every width: no line
// is cut with "…" (at 80×24 the Cloudflare fix used to lose "key;").
func TestFindingsPaneShowsTheWholeFix(t *testing.T) {
	km := DefaultKeyMap()
	pal, _ := themes.Builtin("mono")
	c := &common{keys: &km, styles: themes.NewStyles(lipgloss.NewRenderer(io.Discard), pal)}
	for _, fix := range fixCatalog(t) {
		if strings.HasPrefix(fix, "fix: ") {
			continue // the pane adds its own prefix
		}
		rep := &cachemodel.TargetReport{URL: "https://a.example/", Findings: []cachemodel.Finding{{
			Rule: "cache-served-wrong-origin", Severity: cachemodel.SevHigh, Message: "m", Fix: fix,
		}}}
		for w := 20; w <= 240; w += 11 {
			f := newFindings(c)
			f.focused = true
			f.SetSize(w, 400)
			f.SetReport(rep)
			view := ansi.Strip(f.View())
			flat := strings.NewReplacer("\n", "", " ", "").Replace(view)
			if !strings.Contains(flat, strings.ReplaceAll("fix: "+fix, " ", "")) {
				t.Fatalf("width %d: fix not shown whole:\n%s\nfix: %s", w, view, fix)
			}
		}
	}
}

// Styled text wraps exactly as the plain text does: a style's escape
// sequence ("\x1b[38;5;111m") holds ';', which are no break points and
// take no columns. Before, the coloured probing note broke one word early
// at 80 columns, and a line could end inside an escape sequence.
func TestWrapStyledTextAsPlain(t *testing.T) {
	style := func(s string) string { return "\x1b[38;5;111m" + s + "\x1b[0m" }
	plain := "⠋ probing: 3 of 10 requests answered; · findings when every request is in · c cancels; the rest, queued"
	styled := style("⠋") + " probing: 3 of 10 requests " + style("answered;") + " · findings when every request is in · c cancels; the rest, queued"
	for w := 10; w <= 120; w++ {
		got := wrap(styled, w)
		want := wrap(plain, w)
		if len(got) != len(want) {
			t.Fatalf("width %d: %d lines styled, %d plain:\n%q\n%q", w, len(got), len(want), got, want)
		}
		for i := range got {
			// A cut escape sequence would leave "5;111m" behind.
			if ansi.Strip(got[i]) != want[i] {
				t.Errorf("width %d line %d: styled %q, plain %q", w, i, ansi.Strip(got[i]), want[i])
			}
		}
	}
}
