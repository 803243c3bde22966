package tui

// Minimum terminal size; below it the TUI says so instead of drawing.
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
	wide     bool // targets on the left, matrix and findings on the right
	left     int  // wide: width of the targets column (the separator follows)
	targets  box
	matrix   box
	findings box
	full     box // detail and help: everything between header and status bar, below one title row
}

// computeLayout splits a w×h terminal. headerH and statusH are the measured
// heights of the rendered header and status bar, titleH that of a pane
// title, sepW the width of the wide layout's column separator. The wanted
// counts are each pane's content height: panes start from a fair share and
// the matrix hands rows it does not need to the others.
func computeLayout(w, h, headerH, statusH, titleH, sepW int, want wants) layout {
	if w < minWidth || h < minHeight {
		return layout{tooSmall: true}
	}
	avail := h - headerH - statusH
	l := layout{full: box{w, avail - titleH}}
	left, right := paneWidths(w, sepW)
	// Side by side only when the matrix still gets all its columns there:
	// a wide matrix is worth more than a tall target list.
	if w >= wideWidth && right >= want.matrixW {
		l.wide = true
		l.left = left
		l.targets = box{l.left, avail - titleH}
		rest := avail - 2*titleH
		fh := clampInt(want.findings, 1, max(rest/3, 3))
		if spare := rest - fh - want.matrix; spare > 0 {
			fh = min(want.findings, fh+spare)
		}
		l.findings = box{right, fh}
		l.matrix = box{right, rest - fh}
		return l
	}
	rest := avail - 3*titleH
	th := clampInt(want.targets, 1, max(rest/5, 3))
	fh := clampInt(want.findings, 1, max(rest/4, 3))
	if spare := rest - th - fh - want.matrix; spare > 0 {
		more := min(spare, max(want.targets-th, 0))
		th += more
		fh = min(max(want.findings, fh), fh+spare-more)
	}
	l.targets = box{w, th}
	l.findings = box{w, fh}
	l.matrix = box{w, rest - th - fh}
	return l
}

// wants are the content heights panes would like, and the width the
// matrix needs to show every column.
type wants struct {
	targets, matrix, findings int
	matrixW                   int
}

// paneWidths is the width each pane gets at terminal width w (the same in
// both layouts for a given w), so content can be measured before heights
// are decided.
func paneWidths(w, sepW int) (targets, right int) {
	if w < wideWidth {
		return w, w
	}
	left := clampInt(w*8/25, 36, 56)
	return left, w - left - sepW
}
