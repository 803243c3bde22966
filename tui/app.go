package tui

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/themes"
)

// screen is what fills the body.
type screen int

const (
	screenMain    screen = iota // targets, matrix, findings
	screenDetail                // one variant or finding, full size
	screenHelp                  // every key
	screenConfirm               // the purge plan, waiting for y or n
)

// pane is the main screen's focused pane.
type pane int

const (
	paneTargets pane = iota
	paneMatrix
	paneFindings
)

// promptKind is the text prompt open in the status bar, if any.
type promptKind int

const (
	promptNone promptKind = iota
	promptFilter
	promptURL
	promptOrigin
	promptExport
)

// flashLevel ranks status messages; each has a glyph so it reads without
// colour.
type flashLevel int

const (
	flashInfo flashLevel = iota
	flashOK
	flashWarn
	flashError
)

type flash struct {
	level flashLevel
	text  string // already safe
	seq   int
}

// Model is the root: it owns the targets, the runs and the children, and
// routes every message.
type Model struct {
	c        *common
	opt      Options
	s        *store
	runs     map[uint64]*run
	lastRun  uint64
	ctx      context.Context
	cancel   context.CancelFunc
	readOnly bool

	w, h  int
	ready bool
	lay   layout

	screen   screen
	focus    pane
	targets  targetsModel
	matrix   matrixModel
	findings findingsModel
	detail   detailModel
	help     help.Model
	spin     spinner.Model
	spinning bool

	prompt    promptKind
	input     textinput.Model
	promptErr string // why the last submission was refused (safe)
	flash     flash

	mode     Mode
	modes    []Mode
	origins  []string
	themes   []Theme
	themeIdx int
	rounds   bool
	diff     bool

	purgeSeq    int
	purgeTarget int
	purgeBusy   bool

	shown     shownState // what the matrix was last synced with
	helpFrom  screen     // the screen the help was opened from
	quitting  bool
	detailVar bool // the detail screen shows a variant (not a finding)
}

// shownState is the identity of what the matrix and findings show, so they
// are rebuilt only when it changes.
type shownState struct {
	id        int
	ok        bool
	cur, prev *cachemodel.TargetReport
	opt       gridOptions
	finding   int
	highlight bool
}

// New builds the root model. It does no I/O: probing starts in Init.
func New(opt Options) Model {
	km := DefaultKeyMap()
	if opt.Keys != nil {
		km = *opt.Keys
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Analyze == nil {
		opt.Analyze = func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
			return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
		}
	}
	if opt.ClipboardEnv == nil {
		opt.ClipboardEnv = func(string) string { return "" }
	}
	parent := opt.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	m := Model{
		opt:      opt,
		s:        newStore(),
		runs:     map[uint64]*run{},
		ctx:      ctx,
		cancel:   cancel,
		readOnly: opt.Engine == nil,
		origins:  append([]string(nil), opt.Origins...),
		modes:    opt.Modes,
		themes:   opt.Themes,
	}
	if len(m.modes) == 0 {
		m.modes = []Mode{ModeObserve}
	}
	m.mode = opt.Mode
	if m.mode == "" || !slices.Contains(m.modes, m.mode) {
		m.mode = m.modes[0]
	}
	if len(m.themes) == 0 {
		m.themes = defaultThemes()
	}
	for i, t := range m.themes {
		if t.Name == opt.Theme {
			m.themeIdx = i
		}
	}
	m.c = &common{keys: &km, now: opt.Now, renderer: opt.Renderer, after: realAfter}
	m.help = help.New()
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.applyTheme()

	for _, u := range opt.URLs {
		m.s.add(u.String(), u)
	}
	m.loadReports(opt.Reports, opt.Previous)

	m.targets = newTargets(m.c, m.s)
	m.matrix = newMatrix(m.c)
	m.findings = newFindings(m.c)
	m.detail = newDetail(m.c)
	m.input = textinput.New()
	m.input.CharLimit = 2048
	// A static cursor needs no blink timer: fewer moving parts, stable
	// test output.
	m.input.Cursor.SetMode(cursor.CursorStatic)
	m.diff = len(opt.Previous) > 0
	m.syncKeys()
	m.syncSelection()
	return m
}

// loadReports fills the store from saved reports: cur are shown, prev
// (matched by URL) are what d compares them with.
func (m *Model) loadReports(cur, prev []cachemodel.TargetReport) {
	for i := range cur {
		r := cur[i]
		t, _ := m.s.add(r.URL, nil)
		t.current = &r
		t.state = stateIdle
	}
	if len(prev) == 0 {
		return
	}
	for _, t := range m.s.targets {
		t.change = changeAdded
	}
	for i := range prev {
		r := prev[i]
		t, fresh := m.s.add(r.URL, nil)
		t.previous = &r
		if fresh {
			t.change = changeRemoved
			continue
		}
		t.change = changeOf(t.current, t.previous)
	}
}

// changeOf compares two reports of one target as the diff view would.
func changeOf(cur, prev *cachemodel.TargetReport) change {
	switch {
	case cur == nil && prev == nil:
		return changeNone
	case cur == nil:
		return changeRemoved
	case prev == nil:
		return changeAdded
	}
	g := buildGrid(cur, prev, gridOptions{diff: true})
	if g.changed > 0 || g.gone > 0 {
		return changeChanged
	}
	for _, c := range g.cols {
		if c.fresh {
			return changeChanged
		}
	}
	if len(cur.Findings) != len(prev.Findings) {
		return changeChanged
	}
	return changeSame
}

func (m *Model) applyTheme() {
	m.c.styles = themes.NewStyles(m.opt.Renderer, m.themes[m.themeIdx].Palette)
	m.help.Styles = m.c.styles.Help
	m.spin.Style = m.c.styles.StatusBar.Spinner
}

// Init starts probing every target given on the command line.
func (m Model) Init() tea.Cmd {
	if m.readOnly || len(m.s.targets) == 0 {
		return nil
	}
	return m.startProbeAllCmd()
}

// startProbeAllCmd is Init's run. Init cannot change the model, so the run
// is registered by the message it returns.
func (m Model) startProbeAllCmd() tea.Cmd {
	return func() tea.Msg { return startRunMsg{all: true} }
}

// startRunMsg asks Update to start a run; Init uses it because Init cannot
// modify the model.
type startRunMsg struct{ all bool }

// Update routes every message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h, m.ready = msg.Width, msg.Height, true
		m.relayout()
	case startRunMsg:
		cmds = append(cmds, m.startRun(m.allIDs(), m.mode))
	case runEventsMsg:
		cmds = append(cmds, m.applyRunEvents(msg))
	case runFinishedMsg:
		cmds = append(cmds, m.finishRun(msg.RunID))
	case spinTickMsg:
		if len(m.runs) == 0 {
			m.spinning = false
			break
		}
		// The spinner's own follow-up tick is dropped: tickSpinner paces it.
		m.spin, _ = m.spin.Update(spinner.TickMsg{ID: m.spin.ID(), Time: m.c.now()})
		cmds = append(cmds, tickSpinner(m.c, m.spin.Spinner.FPS))
	case statusClearedMsg:
		if msg.Seq == m.flash.seq {
			m.flash = flash{seq: m.flash.seq}
		}
	case exportDoneMsg:
		if msg.Err != nil {
			cmds = append(cmds, m.setFlash(flashError, "export failed: "+safe(msg.Err.Error())))
		} else {
			cmds = append(cmds, m.setFlash(flashOK, "exported "+plural(msg.Targets, "target")+" to "+safe(msg.Path)))
		}
	case clipboardDoneMsg:
		if msg.Err != nil {
			cmds = append(cmds, m.setFlash(flashError, "could not copy: "+safe(msg.Err.Error())))
		} else {
			cmds = append(cmds, m.setFlash(flashOK, "copied the "+msg.What+" to the clipboard (OSC 52; the terminal must allow it)"))
		}
	case purgePlanMsg:
		cmds = append(cmds, m.onPurgePlan(msg))
	case purgeDoneMsg:
		cmds = append(cmds, m.onPurgeDone(msg))
	case tea.KeyMsg:
		// Bubble Tea reports runes that arrive in one read (fast typing,
		// tmux send-keys) as one message; outside a prompt each is a key.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && m.prompt == promptNone {
			for _, r := range msg.Runes {
				cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
				m.syncKeys()
				m.syncSelection()
			}
			break
		}
		cmds = append(cmds, m.handleKey(msg))
	default:
		if m.prompt != promptNone {
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			cmds = append(cmds, cmd)
		}
	}
	m.syncKeys()
	m.syncSelection()
	if m.quitting {
		return m, tea.Quit
	}
	return m, tea.Batch(cmds...)
}

// handleKey applies keys in a fixed order: the open prompt, the purge
// confirmation, global keys, then the current screen.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	if m.prompt != promptNone {
		return m.handlePromptKey(msg)
	}
	if key.Matches(msg, k.Quit) {
		m.quit()
		return nil
	}
	if !m.ready || m.lay.tooSmall {
		return nil
	}
	if m.screen == screenConfirm {
		return m.handleConfirmKey(msg)
	}
	switch {
	case key.Matches(msg, k.Help):
		if m.screen == screenHelp {
			m.screen = m.helpFrom
		} else {
			m.helpFrom, m.screen = m.screen, screenHelp
		}
		return nil
	case key.Matches(msg, k.Theme):
		m.themeIdx = (m.themeIdx + 1) % len(m.themes)
		m.applyTheme()
		return m.setFlash(flashInfo, "theme "+safe(m.themes[m.themeIdx].Name))
	}
	switch m.screen {
	case screenHelp:
		if key.Matches(msg, k.Back) {
			m.screen = m.helpFrom
		}
		return nil
	case screenDetail:
		return m.handleDetailKey(msg)
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
	case key.Matches(msg, k.PrevPane):
		m.focus = (m.focus + 2) % 3
	case key.Matches(msg, k.Filter):
		m.focus = paneTargets
		return m.openPrompt(promptFilter, "filter: ", m.targets.filter)
	case key.Matches(msg, k.AddURL):
		return m.openPrompt(promptURL, "add URL: ", "")
	case key.Matches(msg, k.AddOrigin):
		return m.openPrompt(promptOrigin, "add origin: ", "")
	case key.Matches(msg, k.Export):
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
		return m.setFlash(flashInfo, "mode "+string(m.mode)+": r or R probes in this mode")
	case key.Matches(msg, k.Purge):
		if sel != nil && sel.current != nil && m.opt.Purger != nil {
			m.purgeSeq++
			m.purgeTarget = sel.id
			m.purgeBusy = true
			return tea.Batch(planPurge(m.ctx, m.opt.Purger, m.purgeSeq, sel.id, *sel.current),
				m.setFlash(flashInfo, "working out the purge plan…"))
		}
	case key.Matches(msg, k.Transpose):
		m.matrix.SetTransposed(!m.matrix.transposed)
	case key.Matches(msg, k.Rounds):
		m.rounds = !m.rounds
	case key.Matches(msg, k.Diff):
		m.diff = !m.diff
		if m.diff {
			m.refreshChanges()
		}
		if m.diff && sel != nil && sel.previous == nil {
			return m.setFlash(flashWarn, "no previous run of this target yet: press r to re-probe, then d")
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
	m.detail.ShowVariant(url, v, keepScroll)
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
		if kind == promptFilter {
			m.targets.SetFilter("")
		}
		m.closePrompt()
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
		case promptExport:
			if value == "" {
				m.promptErr = "give a file name, or esc to cancel"
				return nil
			}
			m.closePrompt()
			return exportReport(value, m.s.reports(), report.Options{Tool: m.tool(), Mode: string(m.mode)})
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
	return m.setFlash(flashInfo, "added origin "+safe(o)+": r re-probes this target with it, R every target")
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

func (m *Model) handleConfirmKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Confirm):
		m.screen = screenMain
		t := m.s.targets[m.purgeTarget]
		if t.current == nil || m.opt.Purger == nil {
			return nil
		}
		m.purgeSeq++
		m.purgeBusy = true
		return tea.Batch(runPurge(m.ctx, m.opt.Purger, m.purgeSeq, t.id, *t.current),
			m.setFlash(flashInfo, "purging…"))
	case key.Matches(msg, k.Deny):
		m.screen = screenMain
		return m.setFlash(flashInfo, "purge cancelled; nothing was sent")
	default:
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(msg)
		return cmd
	}
}

func (m *Model) onPurgePlan(msg purgePlanMsg) tea.Cmd {
	if msg.Seq != m.purgeSeq {
		return nil
	}
	m.purgeBusy = false
	if msg.Err != nil {
		return m.setFlash(flashError, "cannot purge: "+safe(msg.Err.Error()))
	}
	t := m.s.targets[msg.Target]
	m.detail.ShowText("Purge "+t.label+"? y purges, n cancels", msg.Lines)
	m.detailVar = false
	m.screen = screenConfirm
	return nil
}

func (m *Model) onPurgeDone(msg purgeDoneMsg) tea.Cmd {
	if msg.Seq != m.purgeSeq {
		return nil
	}
	m.purgeBusy = false
	if msg.Err != nil {
		return m.setFlash(flashError, "purge failed: "+safe(msg.Err.Error()))
	}
	return m.setFlash(flashOK, safe(msg.Summary)+" · press r to re-probe")
}

// setFlash shows a status message and schedules its removal.
func (m *Model) setFlash(level flashLevel, text string) tea.Cmd {
	seq := m.flash.seq + 1
	m.flash = flash{level: level, text: text, seq: seq}
	return clearStatusAfter(m.c, seq, statusTimeout)
}

func (m *Model) allIDs() []int {
	ids := make([]int, len(m.s.targets))
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// selected is the target under the targets cursor.
func (m *Model) selected() *target {
	id, ok := m.targets.SelectedID()
	if !ok {
		return nil
	}
	return m.s.targets[id]
}

// startRun claims the targets for a new run and starts it. A target that
// an older run still owed an answer is taken over: that run's later events
// for it are stale, and a run left owning nothing is cancelled.
func (m *Model) startRun(ids []int, mode Mode) tea.Cmd {
	if m.readOnly || len(ids) == 0 {
		return nil
	}
	m.lastRun++
	ctx, cancel := context.WithCancel(m.ctx)
	r := &run{id: m.lastRun, targets: ids, cancel: cancel, events: make(chan runEvent, 256), owned: len(ids), total: len(ids)}
	reqs := make([]PlanRequest, len(ids))
	origins := append([]string(nil), m.origins...)
	for i, id := range ids {
		t := m.s.targets[id]
		if t.state.running() {
			if old, ok := m.runs[t.runID]; ok {
				old.owned--
				if old.owned <= 0 {
					old.cancel()
					delete(m.runs, old.id)
				}
			}
		}
		t.runID, t.state, t.stepsDone, t.stepsTotal, t.mode, t.err = r.id, stateQueued, 0, 0, mode, ""
		u := t.url
		reqs[i] = PlanRequest{URL: u, Mode: mode, Origins: origins}
	}
	m.runs[r.id] = r
	in := runInputs{engine: m.opt.Engine, plan: m.opt.Plan, analyze: m.opt.Analyze, reqs: reqs}
	cmds := []tea.Cmd{startStream(ctx, in, r.events), waitForRunEvents(r.id, r.events)}
	if !m.spinning {
		m.spinning = true
		cmds = append(cmds, tickSpinner(m.c, m.spin.Spinner.FPS))
	}
	return tea.Batch(cmds...)
}

func (m *Model) applyRunEvents(msg runEventsMsg) tea.Cmd {
	r, ok := m.runs[msg.RunID]
	if !ok {
		return nil // cancelled or superseded: drop, and stop reading it
	}
	var cmds []tea.Cmd
	for _, e := range msg.Events {
		if e.Kind == eventRunError {
			cmds = append(cmds, m.setFlash(flashError, "run failed: "+safe(e.Err)))
			continue
		}
		if e.Target < 0 || e.Target >= len(r.targets) {
			continue
		}
		t := m.s.targets[r.targets[e.Target]]
		if t.runID != r.id || !t.state.running() {
			continue // stale: a newer run owns this target
		}
		switch e.Kind {
		case eventObserved:
			t.state = stateProbing
			t.stepsDone++
			t.stepsTotal = e.Steps
		case eventReport:
			if t.current != nil {
				t.previous = t.current
			}
			t.current = e.Report
			t.state = stateDone
			if failed, why := allFailed(e.Report); failed {
				t.state, t.err = stateFailed, why
			}
			if m.diff {
				t.change = changeOf(t.current, t.previous)
			} else {
				t.change = changeNone
			}
			r.owned--
		case eventCancelled:
			t.state = stateCancelled
			r.owned--
		case eventPlanError:
			t.state, t.err = stateFailed, e.Err
			r.owned--
		}
	}
	cmds = append(cmds, waitForRunEvents(r.id, r.events))
	return tea.Batch(cmds...)
}

// finishRun drops a run whose channel closed; targets it still owed an
// answer are marked stopped. A re-probe says how to compare.
func (m *Model) finishRun(id uint64) tea.Cmd {
	r, ok := m.runs[id]
	if !ok {
		return nil
	}
	again := 0
	for _, tid := range r.targets {
		if t := m.s.targets[tid]; t.runID == id && t.state == stateDone && t.previous != nil {
			again++
		}
	}
	m.releaseRun(id)
	if again == 0 || m.flash.level == flashError && m.flash.text != "" {
		return nil
	}
	return m.setFlash(flashOK, "re-probed "+plural(again, "target")+" · d diffs against the previous run")
}

// releaseRun forgets a run and stops its remaining targets; it returns how
// many were still waiting.
func (m *Model) releaseRun(id uint64) int {
	r := m.runs[id]
	n := 0
	for _, tid := range r.targets {
		t := m.s.targets[tid]
		if t.runID == id && t.state.running() {
			t.state = stateCancelled
			n++
		}
	}
	r.cancel()
	delete(m.runs, id)
	return n
}

// refreshChanges recomputes every target's change marker for the diff.
func (m *Model) refreshChanges() {
	for _, t := range m.s.targets {
		if t.change == changeAdded || t.change == changeRemoved {
			continue
		}
		if t.current != nil && t.previous != nil {
			t.change = changeOf(t.current, t.previous)
		}
	}
}

// relayout recomputes the boxes from measured chrome heights and hands
// each child its size.
func (m *Model) relayout() {
	if !m.ready {
		return
	}
	m.lay = m.wantedLayout()
	if m.lay.tooSmall {
		return
	}
	m.targets.SetSize(m.lay.targets.w, m.lay.targets.h)
	m.matrix.SetSize(m.lay.matrix.w, m.lay.matrix.h)
	m.findings.SetSize(m.lay.findings.w, m.lay.findings.h)
	m.detail.SetSize(m.lay.full.w, m.lay.full.h)
	m.help.Width = m.w
	m.input.Width = max(m.w-lipglossWidth(m.input.Prompt)-2, 10)
}

// wantedLayout lays the screen out for the current content, from the
// measured heights of the chrome.
func (m *Model) wantedLayout() layout {
	headerH := lipgloss.Height(m.headerView())
	statusH := lipgloss.Height(m.statusView())
	titleH := lipgloss.Height(paneTitle(m.c, "x", false, 10))
	sepW := lipgloss.Width(m.separator())
	_, rightW := paneWidths(m.w, sepW)
	want := wants{targets: len(m.targets.visible), matrix: m.matrix.Wanted(), findings: m.findings.Wanted(rightW), matrixW: m.matrix.WantedWidth()}
	if want.matrixW == 0 {
		// No report yet: guess an observe matrix (no Origin, the origins,
		// same-origin, null), so the layout does not flip when one comes.
		want.matrixW = maxLabelWidth + 2 + (len(m.origins)+3)*(maxColWidth-6)
	}
	return computeLayout(m.w, m.h, headerH, statusH, titleH, sepW, want)
}

func (m *Model) separator() string { return m.c.styles.Muted.Render("│") }

func lipglossWidth(s string) int { return lipgloss.Width(s) }

// syncSelection pushes the selected target into the matrix and findings
// when it, its reports, or the toggles changed, and the focus state into
// every child.
func (m *Model) syncSelection() {
	m.targets.focused = m.screen == screenMain && m.focus == paneTargets
	m.matrix.focused = m.screen == screenMain && m.focus == paneMatrix
	m.findings.focused = m.screen == screenMain && m.focus == paneFindings
	m.targets.spinner = m.spin.View()

	t := m.selected()
	next := shownState{opt: gridOptions{rounds: m.rounds, diff: m.diff}}
	if t != nil {
		next.id, next.ok = t.id, true
		next.cur, next.prev = t.current, t.previous
		if next.cur == nil && t.change == changeRemoved {
			next.cur, next.prev = t.previous, nil
		}
	}
	next.finding = m.findings.cursor
	next.highlight = m.findings.focused
	prev := m.shown
	if next.id != prev.id || next.ok != prev.ok || next.cur != prev.cur || next.prev != prev.prev {
		m.matrix.SetReport(next.cur, next.prev, "")
		m.findings.SetReport(next.cur)
		next.finding = m.findings.cursor
		prev.highlight = !next.highlight // force the highlight below
	}
	if next.opt != prev.opt {
		m.matrix.SetOptions(next.opt)
		prev.highlight = !next.highlight
	}
	if next.finding != prev.finding || next.highlight != prev.highlight {
		if f, ok := m.findings.Selected(); ok && next.highlight {
			m.matrix.Highlight(f)
		} else {
			m.matrix.Highlight(nil)
		}
	}
	m.shown = next
	if t != nil {
		m.matrix.SetEmpty(m.emptyMatrixText(t))
	}
	m.findings.hint = ""
	if k := m.c.keys.Isolate; k.Enabled() && next.cur != nil && !isolateReport(next.cur) {
		m.findings.hint = "observe mode only sees what the cache serves now; " + k.Help().Key + " runs the isolate experiments on fresh cache keys to diagnose it"
	}
	if m.ready && !m.lay.tooSmall && m.wantedLayout() != m.lay {
		m.relayout() // panes follow their content
	}
}

// isolateReport reports whether a report holds isolate experiments.
func isolateReport(r *cachemodel.TargetReport) bool {
	for _, v := range r.Variants {
		if v.Experiment != "" {
			return true
		}
	}
	return false
}

// emptyMatrixText explains an empty matrix in words.
func (m *Model) emptyMatrixText(t *target) string {
	switch t.state {
	case stateQueued:
		return "queued: waiting for a free probe slot…"
	case stateProbing:
		return m.spin.View() + " probing: " + plural(t.stepsDone, "request") + " of " + itoa(t.stepsTotal) + " done…"
	case stateFailed:
		return "✗ " + safe(t.err)
	case stateCancelled:
		return "■ stopped before it finished; press r to probe again"
	}
	if m.readOnly {
		return "no result for this target in the report"
	}
	return "not probed yet: press r"
}

// syncKeys enables exactly the keys that do something now, so the help
// lists only those.
func (m *Model) syncKeys() {
	k := m.c.keys
	sel := m.selected()
	// The help lists the keys of the screen it covers.
	base := m.screen
	if base == screenHelp {
		base = m.helpFrom
	}
	main := base == screenMain
	detail := base == screenDetail
	hasSel := sel != nil
	hasRep := hasSel && m.matrix.rep != nil
	live := !m.readOnly
	focusM := main && m.focus == paneMatrix
	focusF := main && m.focus == paneFindings
	moving := main || detail || base == screenConfirm

	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End} {
		b.SetEnabled(moving)
	}
	k.Left.SetEnabled(focusM || (detail && m.detailVar))
	k.Right.SetEnabled(focusM || (detail && m.detailVar))
	k.NextPane.SetEnabled(main)
	k.PrevPane.SetEnabled(main)
	k.Open.SetEnabled(main && (m.focus == paneTargets && hasSel || focusM && hasRep || focusF && m.findings.count() > 0))
	k.Back.SetEnabled(m.screen != screenMain || m.targets.filter != "" || m.focus != paneTargets)
	k.Filter.SetEnabled(main && len(m.s.targets) > 0)
	k.AddURL.SetEnabled(main && live)
	k.AddOrigin.SetEnabled(main && live)
	k.Reprobe.SetEnabled(main && live && hasSel)
	k.ReprobeAll.SetEnabled(main && live && len(m.s.targets) > 0)
	k.Cancel.SetEnabled(main && len(m.runs) > 0)
	k.Mode.SetEnabled(main && live && len(m.modes) > 1)
	k.Isolate.SetEnabled(main && live && hasSel && slices.Contains(m.modes, ModeIsolate))
	k.Purge.SetEnabled(main && live && m.opt.Purger != nil && hasSel && sel.current != nil && !m.purgeBusy)
	k.Transpose.SetEnabled(main && hasRep)
	k.Rounds.SetEnabled(main && hasRep)
	k.Diff.SetEnabled(main && hasSel && (sel.previous != nil || m.diff))
	k.Export.SetEnabled(main && m.hasAnyReport())
	k.CopyCurl.SetEnabled(detail && m.detail.curl != "" && m.opt.Clipboard != nil)
	k.Theme.SetEnabled(len(m.themes) > 1)
	k.Help.SetEnabled(true)
	k.Quit.SetEnabled(true)
	k.Confirm.SetEnabled(m.screen == screenConfirm)
	k.Deny.SetEnabled(m.screen == screenConfirm)
	prompt := m.prompt != promptNone
	k.Submit.SetEnabled(prompt)
	k.Dismiss.SetEnabled(prompt)
	k.Interrupt.SetEnabled(prompt)
}

func (m *Model) hasAnyReport() bool {
	for _, t := range m.s.targets {
		if t.current != nil {
			return true
		}
	}
	return false
}

// ShortHelp is the status bar's key list for the current screen and pane.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.keys
	switch m.screen {
	case screenHelp:
		return []key.Binding{k.Back, k.Help, k.Quit}
	case screenDetail:
		return append(m.detail.ShortHelp(), k.Help, k.Quit)
	case screenConfirm:
		return []key.Binding{k.Confirm, k.Deny, k.Up, k.Down}
	}
	var own []key.Binding
	switch m.focus {
	case paneTargets:
		own = m.targets.ShortHelp()
	case paneMatrix:
		own = m.matrix.ShortHelp()
	case paneFindings:
		own = m.findings.ShortHelp()
	}
	return append(own, k.NextPane, k.Reprobe, k.Diff, k.Help, k.Quit)
}

// FullHelp is every binding, grouped; disabled ones are left out by the
// help renderer.
func (m Model) FullHelp() [][]key.Binding { return m.c.keys.FullHelp() }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
