package tui

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// TestGridEdgeRow (issue 14 item 1): the Edge row appears only when some
// response names the edge that served it, and shows each column's PoP.
func TestGridEdgeRow(t *testing.T) {
	rep := poisonedReport(t)
	g := buildGrid(&rep, nil, gridOptions{})
	for _, r := range g.rows {
		if r.kind == rowEdge {
			t.Fatal("an Edge row without any edge")
		}
	}
	for i := range rep.Variants {
		rep.Variants[i].Edge = []string{"AMS", "FRA"}[i%2]
	}
	g = buildGrid(&rep, nil, gridOptions{rounds: true})
	ri := rowIndex(t, g, "Edge")
	if g.rows[ri-1].kind != rowCache {
		t.Errorf("Edge row should follow Cache, follows %q", g.rows[ri-1].name)
	}
	var got []string
	for ci := range g.cols {
		got = append(got, g.cells[ri][ci].text)
	}
	if s := strings.Join(got, " "); !strings.Contains(s, "AMS") || !strings.Contains(s, "FRA") {
		t.Errorf("edge cells %q", s)
	}
}

// TestGridEdgeColumns (issue 14 items 2, 3): variants sent to different
// edge addresses, or merged from different vantage points, get columns of
// their own, labelled with the edge and the vantage.
func TestGridEdgeColumns(t *testing.T) {
	rep := poisonedReport(t)
	n := len(buildGrid(&rep, nil, gridOptions{}).cols)
	twice := append(append([]cachemodel.VariantResult(nil), rep.Variants...), rep.Variants...)
	for i := range twice {
		if i < len(rep.Variants) {
			twice[i].EdgeAddr, twice[i].Vantage = "192.0.2.1", "eu"
		} else {
			twice[i].EdgeAddr, twice[i].Vantage = "192.0.2.2", "us"
		}
	}
	rep.Variants = twice
	g := buildGrid(&rep, nil, gridOptions{})
	if len(g.cols) != 2*n {
		t.Fatalf("%d columns, want %d (one group per edge)", len(g.cols), 2*n)
	}
	if !strings.HasPrefix(g.cols[0].kind, "[eu] @192.0.2.1") || !strings.HasPrefix(g.cols[n].kind, "[us] @192.0.2.2") {
		t.Errorf("column kinds %q / %q", g.cols[0].kind, g.cols[n].kind)
	}
}
