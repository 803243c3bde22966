package tui

import (
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// evidenceCells returns, per [row][col], whether the cell is part of the
// finding's evidence. The columns are the ones holding the requests the
// finding rests on (Finding.Variants, recorded by the analysis); the rows
// are the fields its evidence names ("status 200, HIT via X-Cache, ACAO
// …, no Vary"), or the ACAO, Verdict and Cache rows when it names none. A
// finding without variants (a report written before they were recorded)
// lights the fields its evidence names in every column. Indexes the grid
// does not show (a hand-edited report) light nothing.
func evidenceCells(g *grid, rep *cachemodel.TargetReport, f *cachemodel.Finding) [][]bool {
	if f == nil || len(g.cols) == 0 {
		return nil
	}
	colOf := map[int]int{}
	for ci, c := range g.cols {
		for _, vi := range c.variants {
			colOf[vi] = ci
		}
	}
	var cols []int
	seen := map[int]bool{}
	for _, vi := range f.Variants {
		if ci, ok := colOf[vi]; ok && !seen[ci] {
			seen[ci] = true
			cols = append(cols, ci)
		}
	}
	toks := map[string]bool{}
	for _, ev := range f.Evidence {
		for w := range tokens(strings.ToLower(ev)) {
			toks[w] = true
		}
	}
	var rows []int
	for ri, r := range g.rows {
		if mentionsRow(toks, r) {
			rows = append(rows, ri)
		}
	}
	switch {
	case len(f.Variants) == 0:
		if len(rows) == 0 {
			return nil
		}
		for ci := range g.cols {
			cols = append(cols, ci)
		}
	case len(cols) == 0:
		return nil
	case len(rows) == 0:
		for ri, r := range g.rows {
			if r.kind == rowACAO || r.kind == rowVerdict || r.kind == rowCache {
				rows = append(rows, ri)
			}
		}
	}
	out := make([][]bool, len(g.rows))
	for i := range out {
		out[i] = make([]bool, len(g.cols))
	}
	any := false
	for _, ri := range rows {
		for _, ci := range cols {
			out[ri][ci] = true
			any = true
		}
	}
	if !any {
		return nil
	}
	return out
}

// tokens splits lower-cased text into words of letters, digits and dashes.
func tokens(e string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(e, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}) {
		out[w] = true
	}
	return out
}

var rowTokens = map[rowKind][]string{
	rowStatus:       {"status"},
	rowCache:        {"cache", "x-cache", "cf-cache-status", "cache-status", "hit", "miss", "stale"},
	rowAge:          {"age"},
	rowACAO:         {"access-control-allow-origin", "acao"},
	rowACAC:         {"access-control-allow-credentials", "acac"},
	rowVary:         {"vary"},
	rowCacheControl: {"cache-control"},
	rowVerdict:      {"verdict", "blocked", "allowed"},
	rowEdge:         {"edge", "edges"},
}

func mentionsRow(toks map[string]bool, r gridRow) bool {
	if r.kind == rowHeader {
		return toks[strings.ToLower(r.header)]
	}
	for _, t := range rowTokens[r.kind] {
		if toks[t] {
			return true
		}
	}
	return false
}
