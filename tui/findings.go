package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
)

// findingsModel lists the selected target's findings, worst first as the
// analysis ordered them. With focus, the finding under the cursor unfolds
// (message and fix) and its evidence cells light up in the matrix.
type findingsModel struct {
	c       *common
	w, h    int
	focused bool
	rep     *cachemodel.TargetReport
	cursor  int
	off     int
	hint    string // said when there are no findings (safe)
	live    bool   // the report is a probe's answers so far: no findings yet
}

func newFindings(c *common) findingsModel { return findingsModel{c: c} }

// SetSize sets the content box.
func (f *findingsModel) SetSize(w, h int) { f.w, f.h = w, h }

// SetReport shows a report's findings; the cursor resets for a new target.
func (f *findingsModel) SetReport(rep *cachemodel.TargetReport) {
	if rep == nil || f.rep == nil || rep.URL != f.rep.URL {
		f.cursor, f.off = 0, 0
	}
	f.rep = rep
	f.cursor = clampInt(f.cursor, 0, f.count()-1)
}

func (f *findingsModel) count() int {
	if f.rep == nil {
		return 0
	}
	return len(f.rep.Findings)
}

// Selected returns the finding under the cursor.
func (f *findingsModel) Selected() (*cachemodel.Finding, bool) {
	if f.cursor < 0 || f.cursor >= f.count() {
		return nil, false
	}
	return &f.rep.Findings[f.cursor], true
}

// Wanted is how many content rows at width w show every finding with
// its explanation and fix.
func (f *findingsModel) Wanted(w int) int {
	lines, _ := f.lines(w, true)
	return len(lines)
}

// Update moves the cursor.
func (f findingsModel) Update(msg tea.Msg) (findingsModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, nil
	}
	// pgup/pgdn are listed in the help whenever a pane has focus, so they
	// page here too, a finding per row.
	f.cursor, _ = f.c.keys.moveLinear(km, f.cursor, max(f.h-1, 1), f.count()-1)
	f.cursor = clampInt(f.cursor, 0, f.count()-1)
	return f, nil
}

// ShortHelp lists the pane's own keys.
func (f findingsModel) ShortHelp() []key.Binding {
	k := f.c.keys
	return []key.Binding{k.Up, k.Down, k.Open}
}

// FullHelp is ShortHelp in one group.
func (f findingsModel) FullHelp() [][]key.Binding { return [][]key.Binding{f.ShortHelp()} }

// Title is the pane title with counts by severity.
func (f findingsModel) Title() string {
	if f.rep == nil {
		return "Findings"
	}
	if f.live {
		return "Findings · when every request is in"
	}
	n := len(f.rep.Findings)
	title := "Findings " + strconv.Itoa(n)
	if n > 0 {
		by := map[cachemodel.Severity]int{}
		for _, x := range f.rep.Findings {
			by[x.Severity]++
		}
		var parts []string
		for _, s := range []cachemodel.Severity{cachemodel.SevHigh, cachemodel.SevMedium, cachemodel.SevLow, cachemodel.SevInfo} {
			if by[s] > 0 {
				parts = append(parts, strconv.Itoa(by[s])+" "+string(s))
			}
		}
		title += " (" + strings.Join(parts, ", ") + ")"
	}
	return title
}

// View draws the list: every finding unfolded (explanation and fix) when
// they all fit, else only the one under the cursor while the pane has
// focus, scrolled into view.
func (f findingsModel) View() string {
	if f.w <= 0 || f.h <= 0 {
		return ""
	}
	lines, sel := f.lines(f.w, true)
	if len(lines) > f.h {
		lines, sel = f.lines(f.w, false)
	}
	top := f.top()
	body := f.h - top
	if len(lines)-top > body && body > 0 {
		start := clampInt(sel, top, len(lines)-body)
		lines = append(lines[:top:top], lines[start:]...)
	}
	if len(lines) > f.h && f.h > 1 {
		more := len(lines) - f.h + 1
		note := "▼ " + plural(more, "more line")
		switch {
		case f.rep == nil || len(f.rep.Findings) == 0:
			// No finding to open: enter would show nothing more.
		case f.focused:
			note += " · enter shows the full text"
		default:
			note += " · tab to the findings, enter shows the full text"
		}
		lines = append(lines[:f.h-1:f.h-1], f.c.styles.Muted.Render(cut(note, f.w)))
	}
	return padLines(lines, f.w, f.h)
}

// top is how many fixed lines (the target's state, the cache-key summary)
// precede the list.
func (f findingsModel) top() int {
	n := len(f.stateLines(f.w))
	if f.rep != nil && f.rep.CacheKey != nil {
		n++
	}
	return n
}

// stateLines say the report's state when it is not ok, with its detail
// (the probe's error text, the statuses seen), so a failed or non-2xx
// target never reads as a clean one.
func (f findingsModel) stateLines(w int) []string {
	if f.rep == nil {
		return nil
	}
	state, detail := reportStateDetail(f.rep)
	if state == cachemodel.StateOK {
		return nil
	}
	style := f.c.styles.Class(string(state.Class()))
	text := "state " + string(state)
	if detail != "" {
		text += ": " + safeLong(detail)
	}
	var out []string
	for i, l := range wrap(text, max(w-2, 8)) {
		pre := "! "
		if i > 0 {
			pre = "  "
		}
		out = append(out, style.Render(pre+l))
	}
	return out
}

// lines renders the pane at width w; all unfolds every finding, otherwise
// only the one under the cursor. sel is the line where that one starts.
func (f findingsModel) lines(w int, all bool) (lines []string, sel int) {
	st := f.c.styles
	lines = append(lines, f.stateLines(w)...)
	if f.rep != nil && f.rep.CacheKey != nil {
		lines = append(lines, st.Muted.Render(cut(f.rep.CacheKey.Line(), w)))
		if all {
			// How the facts were inferred, when there is room for it.
			for _, e := range f.rep.CacheKey.Evidence {
				for i, l := range wrap(safeLong(e), max(w-4, 8)) {
					pre := "    "
					if i == 0 {
						pre = "  • "
					}
					lines = append(lines, st.Muted.Render(pre+l))
				}
			}
		}
	}
	switch {
	case f.rep == nil:
		return append(lines, st.Muted.Render("no report yet")), 0
	case len(f.rep.Findings) == 0:
		switch {
		case f.live: // while probing nothing is known yet: the hint says so
		case reportState(f.rep).Unknown():
			lines = append(lines, st.Muted.Render("no findings, and no complete verdict for this target"))
		default:
			lines = append(lines, st.Muted.Render("no findings for this target"))
		}
		if f.hint != "" {
			for _, l := range wrap(f.hint, w) {
				lines = append(lines, st.Muted.Render(l))
			}
		}
		return lines, 0
	}
	for i, x := range f.rep.Findings {
		cur := "  "
		if i == f.cursor {
			sel = len(lines)
			if f.focused {
				cur = glyphCursor + " "
			}
		}
		sev := "[" + safe(x.Severity.Label()) + "]"
		head := cur + st.Class(string(x.Severity.Class())).Render(fit(sev, 9)) + st.Accent.Render(cut(safe(x.Rule), max(w-11, 4)))
		unfold := all || i == f.cursor
		if !unfold {
			head += st.Text.Render(cut(" — "+safe(x.Message), max(w-11-ansi.StringWidth(safe(x.Rule)), 0)))
		}
		lines = append(lines, head)
		if !unfold {
			continue
		}
		tw := max(w-4, 8)
		for _, l := range wrap(safeLong(x.Message), tw) {
			lines = append(lines, "    "+st.Text.Render(l))
		}
		for _, l := range wrap("fix: "+safeLong(x.Fix), tw) {
			lines = append(lines, "    "+st.Muted.Render(l))
		}
		if i == f.cursor && f.focused {
			lines = append(lines, "    "+st.Muted.Render(cut("enter: evidence and full text · evidence cells are marked "+glyphEvidence+" in the matrix", tw)))
		}
	}
	return lines, sel
}
