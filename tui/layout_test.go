package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func TestComputeLayout(t *testing.T) {
	cases := []struct {
		name       string
		w, h       int
		want       wants
		small      bool
		compact    bool
		wide       bool
		t, m, f    int // content heights
		matrixBoxW int
	}{
		{name: "below the minimum width: compact", w: 79, h: 40, want: wants{targets: 2}, compact: true, t: 2, m: 0, f: 34, matrixBoxW: 79},
		{name: "below the minimum height: compact", w: 200, h: 23, want: wants{targets: 2}, compact: true, t: 2, m: 0, f: 17, matrixBoxW: 200},
		{name: "too narrow even for compact", w: 39, h: 40, small: true},
		{name: "too short even for compact", w: 80, h: 6, small: true},
		// 24 rows: header, status and three titles leave 19.
		{name: "80x24, matrix needs 11", w: 80, h: 24, want: wants{targets: 2, matrix: 11, findings: 9}, t: 2, m: 11, f: 6, matrixBoxW: 80},
		{name: "80x24, many targets, long findings: a quarter, a third", w: 80, h: 24, want: wants{targets: 500, matrix: 30, findings: 30}, t: 4, m: 10, f: 5, matrixBoxW: 80},
		{name: "80x24, rows nobody else wants go to the targets", w: 80, h: 24, want: wants{targets: 9, matrix: 3, findings: 1}, t: 9, m: 3, f: 7, matrixBoxW: 80},
		{name: "wide but the matrix would scroll beside the list", w: 160, h: 48, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 150}, t: 2, m: 11, f: 30, matrixBoxW: 160},
		{name: "wide enough for both", w: 300, h: 60, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 150}, wide: true, t: 57, m: 11, f: 45, matrixBoxW: 300 - 56 - 1},
		// Width the matrix does not need goes to target names that
		// would be cut (issue 12 item 5: "use free width"), never past
		// what the matrix needs nor 2/5 of the screen.
		{name: "wide: spare width widens the targets column", w: 220, h: 60, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 150, targetsW: 59}, wide: true, t: 57, m: 11, f: 45, matrixBoxW: 220 - 59 - 1},
		{name: "wide: the targets column takes no width the matrix needs", w: 220, h: 60, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 160, targetsW: 80}, wide: true, t: 57, m: 11, f: 45, matrixBoxW: 160},
		{name: "wide: the targets column stops at 2/5", w: 300, h: 60, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 150, targetsW: 200}, wide: true, t: 57, m: 11, f: 45, matrixBoxW: 300 - 120 - 1},
		{name: "wide: a tall matrix leaves the findings a third", w: 220, h: 60, want: wants{targets: 2, matrix: 80, findings: 40, matrixW: 150}, wide: true, t: 57, m: 38, f: 18, matrixBoxW: 220 - 56 - 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := computeLayout(c.w, c.h, 1, 1, 1, 1, c.want)
			if l.tooSmall != c.small {
				t.Fatalf("tooSmall = %v", l.tooSmall)
			}
			if c.small {
				return
			}
			if l.compact != c.compact {
				t.Fatalf("compact = %v", l.compact)
			}
			if l.compact {
				if l.targets.h != c.t || l.matrix.h != 0 || l.findings.h != c.f || l.targets.h+l.findings.h+2 != c.h-2 {
					t.Errorf("compact heights t%d m%d f%d", l.targets.h, l.matrix.h, l.findings.h)
				}
				return
			}
			if l.wide != c.wide || l.targets.h != c.t || l.matrix.h != c.m || l.findings.h != c.f || l.matrix.w != c.matrixBoxW {
				t.Errorf("got wide %v, heights t%d m%d f%d, matrix width %d", l.wide, l.targets.h, l.matrix.h, l.findings.h, l.matrix.w)
			}
			titles := 3
			if l.wide {
				titles = 2 // the targets title sits beside the matrix title
				if l.matrix.h+l.findings.h+titles != c.h-2 || l.targets.h+1 != c.h-2 {
					t.Errorf("wide columns do not fill the height")
				}
				return
			}
			if sum := l.targets.h + l.matrix.h + l.findings.h + titles; sum != c.h-2 {
				t.Errorf("panes fill %d rows of %d", sum, c.h-2)
			}
		})
	}
}

// Panes keep their place: moving between targets does not resize them
// once each has been seen, and x (isolate, many columns) does not flip the
// side-by-side layout.
func TestLayoutDoesNotJump(t *testing.T) {
	plan := func(req PlanRequest) (cachemodel.TargetPlan, error) {
		if req.Mode == ModeIsolate {
			return cachemodel.BuildIsolatePlan(req.Index, req.URL, cachemodel.PlanOptions{Origins: req.Origins, Rounds: 2, UserAgent: "corscope/test"}, cachemodel.IsolateOptions{}), nil
		}
		return observePlan(req)
	}
	opt := Options{Engine: poisonedCDN(), Plan: plan, Modes: []Mode{ModeObserve, ModeIsolate},
		Origins: []string{"https://app.example.com", "https://admin.example.com"}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA), mustURL(t, urlB))
	m := start(t, newTestModelOpt(t, opt, 220, 60))
	if !m.lay.wide {
		t.Fatal("220×60 with two origins should be side by side")
	}
	m = keys(t, m, "j", "k") // every target seen once
	settled := m.lay
	for _, k := range []string{"j", "k", "j", "k"} {
		m = keys(t, m, k)
		if m.lay != settled {
			t.Fatalf("after %s the panes moved: %+v, was %+v", k, m.lay, settled)
		}
	}
	m = keys(t, m, "x")
	m = start(t, m)
	if !m.lay.wide {
		t.Errorf("x flipped the layout to stacked:\n%s", m.View())
	}
}

// Selecting a finding brings its evidence into view: when the matrix has
// more columns than fit and the cursor sits on columns without evidence,
// the » marks must still be on screen, not in a column scrolled away.
func TestFindingEvidenceIsScrolledIntoView(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 80, 24, urlA))
	if len(m.matrix.g.cols) < 4 {
		t.Fatalf("matrix has %d columns; the test needs more than fit in 80", len(m.matrix.g.cols))
	}
	// Matrix cursor to the first column (no Origin: never evidence of
	// the poisoning), then focus the findings.
	m = keys(t, m, "tab", "home", "tab")
	if m.focus != paneFindings || m.matrix.evidence == nil {
		t.Fatalf("findings not focused or nothing highlighted (focus %d)", m.focus)
	}
	lit := false
	for _, row := range m.matrix.evidence {
		lit = lit || slices.Contains(row, true)
	}
	if !lit {
		t.Fatal("the finding lights no cell")
	}
	// The legend says "» evidence" whether or not a marked cell shows.
	if v := m.View(); strings.Count(v, glyphEvidence) <= strings.Count(v, glyphEvidence+" evidence") {
		t.Errorf("evidence cells exist but no cell marked » is on screen:\n%s", v)
	}
}
