package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/themes"
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

// Wanted is how many content rows the pane would like: the cache-key line
// plus a line per finding, plus room to unfold one.
func (f *findingsModel) Wanted() int {
	n := max(f.count(), 1)
	if f.rep != nil && f.rep.CacheKey != nil {
		n++
	}
	if f.focused && f.count() > 0 {
		n += 4
	}
	return n
}

// Update moves the cursor.
func (f findingsModel) Update(msg tea.Msg) (findingsModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, nil
	}
	k := f.c.keys
	switch {
	case key.Matches(km, k.Up):
		f.cursor--
	case key.Matches(km, k.Down):
		f.cursor++
	case key.Matches(km, k.Home):
		f.cursor = 0
	case key.Matches(km, k.End):
		f.cursor = f.count() - 1
	}
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

// View draws the list, unfolding the selected finding when focused.
func (f findingsModel) View() string {
	if f.w <= 0 || f.h <= 0 {
		return ""
	}
	st := f.c.styles
	var lines []string
	if f.rep != nil && f.rep.CacheKey != nil {
		lines = append(lines, st.Muted.Render(cut(cacheKeyLine(f.rep.CacheKey), f.w)))
	}
	switch {
	case f.rep == nil:
		lines = append(lines, st.Muted.Render("no report yet"))
	case len(f.rep.Findings) == 0:
		lines = append(lines, st.Muted.Render("no findings for this target"))
	}
	top := len(lines)
	selLine := 0
	for i, x := range f.count0() {
		sel := i == f.cursor && f.focused
		cur := "  "
		if sel {
			cur = glyphCursor + " "
			selLine = len(lines)
		}
		sev := "[" + strings.ToUpper(safe(string(x.Severity))) + "]"
		head := cur + themes.SeverityStyle(st, string(x.Severity)).Render(fit(sev, 9)) + st.Accent.Render(safe(x.Rule)) + st.Text.Render(" — "+cut(safe(x.Message), max(f.w-14-len(x.Rule), 8)))
		lines = append(lines, head)
		if sel {
			for _, l := range wrap("fix: "+safe(x.Fix), max(f.w-4, 8)) {
				lines = append(lines, "    "+st.Muted.Render(l))
			}
			lines = append(lines, "    "+st.Muted.Render("enter: full text · its evidence is marked "+glyphEvidence+" in the matrix"))
		}
	}
	// Scroll so the unfolded finding is in view, keeping the cache-key line.
	body := f.h - top
	if len(lines)-top > body && body > 0 {
		start := clampInt(selLine-1, top, len(lines)-body)
		lines = append(lines[:top:top], lines[start:]...)
	}
	return padLines(lines, f.w, f.h)
}

func (f findingsModel) count0() []cachemodel.Finding {
	if f.rep == nil {
		return nil
	}
	return f.rep.Findings
}

// cacheKeyLine summarises isolate mode's cache-key inference.
func cacheKeyLine(k *cachemodel.CacheKeyFacts) string {
	yn := func(b *bool) string {
		switch {
		case b == nil:
			return "unknown"
		case *b:
			return "yes"
		}
		return "no"
	}
	return "cache key: Origin in key " + yn(k.OriginInKey) + " · Vary honoured " + yn(k.VaryHonoured) + " · cacheable " + yn(k.Cacheable)
}
