package tui

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// evidenceCells returns, per [row][col], whether the finding's evidence
// names that cell. Evidence names requests the way the analysis does
// ("round 2 https://a.example", "repeat #1 (no Origin) (key 3f2a…)"), then
// what it saw ("HIT via X-Cache, ACAO …, no Vary"). A string that names
// requests but no field highlights their whole columns; one that names a
// field but no request, the whole row.
func evidenceCells(g *grid, rep *cachemodel.TargetReport, f *cachemodel.Finding) [][]bool {
	if f == nil || len(g.cols) == 0 {
		return nil
	}
	out := make([][]bool, len(g.rows))
	for i := range out {
		out[i] = make([]bool, len(g.cols))
	}
	refs := variantRefs(rep)
	colOf := make([]int, len(rep.Variants))
	for ci, c := range g.cols {
		for _, vi := range c.variants {
			colOf[vi] = ci
		}
	}
	// When the analysis names requests exactly, strings that name none are
	// commentary ("no fresh response was seen") and light nothing up.
	exact := false
	for _, ev := range f.Evidence {
		e := strings.ToLower(ev)
		for _, ref := range refs {
			exact = exact || containsWhole(e, ref)
		}
	}
	any := false
	for _, ev := range f.Evidence {
		e := strings.ToLower(ev)
		toks := tokens(e)
		var cols, rows []int
		seen := map[int]bool{}
		for vi, ref := range refs {
			if containsWhole(e, ref) && !seen[colOf[vi]] {
				seen[colOf[vi]] = true
				cols = append(cols, colOf[vi])
			}
		}
		if len(cols) == 0 && exact {
			continue
		}
		if len(cols) == 0 {
			// No exact request reference: match Origins and round words.
			for ci, c := range g.cols {
				if mentionsVariant(e, toks, rep.Variants[c.shown]) && mentionsRound(e, c.round) {
					cols = append(cols, ci)
				}
			}
		}
		for ri, r := range g.rows {
			if mentionsRow(toks, r) {
				rows = append(rows, ri)
			}
		}
		if len(cols) == 0 && len(rows) == 0 {
			continue
		}
		if len(cols) == 0 {
			for ci := range g.cols {
				cols = append(cols, ci)
			}
		}
		if len(rows) == 0 {
			for ri := range g.rows {
				rows = append(rows, ri)
			}
		}
		for _, ri := range rows {
			for _, ci := range cols {
				out[ri][ci] = true
				any = true
			}
		}
	}
	if !any {
		return nil
	}
	return out
}

// variantRefs spells each request the way findings' evidence does,
// lower-cased: "round R LABEL" in observe mode, "EXPERIMENT #N LABEL (key
// K)" in isolate mode, N counting the requests on that key from 1.
func variantRefs(rep *cachemodel.TargetReport) []string {
	out := make([]string, len(rep.Variants))
	pos := map[string]int{}
	for i, v := range rep.Variants {
		name := v.Label
		if v.Preflight {
			name = "preflight " + name
		}
		if v.Experiment == "" {
			out[i] = strings.ToLower("round " + strconv.Itoa(v.Round) + " " + name)
			continue
		}
		k := v.Experiment + "\x00" + v.CacheBuster
		pos[k]++
		out[i] = strings.ToLower(v.Experiment + " #" + strconv.Itoa(pos[k]) + " " + name + " (key " + v.CacheBuster + ")")
	}
	return out
}

// containsWhole finds ref in e where it is not followed by more of an
// origin ("https://a.example" must not match "https://a.example.evil").
func containsWhole(e, ref string) bool {
	for from := 0; ; {
		i := strings.Index(e[from:], ref)
		if i < 0 {
			return false
		}
		end := from + i + len(ref)
		if end == len(e) || !originChar(e[end]) || e[end] == ':' && (end+1 == len(e) || e[end+1] < '0' || e[end+1] > '9') {
			return true // ":" then a digit would be a port
		}
		from += i + 1
	}
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

// mentionsVariant matches a variant by its Origin as a whole origin (so
// "https://a.example" does not match "https://a.example.evil"), or the
// no-Origin and null variants by their words.
func mentionsVariant(e string, toks map[string]bool, v cachemodel.VariantResult) bool {
	switch v.Kind {
	case cachemodel.KindNoOrigin:
		return strings.Contains(e, "no origin") || strings.Contains(e, "no-origin") || strings.Contains(e, "without origin")
	case cachemodel.KindNull:
		return toks["null"]
	}
	if v.Origin == nil {
		return false
	}
	return containsWhole(e, strings.ToLower(*v.Origin))
}

func originChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '_'
}

// mentionsRound is false only when the evidence names a different round.
func mentionsRound(e string, round int) bool {
	i := strings.Index(e, "round ")
	if i < 0 || round == 0 {
		return true
	}
	rest := e[i+len("round "):]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 {
		return true
	}
	got, _ := strconv.Atoi(rest[:n])
	return got == round
}
