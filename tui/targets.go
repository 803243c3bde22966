package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/corscope/corscope/cachemodel"
)

// targetsModel lists the targets with their live state. Only the rows in
// view are drawn, so 10,000 targets cost what 20 do.
type targetsModel struct {
	c       *common
	s       *store
	w, h    int
	focused bool
	filter  string // lower-cased
	visible []int  // target IDs that pass the filter, in order
	cursor  int    // index into visible
	off     int    // first visible row
	spinner string // current spinner frame, set by the root
	changes bool   // diff is on: say how each target changed
}

func newTargets(c *common, s *store) targetsModel {
	t := targetsModel{c: c, s: s}
	t.refilter()
	return t
}

// SetSize sets the content box.
func (t *targetsModel) SetSize(w, h int) {
	t.w, t.h = w, h
	t.follow()
}

// SetFilter keeps the targets that match every word of f (case-insensitive)
// in their URL, their state or their verdict as the list shows them ("high",
// "error", "failed", "non-2xx", "no cors", "stale"); the cursor stays on the
// same target when it still passes.
func (t *targetsModel) SetFilter(f string) {
	t.filter = strings.ToLower(f)
	t.refilter()
}

// Added tells the list a target was appended.
func (t *targetsModel) Added(tg *target) {
	if t.matches(tg) {
		t.visible = append(t.visible, tg.id)
	}
}

// matches reports whether tg passes the filter: each word is found in the
// URL or in the words the list shows for the target.
func (t *targetsModel) matches(tg *target) bool {
	if t.filter == "" {
		return true
	}
	state, _ := t.stateWord(tg)
	verdict, _ := t.verdictWord(tg)
	hay := tg.lower + " " + strings.ToLower(state+" "+verdict)
	for _, w := range strings.Fields(t.filter) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// Refresh re-applies the filter after results changed (a state filter
// follows the probes).
func (t *targetsModel) Refresh() {
	if t.filter != "" {
		t.refilter()
	}
}

func (t *targetsModel) refilter() {
	sel, hadSel := t.SelectedID()
	t.visible = t.visible[:0]
	for _, tg := range t.s.targets {
		if t.matches(tg) {
			t.visible = append(t.visible, tg.id)
		}
	}
	t.cursor = 0
	if hadSel {
		for i, id := range t.visible {
			if id == sel {
				t.cursor = i
				break
			}
		}
	}
	t.follow()
}

// Select puts the cursor on a target; false when it is filtered out.
func (t *targetsModel) Select(id int) bool {
	for i, v := range t.visible {
		if v == id {
			t.cursor = i
			t.follow()
			return true
		}
	}
	return false
}

// SelectedID returns the target under the cursor.
func (t *targetsModel) SelectedID() (int, bool) {
	if t.cursor < 0 || t.cursor >= len(t.visible) {
		return 0, false
	}
	return t.visible[t.cursor], true
}

func (t *targetsModel) follow() {
	t.cursor = clampInt(t.cursor, 0, len(t.visible)-1)
	h := max(t.h, 1)
	if t.cursor < t.off {
		t.off = t.cursor
	}
	if t.cursor >= t.off+h {
		t.off = t.cursor - h + 1
	}
	t.off = clampInt(t.off, 0, max(len(t.visible)-h, 0))
}

// Update moves the cursor.
func (t targetsModel) Update(msg tea.Msg) (targetsModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return t, nil
	}
	cur, moved := t.c.keys.moveLinear(km, t.cursor, max(t.h-1, 1), len(t.visible)-1)
	if !moved {
		return t, nil
	}
	t.cursor = cur
	t.follow()
	return t, nil
}

// ShortHelp lists the pane's own keys.
func (t targetsModel) ShortHelp() []key.Binding {
	k := t.c.keys
	return []key.Binding{k.Up, k.Down, k.Filter, k.Open}
}

// FullHelp is ShortHelp in one group.
func (t targetsModel) FullHelp() [][]key.Binding { return [][]key.Binding{t.ShortHelp()} }

// Title is the pane title: counts and the filter.
func (t targetsModel) Title() string {
	title := "Targets " + strconv.Itoa(len(t.s.targets))
	if t.filter != "" {
		title = "Targets " + strconv.Itoa(len(t.visible)) + " of " + strconv.Itoa(len(t.s.targets)) + " · filter \"" + safe(t.filter) + "\""
	}
	if n := len(t.visible); n > t.h && t.h > 0 {
		// Say which rows are in view: the rest are a scroll away.
		title += " · rows " + strconv.Itoa(t.off+1) + "–" + strconv.Itoa(min(t.off+t.h, n)) + " ▲▼"
	}
	if len(t.s.targets) > 1 && t.s.dir != "" {
		title += " · under " + t.s.dir // shown once, not on every row
	}
	return title
}

// Column widths of a row: cursor, state, provider, severity, then the URL.
const (
	stateColW    = 10
	providerColW = 11
	severityColW = 9 // "canceled" and a space
)

// View draws the rows in view.
func (t targetsModel) View() string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	if len(t.visible) == 0 {
		msg := "no targets: press u to add a URL"
		if len(t.s.targets) > 0 {
			msg = "no target matches the filter; press / then esc to clear it"
		}
		return padLines([]string{t.c.styles.Muted.Render(msg)}, t.w, t.h)
	}
	st := t.c.styles
	showProvider := t.w >= 50
	lines := make([]string, 0, t.h)
	end := min(t.off+t.h, len(t.visible))
	for i := t.off; i < end; i++ {
		tg := t.s.targets[t.visible[i]]
		sel := i == t.cursor
		var b strings.Builder
		if sel {
			b.WriteString(st.Targets.Cursor.Render(glyphCursor + " "))
		} else {
			b.WriteString("  ")
		}
		word, ws := t.stateWord(tg)
		b.WriteString(ws.Render(fit(word, stateColW)))
		used := 2 + stateColW
		if showProvider {
			prov := ""
			if tg.current != nil && tg.current.Provider != "" && tg.current.Provider != cachemodel.ProviderUnknown {
				prov = safe(string(tg.current.Provider))
			}
			b.WriteString(st.Targets.Dim.Render(fit(prov, providerColW)))
			used += providerColW
		}
		sevWord, sevStyle := t.verdictWord(tg)
		b.WriteString(sevStyle.Render(fit(sevWord, severityColW)))
		used += severityColW
		urlStyle := st.Targets.Item
		if sel && t.focused {
			urlStyle = st.Targets.Selected
		}
		// Cut in the middle: the end of a URL tells targets apart
		// (wildcard.json vs wildcard-credentials.json).
		b.WriteString(urlStyle.Render(midFit(t.s.shownLabel(tg), max(t.w-used, 1))))
		lines = append(lines, b.String())
	}
	return padLines(lines, t.w, t.h)
}

// WantedWidth is the width of the widest target row with nothing cut
// (state, provider, severity and the shown name), for the layout.
func (t targetsModel) WantedWidth() int {
	return 2 + stateColW + providerColW + severityColW + t.s.widestShown()
}

// verdictWord is the column after the provider: the worst finding's
// severity, or the report's state when it is not ok (failed, partial,
// non-2xx, no CORS) and no finding is medium or worse, or "ok" only when
// the report's state is ok and nothing was found.
func (t targetsModel) verdictWord(tg *target) (string, lipgloss.Style) {
	st := t.c.styles
	sev := tg.worst()
	if tg.current == nil {
		if tg.state == stateFailed {
			return "failed", st.Targets.Error
		}
		return "", st.Targets.Dim
	}
	state := reportState(tg.current)
	switch {
	case sev != "" && sev.Rank() >= cachemodel.SevMedium.Rank():
		return safe(sev.Label()), st.Class(string(sev.Class()))
	case state != cachemodel.StateOK:
		return state.Short(), st.Class(string(state.Class()))
	case sev != "":
		return safe(sev.Label()), st.Class(string(sev.Class()))
	}
	return "ok", st.Class(string(state.Class()))
}

// reportState is a report's state, derived for a report written before
// states existed.
func reportState(r *cachemodel.TargetReport) cachemodel.TargetState {
	s, _ := reportStateDetail(r)
	return s
}

func reportStateDetail(r *cachemodel.TargetReport) (cachemodel.TargetState, string) {
	if r.State == "" {
		return cachemodel.ComputeState(r.Variants)
	}
	return r.State, r.StateDetail
}

// stateWord is the state as glyph and word: readable without colour.
func (t targetsModel) stateWord(tg *target) (string, lipgloss.Style) {
	st := t.c.styles.Targets
	ch := changeNone
	if t.changes || tg.onlyNew || tg.onlyOld {
		ch = tg.change()
	}
	switch ch {
	case changeAdded:
		return "+ added", st.Item
	case changeRemoved:
		return "- removed", st.Dim
	case changeChanged:
		if !tg.state.running() {
			return glyphChanged + " changed", st.Item
		}
	case changeSame:
		if !tg.state.running() {
			return "= same", st.Dim
		}
	}
	switch tg.state {
	case stateQueued:
		if !tg.startsKnown {
			return "· waiting", st.Dim // the engine does not say whether sent
		}
		if len(tg.inFlight) == 0 {
			return "· queued", st.Dim
		}
		return t.spinner + " " + strconv.Itoa(tg.stepsDone) + "/" + strconv.Itoa(tg.stepsTotal), t.c.styles.StatusBar.Spinner
	case stateProbing:
		return t.spinner + " " + strconv.Itoa(tg.stepsDone) + "/" + strconv.Itoa(tg.stepsTotal), t.c.styles.StatusBar.Spinner
	case stateDone:
		if tg.stale {
			return "◌ stale", st.Dim
		}
		return "✓ done", st.Item
	case stateFailed:
		return "✗ error", st.Error
	case stateCancelled:
		return "■ stopped", st.Dim
	}
	if tg.current != nil {
		return "✓ loaded", st.Item
	}
	return "· idle", st.Dim
}
