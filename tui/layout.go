package tui

// Minimum terminal size for every pane; below it the TUI drops the matrix
// (compact), and below compactWidth it says so instead of drawing.
const (
	minWidth  = 80
	minHeight = 24
	// wideWidth is where the targets pane moves beside the matrix.
	wideWidth = 120
)

// box is a content area in cells.
type box struct{ w, h int }

// layout is where each pane goes. Sizes are content sizes: the pane title
// rows (titleH each) and the header and status bar are already taken out.
type layout struct {
	tooSmall bool
	compact  bool // below the minimum: targets and findings only
	wide     bool // targets on the left, matrix and findings on the right
	left     int  // wide: width of the targets column (the separator follows)
	targets  box
	matrix   box
	findings box
	full     box // detail and help: everything between header and status bar, below one title row
}

// Compact layout bounds: below minWidth×minHeight the screen still shows
// the targets and the findings (the matrix needs the width) down to this.
const (
	compactWidth = 40
	compactRows  = 3 // content rows for targets and findings together
)

// computeLayout splits a w×h terminal by one stated rule, so panes keep
// their place while the user moves between targets:
//
//   - Side by side (targets left, matrix over findings right) from
//     wideWidth columns when the observe matrix of the configured origins
//     fits beside the list (want.matrixW, which moving or pressing x does
//     not change), stacked otherwise.
//   - The targets pane gets one row per target, up to a quarter of the
//     rows when stacked, more when the findings do not want their rows.
//   - The matrix gets the rows it needs, at most all but a third of what is
//     left; the findings get the rest. want holds high-water marks (see
//     Model.wantedLayout), so a pane grows for a bigger target and never
//     shrinks back while the user moves on.
//   - Below minWidth×minHeight, down to compactWidth columns, the matrix
//     is hidden and targets and findings share the screen (compact).
//
// headerH and statusH are the measured heights of the rendered header and
// status bar, titleH that of a pane title, sepW the width of the wide
// layout's column separator.
func computeLayout(w, h, headerH, statusH, titleH, sepW int, want wants) layout {
	avail := h - headerH - statusH
	if w < minWidth || h < minHeight {
		rest := avail - 2*titleH
		if w < compactWidth || rest < compactRows {
			return layout{tooSmall: true}
		}
		th := clampInt(want.targets, 1, max(rest/2, 1))
		return layout{compact: true, full: box{w, avail - titleH},
			targets: box{w, th}, findings: box{w, rest - th}, matrix: box{w, 0}}
	}
	l := layout{full: box{w, avail - titleH}}
	left, right := paneWidths(w, sepW, want)
	if w >= wideWidth && right >= want.matrixW {
		l.wide = true
		l.left = left
		l.targets = box{l.left, avail - titleH}
		l.matrix, l.findings = splitRight(right, avail-2*titleH, want)
		return l
	}
	rest := avail - 3*titleH
	th := clampInt(want.targets, 1, max(rest/4, 3))
	l.matrix, l.findings = splitRight(w, rest-th, want)
	// Rows neither the matrix nor the findings want go to a long target
	// list rather than stay blank.
	if spare := l.findings.h - max(want.findings, 1); spare > 0 && want.targets > th {
		more := min(spare, want.targets-th)
		th += more
		l.findings.h -= more
	}
	l.targets = box{w, th}
	return l
}

// splitRight shares rows between the matrix and the findings: the matrix
// what it needs, leaving the findings at least a third (or what they
// need, when less); the findings everything else.
func splitRight(w, rows int, want wants) (matrix, findings box) {
	keep := min(max(want.findings, 1), max(rows/3, 3))
	mh := clampInt(want.matrix, 1, max(rows-keep, 1))
	return box{w, mh}, box{w, rows - mh}
}

// wants are the content heights panes would like, and the width the
// matrix needs to show every column.
type wants struct {
	targets, matrix, findings int
	matrixW                   int
	targetsW                  int // the widest target row, uncut
}

// paneWidths is the width each pane gets at terminal width w (the same in
// both layouts for a given w and want), so content can be measured before
// heights are decided. Side by side, the targets column takes 8/25 of the
// width (36 to 56 columns), and width the matrix does not need goes to
// target names that would otherwise be cut, up to 2/5 of the screen.
func paneWidths(w, sepW int, want wants) (targets, right int) {
	if w < wideWidth {
		return w, w
	}
	left := clampInt(w*8/25, 36, 56)
	right = w - left - sepW
	if want.targetsW > left && want.matrixW > 0 && right > want.matrixW {
		if grow := min(want.targetsW-left, right-want.matrixW, w*2/5-left); grow > 0 {
			left, right = left+grow, right-grow
		}
	}
	return left, right
}
