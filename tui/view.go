package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
)

// View draws the whole screen: header, body, status bar. Every part is
// padded to its box, so the frame is always exactly w×h.
func (m Model) View() string {
	if m.quitting {
		return ""
	}
	if !m.ready {
		return "starting…"
	}
	if m.lay.tooSmall {
		return m.tooSmallView()
	}
	var body string
	switch m.screen {
	case screenDetail:
		body = paneTitle(m.c, m.detail.title, true, m.w) + "\n" + m.detail.View()
	case screenConfirm, screenPurged:
		body = paneTitle(m.c, m.purge.Title(), true, m.w) + "\n" + m.purge.View()
	case screenHelp:
		body = paneTitle(m.c, "Help · the keys that work now, then the ones that do not and why", true, m.w) + "\n" + m.helpView()
	default:
		body = m.mainView()
	}
	return m.headerView() + "\n" + body + "\n" + m.statusView()
}

func (m Model) tooSmallView() string {
	w, h := max(m.w, 1), max(m.h, 1)
	q := m.c.keys.Quit.Help().Key
	size := itoa(m.w) + "×" + itoa(m.h)
	// The longest message that fits whole: never a cut one.
	msgs := []string{
		"corscope needs a terminal of at least " + itoa(compactWidth) + " columns (" + itoa(minWidth) + "×" + itoa(minHeight) + " for every pane). This one is " + size + ": enlarge it, or press " + q + " to quit.",
		"too small: " + size + "; need " + itoa(minWidth) + "×" + itoa(minHeight) + ". " + q + " quits.",
		size + ": too small. " + q + " quits.",
		"too small",
	}
	for _, msg := range msgs {
		lines := wrap(msg, w)
		if len(lines) <= h && !slices.ContainsFunc(lines, func(l string) bool { return ansi.StringWidth(l) > w }) {
			return padLines(lines, w, h)
		}
	}
	return padLines(nil, w, h)
}

// headerView is the top line: what is running, in which mode, with which
// theme.
func (m Model) headerView() string {
	st := m.c.styles
	title := "corscope"
	if m.opt.Title != "" {
		title = "corscope " + safe(m.opt.Title)
	}
	parts := []string{plural(len(m.s.targets), "target")}
	if !m.readOnly {
		parts = append([]string{"mode " + string(m.mode)}, parts...)
		if len(m.origins) == 0 && m.c.keys.AddOrigin.Enabled() {
			// Without an origin only the no-Origin, same-origin and null
			// variants run: say how to add the site that uses the URL.
			parts = append(parts, "no origins: "+m.c.keys.AddOrigin.Help().Key+" adds one")
		} else {
			parts = append(parts, plural(len(m.origins), "origin"))
		}
	} else {
		parts = append(parts, "read-only")
	}
	if m.diff {
		parts = append(parts, "diff on")
	}
	left := st.Header.Title.Render(title) + st.Header.Subtitle.Render(" · "+strings.Join(parts, " · "))
	right := "? help"
	if m.w >= 100 {
		right = "theme " + safe(m.themes[m.themeIdx].Name) + " · " + right
	}
	right = st.Header.Subtitle.Render(right)
	return " " + spread(left, right, max(m.w-2, 1)) + " "
}

// spread puts left and right on one line of width w, cutting left first.
func spread(left, right string, w int) string {
	rw := ansi.StringWidth(right)
	if rw+2 > w {
		return fit(left, w)
	}
	left = cut(left, w-rw-1)
	gap := w - ansi.StringWidth(left) - rw
	return left + strings.Repeat(" ", gap) + right
}

// maxErrorLines bounds the lines a refused input's reason takes under the
// prompt; a longer reason (values are capped at maxCellBytes) is cut.
const maxErrorLines = 4

// statusView is the bottom line: a prompt, a flash or the short help on
// the left, progress on the right.
func (m Model) statusView() string {
	st := m.c.styles
	right := m.progressView()
	leftW := max(m.w-ansi.StringWidth(right)-3, 10)
	var left string
	switch {
	case m.prompt != promptNone && m.promptErr != "":
		// Keep what was typed visible next to why it was refused; when
		// both do not fit on one line, the reason goes under the input,
		// wrapped, never cut.
		in := strings.TrimRight(m.input.View(), " ")
		why := "✗ " + m.promptErr
		if 1+ansi.StringWidth(in)+1+ansi.StringWidth(why) <= m.w {
			return " " + in + " " + st.StatusBar.Error.Render(fit(why, m.w-ansi.StringWidth(in)-2))
		}
		lines := []string{" " + fit(m.input.View(), m.w-1)}
		wrapped := wrap(why, max(m.w-3, 1))
		if len(wrapped) > maxErrorLines {
			wrapped = append(wrapped[:maxErrorLines-1], cut(strings.Join(wrapped[maxErrorLines-1:], " "), max(m.w-3, 1)))
		}
		for i, l := range wrapped {
			pre := " "
			if i > 0 {
				pre = "   " // under the text after "✗ "
			}
			lines = append(lines, pre+st.StatusBar.Error.Render(fit(l, m.w-len(pre))))
		}
		return strings.Join(lines, "\n")
	case m.prompt != promptNone:
		return " " + fit(m.input.View(), m.w-1)
	case m.flash.text != "":
		glyph, s := "ℹ", st.StatusBar.Info
		switch m.flash.level {
		case flashOK:
			glyph, s = "✓", st.StatusBar.OK
		case flashWarn:
			glyph, s = "!", st.StatusBar.Warn
		case flashError:
			glyph, s = "✗", st.StatusBar.Error
		}
		text := glyph + " " + m.flash.text
		for _, g := range []string{"✓ ", "✗ ", "! ", "? ", "ℹ "} {
			if strings.HasPrefix(m.flash.text, g) {
				text = m.flash.text // it names its own verdict (a purge's): one glyph
			}
		}
		left = s.Render(cut(text, leftW))
	default:
		h := m.help
		h.Width = leftW
		left = h.ShortHelpView(m.ShortHelp())
	}
	return " " + spread(left, right, max(m.w-2, 1)) + " "
}

// progressView is the progress bar of the runs in flight, or a summary.
func (m Model) progressView() string {
	st := m.c.styles
	total, owed := 0, 0
	for _, r := range m.runs {
		total += r.total
		owed += r.owned
	}
	if total > 0 {
		done := total - owed
		const barW = 16
		// Targets in flight count by their share of requests done, so the
		// bar moves before the first target finishes.
		partial := 0.0
		for _, t := range m.s.targets {
			if t.state == stateProbing && t.stepsTotal > 0 {
				if _, ok := m.runs[t.runID]; ok {
					partial += float64(t.stepsDone) / float64(t.stepsTotal)
				}
			}
		}
		fill := min(int((float64(done)+partial)*barW/float64(total)), barW)
		bar := st.StatusBar.OK.Render(strings.Repeat("█", fill)) + st.Muted.Render(strings.Repeat("░", barW-fill))
		return st.StatusBar.Spinner.Render(m.spin.View()) + " " + bar + " " + st.StatusBar.Text.Render(itoa(done)+"/"+itoa(total))
	}
	c := m.s.counts()
	var parts []string
	if m.purge.running {
		parts = append(parts, "purging…")
	}
	if c.done > 0 {
		parts = append(parts, "✓ "+itoa(c.done)+" done")
	}
	if c.failed > 0 {
		parts = append(parts, "✗ "+itoa(c.failed)+" error")
	}
	if c.cancelled > 0 {
		parts = append(parts, "■ "+itoa(c.cancelled)+" stopped")
	}
	return st.StatusBar.Text.Render(strings.Join(parts, " · "))
}

// mainView is the three panes, stacked or side by side.
func (m Model) mainView() string {
	l := m.lay
	targets := paneTitle(m.c, m.targets.Title(), m.targets.focused, l.targets.w) + "\n" + m.targets.View()
	if l.compact {
		title := m.findings.Title() + " · variants need " + itoa(minWidth) + "×" + itoa(minHeight)
		return targets + "\n" + paneTitle(m.c, title, m.findings.focused, l.findings.w) + "\n" + m.findings.View()
	}
	matrix := paneTitle(m.c, m.matrixTitle(), m.matrix.focused, l.matrix.w) + "\n" + m.matrix.View()
	findings := paneTitle(m.c, m.findings.Title(), m.findings.focused, l.findings.w) + "\n" + m.findings.View()
	if !l.wide {
		return targets + "\n" + matrix + "\n" + findings
	}
	right := matrix + "\n" + findings
	h := lipgloss.Height(targets)
	sep := strings.TrimSuffix(strings.Repeat(m.separator()+"\n", h), "\n")
	return lipgloss.JoinHorizontal(lipgloss.Top, targets, sep, right)
}

// matrixTitle names the target and says what the matrix shows.
func (m Model) matrixTitle() string {
	t := m.selected()
	if t == nil {
		return "Variants"
	}
	parts := []string{"Variants of " + t.label}
	if t.stale {
		parts = append(parts, "from before the purge: "+m.c.keys.ReprobeAll.Help().Key+" re-probes all")
	}
	if t.afterPurge != nil && t.current == t.afterPurge {
		parts = append(parts, "after purge")
	}
	if rep := m.matrix.rep; rep != nil && rep.Provider != "" && rep.Provider != cachemodel.ProviderUnknown {
		parts = append(parts, safe(string(rep.Provider)))
	}
	if t.mode != "" && (t.mode != m.mode || len(m.modes) > 1) {
		parts = append(parts, string(t.mode)+" run")
	}
	switch {
	case t.current == nil && t.onlyOld:
		parts = append(parts, "only in the older report")
	case t.state.running() && t.current != nil:
		parts = append(parts, m.spin.View()+" re-probing, showing the previous result")
	}
	var toggles []string
	if m.rounds {
		toggles = append(toggles, "rounds")
	}
	if m.matrix.transposed {
		toggles = append(toggles, "transposed")
	}
	if m.diff {
		toggles = append(toggles, "diff")
	}
	if len(toggles) > 0 {
		parts = append(parts, "["+strings.Join(toggles, ", ")+"]")
	}
	return strings.Join(parts, " · ")
}

// helpView is every enabled binding plus the glyph legend.
// helpLines is the whole help: the keys that work, the glyphs, and the
// keys that do not work now with why.
func (m Model) helpLines() []string {
	h := m.help
	groups := m.FullHelp()
	full := h.FullHelpView(groups)
	if lipgloss.Width(full) > m.w {
		// Too wide side by side: two rows of columns.
		half := (len(groups) + 1) / 2
		full = h.FullHelpView(groups[:half]) + "\n\n" + h.FullHelpView(groups[half:])
	}
	h.Width = m.w
	lines := strings.Split(full, "\n")
	st := m.c.styles
	legend := []string{
		"",
		st.Accent.Render("What the glyphs mean (no colour needed)"),
		"  " + glyphCursor + " cursor · ━▸ focused pane · ◀ ▶ ▲ ▼ more out of view",
		"  " + glyphDiff + " differs from most variants in its row",
		"  " + glyphProblem + " a CORS answer the cache stored for another request (poisoned)",
		"  " + glyphEvidence + " evidence of the selected finding · " + glyphChanged + " changed since the previous run",
		"  Age and per-fetch counters (a number in every cell) change on every fetch: shown, never marked " + glyphDiff + " or " + glyphChanged + " nor counted",
		"  verdicts: ✓ allowed · ✓ anon only (not with credentials) · ✗ blocked, and why · – not CORS or same-origin · ! the request failed · † the Fetch standard blocks it",
		"  " + cachemodel.WeakLegend,
		"  targets: · queued (no request sent yet) · · waiting (sent or not: the engine does not say) · " + m.spin.Spinner.Frames[0] + " probing n/m (requests out or answered) · ✓ done · ✗ error · ■ stopped",
	}
	if m.readOnly {
		legend = append(legend, "", "Read-only: this is a saved report; keys that would send requests are off.")
	}
	if off := m.offBindings(); len(off) > 0 {
		legend = append(legend, "", st.Accent.Render("Not available now"))
		for _, o := range off {
			legend = append(legend, "  "+o.help.Key+" "+o.help.Desc+": "+o.why)
		}
	}
	for _, l := range legend {
		// An indented entry keeps its indent on the lines it wraps onto
		// (two more columns), so each entry reads as one item.
		indent := len(l) - len(strings.TrimLeft(l, " "))
		if indent == 0 || m.w <= indent+12 {
			lines = append(lines, wrap(l, m.w)...)
			continue
		}
		pad := strings.Repeat(" ", indent+2)
		for i, w := range wrap(l[indent:], m.w-indent-2) {
			if i == 0 {
				w = l[:indent] + w
			} else {
				w = pad + w
			}
			lines = append(lines, w)
		}
	}
	return lines
}

// helpView is the help, scrolled: longer than the screen (80×24 with the
// unavailable keys), it scrolls with the movement keys rather than cut.
func (m Model) helpView() string {
	lines := m.helpLines()
	rows := m.lay.full.h
	if len(lines) > rows && rows > 1 {
		off := clampInt(m.helpOff, 0, m.helpMaxOff())
		end := off + rows - 1
		lines = append(lines[off:end:end], m.c.styles.Muted.Render(fmt.Sprintf("lines %d–%d of %d ▲▼", off+1, end, len(lines))))
	}
	return padLines(lines, m.w, rows)
}

// helpMaxOff is the help's last scroll offset.
func (m Model) helpMaxOff() int {
	return max(len(m.helpLines())-(m.lay.full.h-1), 0)
}

func itoa(n int) string { return strconv.Itoa(n) }
