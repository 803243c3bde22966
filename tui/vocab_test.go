package tui

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/themes"
)

// vocabReport has one variant per value the cache and browser columns can
// show: every cache status (and a weak HIT), every verdict (failed, not
// CORS, same-origin, allowed, anon only, unknown credentials, the Fetch
// standard's †, every block reason, one cached for another request), and a
// finding per severity.
func vocabReport() cachemodel.TargetReport {
	yes, no := true, false
	n := 0
	tr := cachemodel.TargetReport{URL: "https://cdn.example.com/a.js", State: cachemodel.StatePartial}
	add := func(v cachemodel.VariantResult) {
		n++
		v.Label = fmt.Sprintf("v%02d", n)
		v.Round = 1
		v.Method = "GET"
		if v.Kind == "" {
			v.Kind = cachemodel.KindConfigured
		}
		if v.Kind != cachemodel.KindNoOrigin {
			o := "https://" + v.Label + ".example"
			v.Origin = &o
		}
		if v.Response != nil && v.Cache.Status == "" {
			v.Cache.Status = cachemodel.StatusMiss
		}
		tr.Variants = append(tr.Variants, v)
	}
	resp := func() *cachemodel.ResponseInfo { return &cachemodel.ResponseInfo{Status: 200} }
	cors := func(anon, cred *bool, reason string) cachemodel.CORSInfo {
		return cachemodel.CORSInfo{Applicable: true, Allowed: anon, AllowedWithCredentials: cred, Reason: reason, ReasonWithCredentials: reason}
	}
	for _, st := range cachemodel.CacheStatuses {
		add(cachemodel.VariantResult{Response: resp(), Cache: cachemodel.CacheInfo{Status: st}, CORS: cors(&yes, &yes, "")})
	}
	add(cachemodel.VariantResult{Response: resp(), Cache: cachemodel.CacheInfo{Status: cachemodel.StatusHit, Weak: true}, CORS: cors(&yes, &yes, "")})
	add(cachemodel.VariantResult{Error: &cachemodel.ProbeError{Kind: cachemodel.ErrTimeout, Message: "no response"}, CORS: cachemodel.CORSInfo{Applicable: true}})
	add(cachemodel.VariantResult{Response: resp(), Kind: cachemodel.KindNoOrigin})
	add(cachemodel.VariantResult{Response: resp(), Kind: cachemodel.KindSameOrigin, CORS: cachemodel.CORSInfo{Allowed: &yes, AllowedWithCredentials: &yes}})
	add(cachemodel.VariantResult{Response: resp(), CORS: cors(nil, nil, "")})
	add(cachemodel.VariantResult{Response: resp(), CORS: cors(&yes, &no, string(cachemodel.ReasonACACMissing))})
	add(cachemodel.VariantResult{Response: resp(), CORS: cors(&yes, nil, "")})
	std := cors(&yes, &no, string(cachemodel.ReasonACACMissing))
	std.Standard = &cachemodel.StandardVerdict{Deviation: "authorization-under-wildcard"}
	add(cachemodel.VariantResult{Response: resp(), CORS: std})
	for _, r := range append(slices.Clone(cachemodel.BlockReasons), "something-new") {
		add(cachemodel.VariantResult{Response: resp(), CORS: cors(&no, &no, string(r))})
	}
	// Cached for another request: v01's grant, served from cache to v-last.
	grant := "https://v01.example"
	tr.Variants[0].CORS.ACAO = &grant
	poisoned := cors(&no, &no, string(cachemodel.ReasonACAOMismatch))
	poisoned.ACAO = &grant
	add(cachemodel.VariantResult{Response: resp(), Cache: cachemodel.CacheInfo{Status: cachemodel.StatusHit}, CORS: poisoned})
	for _, s := range cachemodel.Severities {
		tr.Findings = append(tr.Findings, cachemodel.Finding{Rule: "rule-" + string(s), Severity: s, Message: "m", Fix: "f"})
	}
	return tr
}

// TestTableAndTUISayTheSameWords: for every value of each labelled type
// (cache status, verdict, block reason, ⚠, severity), the check table's
// cell and the TUI's cell say the same words once colour is stripped, and
// carry the same class.
func TestTableAndTUISayTheSameWords(t *testing.T) {
	tr := vocabReport()

	// The table, plain; painted with class markers; painted with a theme.
	render := func(paint func(class, s string) string) string {
		var b bytes.Buffer
		w := report.NewWriter("table", &b, report.Options{Mode: "observe", Width: 160, Paint: paint})
		if err := w.Target(tr); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	plain := render(nil)
	marked := render(func(class, s string) string { return "⟦" + class + "⟧" + s + "⟦/⟧" })
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	pal, _ := themes.Builtin("default")
	st := themes.NewStyles(r, pal)
	coloured := render(func(class, s string) string { return st.Class(class).Render(s) })
	if !strings.Contains(coloured, "\x1b[") {
		t.Fatal("the coloured table has no colour: this test would prove nothing")
	}
	if got := ansi.Strip(coloured); got != plain {
		t.Fatalf("the coloured table, stripped, differs from the plain one:\n%s\nwant\n%s", got, plain)
	}

	lines := strings.Split(plain, "\n")
	markedLines := strings.Split(marked, "\n")
	head := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "  R  ORIGIN") })
	if head < 0 {
		t.Fatalf("no header row:\n%s", plain)
	}
	col := func(name string) int { return strings.Index(string([]rune(lines[head])), name) }
	cacheAt, verdictAt := len([]rune(lines[head][:col("CACHE")])), len([]rune(lines[head][:col("BROWSER")]))
	segment := regexp.MustCompile(`⟦([a-z]+)⟧([^⟦]*)⟦/⟧`)
	classOf := func(ml, text string) string {
		for _, m := range segment.FindAllStringSubmatch(ml, -1) {
			if strings.TrimSpace(m[2]) == text {
				return m[1]
			}
		}
		return "(unpainted)"
	}

	g := buildGrid(&tr, nil, gridOptions{})
	rowOf := func(k rowKind) int {
		return slices.IndexFunc(g.rows, func(r gridRow) bool { return r.kind == k })
	}
	cacheRow, verdictRow := rowOf(rowCache), rowOf(rowVerdict)
	seenVerdicts := map[string]bool{}
	for vi, v := range tr.Variants {
		ri := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "  1  "+v.Label+" ") })
		if ri < 0 {
			t.Fatalf("%s: no table row:\n%s", v.Label, plain)
		}
		row := []rune(lines[ri])
		ci := slices.IndexFunc(g.cols, func(c gridCol) bool { return c.shown == vi })
		if ci < 0 {
			t.Fatalf("%s: no TUI column", v.Label)
		}

		tuiVerdict := g.cells[verdictRow][ci]
		want := tuiVerdict.text
		if tuiVerdict.mark == markProblem {
			want = glyphProblem + want
		}
		got := strings.TrimSpace(string(row[verdictAt:]))
		if got != want {
			t.Errorf("%s verdict: table %q, TUI %q", v.Label, got, want)
		}
		if c := classOf(markedLines[ri], got); c != string(tuiVerdict.class) {
			t.Errorf("%s verdict %q: table class %s, TUI class %s", v.Label, got, c, tuiVerdict.class)
		}
		seenVerdicts[want] = true

		if v.Response == nil {
			continue // the table says "-", the TUI leaves the cell empty: no status
		}
		tuiCache := g.cells[cacheRow][ci]
		got = strings.TrimSpace(string(row[cacheAt : cacheAt+8]))
		if got != tuiCache.text {
			t.Errorf("%s cache %s: table %q, TUI %q", v.Label, v.Cache.Status, got, tuiCache.text)
		}
		if c := classOf(markedLines[ri], got); c != string(tuiCache.class) {
			t.Errorf("%s cache %q: table class %s, TUI class %s", v.Label, got, c, tuiCache.class)
		}
	}
	// The cases are distinct, so the loop above saw every verdict.
	for _, w := range []string{"! timeout", "– not CORS", "– same-origin", "?", "✓ allowed", "✓ anon only", "✓ anon, ?", "✓ anon only †", "✗ blocked", "⚠✗ wrong ACAO"} {
		if !seenVerdicts[w] {
			t.Errorf("no variant showed %q (saw %v)", w, seenVerdicts)
		}
	}
	for _, r := range cachemodel.BlockReasons {
		if !seenVerdicts["✗ "+r.Short()] {
			t.Errorf("no variant showed the block reason %s", r)
		}
	}

	// The legends under the table are the TUI's footer words.
	m := newMatrix(newTestModel(t, nil, 100, 30).c)
	m.SetSize(4000, 30)
	m.SetReport(&tr, nil, "")
	footer := ansi.Strip(m.View())
	for _, legend := range []string{cachemodel.CachedForAnotherLegend, cachemodel.WeakLegend} {
		if !strings.Contains(plain, "  "+legend+"\n") {
			t.Errorf("the table lacks the legend %q:\n%s", legend, plain)
		}
		if !strings.Contains(footer, legend) {
			t.Errorf("the TUI footer lacks the legend %q:\n%s", legend, footer)
		}
	}

	// Severities: the table's "[HIGH] rule" and the findings pane's.
	f := newFindings(newTestModel(t, nil, 100, 30).c)
	f.SetSize(100, 60)
	f.SetReport(&tr)
	pane := ansi.Strip(f.View())
	for _, s := range cachemodel.Severities {
		label := "[" + s.Label() + "]"
		if !strings.Contains(plain, label+" rule-"+string(s)) {
			t.Errorf("the table lacks %q", label)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(label) + ` +rule-` + string(s)).MatchString(pane) {
			t.Errorf("the findings pane lacks %q:\n%s", label, pane)
		}
		if c := classOf(marked, label+" rule-"+string(s)+": m"); c != string(s.Class()) {
			t.Errorf("table %s: class %s, want %s", label, c, s.Class())
		}
	}
}

// TestEveryClassHasAStyle: themes names its classes without importing
// cachemodel, so this is where the two lists meet: every class a cachemodel
// label can carry has a style of its own.
func TestEveryClassHasAStyle(t *testing.T) {
	known := themes.ClassNames()
	for _, c := range cachemodel.Classes {
		if !slices.Contains(known, string(c)) {
			t.Errorf("cachemodel class %q has no style in themes (themes knows %v)", c, known)
		}
	}
}

// TestHelpExplainsEveryVerdictGlyph: the help's legend names every glyph
// a verdict or cache cell can start with or carry, so no word on screen is
// left unexplained (it once knew only ✓, ✗ and –).
func TestHelpExplainsEveryVerdictGlyph(t *testing.T) {
	m := newTestModel(t, nil, 200, 60)
	help := ansi.Strip(strings.Join(m.helpLines(), "\n"))
	tr := vocabReport()
	glyphs := map[string]bool{cachemodel.WeakMark: true, cachemodel.CachedForAnother: true, cachemodel.StandardMark: true}
	for _, v := range tr.Variants {
		text, _ := v.Verdict()
		if g, _, ok := strings.Cut(text, " "); ok {
			glyphs[g] = true
		}
	}
	for g := range glyphs {
		if g == "?" {
			continue // a lone "?" is a word: unknown
		}
		if !regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(g) + `\s`).MatchString(help) {
			t.Errorf("the help does not explain %q:\n%s", g, help)
		}
	}
}

// TestWhereWordsAgree: an --edge address reads "@ADDR" in the table's
// group line, its notes, Markdown and the TUI's column heading (the table's
// group line said "edge ADDR", the words the others use for the PoP a
// response names, "edge AMS"; Markdown said "PoP AMS").
func TestWhereWordsAgree(t *testing.T) {
	yes, no := true, false
	addr := "192.0.2.1"
	app, admin := "https://app.example", "https://admin.example"
	tr := cachemodel.TargetReport{URL: "https://cdn.example.com/a.js", State: cachemodel.StateOK, Edges: []string{addr, "198.51.100.2"}}
	for i, e := range tr.Edges {
		for _, o := range []string{app, admin} {
			o := o
			ok := o == app
			tr.Variants = append(tr.Variants, cachemodel.VariantResult{
				Label: o, Origin: &o, Kind: cachemodel.KindConfigured, Round: 1, Method: "GET", EdgeAddr: e,
				Edge:     []string{"AMS", "FRA"}[i],
				Response: &cachemodel.ResponseInfo{Status: 200}, Cache: cachemodel.CacheInfo{Status: cachemodel.StatusMiss},
				CORS: cachemodel.CORSInfo{Applicable: true, Allowed: map[bool]*bool{true: &yes, false: &no}[ok], AllowedWithCredentials: &no,
					Reason: map[bool]string{true: "", false: string(cachemodel.ReasonMissingACAO)}[ok], Detail: "no ACAO"},
			})
		}
	}
	render := func(format string) string {
		var b bytes.Buffer
		if err := report.NewWriter(format, &b, report.Options{Mode: "observe", Width: 160}).Target(tr); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	table, md := render("table"), render("markdown")
	at := cachemodel.EdgeAddrLabel(addr)
	if !strings.Contains(table, "  · "+at+"\n") {
		t.Errorf("the table's group line lacks %q:\n%s", at, table)
	}
	if !strings.Contains(table, "✗ "+at+" "+admin+": no ACAO") {
		t.Errorf("the table's note lacks %q:\n%s", at, table)
	}
	if !strings.Contains(md, "| "+at+" · "+cachemodel.EdgeLabel("AMS")+" |") {
		t.Errorf("Markdown's edge cell lacks %q and %q:\n%s", at, cachemodel.EdgeLabel("AMS"), md)
	}
	g := buildGrid(&tr, nil, gridOptions{})
	if !slices.ContainsFunc(g.cols, func(c gridCol) bool { return strings.HasPrefix(c.kind, at+" ") }) {
		t.Errorf("no TUI column is headed %q: %+v", at, g.cols)
	}
}
