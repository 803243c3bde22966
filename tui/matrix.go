package tui

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
)

// Column width limits: wide enough for a typical origin, narrow enough that
// a few variants share 80 columns. Longer values end in "…" and are shown
// whole in the detail view.
const (
	maxColWidth   = 32
	minColWidth   = 4
	maxLabelWidth = 18
	maxVarLabel   = 26 // transposed: the variant column, at least
	// maxLabelLines bounds the header lines an Origin wraps onto in its
	// column (the variants across layout); a longer one is cut there.
	maxLabelLines = 3
)

// matrixModel shows one target's grid. In the normal layout fields are
// rows and variants columns; transposed swaps them. The cursor is always a
// variant (what enter opens); the other axis scrolls.
type matrixModel struct {
	c          *common
	w, h       int
	focused    bool
	rep, prev  *cachemodel.TargetReport
	opt        gridOptions
	transposed bool
	g          grid
	cursor     int // variant (grid column)
	varOff     int // first visible variant
	fieldOff   int // first visible field (grid row)
	evidence   [][]bool
	empty      string // shown when there is no report
	wasCut     bool   // set while drawing: a changed cell showed only its new value
}

func newMatrix(c *common) matrixModel { return matrixModel{c: c} }

// SetSize sets the content box (the pane title is the root's).
func (m *matrixModel) SetSize(w, h int) { m.w, m.h = w, h; m.clamp() }

// Forget drops the report shown, so the next SetReport places the cursor
// as for a new target.
func (m *matrixModel) Forget() { m.rep, m.prev = nil, nil }

// SetReport shows a report (nil: the empty message). The cursor stays on
// the same variant key when it still exists.
func (m *matrixModel) SetReport(rep, prev *cachemodel.TargetReport, empty string) {
	oldKey := ""
	if m.cursor < len(m.g.cols) {
		oldKey = m.g.cols[m.cursor].key
	}
	sameTarget := m.rep != nil && rep != nil && m.rep.URL == rep.URL
	m.rep, m.prev, m.empty = rep, prev, empty
	m.rebuild()
	kept := false
	if sameTarget {
		for i, c := range m.g.cols {
			if c.key == oldKey {
				m.cursor, kept = i, true
			}
		}
	}
	if !kept {
		// Open on the poisoned cell when there is one: it is what the user
		// came for, and at 80 columns it may be off to the right.
		m.cursor, m.varOff, m.fieldOff = max(m.g.first, 0), 0, 0
	}
	m.clamp()
}

// SetEmpty changes the message shown while there is no report.
func (m *matrixModel) SetEmpty(msg string) { m.empty = msg }

func (m *matrixModel) rebuild() {
	if m.rep == nil {
		m.g = grid{}
		m.evidence = nil
		return
	}
	m.g = buildGrid(m.rep, m.prev, m.opt)
	m.evidence = nil
}

// SetTransposed swaps the axes; scroll offsets restart from the top left
// since they now count the other things.
func (m *matrixModel) SetTransposed(on bool) {
	m.transposed = on
	m.varOff, m.fieldOff = 0, 0
	m.clamp()
}

// SetOptions toggles rounds and diff, rebuilding the grid.
func (m *matrixModel) SetOptions(opt gridOptions) {
	if opt == m.opt {
		return
	}
	key := ""
	if m.cursor < len(m.g.cols) {
		key = strings.SplitN(m.g.cols[m.cursor].key, "|R", 2)[0]
	}
	m.opt = opt
	m.rebuild()
	for i, c := range m.g.cols {
		if strings.HasPrefix(c.key, key) {
			m.cursor = i
			break
		}
	}
	m.clamp()
}

// Highlight marks the evidence cells of a finding (nil clears).
// The cursor moves to the first variant the evidence names and the field
// rows scroll to its first field, so the » marks are on screen even when
// the evidence sits in columns scrolled out of view (isolate's 28).
func (m *matrixModel) Highlight(f *cachemodel.Finding) {
	m.evidence = evidenceCells(&m.g, m.rep, f)
	firstCol, firstRow := -1, -1
	for ri, row := range m.evidence {
		for ci, on := range row {
			if !on {
				continue
			}
			if firstCol < 0 || ci < firstCol {
				firstCol = ci
			}
			if firstRow < 0 {
				firstRow = ri
			}
		}
	}
	if firstCol < 0 {
		return
	}
	// Keep the cursor when it already sits on evidence.
	if !slices.ContainsFunc(m.evidence, func(row []bool) bool { return m.cursor < len(row) && row[m.cursor] }) {
		m.cursor = firstCol
	}
	if !m.transposed {
		if body := m.bodyRows(); firstRow < m.fieldOff || firstRow >= m.fieldOff+body {
			m.fieldOff = firstRow
		}
	}
	m.clamp()
}

// Selected returns the variant under the cursor.
// SelectedChanges lists the selected variant's changed cells, each as
// field and old value (diff), in row order.
func (m *matrixModel) SelectedChanges() [][2]string {
	if m.rep == nil || m.cursor >= len(m.g.cols) {
		return nil
	}
	var out [][2]string
	for ri, r := range m.g.rows {
		if c := m.g.cells[ri][m.cursor]; c.was != "" {
			out = append(out, [2]string{r.name, c.was})
		}
	}
	return out
}

func (m *matrixModel) Selected() (cachemodel.VariantResult, bool) {
	if m.rep == nil || m.cursor >= len(m.g.cols) {
		return cachemodel.VariantResult{}, false
	}
	return m.rep.Variants[m.g.cols[m.cursor].shown], true
}

// Step moves the cursor by delta variants (detail view's left/right).
func (m *matrixModel) Step(delta int) bool {
	n := m.cursor + delta
	if n < 0 || n >= len(m.g.cols) {
		return false
	}
	m.cursor = n
	m.clamp()
	return true
}

// clamp keeps the cursor in range and scrolls so it stays visible. Every
// change of cursor, size or content ends here, so View only reads offsets.
func (m *matrixModel) clamp() {
	m.cursor = clampInt(m.cursor, 0, len(m.g.cols)-1)
	if len(m.g.cols) == 0 {
		m.varOff, m.fieldOff = 0, 0
		return
	}
	body := m.bodyRows()
	if m.transposed {
		labelW, avail := m.transposedGeometry()
		_ = labelW
		m.fieldOff, _ = window(len(m.g.rows), m.fieldOff, -1, avail, m.fieldWidth(avail))
		m.varOff = clampInt(m.varOff, max(m.cursor-body+1, 0), m.cursor)
		return
	}
	_, avail := m.normalGeometry()
	m.varOff, _ = window(len(m.g.cols), m.varOff, m.cursor, avail, m.colWidth(avail))
	m.fieldOff = clampInt(m.fieldOff, 0, max(len(m.g.rows)-body, 0))
}

// normalGeometry is the row-label width and the columns left for variants.
func (m *matrixModel) normalGeometry() (labelW, avail int) {
	for _, r := range m.g.rows {
		labelW = max(labelW, r.width)
	}
	labelW = min(labelW+2, maxLabelWidth)
	return labelW, max(m.w-labelW-2, minColWidth+1) // 2: room for the ▶ marker
}

func (m *matrixModel) colWidth(avail int) func(int) int {
	return func(i int) int { return min(colWidth(m.g.cols[i]), avail-1) }
}

// transposedGeometry is the variant-label width and the columns left for
// fields.
func (m *matrixModel) transposedGeometry() (labelW, avail int) {
	for _, c := range m.g.cols {
		labelW = max(labelW, ansi.StringWidth(transposedLabel(c)))
	}
	want := labelW + 1
	labelW = max(min(want, maxVarLabel, m.w/2), 4)
	// Wider, up to two fifths of the width, while cut labels would read
	// alike: a row nobody can tell from the next is worth less than one
	// more field (the fields scroll).
	for limit := min(want, m.w*2/5); labelW < limit && !m.labelsDistinct(labelW-1); labelW++ {
	}
	// And wider still, up to the same bound, while every fixed field
	// (Status to Verdict) keeps its room: only other headers scroll away.
	core := 0
	fw := m.fieldWidth(maxColWidth + 1)
	for ri, r := range m.g.rows {
		if r.kind != rowHeader {
			core += fw(ri) + 1
		}
	}
	labelW = max(labelW, min(want, m.w*2/5, m.w-2-core))
	// Width the fields leave unused goes to the labels rather than stay
	// blank beside cut variant names.
	if want > labelW {
		fields := 0
		fw := m.fieldWidth(maxColWidth + 1)
		for ri := range m.g.rows {
			fields += fw(ri) + 1
		}
		if spare := m.w - 2 - labelW - fields; spare > 0 {
			labelW = min(want, labelW+spare, m.w/2)
		}
	}
	return labelW, max(m.w-labelW-2, minColWidth+1)
}

// labelsDistinct reports whether every variant's row label still reads
// differently from the others when fitted to w columns.
func (m *matrixModel) labelsDistinct(w int) bool {
	seen := make(map[string]bool, len(m.g.cols))
	for _, c := range m.g.cols {
		l := fitTransposedLabel(c, w)
		if seen[l] {
			return false
		}
		seen[l] = true
	}
	return true
}

func (m *matrixModel) fieldWidth(avail int) func(int) int {
	return func(ri int) int {
		w := m.g.rows[ri].width + 1
		for ci := range m.g.cols {
			w = max(w, m.g.cells[ri][ci].width+1)
		}
		return min(clampInt(w, minColWidth, maxColWidth), avail-1)
	}
}

// transposedLabel names a variant in the transposed layout's first column:
// its Origin, then the kind words in brackets (transposedKind).
func transposedLabel(c gridCol) string {
	return shortOrigin(c.label) + transposedKind(c)
}

// transposedKind is " (kind words)" for a variant's row label, "" when the
// Origin says it all. "adversarial" goes before a generated kind (gen-…
// says it) and https:// before an Origin (shortOrigin): the row label
// column is narrow, and what tells rows apart is the kind and the Origin's
// ends.
func transposedKind(c gridCol) string {
	kind := c.short
	if rest, ok := strings.CutPrefix(kind, "adversarial gen-"); ok {
		kind = "gen-" + rest // the kind's own name; only adversarial has gen- kinds
	}
	if c.fresh {
		kind = joinNonEmpty(" ", kind, "new")
	}
	if kind == "" {
		return ""
	}
	return " (" + kind + ")"
}

// randomToken is a DNS label ending in a run of 8 or more hex digits after
// a '-', as the label of a generated origin ("corscope-3f9a0c1b").
var randomToken = regexp.MustCompile(`[a-z0-9]*-[0-9a-f]{8,}`)

// shortOrigin drops "https://" from an Origin; any other scheme stays, so
// http:// (an insecure-scheme origin) reads as itself.
func shortOrigin(label string) string {
	if rest, ok := strings.CutPrefix(label, "https://"); ok && rest != "" {
		return rest
	}
	return label
}

// fitTransposedLabel fits a variant's row label to w columns. When it is
// too wide, the random label of a generated origin ("corscope-3f9a0c1b",
// the same in all of them) goes first, for "…"; then the kind
// words stay whole while the Origin has 10 columns left, the Origin cut in
// the middle (generated origins differ at both ends); else the whole label
// is cut in the middle.
func fitTransposedLabel(c gridCol, w int) string {
	origin, kind := shortOrigin(c.label), transposedKind(c)
	if ansi.StringWidth(origin)+ansi.StringWidth(kind) <= w {
		return fit(origin+kind, w)
	}
	origin = randomToken.ReplaceAllString(origin, "…")
	if ansi.StringWidth(origin)+ansi.StringWidth(kind) <= w {
		return fit(origin+kind, w)
	}
	if rest := w - ansi.StringWidth(kind); rest >= 10 {
		return midFit(origin, rest) + kind
	}
	return midFit(origin+kind, w)
}

func clampInt(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

// Update handles movement keys while the matrix has focus.
func (m matrixModel) Update(msg tea.Msg) (matrixModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || m.rep == nil {
		return m, nil
	}
	k := m.c.keys
	varPrev, varNext, fieldPrev, fieldNext := k.Left, k.Right, k.Up, k.Down
	if m.transposed {
		varPrev, varNext, fieldPrev, fieldNext = k.Up, k.Down, k.Left, k.Right
	}
	page := max(m.bodyRows()-1, 1)
	switch {
	case key.Matches(km, varPrev):
		m.cursor--
	case key.Matches(km, varNext):
		m.cursor++
	case key.Matches(km, fieldPrev):
		m.fieldOff--
	case key.Matches(km, fieldNext):
		m.fieldOff = m.nextFieldOff()
	case key.Matches(km, k.Home):
		m.cursor = 0
	case key.Matches(km, k.End):
		m.cursor = len(m.g.cols) - 1
	case key.Matches(km, k.PageUp):
		if m.transposed {
			m.cursor -= page
		} else {
			m.fieldOff -= page
		}
	case key.Matches(km, k.PageDown):
		if m.transposed {
			m.cursor += page
		} else {
			m.fieldOff += page
		}
	default:
		return m, nil
	}
	m.clamp()
	return m, nil
}

// nextFieldOff scrolls the field axis by one, stopping when the last field
// is already in view.
func (m *matrixModel) nextFieldOff() int {
	if !m.transposed {
		return m.fieldOff + 1 // clamp stops at the last page
	}
	_, avail := m.transposedGeometry()
	_, end := window(len(m.g.rows), m.fieldOff, -1, avail, m.fieldWidth(avail))
	if end >= len(m.g.rows) {
		return m.fieldOff
	}
	return m.fieldOff + 1
}

// ShortHelp lists the matrix's own keys.
func (m matrixModel) ShortHelp() []key.Binding {
	k := m.c.keys
	return []key.Binding{k.Left, k.Right, k.Open, k.Transpose, k.Rounds}
}

// FullHelp is ShortHelp in one group.
func (m matrixModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// Wanted is the height that shows the whole grid: header, rows, footer.
func (m matrixModel) Wanted() int {
	switch {
	case m.rep == nil:
		return 3
	case m.transposed:
		return 1 + len(m.g.cols) + 1
	}
	return 1 + m.labelLines() + len(m.g.rows) + 1
}

// labelLines is how many header lines the Origins take in the variants
// across layout: one that is wider than its column wraps onto more lines
// instead of losing its end (generated origins differ at the end), up to
// maxLabelLines. It is the same for every scroll position.
func (m matrixModel) labelLines() int {
	n := 1
	for _, c := range m.g.cols {
		w := max(colWidth(c)-1, 1)
		n = max(n, (ansi.StringWidth(c.label)+w-1)/w)
	}
	return min(n, maxLabelLines)
}

// WantedWidth is the width that shows every column unscrolled (0 without
// a report).
func (m matrixModel) WantedWidth() int {
	if m.rep == nil || len(m.g.cols) == 0 {
		return 0
	}
	w := 0
	if m.transposed {
		label := 0
		for _, c := range m.g.cols {
			label = max(label, ansi.StringWidth(transposedLabel(c)))
		}
		w = min(label+1, maxVarLabel)
		fw := m.fieldWidth(maxColWidth + 1)
		for ri := range m.g.rows {
			w += fw(ri) + 1
		}
	} else {
		label := 0
		for _, r := range m.g.rows {
			label = max(label, r.width)
		}
		w = min(label+2, maxLabelWidth)
		for _, c := range m.g.cols {
			w += colWidth(c) + 1
		}
	}
	return w + 2
}

// bodyRows is how many rows of cells fit under the header and above the
// footer.
func (m matrixModel) bodyRows() int {
	head := 1
	if !m.transposed {
		head += m.labelLines()
	}
	return max(m.h-head-1, 1)
}

// View draws the visible part of the grid and a footer that says what is
// scrolled out of view, so nothing is cut silently.
func (m matrixModel) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if m.rep == nil {
		return padLines(wrap(m.empty, m.w), m.w, m.h)
	}
	if len(m.g.cols) == 0 {
		return padLines([]string{"no requests in this report"}, m.w, m.h)
	}
	var lines []string
	var footer string
	if m.transposed {
		lines, footer = m.viewTransposed()
	} else {
		lines, footer = m.viewNormal()
	}
	body := padLines(lines, m.w, m.h-1)
	return body + "\n" + m.c.styles.Muted.Render(fit(footer, m.w))
}

// window picks which of n items (with widths w(i), each plus one separator)
// are visible in avail columns, starting at off and moving off so that
// cursor is visible. It returns the new offset and the end (exclusive).
func window(n, off, cursor, avail int, w func(int) int) (int, int) {
	if n == 0 {
		return 0, 0
	}
	off = clampInt(off, 0, n-1)
	if cursor >= 0 {
		if cursor < off {
			off = cursor
		}
		for off < cursor {
			used := 0
			for i := off; i <= cursor; i++ {
				used += w(i) + 1
			}
			if used <= avail {
				break
			}
			off++
		}
	}
	// Scroll back while the items before the window fit too, so a wider
	// screen (or a narrower column) never leaves space unused on the right.
	rest := 0
	for i := off; i < n; i++ {
		rest += w(i) + 1
	}
	for off > 0 && rest+w(off-1)+1 <= avail {
		off--
		rest += w(off) + 1
	}
	end, used := off, 0
	for end < n {
		need := w(end) + 1
		if used+need > avail && end > off {
			break
		}
		used += need
		end++
	}
	return off, end
}

func (m *matrixModel) cellStyle(c gridCell, selected, evidence bool) lipgloss.Style {
	st := m.c.styles
	s := st.Class(string(c.class))
	switch {
	case c.mark == markProblem:
		s = st.Matrix.Problem
	case evidence:
		s = st.Accent
	case c.mark == markDiff || c.mark == markChanged:
		s = st.Matrix.Diff
	}
	if selected && m.focused {
		s = st.Matrix.Selected
	}
	return s
}

// drawCell is the glyph slot plus the text fitted to w-1 columns.
func (m *matrixModel) drawCell(c gridCell, w int, selected, evidence bool) string {
	g := c.mark.glyph()
	if evidence && c.mark != markProblem {
		g = glyphEvidence
	}
	st := m.cellStyle(c, selected, evidence)
	if c.was != "" && ansi.StringWidth(c.text) > w-1 {
		// "new (was old)" does not fit: cutting it would hide the old
		// value, so the cell shows the new one and the footer says where
		// the old one is (the detail view lists it in full).
		c.text = c.now
		m.wasCut = true
	}
	if selected && m.focused {
		return g + st.Render(fit(c.text, w-1)) // the cursor column is a solid bar
	}
	// Padding stays outside the style, so underlines stop at the text.
	text := cut(c.text, w-1)
	return g + st.Render(text) + strings.Repeat(" ", max(w-1-ansi.StringWidth(text), 0))
}

func (m *matrixModel) isEvidence(ri, ci int) bool {
	return m.evidence != nil && m.evidence[ri][ci]
}

// moreLeft is the label-column note on how many columns are scrolled off
// to the left; empty when none are.
func moreLeft(hidden int) string {
	if hidden <= 0 {
		return ""
	}
	return "◀ " + strconv.Itoa(hidden) + " more"
}

func colWidth(c gridCol) int { return clampInt(c.width+1, minColWidth, maxColWidth) }

// viewNormal: fields down, variants across.
func (m *matrixModel) viewNormal() ([]string, string) {
	st := m.c.styles
	g := &m.g
	labelW, avail := m.normalGeometry()
	widths := m.colWidth(avail)
	off, end := window(len(g.cols), m.varOff, -1, avail, widths)

	left := moreLeft(off)
	right := ""
	if end < len(g.cols) {
		right = " ▶"
	}
	nl := m.labelLines()
	var kindLine strings.Builder
	labelLines := make([]strings.Builder, nl)
	kindLine.WriteString(st.Muted.Render(fit(left, labelW)))
	for j := range labelLines {
		labelLines[j].WriteString(fit("", labelW))
	}
	for ci := off; ci < end; ci++ {
		w := widths(ci)
		col := g.cols[ci]
		kind := col.kind
		if col.fresh {
			kind = joinNonEmpty(" ", kind, "(new)")
		}
		kindLine.WriteString(" " + st.Muted.Render(fit(" "+kind, w)))
		cur := " "
		hs := st.Matrix.Header
		if ci == m.cursor {
			cur = glyphCursor
			if m.focused {
				hs = st.Matrix.Selected
			}
		}
		parts := wrap(col.label, max(w-1, 1))
		if len(parts) > nl {
			parts = append(parts[:nl-1], strings.Join(parts[nl-1:], ""))
		}
		for j := range labelLines {
			part, g := "", " "
			if j < len(parts) {
				part = parts[j]
			}
			if j == 0 {
				g = cur
			}
			labelLines[j].WriteString(" " + g + hs.Render(fit(part, w-1)))
		}
	}
	kindLine.WriteString(st.Muted.Render(right))
	lines := []string{kindLine.String()}
	for j := range labelLines {
		labelLines[j].WriteString(st.Muted.Render(right))
		lines = append(lines, labelLines[j].String())
	}

	first := m.fieldOff
	last := min(first+m.bodyRows(), len(g.rows))
	for ri := first; ri < last; ri++ {
		row := g.rows[ri]
		var b strings.Builder
		mk := "  "
		if row.differs {
			mk = glyphDiff + " "
		}
		b.WriteString(st.Matrix.RowLabel.Render(fit(mk+row.name, labelW)))
		for ci := off; ci < end; ci++ {
			b.WriteString(" " + m.drawCell(g.cells[ri][ci], widths(ci), ci == m.cursor, m.isEvidence(ri, ci)))
		}
		lines = append(lines, b.String())
	}
	return lines, m.footer(off, end, len(g.cols), first, last, len(g.rows), "variants", "rows")
}

// viewTransposed: variants down, fields across.
func (m *matrixModel) viewTransposed() ([]string, string) {
	st := m.c.styles
	g := &m.g
	labelW, avail := m.transposedGeometry()
	fieldW := m.fieldWidth(avail)
	offF, endF := window(len(g.rows), m.fieldOff, -1, avail, fieldW)
	// The columns the next field is too wide for go to cut labels rather
	// than stay blank: the same fields still fit.
	used := 0
	for ri := offF; ri < endF; ri++ {
		used += fieldW(ri) + 1
	}
	if spare := avail - used - 2; spare > 0 { // 2: the ▶ marker
		want := 0
		for _, c := range g.cols {
			want = max(want, ansi.StringWidth(transposedLabel(c))+1)
		}
		labelW += clampInt(want-labelW, 0, spare)
	}

	left := moreLeft(offF)
	var head strings.Builder
	head.WriteString(st.Muted.Render(fit(left, labelW)))
	for ri := offF; ri < endF; ri++ {
		mk := " "
		if g.rows[ri].differs {
			mk = glyphDiff
		}
		head.WriteString(" " + mk + st.Matrix.Header.Render(fit(g.rows[ri].name, fieldW(ri)-1)))
	}
	if endF < len(g.rows) {
		head.WriteString(st.Muted.Render(" ▶"))
	}
	lines := []string{head.String()}

	first := m.varOff
	last := min(first+m.bodyRows(), len(g.cols))
	for ci := first; ci < last; ci++ {
		col := g.cols[ci]
		cur := " "
		ls := st.Matrix.RowLabel
		if ci == m.cursor {
			cur = glyphCursor
			if m.focused {
				ls = st.Matrix.Selected
			}
		}
		var b strings.Builder
		b.WriteString(cur + ls.Render(fitTransposedLabel(col, labelW-1)))
		for ri := offF; ri < endF; ri++ {
			b.WriteString(" " + m.drawCell(g.cells[ri][ci], fieldW(ri), false, m.isEvidence(ri, ci)))
		}
		lines = append(lines, b.String())
	}
	return lines, m.footer(offF, endF, len(g.rows), first, last, len(g.cols), "fields", "variants")
}

// footer says what is off-screen on each axis, then the glyph legend for
// whatever marks are present.
func (m *matrixModel) footer(off, end, n, voff, vend, vn int, across, down string) string {
	var parts []string
	if off > 0 || end < n {
		parts = append(parts, across+" "+strconv.Itoa(off+1)+"–"+strconv.Itoa(end)+" of "+strconv.Itoa(n)+" ◀▶")
	}
	if voff > 0 || vend < vn {
		parts = append(parts, down+" "+strconv.Itoa(voff+1)+"–"+strconv.Itoa(vend)+" of "+strconv.Itoa(vn)+" ▲▼")
	}
	if m.g.problems > 0 {
		parts = append(parts, cachemodel.CachedForAnotherLegend)
	}
	if m.g.weak {
		parts = append(parts, cachemodel.WeakLegend)
	}
	if m.evidence != nil {
		parts = append(parts, glyphEvidence+" evidence")
	}
	if m.opt.diff {
		switch {
		case m.prev == nil:
			parts = append(parts, "no previous run to diff")
		default:
			d := glyphChanged + " " + strconv.Itoa(m.g.changed) + " changed"
			if m.g.gone > 0 {
				d += ", " + strconv.Itoa(m.g.gone) + " variants gone"
			}
			if m.wasCut {
				d += ", " + m.c.keys.Open.Help().Key + ": was"
			}
			parts = append(parts, d)
		}
	}
	all := strings.Join(append(parts, glyphDiff+" differs"), " · ")
	if m.wasCut && ansi.StringWidth(all) > m.w {
		// Where the old values are matters more than the ≠ legend.
		return strings.Join(parts, " · ")
	}
	return all
}
