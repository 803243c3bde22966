package tui

import (
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// The TUI and the report agree on per-fetch counters: a header row the
// grid leaves unmarked is one DiffVariants leaves out of the diffs, and a
// header it marks is one the diffs list.
func TestPerFetchAgreesWithDiffVariants(t *testing.T) {
	for _, name := range []string{"X-Hits", "Content-Length"} {
		checkPerFetchAgrees(t, name)
	}
}

func checkPerFetchAgrees(t *testing.T, name string) {
	t.Helper()
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
		g := grid{rows: []gridRow{{kind: rowHeader, name: name, header: name}}, cells: [][]gridCell{nil}}
		var cells []cachemodel.DiffCell
		for i, v := range vals {
			g.cols = append(g.cols, gridCol{key: string(rune('a' + i))})
			g.cells[0] = append(g.cells[0], gridCell{text: v})
			cells = append(cells, cachemodel.DiffCell{Label: string(rune('a' + i)), Round: 1,
				Headers: cachemodel.Headers{{Name: name, Value: v}}})
		}
		tuiCounter := perFetch(&g, 0)
		listed := len(cachemodel.DiffVariants(cells, nil)) > 0
		if tuiCounter == listed {
			t.Errorf("%s %q: the TUI calls it a counter: %v; the report's diffs list it: %v", name, vals, tuiCounter, listed)
		}
	}
}

// A Content-Length that differs between Origin variants means they got
// different bodies: it is a difference, not a counter, on both sides.
func TestContentLengthIsNotACounter(t *testing.T) {
	g := grid{rows: []gridRow{{kind: rowHeader, name: "Content-Length", header: "Content-Length"}},
		cols: []gridCol{{key: "a"}, {key: "b"}}, cells: [][]gridCell{{{text: "120"}, {text: "4512"}}}}
	if perFetch(&g, 0) {
		t.Error("the TUI treats Content-Length as a per-fetch counter")
	}
	cells := []cachemodel.DiffCell{
		{Label: "a", Round: 1, Headers: cachemodel.Headers{{Name: "Content-Length", Value: "120"}}},
		{Label: "b", Round: 1, Headers: cachemodel.Headers{{Name: "Content-Length", Value: "4512"}}},
	}
	if d := cachemodel.DiffVariants(cells, nil); len(d) != 1 || d[0].Name != "Content-Length" {
		t.Errorf("diffs %+v, want the Content-Length difference", d)
	}
}
