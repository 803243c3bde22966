package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

const (
	appOrigin   = "https://app.example.com"
	adminOrigin = "https://admin.example.com"
)

// reportFor probes one URL on the fake CDN (no runner, no goroutines) and
// analyses it as the TUI would.
func reportFor(t testing.TB, eng *fakeCDN, raw string, rounds int, origins ...string) cachemodel.TargetReport {
	t.Helper()
	plan := cachemodel.BuildObservePlan(0, mustURL(t, raw), cachemodel.PlanOptions{Origins: origins, Rounds: rounds})
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i, st := range plan.Steps {
		obs[i] = cachemodel.Observation{Step: i, Response: eng.respond(st)}
	}
	return cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
}

// poisonedReport is the classic case: a browser on app filled a cache
// that ignores Origin, so admin (and null) get app's ACAO from cache.
func poisonedReport(t testing.TB) cachemodel.TargetReport {
	eng := newFakeCDN(appOrigin, adminOrigin)
	eng.respond(cachemodel.Step{Method: "GET", URL: "http://127.0.0.1:8080/a.json", Headers: cachemodel.Headers{{Name: "Origin", Value: appOrigin}}})
	return reportFor(t, eng, "http://127.0.0.1:8080/a.json", 2, appOrigin, adminOrigin)
}

// healthyReport has Vary: Origin, so every origin gets its own entry.
func healthyReport(t testing.TB) cachemodel.TargetReport {
	eng := newFakeCDN(appOrigin, adminOrigin)
	eng.vary = true
	return reportFor(t, eng, "http://127.0.0.1:8080/a.json", 2, appOrigin, adminOrigin)
}

func colIndex(t testing.TB, g grid, label string) int {
	t.Helper()
	for i, c := range g.cols {
		if c.label == label {
			return i
		}
	}
	t.Fatalf("no column %q in %v", label, colLabels(g))
	return -1
}

func rowIndex(t testing.TB, g grid, name string) int {
	t.Helper()
	for i, r := range g.rows {
		if r.name == name {
			return i
		}
	}
	t.Fatalf("no row %q", name)
	return -1
}

func colLabels(g grid) []string {
	var out []string
	for _, c := range g.cols {
		out = append(out, c.label)
	}
	return out
}

func TestBuildGridColumnsAndCacheHistory(t *testing.T) {
	rep := healthyReport(t)
	g := buildGrid(&rep, nil, gridOptions{})
	want := []string{"(no Origin)", appOrigin, adminOrigin, "http://127.0.0.1:8080", "null"}
	if got := colLabels(g); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("columns = %v, want %v", got, want)
	}
	cache := rowIndex(t, g, "Cache")
	for ci := range g.cols {
		if got := g.cells[cache][ci].text; got != "MISS→HIT" {
			t.Errorf("%s cache = %q, want MISS→HIT", g.cols[ci].label, got)
		}
	}
	// Each column draws its last round.
	for _, c := range g.cols {
		if rep.Variants[c.shown].Round != 2 {
			t.Errorf("%s shows round %d, want 2", c.label, rep.Variants[c.shown].Round)
		}
	}

	split := buildGrid(&rep, nil, gridOptions{rounds: true})
	if len(split.cols) != 10 {
		t.Fatalf("rounds split into %d columns, want 10", len(split.cols))
	}
	if split.cols[0].kind != "no-origin R1" || split.cols[1].kind != "no-origin R2" {
		t.Errorf("round columns = %q, %q", split.cols[0].kind, split.cols[1].kind)
	}
	if got := split.cells[rowIndex(t, split, "Cache")][0].text; got != "MISS" {
		t.Errorf("round 1 cache = %q, want MISS", got)
	}
}

func TestBuildGridMarksPoisonedCells(t *testing.T) {
	rep := poisonedReport(t)
	g := buildGrid(&rep, nil, gridOptions{})
	acao, verdict := rowIndex(t, g, "ACAO"), rowIndex(t, g, "Verdict")
	cases := []struct {
		label    string
		poisoned bool
	}{
		{"(no Origin)", false},           // not a CORS request
		{appOrigin, false},               // its own ACAO, correctly
		{adminOrigin, true},              // app's ACAO, from cache
		{"http://127.0.0.1:8080", false}, // same-origin: no CORS check
		{"null", true},                   // app's ACAO, from cache
	}
	for _, c := range cases {
		ci := colIndex(t, g, c.label)
		for _, ri := range []int{acao, verdict} {
			if got := g.cells[ri][ci].mark == markProblem; got != c.poisoned {
				t.Errorf("%s %s: poisoned = %v, want %v", c.label, g.rows[ri].name, got, c.poisoned)
			}
		}
	}
	if g.problems != 2 || g.cols[g.first].label != adminOrigin {
		t.Errorf("problems = %d, first = %d; want 2 starting at admin", g.problems, g.first)
	}
	if got := g.cells[verdict][colIndex(t, g, adminOrigin)].text; got != "✗ wrong ACAO" {
		t.Errorf("admin verdict = %q", got)
	}

	healthy := healthyReport(t)
	hg := buildGrid(&healthy, nil, gridOptions{})
	if hg.problems != 0 || hg.first != -1 {
		t.Errorf("Vary: Origin setup marked %d poisoned cells", hg.problems)
	}
}

func TestMarkDiffsFlagsTheMinority(t *testing.T) {
	rep := poisonedReport(t)
	g := buildGrid(&rep, nil, gridOptions{})
	verdict := rowIndex(t, g, "Verdict")
	if !g.rows[verdict].differs {
		t.Fatal("verdict row should differ: app allowed, admin blocked")
	}
	// (no Origin) and same-origin are not CORS requests: never compared.
	for _, l := range []string{"(no Origin)", "http://127.0.0.1:8080"} {
		if m := g.cells[verdict][colIndex(t, g, l)].mark; m != markNone {
			t.Errorf("%s verdict marked %v, want none", l, m)
		}
	}
	// app is the odd one out among CORS requests (admin and null agree).
	if m := g.cells[verdict][colIndex(t, g, appOrigin)].mark; m != markDiff {
		t.Errorf("app verdict mark = %v, want differs", m)
	}
	// Age differs by nature and is never marked.
	age := rowIndex(t, g, "Age")
	if g.rows[age].differs {
		t.Error("Age row marked as differing")
	}
	// Identical rows are not marked.
	if g.rows[rowIndex(t, g, "Cache-Control")].differs {
		t.Error("Cache-Control is the same everywhere but marked")
	}
}

func TestBuildGridAddsDifferingHeaders(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	rep := reportFor(t, eng, "http://127.0.0.1:8080/x", 2, appOrigin)
	g := buildGrid(&rep, nil, gridOptions{})
	// X-Cache differs across rounds (MISS then HIT); ACAO differs across
	// variants but already has its own row.
	var extra []string
	for _, r := range g.rows {
		if r.kind == rowHeader {
			extra = append(extra, r.header)
		}
	}
	if strings.Join(extra, ",") != "X-Cache" {
		t.Errorf("extra rows = %v, want [X-Cache]", extra)
	}
}

func TestDiffAgainstPreviousRun(t *testing.T) {
	before := healthyReport(t)
	after := poisonedReport(t)
	g := buildGrid(&after, &before, gridOptions{diff: true})
	acao := rowIndex(t, g, "ACAO")
	admin := colIndex(t, g, adminOrigin)
	c := g.cells[acao][admin]
	if c.text != appOrigin+" (was "+adminOrigin+")" {
		t.Errorf("changed cell = %q", c.text)
	}
	if c.mark != markProblem {
		t.Errorf("a poisoned cell keeps its ⚠ over Δ, got %v", c.mark)
	}
	cache := rowIndex(t, g, "Cache")
	if c := g.cells[cache][admin]; c.mark != markChanged || !strings.Contains(c.text, "(was MISS→HIT)") {
		t.Errorf("cache cell = %q mark %v", c.text, c.mark)
	}
	if g.changed == 0 || g.gone != 0 {
		t.Errorf("changed = %d, gone = %d", g.changed, g.gone)
	}
	same := buildGrid(&after, &after, gridOptions{diff: true})
	if same.changed != 0 {
		t.Errorf("diff against itself changed %d cells", same.changed)
	}
	if changeOf(&after, &after) != changeSame || changeOf(&after, &before) != changeChanged {
		t.Error("changeOf disagrees with the grid diff")
	}

	fewer := reportFor(t, newFakeCDN(appOrigin), "http://127.0.0.1:8080/a.json", 2, appOrigin)
	g = buildGrid(&fewer, &before, gridOptions{diff: true})
	if g.gone != 1 {
		t.Errorf("admin's column is gone; gone = %d", g.gone)
	}
	more := buildGrid(&before, &fewer, gridOptions{diff: true})
	if !more.cols[colIndex(t, more, adminOrigin)].fresh {
		t.Error("admin's column is new but not marked fresh")
	}
}

func TestEvidenceCells(t *testing.T) {
	rep := poisonedReport(t)
	g := buildGrid(&rep, nil, gridOptions{rounds: true})
	// variant finds the plain request from origin in round.
	variant := func(origin string, round int) int {
		for i, v := range rep.Variants {
			if v.Origin != nil && *v.Origin == origin && v.Round == round && !v.Preflight && v.Experiment == "" {
				return i
			}
		}
		t.Fatalf("no variant for %s round %d", origin, round)
		return -1
	}
	type cell struct{ row, col string }
	cases := []struct {
		name     string
		variants []int
		evidence []string
		want     []cell // every highlighted cell, as row name + column kind/label
		all      int    // or: just the count of highlighted cells
	}{
		{
			name:     "variant and the fields its evidence names",
			variants: []int{variant(adminOrigin, 2)},
			evidence: []string{"Access-Control-Allow-Origin from cache (X-Cache HIT)"},
			want: []cell{
				{"ACAO", "configured R2 " + adminOrigin},
				{"Cache", "configured R2 " + adminOrigin},
			},
		},
		{
			name:     "the analysis's own line",
			variants: []int{variant(adminOrigin, 2)},
			evidence: []string{`round 2 https://admin.example.com: status 200, HIT via X-Cache, ACAO "https://app.example.com", no Vary`},
			want: []cell{
				{"Status", "configured R2 " + adminOrigin},
				{"Cache", "configured R2 " + adminOrigin},
				{"ACAO", "configured R2 " + adminOrigin},
				{"Vary", "configured R2 " + adminOrigin},
			},
		},
		{
			name:     "two variants, repeated and unsorted",
			variants: []int{variant(appOrigin, 1), variant(adminOrigin, 1), variant(appOrigin, 1)},
			evidence: []string{"got the ACAO of another origin"},
			want: []cell{
				{"ACAO", "configured R1 " + adminOrigin},
				{"ACAO", "configured R1 " + appOrigin},
			},
		},
		{
			name:     "the evidence names the variant's origin, not the variant: the data decides",
			variants: []int{variant(adminOrigin, 1)},
			evidence: []string{"round 2 https://app.example.com ACAO"},
			want:     []cell{{"ACAO", "configured R1 " + adminOrigin}},
		},
		{
			name:     "variants but no field named: ACAO, Verdict and Cache",
			variants: []int{variant(appOrigin, 2)},
			evidence: []string{"see the docs"},
			want: []cell{
				{"ACAO", "configured R2 " + appOrigin},
				{"Verdict", "configured R2 " + appOrigin},
				{"Cache", "configured R2 " + appOrigin},
			},
		},
		{
			name:     "no variants (an older report): the named field in every column",
			evidence: []string{"round 1 https://admin.example.com ACAO"},
			all:      len(g.cols),
		},
		{
			name:     "variants the report does not have light nothing",
			variants: []int{-1, len(rep.Variants), 1 << 40},
			evidence: []string{"ACAO"},
		},
		{
			name:     "nothing recognisable and no variants",
			evidence: []string{"see the docs"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &cachemodel.Finding{Rule: "x", Evidence: c.evidence, Variants: c.variants}
			got := evidenceCells(&g, &rep, f)
			var lit []cell
			for ri := range g.rows {
				for ci := range g.cols {
					if got != nil && got[ri][ci] {
						lit = append(lit, cell{g.rows[ri].name, g.cols[ci].kind + " " + g.cols[ci].label})
					}
				}
			}
			switch {
			case c.want != nil:
				if len(lit) != len(c.want) {
					t.Fatalf("highlighted %v, want %v", lit, c.want)
				}
				for _, w := range c.want {
					found := false
					for _, l := range lit {
						found = found || l == w
					}
					if !found {
						t.Errorf("missing %v in %v", w, lit)
					}
				}
			case c.all > 0:
				if len(lit) != c.all {
					t.Errorf("highlighted %d cells, want %d: %v", len(lit), c.all, lit)
				}
			default:
				if got != nil {
					t.Errorf("highlighted %v, want nothing", lit)
				}
			}
		})
	}
}

func TestGridEscapesServerText(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	eng.extra = cachemodel.Headers{
		{Name: "X-Evil", Value: "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eabc"},
		{Name: "Access-Control-Allow-Credentials", Value: "true\x1b[8m"},
	}
	rep := reportFor(t, eng, "http://127.0.0.1:8080/x", 2, appOrigin)
	// Make X-Evil differ so it gets a row.
	rep.Variants[0].Response.Headers = append(rep.Variants[0].Response.Headers, cachemodel.Header{Name: "X-Evil2", Value: "\x1b[31m"})
	rep.Diffs = append(rep.Diffs, cachemodel.HeaderDiff{Name: "X-Evil\x1b[1m"}, cachemodel.HeaderDiff{Name: "X-Evil"})
	g := buildGrid(&rep, nil, gridOptions{})
	for ri, r := range g.rows {
		if hasControl(r.name) {
			t.Errorf("row name %q has a control character", r.name)
		}
		for ci := range g.cols {
			if hasControl(g.cells[ri][ci].text) {
				t.Errorf("cell %s/%s = %q has a control character", r.name, g.cols[ci].label, g.cells[ri][ci].text)
			}
		}
	}
	acac := g.cells[rowIndex(t, g, "ACAC")][colIndex(t, g, appOrigin)].text
	if acac != `true\x1b[8m` {
		t.Errorf("ACAC shown as %q, want the escape spelled out", acac)
	}
}

// hasControl reports C0, DEL, C1 and bidi controls.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return true
		}
	}
	return false
}

func TestAbsurdValuesAreCutVisibly(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	eng.extra = cachemodel.Headers{{Name: "Cache-Control", Value: strings.Repeat("a", 100000)}}
	rep := reportFor(t, eng, "http://127.0.0.1:8080/x", 1, appOrigin)
	g := buildGrid(&rep, nil, gridOptions{})
	// Cache-Control now has two lines: the fake's own and the huge one.
	c := g.cells[rowIndex(t, g, "Cache-Control")][0]
	if len(c.text) > maxCellBytes || !strings.Contains(c.text, "…(+") {
		t.Errorf("cell of %d bytes, want at most %d ending in a visible cut", len(c.text), maxCellBytes)
	}
	doc := strings.Join(variantDoc(newTestModel(t, nil, 80, 24).c.styles, rep.Variants[0], nil, 80), "\n")
	if !strings.Contains(doc, "…(+") || len(doc) > 40000 {
		t.Errorf("detail view: %d bytes, cut marked %v", len(doc), strings.Contains(doc, "…(+"))
	}
}

func TestEvidenceCellsFollowIsolateReferences(t *testing.T) {
	eng := newFakeCDN(appOrigin, adminOrigin)
	u := mustURL(t, urlA)
	plan := cachemodel.BuildIsolatePlan(0, u, cachemodel.PlanOptions{Origins: []string{appOrigin, adminOrigin}, Rounds: 2},
		cachemodel.IsolateOptions{})
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i, st := range plan.Steps {
		obs[i] = cachemodel.Observation{Step: i, Response: eng.respond(st)}
	}
	rep := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	var f *cachemodel.Finding
	for i := range rep.Findings {
		if rep.Findings[i].Rule == "cache-served-wrong-origin" {
			f = &rep.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no cache-served-wrong-origin finding in %+v", rep.Findings)
	}
	g := buildGrid(&rep, nil, gridOptions{})
	lit := evidenceCells(&g, &rep, f)
	if lit == nil {
		t.Fatalf("nothing highlighted for evidence %q", f.Evidence)
	}
	cols := map[string]bool{}
	for ri := range g.rows {
		for ci := range g.cols {
			if lit[ri][ci] {
				cols[g.cols[ci].kind+" "+g.cols[ci].label] = true
			}
		}
	}
	if !cols["origin-a-first configured "+adminOrigin] {
		t.Errorf("the request that got app's grant is not highlighted: %v (evidence %q)", cols, f.Evidence)
	}
	// Every highlighted column holds a request the finding rests on, and
	// every such column is highlighted.
	for _, c := range g.cols {
		named := false
		for _, vi := range c.variants {
			named = named || slices.Contains(f.Variants, vi)
		}
		if cols[c.kind+" "+c.label] != named {
			t.Errorf("column %q: highlighted %v, in the finding's variants %v", c.kind+" "+c.label, cols[c.kind+" "+c.label], named)
		}
	}
	acao := rowIndex(t, g, "ACAO")
	if !lit[acao][colIndex(t, g, adminOrigin)] && !anyInRow(lit, acao) {
		t.Error("the ACAO row is not part of the evidence")
	}
}

func anyInRow(lit [][]bool, ri int) bool {
	for _, b := range lit[ri] {
		if b {
			return true
		}
	}
	return false
}

// Where today's browsers allow what the Fetch standard blocks, the grid
// cell is marked and the detail view gives both verdicts.
func TestStandardVerdictMarkedInGridAndDetail(t *testing.T) {
	u := mustURL(t, urlA)
	plan := cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: []string{appOrigin}, Rounds: 1,
		Preflight: true, RequestMethod: "GET", RequestHeaders: []string{"Authorization"}})
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i, st := range plan.Steps {
		h := cachemodel.Headers{{Name: "Access-Control-Allow-Origin", Value: "*"}}
		if st.Preflight {
			h = append(h, cachemodel.Header{Name: "Access-Control-Allow-Headers", Value: "*"})
		}
		obs[i] = cachemodel.Observation{Step: i, Response: &cachemodel.Response{Status: 204, Headers: h}}
	}
	rep := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	marked := 0
	for _, v := range rep.Variants {
		cell := verdictCell(v)
		if v.CORS.Standard == nil {
			if strings.Contains(cell.text, "†") {
				t.Errorf("%s: %q marked without a standard verdict", v.Label, cell.text)
			}
			continue
		}
		marked++
		if cell.text != "✓ anon only †" {
			t.Errorf("%s: cell %q, want the anonymous allow marked", v.Label, cell.text)
		}
		doc := strings.Join(variantDoc(newTestModel(t, nil, 100, 30).c.styles, v, nil, 100), "\n")
		for _, want := range []string{"today's browsers (Chromium 156", "standard, anonymous", "✗ blocked: header not allowed"} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: detail lacks %q:\n%s", v.Label, want, doc)
			}
		}
	}
	if marked == 0 {
		t.Fatal("no variant carries the standard's verdict")
	}
}

// Issue 11 item 7: two Vary lines are shown as sent, not joined as one.
func TestGridShowsVaryLinesAsSent(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	eng.extra = cachemodel.Headers{{Name: "Vary", Value: "accept-encoding"}, {Name: "Vary", Value: "origin"}}
	rep := reportFor(t, eng, "http://127.0.0.1:8080/x", 1, appOrigin)
	g := buildGrid(&rep, nil, gridOptions{})
	got := g.cells[rowIndex(t, g, "Vary")][colIndex(t, g, appOrigin)].text
	if got != "accept-encoding ‖ origin (2 lines)" {
		t.Errorf("Vary cell %q, want both lines as sent", got)
	}
}

// Per-fetch counters (an origin's hit counter: a number in every cell) are
// never marked ≠ or counted as changed; a real difference in another
// header is.
func TestPerFetchCountersAreNotDifferences(t *testing.T) {
	g := grid{
		cols: []gridCol{{key: "a"}, {key: "b"}, {key: "c"}},
		rows: []gridRow{{kind: rowHeader, name: "X-Origin-Hits", header: "X-Origin-Hits"}, {kind: rowHeader, name: "X-Backend", header: "X-Backend"}, {kind: rowAge, name: "Age"}},
		cells: [][]gridCell{
			{{text: "3"}, {text: "4"}, {text: "5"}},
			{{text: "one"}, {text: "one"}, {text: "two"}},
			{{text: "0"}, {text: "1"}, {text: "128"}},
		},
	}
	markDiffs(&g)
	if g.rows[0].differs || g.rows[2].differs {
		t.Error("a counter or Age row is marked as differing")
	}
	if !g.rows[1].differs || g.cells[1][2].mark != markDiff {
		t.Error("a real difference is not marked")
	}
	old := grid{cols: g.cols, rows: g.rows, cells: [][]gridCell{
		{{text: "1"}, {text: "1"}, {text: "1"}},
		{{text: "one"}, {text: "two"}, {text: "two"}},
		{{text: "0"}, {text: "0"}, {text: "0"}},
	}}
	cur := g
	cur.cells = [][]gridCell{
		{{text: "3"}, {text: "4"}, {text: "5"}},
		{{text: "one"}, {text: "one"}, {text: "two"}},
		{{text: "0"}, {text: "1"}, {text: "128"}},
	}
	diffAgainst(&cur, old)
	if cur.changed != 1 {
		t.Errorf("%d changes counted, want 1 (X-Backend of b; counters and Age are not compared)", cur.changed)
	}
}

// The Edge row appears only when some variant names its edge, right after
// Age, with "-" for variants whose response names none.
func TestBuildGridEdgeRow(t *testing.T) {
	rep := poisonedReport(t)
	g := buildGrid(&rep, nil, gridOptions{})
	for _, r := range g.rows {
		if r.kind == rowEdge {
			t.Fatal("Edge row without any edge")
		}
	}
	rep.Variants[0].Edge = "AMS"
	g = buildGrid(&rep, nil, gridOptions{rounds: true})
	ri := rowIndex(t, g, "Edge")
	if g.rows[ri-1].kind != rowCache {
		t.Errorf("Edge row follows %q, want Cache", g.rows[ri-1].name)
	}
	var texts []string
	for _, c := range g.cells[ri] {
		texts = append(texts, c.text)
	}
	if texts[0] != "AMS" || !slices.Contains(texts[1:], "-") {
		t.Errorf("edge cells %q", texts)
	}
}
