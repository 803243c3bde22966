package tui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
)

// The grid is the variant matrix as data: rows are response fields, columns
// are Origin variants. It is built once per report (and per toggle), with
// every cell already made safe and measured, so drawing it only slices and
// pads.

type rowKind int

const (
	rowStatus rowKind = iota
	rowCache
	rowAge
	rowACAO
	rowACAC
	rowVary
	rowCacheControl
	rowVerdict
	rowHeader // any other header that differs across variants or rounds
	rowEdge   // the edge (PoP) that served the response; only when some response names one
)

// fixedRows are always shown, in this order; differing headers follow.
var fixedRows = []struct {
	kind rowKind
	name string
}{
	{rowStatus, "Status"},
	{rowCache, "Cache"},
	{rowAge, "Age"},
	{rowACAO, "ACAO"},
	{rowACAC, "ACAC"},
	{rowVary, "Vary"},
	{rowCacheControl, "Cache-Control"},
	{rowVerdict, "Verdict"},
}

// shownElsewhere are headers the fixed rows already show.
var shownElsewhere = map[string]bool{
	"access-control-allow-origin":      true,
	"access-control-allow-credentials": true,
	"vary":                             true,
	"cache-control":                    true,
	"age":                              true,
}

// mark is the glyph in front of a cell: the meaning of a highlight must
// survive without colour.
type mark int

const (
	markNone    mark = iota
	markDiff         // ≠ differs from most variants in its row
	markChanged      // Δ differs from the previous run
	markProblem      // ⚠ another origin's CORS answer served from cache
)

// Glyphs; each is one terminal column.
const (
	glyphDiff     = "≠"
	glyphChanged  = "Δ"
	glyphProblem  = "⚠"
	glyphEvidence = "»"
	glyphCursor   = "›"
)

func (m mark) glyph() string {
	switch m {
	case markDiff:
		return glyphDiff
	case markChanged:
		return glyphChanged
	case markProblem:
		return glyphProblem
	}
	return " "
}

type gridRow struct {
	kind    rowKind
	name    string // safe label
	header  string // rowHeader: the header name as first spelled
	differs bool
	width   int
}

// key identifies a row across runs.
func (r gridRow) key() string {
	if r.kind == rowHeader {
		return "h:" + strings.ToLower(r.header)
	}
	return "f:" + strconv.Itoa(int(r.kind))
}

type gridCol struct {
	key      string // identity across runs
	kind     string // safe first header line: experiment, kind, method, round
	label    string // safe second header line: the Origin
	short    string // safe kind words worth repeating next to the label (transposed)
	variants []int  // indexes into report.Variants, in order
	shown    int    // the variant whose values are drawn
	round    int    // the round of a split column; 0 when the column spans rounds
	fresh    bool   // diff: this column is not in the previous run
	width    int
}

type gridCell struct {
	text  string // safe
	width int
	mark  mark
	class cachemodel.Class // picks the style; "" is neutral
	// was and now are a changed cell's value in the previous run and in
	// this one (diff; text is then "now (was was)"). A cell too narrow for
	// the whole text shows now, and the detail view lists was in full.
	was, now string
}

type grid struct {
	rows  []gridRow
	cols  []gridCol
	cells [][]gridCell // [row][col]
	// gone counts columns of the previous run that this run lacks (diff).
	gone     int
	problems int
	weak     bool // some cache status rests on Age only (marked *)
	first    int  // first poisoned column, -1 when none
	changed  int
}

// gridOptions are the matrix toggles that change its content.
type gridOptions struct {
	rounds bool // one column per round instead of one per variant
	diff   bool // compare with prev
}

// buildGrid lays a report out as a grid. prev may be nil.
func buildGrid(rep, prev *cachemodel.TargetReport, opt gridOptions) grid {
	return buildGridWith(rep, prev, opt, nil)
}

// buildGridWith is buildGrid with extra header rows: an older run diffed
// against a newer one needs a row for every header the newer run shows,
// or a header that only started to differ would read "was -" although the
// older run had it too.
func buildGridWith(rep, prev *cachemodel.TargetReport, opt gridOptions, extra []gridRow) grid {
	g := grid{first: -1}
	if rep == nil {
		return g
	}
	g.cols = buildCols(rep, opt.rounds)
	g.rows = withHeaderRows(buildRows(rep), extra)
	served := cachemodel.ServedForAnother(rep)
	g.cells = make([][]gridCell, len(g.rows))
	for ri, row := range g.rows {
		g.cells[ri] = make([]gridCell, len(g.cols))
		for ci, col := range g.cols {
			g.cells[ri][ci] = cellFor(rep, row, col, opt.rounds)
		}
	}
	for _, col := range g.cols {
		for _, vi := range col.variants {
			if v := rep.Variants[vi]; v.Response != nil && v.Cache.Weak {
				g.weak = true
			}
		}
	}
	for ci, col := range g.cols {
		if served[col.shown] {
			if g.problems == 0 {
				g.first = ci
			}
			g.problems++
			for ri, row := range g.rows {
				if row.kind == rowACAO || row.kind == rowVerdict {
					g.cells[ri][ci].mark = markProblem
				}
			}
		}
	}
	markDiffs(&g)
	if opt.diff && prev != nil {
		diffAgainst(&g, buildGridWith(prev, nil, gridOptions{rounds: opt.rounds}, g.rows))
	}
	measure(&g)
	return g
}

// buildCols groups variants into columns in first-appearance order. A
// column is one (experiment, request kind, Origin); with rounds, each
// request of that group gets its own column.
func buildCols(rep *cachemodel.TargetReport, rounds bool) []gridCol {
	var cols []gridCol
	index := map[string]int{}
	for i, v := range rep.Variants {
		k := v.Experiment + "|" + v.Method + "|" + strconv.FormatBool(v.Preflight) + "|" + v.Label
		if v.EdgeAddr != "" || v.Vantage != "" {
			// Edges (--edge) and vantage points (merged reports) side by
			// side: one column group each.
			k = v.Vantage + "|" + v.EdgeAddr + "|" + k
		}
		ci, ok := index[k]
		if !ok {
			ci = len(cols)
			index[k] = ci
			cols = append(cols, gridCol{key: k, label: safe(v.Label), kind: safe(colKind(v)), short: safe(shortKind(v))})
		}
		cols[ci].variants = append(cols[ci].variants, i)
		cols[ci].shown = i
	}
	if !rounds {
		return cols
	}
	var split []gridCol
	for _, c := range cols {
		distinct := map[int]bool{}
		for _, vi := range c.variants {
			distinct[rep.Variants[vi].Round] = true
		}
		for n, vi := range c.variants {
			v := rep.Variants[vi]
			tag := "R" + strconv.Itoa(v.Round)
			if len(distinct) != len(c.variants) {
				tag = "#" + strconv.Itoa(n+1) // rounds repeat inside one group
			}
			split = append(split, gridCol{
				key: c.key + "|" + tag, label: c.label, kind: joinNonEmpty(" ", c.kind, tag),
				short: joinNonEmpty(" ", c.short, tag), variants: []int{vi}, shown: vi, round: v.Round,
			})
		}
	}
	return split
}

func colKind(v cachemodel.VariantResult) string {
	method := ""
	if v.Preflight {
		method = "OPTIONS"
	} else if v.Method != "" && v.Method != "GET" {
		method = v.Method
	}
	return joinNonEmpty(" ", whereTag(v), v.Experiment, string(v.Kind), method)
}

// whereTag labels a column by the vantage point it was seen from (a merged
// view) and the edge address it was sent to (--edge): "[eu] @203.0.113.7".
func whereTag(v cachemodel.VariantResult) string {
	edge := ""
	if v.EdgeAddr != "" {
		edge = cachemodel.EdgeAddrLabel(v.EdgeAddr)
	}
	return joinNonEmpty(" ", cachemodel.VantageLabel(v.Vantage), edge)
}

// hasEdge: some response names the edge (PoP) that served it.
func hasEdge(rep *cachemodel.TargetReport) bool {
	for _, v := range rep.Variants {
		if v.Response != nil && v.Edge != "" {
			return true
		}
	}
	return false
}

// shortKind is colKind without what the label already says: "(no
// Origin)", "null" and a configured origin need no kind word.
func shortKind(v cachemodel.VariantResult) string {
	kind := string(v.Kind)
	switch v.Kind {
	case cachemodel.KindNoOrigin, cachemodel.KindNull, cachemodel.KindConfigured:
		kind = ""
	}
	method := ""
	if v.Preflight {
		method = "OPTIONS"
	} else if v.Method != "" && v.Method != "GET" {
		method = v.Method
	}
	return joinNonEmpty(" ", whereTag(v), v.Experiment, kind, method)
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// buildRows is the fixed rows (with an Edge row after Age when any variant
// names its edge) plus every other header the analysis found differing,
// sorted by name.
func buildRows(rep *cachemodel.TargetReport) []gridRow {
	rows := make([]gridRow, 0, len(fixedRows)+len(rep.Diffs)+1)
	for _, f := range fixedRows {
		rows = append(rows, gridRow{kind: f.kind, name: f.name})
		if f.kind == rowCache && hasEdge(rep) {
			rows = append(rows, gridRow{kind: rowEdge, name: "Edge"})
		}
	}
	seen := map[string]bool{}
	var extra []gridRow
	for _, d := range rep.Diffs {
		lower := strings.ToLower(d.Name)
		if shownElsewhere[lower] || seen[lower] {
			continue
		}
		seen[lower] = true
		extra = append(extra, gridRow{kind: rowHeader, name: safe(d.Name), header: d.Name})
	}
	sort.Slice(extra, func(a, b int) bool { return strings.ToLower(extra[a].header) < strings.ToLower(extra[b].header) })
	return append(rows, extra...)
}

// withHeaderRows appends the header rows of extra that rows lacks.
func withHeaderRows(rows, extra []gridRow) []gridRow {
	have := map[string]bool{}
	for _, r := range rows {
		have[r.key()] = true
	}
	for _, r := range extra {
		if r.kind == rowHeader && !have[r.key()] {
			have[r.key()] = true
			rows = append(rows, gridRow{kind: rowHeader, name: r.name, header: r.header})
		}
	}
	return rows
}

// cellFor renders one field of one column.
func cellFor(rep *cachemodel.TargetReport, row gridRow, col gridCol, rounds bool) gridCell {
	v := rep.Variants[col.shown]
	if v.Response == nil {
		switch row.kind {
		case rowStatus:
			kind := "failed"
			if v.Error != nil {
				kind = string(v.Error.Kind)
			}
			return gridCell{text: safe("ERR " + kind), class: cachemodel.ClassError}
		case rowVerdict:
			return verdictCell(v)
		case rowCache:
			if !rounds && len(col.variants) > 1 {
				return cacheHistory(rep, col)
			}
		}
		return gridCell{text: "", class: cachemodel.ClassMuted}
	}
	absent := gridCell{text: "-", class: cachemodel.ClassMuted}
	switch row.kind {
	case rowStatus:
		return gridCell{text: strconv.Itoa(v.Response.Status)}
	case rowCache:
		if !rounds && len(col.variants) > 1 {
			return cacheHistory(rep, col)
		}
		return gridCell{text: v.Cache.Label(), class: v.Cache.Status.Class()}
	case rowAge:
		if v.Cache.Age == nil {
			return absent
		}
		return gridCell{text: strconv.FormatInt(*v.Cache.Age, 10)}
	case rowACAO:
		if v.CORS.ACAO == nil {
			return absent
		}
		text := *v.CORS.ACAO
		if v.CORS.ACAOCount > 1 {
			text += " (×" + strconv.Itoa(v.CORS.ACAOCount) + ")"
		}
		return gridCell{text: safe(text)}
	case rowACAC:
		if v.CORS.ACAC == nil {
			return absent
		}
		return gridCell{text: safe(*v.CORS.ACAC)}
	case rowVary:
		if lines := v.Response.Headers.Values("Vary"); len(lines) > 1 {
			// As sent: several lines are not one (some caches read only
			// the first).
			return gridCell{text: safe(strings.Join(lines, " ‖ ") + " (" + strconv.Itoa(len(lines)) + " lines)")}
		}
		if len(v.CORS.Vary) == 0 {
			if _, ok := v.Response.Headers.Get("Vary"); !ok {
				return absent
			}
		}
		return gridCell{text: safe(strings.Join(v.CORS.Vary, ", "))}
	case rowCacheControl:
		cc, ok := v.Response.Headers.Combined("Cache-Control")
		if !ok {
			return absent
		}
		return gridCell{text: safe(cc)}
	case rowVerdict:
		return verdictCell(v)
	case rowEdge:
		if v.Edge == "" {
			return absent
		}
		return gridCell{text: safe(v.Edge)}
	case rowHeader:
		val, ok := v.Response.Headers.Combined(row.header)
		if !ok {
			return absent
		}
		return gridCell{text: safe(val)}
	}
	return absent
}

// cacheHistory is MISS→HIT across the rounds of one column.
func cacheHistory(rep *cachemodel.TargetReport, col gridCol) gridCell {
	words := make([]string, 0, len(col.variants))
	for _, vi := range col.variants {
		v := rep.Variants[vi]
		if v.Response == nil {
			words = append(words, "ERR")
			continue
		}
		words = append(words, v.Cache.Label())
	}
	last := rep.Variants[col.shown]
	return gridCell{text: strings.Join(words, "→"), class: last.Cache.Status.Class()}
}

// verdictCell is the browser's answer in the words the table uses
// (cachemodel's VariantResult.Verdict): ✓ allowed, ✗ and why, – when the
// browser runs no CORS check, ! when the request failed.
func verdictCell(v cachemodel.VariantResult) gridCell {
	text, class := v.Verdict()
	return gridCell{text: safe(text), class: class}
}

// markDiffs flags, in each row, the cells whose value differs from the
// row's most common one (ties go to the value seen first). Failed requests
// and per-fetch counters (Age, a number on every cell such as an origin's
// hit counter), which differ by nature, are left out.
func markDiffs(g *grid) {
	for ri := range g.rows {
		if perFetch(g, ri) {
			continue
		}
		count := map[string]int{}
		var order []string
		for ci := range g.cols {
			c := g.cells[ri][ci]
			if c.class == cachemodel.ClassError || (c.text == "" && c.class == cachemodel.ClassMuted) {
				continue
			}
			if g.rows[ri].kind == rowVerdict && c.class == cachemodel.ClassMuted {
				continue // not a CORS request: nothing to compare
			}
			if count[c.text] == 0 {
				order = append(order, c.text)
			}
			count[c.text]++
		}
		if len(order) < 2 {
			continue
		}
		// count only holds compared cells; a text seen only in skipped
		// cells has count 0 and is never marked.
		g.rows[ri].differs = true
		common := order[0]
		for _, v := range order[1:] {
			if count[v] > count[common] {
				common = v
			}
		}
		for ci := range g.cols {
			c := &g.cells[ri][ci]
			if c.mark == markNone && c.text != common && count[c.text] > 0 && c.class != cachemodel.ClassError &&
				!(g.rows[ri].kind == rowVerdict && c.class == cachemodel.ClassMuted) {
				c.mark = markDiff
			}
		}
	}
}

// perFetch reports a row that changes on every fetch by nature: Age, or a
// header cachemodel.PerFetchCounter calls a counter (a whole number in
// every answered cell: an origin's hit counter, a per-node sequence), the
// rule DiffVariants applies to the report's diffs. Marking those ≠ or Δ
// would bury the real differences; the values stay on screen.
func perFetch(g *grid, ri int) bool {
	if g.rows[ri].kind == rowAge {
		return true
	}
	if g.rows[ri].kind != rowHeader {
		return false
	}
	var vals []string
	for ci := range g.cols {
		if c := g.cells[ri][ci]; c.class != cachemodel.ClassError && c.text != "" && c.text != "-" {
			vals = append(vals, c.text)
		}
	}
	return cachemodel.PerFetchCounter(strings.ToLower(g.rows[ri].header), vals)
}

// compareGrids walks the cells of g whose column the old grid also has,
// calling cell with the old text ("-" for a row the old grid lacks). Age
// and other per-fetch counters are skipped: they differ on every run by
// nature. It returns which columns
// of g are new and which of old are gone.
func compareGrids(g, old *grid, cell func(ri, ci int, was string)) (fresh []bool, gone []int) {
	oldCols := map[string]int{}
	for i, c := range old.cols {
		oldCols[c.key] = i
	}
	oldRows := map[string]int{}
	for i, r := range old.rows {
		oldRows[r.key()] = i
	}
	fresh = make([]bool, len(g.cols))
	matched := make([]bool, len(old.cols))
	for ci := range g.cols {
		oc, ok := oldCols[g.cols[ci].key]
		if !ok {
			fresh[ci] = true
			continue
		}
		matched[oc] = true
		for ri := range g.rows {
			if perFetch(g, ri) {
				continue
			}
			was := "-"
			if or, ok := oldRows[g.rows[ri].key()]; ok {
				was = old.cells[or][oc].text
			}
			cell(ri, ci, was)
		}
	}
	for oc, ok := range matched {
		if !ok {
			gone = append(gone, oc)
		}
	}
	return fresh, gone
}

// diffAgainst rewrites cells that changed since the previous run as
// "new (was old)" and marks them.
func diffAgainst(g *grid, old grid) {
	fresh, gone := compareGrids(g, &old, func(ri, ci int, was string) {
		c := &g.cells[ri][ci]
		if was == c.text {
			return
		}
		if was == "" {
			was = "none"
		}
		c.was, c.now = was, c.text
		c.text += " (was " + was + ")"
		if c.mark != markProblem {
			c.mark = markChanged
		}
		g.changed++
	})
	for ci, f := range fresh {
		g.cols[ci].fresh = f
	}
	g.gone = len(gone)
}

// measure records display widths so drawing never re-measures.
func measure(g *grid) {
	for ri := range g.rows {
		g.rows[ri].width = ansi.StringWidth(g.rows[ri].name)
	}
	for ci := range g.cols {
		w := max(ansi.StringWidth(g.cols[ci].kind), ansi.StringWidth(g.cols[ci].label))
		for ri := range g.rows {
			c := &g.cells[ri][ci]
			c.width = ansi.StringWidth(c.text)
			w = max(w, c.width)
		}
		g.cols[ci].width = w
	}
}
