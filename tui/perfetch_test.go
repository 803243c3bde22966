package tui

import (
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// The TUI and the report agree on per-fetch counters: a header row the
// grid leaves unmarked is one DiffVariants leaves out of the diffs, and a
// header it marks is one the diffs list.
func TestPerFetchAgreesWithDiffVariants(t *testing.T) {
	for _, vals := range [][]string{
		{"3", "4", "5"},
		{" 42 ", "43"},
		{"7", ""},
		{"1", "none"},
		{"18446744073709551615", "0"},
		{"18446744073709551616", "1"},
		{"-1", "1"},
		{"1.5", "2"},
	} {
		g := grid{rows: []gridRow{{kind: rowHeader, name: "X-Hits", header: "X-Hits"}}, cells: [][]gridCell{nil}}
		var cells []cachemodel.DiffCell
		for i, v := range vals {
			g.cols = append(g.cols, gridCol{key: string(rune('a' + i))})
			g.cells[0] = append(g.cells[0], gridCell{text: v})
			cells = append(cells, cachemodel.DiffCell{Label: string(rune('a' + i)), Round: 1,
				Headers: cachemodel.Headers{{Name: "X-Hits", Value: v}}})
		}
		tuiCounter := perFetch(&g, 0)
		listed := len(cachemodel.DiffVariants(cells, nil)) > 0
		if tuiCounter == listed {
			t.Errorf("%q: the TUI calls it a counter: %v; the report's diffs list it: %v", vals, tuiCounter, listed)
		}
	}
}
