package tui

import (
	"context"
	"slices"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/themes"
)

// screen is what fills the body.
type screen int

const (
	screenMain    screen = iota // targets, matrix, findings
	screenDetail                // one variant or finding, full size
	screenHelp                  // every key
	screenConfirm               // the purge plan, waiting for y or n (or the typed zone)
	screenPurged                // a purge's outcome: before and after per variant
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
	promptExportOverwrite // the export's file exists: y replaces it
	promptPurgeConfirm    // purge everything: type the zone or service ID
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

	exporting  bool   // an export is being written; the next waits for it
	exportPath string // the existing file the overwrite prompt asks about

	purge purgeScreen // the purge being planned, confirmed or run, and its screen

	shown     shownState // what the matrix was last synced with
	helpFrom  screen     // the screen the help was opened from
	helpOff   int        // the help's scroll offset
	hw        wants      // the largest pane contents seen at hwSize (layout.go)
	hwSize    [2]int
	quitting  bool
	quitArmed bool // q was pressed while busy; the next q quits
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
	live      bool // cur is a probe's answers so far
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
	m.purge = newPurgeScreen(m.c)
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
		t.onlyNew = true
	}
	for i := range prev {
		r := prev[i]
		t, fresh := m.s.add(r.URL, nil)
		t.previous = &r
		t.onlyNew = false
		t.onlyOld = fresh
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
		m.exporting = false
		if msg.Exists {
			if m.prompt != promptNone {
				// Never take over a prompt the user opened meanwhile.
				cmds = append(cmds, m.setFlash(flashWarn, safe(msg.Path)+" exists; nothing was written (export again to replace it)"))
				break
			}
			m.exportPath = msg.Path
			cmds = append(cmds, m.openPrompt(promptExportOverwrite, safe(msg.Path)+" exists; replace it? [y/N]: ", ""))
			break
		}
		if msg.Err != nil {
			cmds = append(cmds, m.setFlash(flashError, "export failed: "+safe(msg.Err.Error())))
		} else {
			cmds = append(cmds, m.setFlash(flashOK, "exported "+plural(msg.Targets, "target")+" to "+safe(msg.Path)))
		}
	case clipboardDoneMsg:
		if msg.Err != nil {
			cmds = append(cmds, m.setFlash(flashError, "could not copy: "+safe(msg.Err.Error())))
		} else {
			// Nothing answers an OSC 52, so this says "sent", not "copied".
			text := msg.What + " sent to the terminal clipboard"
			if msg.InTmux { // short enough for an 80-column status line
				text = "sent to the terminal clipboard · tmux needs set-clipboard on"
			}
			cmds = append(cmds, m.setFlash(flashOK, text))
		}
	case purgePlanMsg:
		cmds = append(cmds, m.onPurgePlan(msg))
	case purgeDoneMsg:
		cmds = append(cmds, m.onPurgeDone(msg))
	case purgeProgressMsg:
		cmds = append(cmds, m.onPurgeProgress(msg))
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
	m.purge.SetSize(m.lay.full.w, m.lay.full.h)
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
	// High-water marks per terminal size: a pane grows for a bigger
	// target and keeps that size, so moving between targets never
	// reshuffles the screen.
	if m.hwSize != [2]int{m.w, m.h} {
		m.hwSize, m.hw = [2]int{m.w, m.h}, wants{}
	}
	// The layout is chosen for an observe matrix of the configured
	// origins (no Origin, the origins, same-origin, null), not for what
	// is on screen, so x (28 isolate columns) does not flip it.
	matrixW := maxLabelWidth + 2 + (len(m.origins)+3)*(maxColWidth-6)
	m.hw.targetsW = max(m.hw.targetsW, m.targets.WantedWidth())
	_, rightW := paneWidths(m.w, sepW, wants{matrixW: matrixW, targetsW: m.hw.targetsW})
	m.hw.matrix = max(m.hw.matrix, m.matrix.Wanted())
	if !m.findings.live { // a probe's progress note is no content to keep room for
		m.hw.findings = max(m.hw.findings, m.findings.Wanted(rightW))
	}
	want := wants{targets: len(m.targets.visible), matrix: m.hw.matrix, findings: m.hw.findings,
		matrixW: matrixW, targetsW: m.hw.targetsW}
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
	m.targets.changes = m.diff

	t := m.selected()
	next := shownState{opt: gridOptions{rounds: m.rounds, diff: m.diff}}
	if t != nil {
		next.id, next.ok = t.id, true
		next.cur, next.prev = t.current, t.previous
		if next.cur == nil && t.onlyOld {
			next.cur, next.prev = t.previous, nil
		}
		if live := t.liveReport(); live != nil {
			// The answers so far, each column as it completes.
			next.cur, next.prev, next.live = live, nil, true
		}
	}
	next.finding = m.findings.cursor
	next.highlight = m.findings.focused
	prev := m.shown
	if next.id != prev.id || next.ok != prev.ok || next.cur != prev.cur || next.prev != prev.prev {
		if prev.live && !next.live {
			// The finished result opens like any new one (on its first
			// poisoned cell), whatever column the answers so far left
			// the cursor on.
			m.matrix.Forget()
		}
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
	m.findings.live = t != nil && t.liveReport() != nil
	if m.findings.live {
		m.findings.hint = m.liveNote(t)
	} else if k := m.c.keys.Isolate; k.Enabled() && next.cur != nil && !isolateReport(next.cur) {
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
	r := m.c.keys.Reprobe.Help().Key
	switch t.state {
	case stateQueued:
		if !t.startsKnown {
			// The engine does not say whether a request is out yet or
			// waits for a free slot: claim neither.
			return "waiting for the first answer (queued or in flight) · " + m.c.keys.Cancel.Help().Key + " cancels"
		}
		if len(t.inFlight) == 0 {
			// The engine says when a request goes out: none has.
			return "· queued: no request sent yet · " + m.c.keys.Cancel.Help().Key + " cancels"
		}
		return m.liveNote(t)
	case stateProbing:
		return m.liveNote(t)
	case stateFailed:
		return "✗ " + safe(t.err)
	case stateCancelled:
		return "■ stopped before it finished; press " + r + " to probe again"
	}
	if m.readOnly {
		return "no result for this target in the report"
	}
	return "not probed yet: press " + r
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
