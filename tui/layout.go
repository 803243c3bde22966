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
// title, sepW the width of the wide layout's column separator. nTargets and
// findingsWanted size the two smaller panes to their content.
func computeLayout(w, h, headerH, statusH, titleH, sepW, nTargets, findingsWanted int) layout {
	if w < minWidth || h < minHeight {
		return layout{tooSmall: true}
	}
	avail := h - headerH - statusH
	l := layout{full: box{w, avail - titleH}}
	if w >= wideWidth {
		l.wide = true
		l.left = clampInt(w*8/25, 36, 56)
		right := w - l.left - sepW
		l.targets = box{l.left, avail - titleH}
		rest := avail - 2*titleH
		fh := clampInt(findingsWanted, 1, max(rest/3, 3))
		l.findings = box{right, fh}
		l.matrix = box{right, rest - fh}
		return l
	}
	rest := avail - 3*titleH
	th := clampInt(nTargets, 1, max(rest/5, 3))
	fh := clampInt(findingsWanted, 1, max(rest/4, 3))
	l.targets = box{w, th}
	l.findings = box{w, fh}
	l.matrix = box{w, rest - th - fh}
	return l
}
