package tui

import "testing"

func TestComputeLayout(t *testing.T) {
	cases := []struct {
		name       string
		w, h       int
		want       wants
		small      bool
		wide       bool
		t, m, f    int // content heights
		matrixBoxW int
	}{
		{name: "below the minimum width", w: 79, h: 40, small: true},
		{name: "below the minimum height", w: 200, h: 23, small: true},
		// 24 rows: header, status and three titles leave 19.
		{name: "80x24, matrix needs 11", w: 80, h: 24, want: wants{targets: 2, matrix: 11, findings: 9}, t: 2, m: 11, f: 6, matrixBoxW: 80},
		{name: "80x24, many targets, long findings", w: 80, h: 24, want: wants{targets: 500, matrix: 30, findings: 30}, t: 3, m: 12, f: 4, matrixBoxW: 80},
		{name: "80x24, spare rows go to the targets first", w: 80, h: 24, want: wants{targets: 9, matrix: 3, findings: 1}, t: 9, m: 9, f: 1, matrixBoxW: 80},
		{name: "wide but the matrix would scroll beside the list", w: 160, h: 48, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 150}, t: 2, m: 36, f: 5, matrixBoxW: 160},
		{name: "wide enough for both", w: 300, h: 60, want: wants{targets: 2, matrix: 11, findings: 5, matrixW: 150}, wide: true, t: 57, m: 51, f: 5, matrixBoxW: 300 - 56 - 1},
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
