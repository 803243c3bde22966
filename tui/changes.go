package tui

import "github.com/corscope/corscope/cachemodel"

// Change is one difference between two runs, as the matrix's diff shows
// it. Every field is already escaped for a terminal.
type Change struct {
	URL     string
	Variant string // column: kind words and Origin, e.g. "configured https://a.example"
	Field   string // row: Status, Cache, ACAO, ..., or a header name
	Old     string
	New     string
}

// Changes compares two reports target by target (matched by URL) and
// variant by variant, for `corscope view old.json new.json` without a
// terminal. A target only in one run is one Change with Field "target".
func Changes(older, newer []cachemodel.TargetReport) []Change {
	oldByURL := map[string]*cachemodel.TargetReport{}
	for i := range older {
		oldByURL[older[i].URL] = &older[i]
	}
	seen := map[string]bool{}
	var out []Change
	for i := range newer {
		cur := &newer[i]
		seen[cur.URL] = true
		prev, ok := oldByURL[cur.URL]
		if !ok {
			out = append(out, Change{URL: safe(cur.URL), Field: "target", Old: "absent", New: "present"})
			continue
		}
		out = append(out, gridChanges(cur, prev)...)
	}
	for i := range older {
		if !seen[older[i].URL] {
			out = append(out, Change{URL: safe(older[i].URL), Field: "target", Old: "present", New: "absent"})
		}
	}
	return out
}

func gridChanges(cur, prev *cachemodel.TargetReport) []Change {
	g := buildGrid(cur, nil, gridOptions{})
	old := buildGridWith(prev, nil, gridOptions{}, g.rows)
	url := safe(cur.URL)
	name := func(c gridCol) string { return joinNonEmpty(" ", c.kind, c.label) }
	var out []Change
	fresh, gone := compareGrids(&g, &old, func(ri, ci int, was string) {
		if now := g.cells[ri][ci].text; now != was {
			out = append(out, Change{URL: url, Variant: name(g.cols[ci]), Field: g.rows[ri].name, Old: was, New: now})
		}
	})
	for ci, f := range fresh {
		if f {
			out = append(out, Change{URL: url, Variant: name(g.cols[ci]), Field: "variant", Old: "absent", New: "present"})
		}
	}
	for _, oc := range gone {
		out = append(out, Change{URL: url, Variant: name(old.cols[oc]), Field: "variant", Old: "present", New: "absent"})
	}
	return out
}
