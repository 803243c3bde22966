package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/themes"
)

// handleKey applies keys in a fixed order: the open prompt, the purge
// confirmation, global keys, then the current screen.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	if m.prompt != promptNone {
		return m.handlePromptKey(msg)
	}
	armed := m.quitArmed
	m.quitArmed = false
	if key.Matches(msg, k.Quit) {
		switch {
		case m.screen == screenConfirm:
			// Leaving the confirmation, never the program: a q meant for
			// "no" must not take the purge's outcome with it.
			return m.cancelPurge()
		case msg.String() != "ctrl+c" && !armed && m.busy() != "":
			m.quitArmed = true
			return m.setFlash(flashWarn, m.busy()+": "+k.Quit.Help().Key+" again quits and stops it, any other key stays")
		}
		m.quit()
		return nil
	}
	if !m.ready || m.lay.tooSmall {
		return nil
	}
	if m.screen == screenConfirm {
		return m.handleConfirmKey(msg)
	}
	if action, off := m.disabledMatch(msg); off {
		if why := m.whyOff(action); why != "" {
			return m.setFlash(flashWarn, msg.String()+": "+why)
		}
	}
	switch {
	case key.Matches(msg, k.Help):
		if m.screen == screenHelp {
			m.screen = m.helpFrom
		} else {
			m.helpFrom, m.screen, m.helpOff = m.screen, screenHelp, 0
		}
		return nil
	case key.Matches(msg, k.Theme):
		prev := m.themes[m.themeIdx].Name
		m.themeIdx = (m.themeIdx + 1) % len(m.themes)
		m.applyTheme()
		name := m.themes[m.themeIdx].Name
		return m.setFlash(flashInfo, "theme "+safe(name)+sameLookNote(prev, name, m.darkBackground()))
	}
	switch m.screen {
	case screenHelp:
		if key.Matches(msg, k.Back) {
			m.screen = m.helpFrom
			return nil
		}
		// The movement keys scroll the help whatever the screen it covers
		// enables (their state is that screen's, for the listing).
		probe := *k
		for _, b := range []*key.Binding{&probe.Up, &probe.Down, &probe.PageUp, &probe.PageDown, &probe.Home, &probe.End} {
			b.SetEnabled(true)
		}
		m.helpOff, _ = probe.moveLinear(msg, m.helpOff, max(m.lay.full.h-1, 1), m.helpMaxOff())
		m.helpOff = clampInt(m.helpOff, 0, m.helpMaxOff())
		return nil
	case screenDetail:
		return m.handleDetailKey(msg)
	case screenPurged:
		return m.handlePurgedKey(msg)
	}
	return m.handleMainKey(msg)
}

func (m *Model) quit() {
	m.quitting = true
	for _, r := range m.runs {
		r.cancel()
	}
	m.cancel()
}

func (m *Model) handleDetailKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Back):
		m.screen = screenMain
	case key.Matches(msg, k.CopyCurl):
		if m.detail.curl != "" {
			return copyToClipboard(m.opt.Clipboard, m.opt.ClipboardEnv, "curl command", m.detail.curl)
		}
	case key.Matches(msg, k.ScrollLeft):
		m.detail.ScrollX(-1)
	case key.Matches(msg, k.ScrollRight):
		m.detail.ScrollX(1)
	case m.detailVar && key.Matches(msg, k.Left):
		if m.matrix.Step(-1) {
			m.openVariant(true)
		}
	case m.detailVar && key.Matches(msg, k.Right):
		if m.matrix.Step(1) {
			m.openVariant(true)
		}
	default:
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(msg)
		return cmd
	}
	return nil
}

func (m *Model) handleMainKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	sel := m.selected()
	switch {
	case key.Matches(msg, k.NextPane):
		m.focus = (m.focus + 1) % 3
		if m.lay.compact && m.focus == paneMatrix { // hidden below 80×24
			m.focus = paneFindings
		}
	case key.Matches(msg, k.PrevPane):
		m.focus = (m.focus + 2) % 3
		if m.lay.compact && m.focus == paneMatrix {
			m.focus = paneTargets
		}
	case key.Matches(msg, k.Filter):
		m.focus = paneTargets
		return m.openPrompt(promptFilter, "filter (URL, state or severity words): ", m.targets.filter)
	case key.Matches(msg, k.AddURL):
		return m.openPrompt(promptURL, "add URL: ", "")
	case key.Matches(msg, k.AddOrigin):
		return m.openPrompt(promptOrigin, "add origin: ", "")
	case key.Matches(msg, k.Export):
		if m.exporting {
			return m.setFlash(flashWarn, "an export is still being written; try again when it is done")
		}
		return m.openPrompt(promptExport, "export to (.json, or .md for Markdown): ", exportName(m.opt.ExportDir, m.c.now()))
	case key.Matches(msg, k.Reprobe):
		if sel != nil {
			return m.startRun([]int{sel.id}, m.mode)
		}
	case key.Matches(msg, k.ReprobeAll):
		return m.startRun(m.allIDs(), m.mode)
	case key.Matches(msg, k.Isolate):
		if sel != nil {
			return tea.Batch(m.startRun([]int{sel.id}, ModeIsolate),
				m.setFlash(flashInfo, "running the isolate experiments for this target (fresh cache keys)"))
		}
	case key.Matches(msg, k.Cancel):
		n := 0
		for id, r := range m.runs {
			r.cancel()
			n += m.releaseRun(id)
		}
		return m.setFlash(flashWarn, "cancelled; "+plural(n, "target")+" stopped, their previous results kept")
	case key.Matches(msg, k.Mode):
		i := slices.Index(m.modes, m.mode)
		m.mode = m.modes[(i+1)%len(m.modes)]
		return m.setFlash(flashInfo, "mode "+string(m.mode)+": "+k.Reprobe.Help().Key+" or "+k.ReprobeAll.Help().Key+" probes in this mode")
	case key.Matches(msg, k.Purge):
		return m.startPurgePlan(sel, false)
	case key.Matches(msg, k.PurgeAll):
		return m.startPurgePlan(sel, true)
	case key.Matches(msg, k.Transpose):
		m.matrix.SetTransposed(!m.matrix.transposed)
	case key.Matches(msg, k.Rounds):
		m.rounds = !m.rounds
	case key.Matches(msg, k.Diff):
		m.diff = !m.diff
		if m.diff && sel != nil && sel.previous == nil {
			return m.setFlash(flashWarn, "no previous run of this target yet: press "+k.Reprobe.Help().Key+" to re-probe, then "+k.Diff.Help().Key)
		}
	case key.Matches(msg, k.Open):
		return m.open()
	case key.Matches(msg, k.Back):
		switch {
		case m.targets.filter != "":
			m.targets.SetFilter("")
		case m.focus != paneTargets:
			m.focus = paneTargets
		}
	default:
		var cmd tea.Cmd
		switch m.focus {
		case paneTargets:
			m.targets, cmd = m.targets.Update(msg)
		case paneMatrix:
			m.matrix, cmd = m.matrix.Update(msg)
		case paneFindings:
			m.findings, cmd = m.findings.Update(msg)
		}
		return cmd
	}
	return nil
}

// open is enter: from the targets to the matrix, from the matrix to the
// variant's detail, from the findings to the finding's full text.
func (m *Model) open() tea.Cmd {
	sel := m.selected()
	switch m.focus {
	case paneTargets:
		m.focus = paneMatrix
		if m.lay.compact {
			m.focus = paneFindings
		}
	case paneMatrix:
		if sel != nil {
			if _, ok := m.matrix.Selected(); ok {
				m.openVariant(false)
				m.screen = screenDetail
			}
		}
	case paneFindings:
		if f, ok := m.findings.Selected(); ok && sel != nil {
			m.detail.ShowFinding(sel.raw, *f)
			m.detailVar = false
			m.screen = screenDetail
		}
	}
	return nil
}

func (m *Model) openVariant(keepScroll bool) {
	v, ok := m.matrix.Selected()
	if !ok {
		return
	}
	url := ""
	if m.matrix.rep != nil {
		url = m.matrix.rep.URL
	}
	m.detail.ShowVariant(url, v, m.matrix.SelectedChanges(), keepScroll)
	m.detailVar = true
}

// openPrompt opens the status-bar prompt.
func (m *Model) openPrompt(kind promptKind, label, value string) tea.Cmd {
	m.prompt = kind
	m.input.Prompt = label
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.input.Width = max(m.w-lipglossWidth(label)-2, 10)
	return m.input.Focus()
}

func (m *Model) closePrompt() {
	m.prompt = promptNone
	m.promptErr = ""
	m.input.Blur()
	m.input.Reset()
}

func (m *Model) handlePromptKey(msg tea.KeyMsg) tea.Cmd {
	kind := m.prompt
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Dismiss):
		m.closePrompt()
		switch kind {
		case promptFilter:
			m.targets.SetFilter("")
		case promptPurgeConfirm:
			return m.cancelPurge()
		case promptExportOverwrite:
			return m.setFlash(flashInfo, "export cancelled; "+safe(m.exportPath)+" left as it was")
		}
		return nil
	case key.Matches(msg, k.Interrupt):
		m.quit()
		return nil
	case key.Matches(msg, k.Submit):
		value := strings.TrimSpace(m.input.Value())
		switch kind {
		case promptFilter:
			m.closePrompt()
			return nil
		case promptURL:
			return m.submitURL(value)
		case promptOrigin:
			return m.submitOrigin(value)
		case promptPurgeConfirm:
			return m.submitPurgeConfirm(value)
		case promptExport:
			if value == "" {
				m.promptErr = "give a file name, or " + k.Dismiss.Help().Key + " to cancel"
				return nil
			}
			if _, ok := exportFormat(value); !ok {
				m.promptErr = "the name must end in .json or .md (the format follows it)"
				return nil
			}
			m.closePrompt()
			m.exporting = true
			return exportReport(value, m.s.reports(), report.Options{Tool: m.tool(), Mode: string(m.mode)}, false)
		case promptExportOverwrite:
			m.closePrompt()
			switch strings.ToLower(value) {
			case "y", "yes":
				m.exporting = true
				return exportReport(m.exportPath, m.s.reports(), report.Options{Tool: m.tool(), Mode: string(m.mode)}, true)
			}
			return m.setFlash(flashInfo, "export cancelled; "+safe(m.exportPath)+" left as it was")
		}
	}
	var cmd tea.Cmd
	m.promptErr = ""
	m.input, cmd = m.input.Update(msg)
	if kind == promptFilter {
		m.targets.SetFilter(m.input.Value())
	}
	return cmd
}

func (m *Model) tool() string {
	if m.opt.Tool != "" {
		return m.opt.Tool
	}
	return "corscope"
}

func (m *Model) submitURL(value string) tea.Cmd {
	if value != "" && !strings.Contains(value, "://") {
		// url.Parse's own words for "host:port/path" are confusing.
		m.promptErr = "no scheme: start with https:// or http://"
		return nil
	}
	u, err := cachemodel.ParseTargetURL(value)
	if err != nil {
		m.promptErr = refusal(err, value)
		return nil
	}
	m.closePrompt()
	t, fresh := m.s.add(u.String(), u)
	if !fresh {
		m.targets.Select(t.id)
		return m.setFlash(flashWarn, "already listed: "+t.label)
	}
	m.targets.Added(t)
	var cmds []tea.Cmd
	if !m.targets.Select(t.id) {
		cmds = append(cmds, m.setFlash(flashInfo, "added "+t.label+" (hidden by the filter)"))
	} else {
		cmds = append(cmds, m.setFlash(flashInfo, "added "+t.label))
	}
	m.relayout()
	cmds = append(cmds, m.startRun([]int{t.id}, m.mode))
	return tea.Batch(cmds...)
}

func (m *Model) submitOrigin(value string) tea.Cmd {
	o, err := cachemodel.ParseOrigin(value)
	if err != nil {
		m.promptErr = refusal(err, value)
		return nil
	}
	m.closePrompt()
	if slices.Contains(m.origins, o) {
		return m.setFlash(flashWarn, "origin already configured: "+safe(o))
	}
	m.origins = append(m.origins, o)
	k := m.c.keys
	return m.setFlash(flashInfo, "added origin "+safe(o)+": "+k.Reprobe.Help().Key+" re-probes this target with it, "+k.ReprobeAll.Help().Key+" every target")
}

// refusal words a validation error for the prompt line, where the value
// is already visible: the quoted echo of it is dropped to save room.
func refusal(err error, value string) string {
	msg := err.Error()
	q := strconv.Quote(value)
	msg = strings.Replace(msg, " "+q, "", 1)
	if strings.HasPrefix(msg, q+" ") {
		msg = "this " + strings.TrimPrefix(msg, q+" ")
	}
	return safe(msg)
}

// sameLookNote explains a theme switch that changes nothing on screen: the
// default theme adapts to the terminal's background, so on a dark terminal
// it is the dark theme (and on a light one, the light theme).
func sameLookNote(prev, next string, dark bool) string {
	twin := themes.NameLight
	if dark {
		twin = themes.NameDark
	}
	if (prev == themes.NameDefault && next == twin) || (prev == twin && next == themes.NameDefault) {
		return " (same colours as " + prev + " here: default follows the terminal's " + map[bool]string{true: "dark", false: "light"}[dark] + " background)"
	}
	return ""
}

// darkBackground reports what the renderer detected (read once by cmd
// before the program starts); without a renderer, dark, lipgloss's own
// assumption, rather than querying the terminal mid-program.
func (m *Model) darkBackground() bool {
	if m.opt.Renderer == nil {
		return true
	}
	return m.opt.Renderer.HasDarkBackground()
}

// busy says what quitting now would stop ("" when nothing is in flight).
func (m *Model) busy() string {
	switch {
	case m.purge.running:
		return "a purge is running (its verification would be lost)"
	case len(m.runs) > 0:
		return "probes are running"
	}
	return ""
}
