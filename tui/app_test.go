package tui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
)

const (
	urlA = "http://127.0.0.1:8080/a.json"
	urlB = "http://127.0.0.1:8080/b.js"
)

// poisonedCDN has a cache that ignores Origin and was filled by a browser
// on app before corscope came.
func poisonedCDN() *fakeCDN {
	eng := newFakeCDN(appOrigin, adminOrigin)
	eng.respond(cachemodel.Step{Method: "GET", URL: urlA, Headers: cachemodel.Headers{{Name: "Origin", Value: appOrigin}}})
	return eng
}

func TestInitProbesEveryTargetAndStreamsReports(t *testing.T) {
	eng := poisonedCDN()
	m := newTestModel(t, eng, 80, 24, urlA, urlB)
	if m.s.targets[0].state != stateIdle {
		t.Fatalf("before Init: state %v", m.s.targets[0].state)
	}
	m = start(t, m)
	for _, tg := range m.s.targets {
		if tg.state != stateDone || tg.current == nil {
			t.Fatalf("%s: state %v, report %v", tg.raw, tg.state, tg.current != nil)
		}
		if tg.stepsDone != tg.stepsTotal || tg.stepsTotal != 10 {
			t.Errorf("%s: steps %d/%d, want 10/10", tg.raw, tg.stepsDone, tg.stepsTotal)
		}
	}
	if len(m.runs) != 0 {
		t.Errorf("%d runs left after the run finished", len(m.runs))
	}
	if got := m.s.targets[0].worst(); got != cachemodel.SevHigh {
		t.Errorf("poisoned target's worst finding = %q, want high", got)
	}
	// The matrix opened on the poisoned cell.
	v, ok := m.matrix.Selected()
	if !ok || v.Label != adminOrigin {
		t.Errorf("matrix cursor on %q, want the poisoned admin column", v.Label)
	}
	if !strings.Contains(m.View(), "✓ 2 done") {
		t.Errorf("status bar does not summarise the run:\n%s", m.View())
	}
}

func TestReprobeKeepsThePreviousResultForDiff(t *testing.T) {
	eng := newFakeCDN(appOrigin, adminOrigin)
	m := start(t, newTestModel(t, eng, 100, 30, urlA))
	first := m.s.targets[0].current
	if k := m.c.keys; k.Diff.Enabled() {
		t.Error("d is enabled before there is a previous run")
	}
	m = keys(t, m, "r")
	tg := m.s.targets[0]
	if tg.previous != first || tg.current == first || tg.current == nil {
		t.Fatal("re-probe did not keep the previous report")
	}
	m = keys(t, m, "d")
	if !m.diff || !m.matrix.opt.diff {
		t.Fatal("d did not switch the diff on")
	}
	// Round 1 was MISS→HIT the first time and HIT→HIT now.
	out := m.View()
	if !strings.Contains(out, glyphChanged+" 1 changed") {
		t.Errorf("diff view has no change summary:\n%s", out)
	}
	if tg.change() != changeChanged {
		t.Errorf("target change = %v, want changed", tg.change())
	}
	m = keys(t, m, "d")
	if m.matrix.opt.diff || strings.Contains(m.View(), glyphChanged+" 1 changed") {
		t.Error("second d did not switch the diff off")
	}
}

func TestStaleRunEventsAreIgnored(t *testing.T) {
	m := newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA, urlB)
	// Start runs without executing their commands: the test plays the
	// engine by sending the messages itself.
	m = update(t, m, keyMsg("R"))
	run1 := m.lastRun
	m = update(t, m, keyMsg("r")) // target 0 again
	run2 := m.lastRun
	if run2 == run1 {
		t.Fatal("r did not start a new run")
	}
	if _, ok := m.runs[run1]; !ok {
		t.Fatal("run 1 still owns target 1 and must stay")
	}
	stale := &cachemodel.TargetReport{URL: urlA, Provider: "stale"}
	fresh := &cachemodel.TargetReport{URL: urlA, Provider: "fresh"}
	other := &cachemodel.TargetReport{URL: urlB, Provider: "run1"}
	m = update(t, m, runEventsMsg{RunID: run2, Events: []runEvent{{Kind: eventReport, Target: 0, Report: fresh}}})
	m = update(t, m, runEventsMsg{RunID: run1, Events: []runEvent{
		{Kind: eventObserved, Target: 0, Steps: 10},
		{Kind: eventReport, Target: 0, Report: stale},
		{Kind: eventReport, Target: 1, Report: other},
	}})
	if got := m.s.targets[0].current; got != fresh {
		t.Errorf("target 0 shows %v, want the newer run's report", got.Provider)
	}
	if m.s.targets[0].stepsDone != 0 {
		t.Error("a stale observation moved the newer run's progress")
	}
	if got := m.s.targets[1].current; got != other {
		t.Error("run 1's report for the target it still owns was dropped")
	}

	// A run left owning nothing is cancelled and forgotten.
	m = update(t, m, runFinishedMsg{RunID: run1})
	m = update(t, m, runFinishedMsg{RunID: run2})
	if len(m.runs) != 0 {
		t.Fatalf("%d runs left after their channels closed", len(m.runs))
	}

	// A run superseded for every target it owns is cancelled and forgotten
	// at once.
	m = update(t, m, keyMsg("R"))
	run3 := m.lastRun
	m = update(t, m, keyMsg("R"))
	run4 := m.lastRun
	if _, ok := m.runs[run3]; ok {
		t.Error("a run that owns nothing any more was kept")
	}
	m = update(t, m, runEventsMsg{RunID: run3, Events: []runEvent{{Kind: eventReport, Target: 0, Report: stale}}})
	if m.s.targets[0].current == stale {
		t.Error("events of a forgotten run were applied")
	}
	m = update(t, m, runFinishedMsg{RunID: run4})
	for _, tg := range m.s.targets {
		if tg.state != stateCancelled {
			t.Errorf("%s: state %v after its run ended without an answer, want stopped", tg.raw, tg.state)
		}
	}
}

func TestCancelStopsRunsAndKeepsResults(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	m := start(t, newTestModel(t, eng, 80, 24, urlA))
	done := m.s.targets[0].current
	gate := make(chan struct{})
	eng.gate = gate
	// Start a run whose goroutine blocks at the gate.
	next, cmd := m.Update(keyMsg("r"))
	m = next.(Model)
	runCmds(cmd) // launches the stream goroutine; the wait is discarded
	if !m.c.keys.Cancel.Enabled() {
		t.Fatal("c is disabled while a run is in flight")
	}
	m = update(t, m, keyMsg("c"))
	if len(m.runs) != 0 {
		t.Fatal("c left runs behind")
	}
	tg := m.s.targets[0]
	if tg.state != stateCancelled || tg.current != done {
		t.Errorf("after cancel: state %v, report kept %v", tg.state, tg.current == done)
	}
	if !strings.Contains(m.View(), "cancelled") {
		t.Error("cancel is not confirmed in the status bar")
	}
	close(gate) // let the cancelled goroutine finish (goleak checks)
}

// runCmds starts the commands of a batch that return at once; those that
// block (waiting on a channel) are dropped by running them in goroutines
// that end when the run's channel closes.
func runCmds(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				runCmds(c)
			}
		}
	}()
}

func TestKeysAreEnabledByState(t *testing.T) {
	type state struct {
		name string
		m    Model
	}
	live := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA))
	empty := newTestModel(t, newFakeCDN(appOrigin), 80, 24)
	rep := live.s.targets[0].current
	view := newTestModelOpt(t, Options{Reports: []cachemodel.TargetReport{*rep}}, 80, 24)
	purging := newTestModelOpt(t, Options{
		Engine: newFakeCDN(), Plan: observePlan, Reports: []cachemodel.TargetReport{*rep}, Purger: &fakePurger{},
	}, 80, 24)
	cases := []struct {
		s          state
		on, off    []string
		helpHidden []string
	}{
		{state{"live with results", live}, []string{"r", "R", "u", "o", "e", "T", "H", "?"}, []string{"p", "P", "m", "x", "c", "d", "y"}, []string{"purge", "switch mode", "copy curl"}},
		{state{"no targets", empty}, []string{"u", "o", "?"}, []string{"r", "R", "/", "e", "T"}, []string{"re-probe"}},
		{state{"read-only view", view}, []string{"e", "T", "/"}, []string{"r", "R", "u", "o", "m", "x", "p", "P", "c"}, []string{"re-probe", "add URL", "add origin", "purge"}},
		{state{"with a purger", purging}, []string{"p", "P", "r"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.s.name, func(t *testing.T) {
			m := c.s.m
			for _, k := range c.on {
				if !anyEnabledMatch(m, k) {
					t.Errorf("%q is disabled", k)
				}
			}
			for _, k := range c.off {
				if anyEnabledMatch(m, k) {
					t.Errorf("%q is enabled", k)
				}
			}
			help := wholeHelp(t, m)
			working, off, _ := strings.Cut(help, "Not available now")
			for _, h := range c.helpHidden {
				if strings.Contains(working, h) {
					t.Errorf("help lists %q among the working keys although it does nothing here", h)
				}
				if !strings.Contains(off, h+":") {
					t.Errorf("help does not list %q as unavailable with its reason:\n%s", h, help)
				}
			}
		})
	}
}

// anyEnabledMatch reports whether any enabled binding answers to k.
func anyEnabledMatch(m Model, k string) bool {
	for _, nb := range m.c.keys.bindings() {
		if nb.action == "confirm" || nb.action == "deny" {
			continue
		}
		if key.Matches(keyMsg(k), *nb.b) {
			return true
		}
	}
	return false
}

func TestFilterNarrowsTheTargets(t *testing.T) {
	m := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA, urlB, "http://127.0.0.1:8080/c.css"))
	m = keys(t, m, "/")
	if m.prompt != promptFilter {
		t.Fatal("/ did not open the filter prompt")
	}
	m = typeText(t, m, "B.JS")
	if len(m.targets.visible) != 1 || m.s.targets[m.targets.visible[0]].raw != urlB {
		t.Fatalf("filter kept %v", m.targets.visible)
	}
	if id, _ := m.targets.SelectedID(); id != 1 {
		t.Error("cursor not on the only match")
	}
	m = keys(t, m, "enter")
	if m.prompt != promptNone || len(m.targets.visible) != 1 {
		t.Error("enter should close the prompt and keep the filter")
	}
	if !strings.Contains(m.View(), `Targets 1 of 3 · filter "b.js"`) {
		t.Errorf("filter not shown in the pane title:\n%s", m.View())
	}
	m = keys(t, m, "esc")
	if len(m.targets.visible) != 3 {
		t.Error("esc did not clear the filter")
	}
	m = keys(t, m, "/")
	m = typeText(t, m, "nothing-matches")
	if !strings.Contains(m.View(), "no target matches the filter") {
		t.Error("an empty filter result is not explained")
	}
	m = keys(t, m, "esc")
	if m.prompt != promptNone || len(m.targets.visible) != 3 {
		t.Error("esc in the prompt should close it and clear the filter")
	}
}

func TestAddURLAndOriginAtRuntime(t *testing.T) {
	eng := newFakeCDN(appOrigin, adminOrigin, "https://new.example.com")
	m := start(t, newTestModel(t, eng, 80, 24, urlA))

	m = keys(t, m, "u")
	m = typeText(t, m, "example.com/x")
	m = keys(t, m, "enter")
	if m.prompt != promptURL || !strings.Contains(m.View(), "no scheme: start with https://") {
		t.Fatalf("a bad URL should keep the prompt open and say why:\n%s", m.View())
	}
	for range len("example.com/x") {
		m = keys(t, m, "backspace")
	}
	m = typeText(t, m, urlB)
	m = keys(t, m, "enter")
	if len(m.s.targets) != 2 {
		t.Fatalf("%d targets after adding one", len(m.s.targets))
	}
	if tg := m.s.targets[1]; tg.state != stateDone || tg.current == nil {
		t.Errorf("the added URL was not probed: %v", tg.state)
	}
	if id, _ := m.targets.SelectedID(); id != 1 {
		t.Error("the added URL is not selected")
	}

	m = keys(t, m, "u")
	m = typeText(t, m, urlA)
	m = keys(t, m, "enter")
	if len(m.s.targets) != 2 || !strings.Contains(m.View(), "already listed") {
		t.Error("a duplicate URL was added or not reported")
	}

	m = keys(t, m, "o")
	m = typeText(t, m, "https://new.example.com")
	m = keys(t, m, "enter")
	if len(m.origins) != 3 {
		t.Fatalf("origins = %v", m.origins)
	}
	m = keys(t, m, "r")
	cols := colLabels(m.matrix.g)
	found := false
	for _, c := range cols {
		found = found || c == "https://new.example.com"
	}
	if !found {
		t.Errorf("re-probe after adding an origin has no column for it: %v", cols)
	}
	m = keys(t, m, "o")
	m = typeText(t, m, "https://new.example.com/path")
	m = keys(t, m, "enter")
	if !strings.Contains(m.View(), "has a path") {
		t.Errorf("a bad origin is not explained:\n%s", m.View())
	}
}

func TestModeSwitchAndIsolateRun(t *testing.T) {
	var asked []Mode
	plan := func(req PlanRequest) (cachemodel.TargetPlan, error) {
		asked = append(asked, req.Mode)
		return observePlan(req)
	}
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: plan, Modes: []Mode{ModeObserve, ModeIsolate}, URLs: nil}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	m := start(t, newTestModelOpt(t, opt, 80, 24))
	if !strings.Contains(m.View(), "x runs the isolate experiments") {
		t.Errorf("an observe report without findings should point to x:\n%s", m.View())
	}
	m = keys(t, m, "x")
	if m.mode != ModeObserve {
		t.Error("x changed the mode; it should run isolate once")
	}
	m = keys(t, m, "m", "r")
	want := []Mode{ModeObserve, ModeIsolate, ModeIsolate}
	if strings.Join(modeStrings(asked), ",") != strings.Join(modeStrings(want), ",") {
		t.Errorf("plans built for modes %v, want %v", asked, want)
	}
	if !strings.Contains(m.View(), "mode isolate") {
		t.Error("header does not show the mode")
	}

	single := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA))
	if anyEnabledMatch(single, "m") || anyEnabledMatch(single, "x") {
		t.Error("m and x are enabled although only observe mode exists")
	}
	if strings.Contains(single.View(), "isolate experiments") {
		t.Error("the hint names a key that does nothing")
	}
}

func modeStrings(ms []Mode) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m))
	}
	return out
}

func TestPlanErrorsAreShownPerTarget(t *testing.T) {
	plan := func(req PlanRequest) (cachemodel.TargetPlan, error) {
		if strings.HasSuffix(req.URL.Path, "b.js") {
			return cachemodel.TargetPlan{}, errors.New("cannot plan \x1b[31mthis")
		}
		return observePlan(req)
	}
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: plan}
	opt.URLs = append(opt.URLs, mustURL(t, urlA), mustURL(t, urlB))
	m := start(t, newTestModelOpt(t, opt, 80, 24))
	if m.s.targets[0].state != stateDone {
		t.Errorf("good target: %v", m.s.targets[0].state)
	}
	if m.s.targets[1].state != stateFailed {
		t.Errorf("target without a plan: %v", m.s.targets[1].state)
	}
	m = keys(t, m, "j")
	out := m.View()
	if !strings.Contains(out, `cannot plan \x1b[31mthis`) || strings.Contains(out, "\x1b[31m") {
		t.Errorf("plan error not shown escaped:\n%q", out)
	}
}

func TestFailedTargetsAreErrors(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	eng.fail[urlB] = true
	m := start(t, newTestModel(t, eng, 80, 24, urlA, urlB))
	if m.s.targets[1].state != stateFailed {
		t.Fatalf("state %v, want error", m.s.targets[1].state)
	}
	m = keys(t, m, "j")
	out := m.View()
	if !strings.Contains(out, "✗ error") || !strings.Contains(out, "ERR connect") {
		t.Errorf("failed target not shown as an error:\n%s", out)
	}
}

func TestExportWritesTheReport(t *testing.T) {
	dir := t.TempDir()
	m := start(t, newTestModel(t, poisonedCDN(), 80, 24, urlA, urlB))
	m.opt.ExportDir = dir
	m = keys(t, m, "e")
	want := filepath.Join(dir, "corscope-20250304-050607.json")
	if got := m.input.Value(); got != want {
		t.Fatalf("proposed %q, want %q", got, want)
	}
	m = keys(t, m, "enter")
	data, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	var rep cachemodel.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("export is not a JSON report: %v", err)
	}
	if rep.Schema != cachemodel.ReportSchema || len(rep.Targets) != 2 || rep.Summary.Targets != 2 || rep.Mode != "observe" {
		t.Errorf("report: schema %q, %d targets, summary %d, mode %q", rep.Schema, len(rep.Targets), rep.Summary.Targets, rep.Mode)
	}
	if !strings.Contains(m.View(), "exported 2 targets to") {
		t.Errorf("export not confirmed:\n%s", m.View())
	}

	m = keys(t, m, "e")
	for range len(m.input.Value()) {
		m = keys(t, m, "backspace")
	}
	md := filepath.Join(dir, "r.md")
	m = typeText(t, m, md)
	m = keys(t, m, "enter")
	data, err = os.ReadFile(md)
	if err != nil || !bytes.HasPrefix(data, []byte("# corscope report")) {
		t.Errorf("Markdown export: %v %q", err, firstLine(data))
	}

	m = keys(t, m, "e")
	for range len(m.input.Value()) {
		m = keys(t, m, "backspace")
	}
	m = typeText(t, m, filepath.Join(dir, "no-such-dir", "x.json"))
	m = keys(t, m, "enter")
	if !strings.Contains(m.View(), "export failed") {
		t.Errorf("a failed export is not reported:\n%s", m.View())
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

func TestCopyCurlWritesOSC52(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		prefix string
	}{
		{"plain terminal", nil, "\x1b]52;c;"},
		// tmux 3.3+ drops passthrough-wrapped sequences by default and takes
		// a plain OSC 52 with set-clipboard on.
		{"inside tmux", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"}, "\x1b]52;c;"},
		{"inside screen", map[string]string{"TERM": "screen-256color"}, "\x1bP\x1b]52;c;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var clip bytes.Buffer
			opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan, Clipboard: &clip,
				ClipboardEnv: func(k string) string { return c.env[k] }}
			opt.URLs = append(opt.URLs, mustURL(t, urlA))
			m := start(t, newTestModelOpt(t, opt, 80, 24))
			if anyEnabledMatch(m, "y") {
				t.Error("y is enabled outside the detail view")
			}
			m = keys(t, m, "tab", "enter")
			if m.screen != screenDetail {
				t.Fatal("enter on the matrix did not open the detail view")
			}
			m = keys(t, m, "y")
			out := clip.String()
			if !strings.HasPrefix(out, c.prefix) {
				t.Fatalf("clipboard got %q, want prefix %q", out, c.prefix)
			}
			// Screen splits the payload into DCS chunks.
			payload := strings.ReplaceAll(strings.TrimPrefix(out, c.prefix), "\x1b\\\x1bP", "")
			payload = payload[:strings.IndexAny(payload, "\x07\x1b")]
			got, err := base64.StdEncoding.DecodeString(payload)
			v, _ := m.matrix.Selected()
			if err != nil || string(got) != v.Curl {
				t.Errorf("clipboard holds %q (%v), want the curl command %q", got, err, v.Curl)
			}
			view := m.View()
			if !strings.Contains(view, "sent to the terminal clipboard") {
				t.Error("copy not reported")
			}
			// Nothing answers an OSC 52: claiming "copied" would be a guess.
			if strings.Contains(view, "copied") {
				t.Errorf("the status claims a copy nobody confirmed:\n%s", view)
			}
			if _, inTmux := c.env["TMUX"]; inTmux != strings.Contains(view, "set-clipboard on") {
				t.Errorf("tmux hint shown=%v inside tmux=%v:\n%s", !inTmux, inTmux, view)
			}
		})
	}
}

func TestDetailViewNavigation(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 80, 24, urlA))
	m = keys(t, m, "tab", "home", "enter")
	if !strings.Contains(m.View(), "Variant (no Origin)") {
		t.Fatalf("detail of the first variant expected:\n%s", m.View())
	}
	m = keys(t, m, "right")
	if !strings.Contains(m.View(), "Variant https://app.example.com") {
		t.Errorf("→ did not move to the next variant:\n%s", m.View())
	}
	m = keys(t, m, "down", "down")
	if m.detail.off != 2 {
		t.Errorf("↓↓ scrolled to %d, want 2", m.detail.off)
	}
	m = keys(t, m, "esc")
	if m.screen != screenMain {
		t.Error("esc did not close the detail view")
	}
	if v, _ := m.matrix.Selected(); v.Label != appOrigin {
		t.Error("the matrix cursor did not follow the detail view")
	}
}

func TestFindingsHighlightEvidence(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 80, 24, urlA))
	if len(m.findings.rep.Findings) == 0 {
		t.Fatal("the poisoned target has no findings")
	}
	if m.matrix.evidence != nil {
		t.Error("evidence highlighted before the findings pane has focus")
	}
	m = keys(t, m, "shift+tab")
	if m.focus != paneFindings || m.matrix.evidence == nil {
		t.Fatal("focusing the findings did not highlight the evidence")
	}
	if !strings.Contains(m.View(), glyphEvidence) {
		t.Error("no » in the matrix")
	}
	m = keys(t, m, "enter")
	if m.screen != screenDetail || !strings.Contains(m.View(), "Finding cache-served-wrong-origin") {
		t.Errorf("enter on a finding should open its full text:\n%s", m.View())
	}
	m = keys(t, m, "esc", "tab")
	if m.matrix.evidence != nil {
		t.Error("highlight kept after leaving the findings pane")
	}
}

func TestTooSmallSaysSo(t *testing.T) {
	// Below 80×24 the targets and findings still show (compact); keys work.
	m := start(t, newTestModel(t, poisonedCDN(), 79, 24, urlA))
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "Targets 1") || !strings.Contains(out, "cache-served-wrong-origin") || !strings.Contains(out, "variants need 80×24") {
		t.Errorf("compact view lacks the targets, the findings or why the matrix is hidden:\n%s", out)
	}
	if m = keys(t, m, "r"); m.lastRun != 2 {
		t.Error("r does not work in the compact view")
	}
	if m = keys(t, m, "tab"); m.focus != paneFindings {
		t.Errorf("tab went to the hidden matrix (focus %d)", m.focus)
	}
	// Narrower than compactWidth: a message that fits whole, at every size.
	for _, size := range [][2]int{{39, 24}, {20, 5}, {12, 3}, {6, 2}, {1, 1}} {
		m = drive(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := m.View()
		lines := strings.Split(v, "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: frame has %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if w := lipglossWidth(l); w != size[0] {
				t.Errorf("%dx%d: line %q is %d wide", size[0], size[1], l, w)
			}
		}
		if strings.Contains(v, "…") {
			t.Errorf("%dx%d: the message is cut:\n%s", size[0], size[1], v)
		}
		if size[0] >= 20 && !strings.Contains(strings.Join(strings.Fields(v), " "), "too small") && !strings.Contains(v, "at least") {
			t.Errorf("%dx%d: does not say it is too small:\n%s", size[0], size[1], v)
		}
	}
	m = drive(t, m, tea.WindowSizeMsg{Width: 39, Height: 24})
	if v := strings.Join(strings.Fields(m.View()), " "); !strings.Contains(v, "at least 40 columns") || !strings.Contains(v, "39×24") {
		t.Errorf("39×24 message:\n%s", m.View())
	}
	m = drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(m.View(), "at least") || strings.Contains(m.View(), "variants need") {
		t.Error("still too small at 80×24")
	}
	for _, line := range strings.Split(m.View(), "\n") {
		if w := lipglossWidth(line); w != 80 {
			t.Fatalf("line is %d wide, want 80: %q", w, line)
		}
	}
	if n := strings.Count(m.View(), "\n") + 1; n != 24 {
		t.Errorf("frame has %d lines, want 24", n)
	}
}

func TestFrameFillsEveryStandardSize(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {119, 40}, {120, 40}, {160, 48}, {200, 50}, {300, 80}} {
		m := start(t, newTestModel(t, poisonedCDN(), size[0], size[1], urlA, urlB))
		for _, screen := range []string{"", "tab", "enter", "esc", "T", "?"} {
			if screen != "" {
				m = keys(t, m, screen)
			}
			lines := strings.Split(m.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d after %q: %d lines", size[0], size[1], screen, len(lines))
			}
			for _, l := range lines {
				if w := lipglossWidth(l); w != size[0] {
					t.Errorf("%dx%d after %q: line of width %d: %q", size[0], size[1], screen, w, l)
					break
				}
			}
		}
	}
}

func TestThemeCycles(t *testing.T) {
	m := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA))
	seen := []string{m.themes[m.themeIdx].Name}
	for range len(m.themes) {
		m = keys(t, m, "t")
		seen = append(seen, m.themes[m.themeIdx].Name)
		if !strings.Contains(m.View(), "theme "+m.themes[m.themeIdx].Name) {
			t.Errorf("header does not name theme %s", m.themes[m.themeIdx].Name)
		}
	}
	want := "default,dark,light,high-contrast,mono,default"
	if strings.Join(seen, ",") != want {
		t.Errorf("themes cycled %v, want %s", seen, want)
	}
}

func TestQuitCancelsRuns(t *testing.T) {
	m := newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA)
	m = update(t, m, keyMsg("R"))
	ctx := m.ctx
	// While probes run, the first q asks; a second q quits.
	next, cmd := m.Update(keyMsg("q"))
	m = next.(Model)
	if cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Fatal("q quit at once while probes were running")
		}
	}
	if !strings.Contains(m.View(), "probes are running: q again quits") {
		t.Errorf("first q does not ask:\n%s", m.View())
	}
	next, cmd = m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q did not quit")
	}
	if ctx.Err() == nil {
		t.Error("quitting left the runs' context alive")
	}
	if next.(Model).View() != "" {
		t.Error("the last frame should be empty so the shell is clean")
	}
	ctrlC := newTestModel(t, nil, 80, 24, urlA)
	ctrlC = update(t, ctrlC, keyMsg("/"))
	if _, cmd := ctrlC.Update(keyMsg("ctrl+c")); cmd == nil || !isQuit(cmd) {
		t.Error("ctrl+c inside a prompt did not quit")
	}
}

func isQuit(cmd tea.Cmd) bool {
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestViewModeComparesTwoReports(t *testing.T) {
	older := []cachemodel.TargetReport{healthyReport(t), {URL: "http://127.0.0.1:8080/gone"}}
	newer := []cachemodel.TargetReport{poisonedReport(t), {URL: "http://127.0.0.1:8080/new"}}
	m := newTestModelOpt(t, Options{Reports: newer, Previous: older, Title: "view old.json vs new.json"}, 100, 30)
	if !m.diff {
		t.Error("diff should start on with two reports")
	}
	want := map[string]change{
		urlA:                         changeChanged,
		"http://127.0.0.1:8080/new":  changeAdded,
		"http://127.0.0.1:8080/gone": changeRemoved,
	}
	for _, tg := range m.s.targets {
		if tg.change() != want[tg.raw] {
			t.Errorf("%s: change %v, want %v", tg.raw, tg.change(), want[tg.raw])
		}
	}
	out := m.View()
	for _, s := range []string{"read-only", "Δ changed", "+ added", "- removed", "(was "} {
		if !strings.Contains(out, s) {
			t.Errorf("view lacks %q:\n%s", s, out)
		}
	}
	m = keys(t, m, "j", "j")
	if !strings.Contains(m.View(), "only in the older report") {
		t.Errorf("a removed target should show its old result:\n%s", m.View())
	}

	changes := cachemodel.Changes(older, newer)
	var acao, added, removed bool
	for _, c := range changes {
		acao = acao || c.Field == "ACAO" && strings.Contains(c.Variant, adminOrigin) && c.Old == adminOrigin && c.New == appOrigin
		added = added || c.Field == "target" && c.URL == "http://127.0.0.1:8080/new" && c.New == "present"
		removed = removed || c.Field == "target" && c.URL == "http://127.0.0.1:8080/gone" && c.New == "absent"
	}
	if !acao || !added || !removed {
		t.Errorf("Changes missed something (acao %v, added %v, removed %v): %+v", acao, added, removed, changes)
	}
	if got := cachemodel.Changes(newer, newer); len(got) != 0 {
		t.Errorf("a report compared with itself changed: %+v", got)
	}
}

func TestRebindRejectsUnknownActions(t *testing.T) {
	km := DefaultKeyMap()
	if err := km.Rebind(map[string][]string{"reprobe": {"f5"}, "quit": {"Q"}}); err != nil {
		t.Fatal(err)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyF5}, km.Reprobe) || key.Matches(keyMsg("r"), km.Reprobe) {
		t.Error("reprobe not rebound to f5")
	}
	if km.Quit.Help().Key != "Q" {
		t.Errorf("help shows %q for the rebound key", km.Quit.Help().Key)
	}
	err := km.Rebind(map[string][]string{"re-probe": {"x"}})
	if err == nil || !strings.Contains(err.Error(), `unknown key action "re-probe"`) {
		t.Errorf("unknown action: %v", err)
	}
	if err := km.Rebind(map[string][]string{"help": nil}); err == nil {
		t.Error("an action without keys was accepted")
	}
	clash := DefaultKeyMap()
	err = clash.Rebind(map[string][]string{"export": {"r"}})
	if err == nil || !strings.Contains(err.Error(), `key "r" is bound to both "reprobe" and "export"`) {
		t.Errorf("a rebinding onto another action's default key: %v", err)
	}
	fine := DefaultKeyMap()
	if err := fine.Rebind(map[string][]string{"confirm": {"r"}}); err != nil {
		t.Errorf("the confirmation prompt's keys may overlap: %v", err)
	}
	def := DefaultKeyMap()
	if err := def.clash(); err != nil {
		t.Errorf("the default key map clashes: %v", err)
	}
}

func TestRunesArrivingTogetherAreSeparateKeys(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 80, 24, urlA, urlB))
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jT")})
	if id, _ := m.targets.SelectedID(); id != 1 || !m.matrix.transposed {
		t.Errorf("\"jT\" in one read: selected %d, transposed %v", id, m.matrix.transposed)
	}
	// Once a prompt opens, the rest is text for it.
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/b.j")})
	if m.prompt != promptFilter || m.input.Value() != "b.j" {
		t.Errorf("\"/b.j\" in one read: prompt %v, value %q", m.prompt, m.input.Value())
	}
}

func TestHelpListsEveryWorkingKeyAt80Columns(t *testing.T) {
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan, Purger: &fakePurger{}, Modes: []Mode{ModeObserve, ModeIsolate}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	m := start(t, newTestModelOpt(t, opt, 80, 24))
	m = keys(t, m, "r", "tab")
	m = update(t, m, keyMsg("R")) // a run in flight: c works
	help := wholeHelp(t, m)
	for _, want := range []string{"r re-probe", "R re-probe all", "c cancel runs", "m switch mode", "x run isolate",
		"p purge", "u add URL", "o add origin", "diff vs previous", "transpose", "rounds", "e export", "t next theme", "q quit", "←/h", "→/l"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "…") {
		t.Errorf("help is cut at 80 columns:\n%s", help)
	}
	if working, _, _ := strings.Cut(help, "Not available now"); strings.Contains(working, "copy curl") {
		t.Error("help lists y among the working keys outside the detail view")
	}
}

func TestTargetsPaneSaysWhatIsScrolledAway(t *testing.T) {
	var urls []string
	for i := range 10 {
		urls = append(urls, "http://127.0.0.1:8080/t"+string(rune('a'+i)))
	}
	// Vary: Origin, so the targets have no findings: a quarter of the 19
	// content rows at 80×24, plus the rows the findings do not want
	// (layout.go's rule).
	cdn := newFakeCDN(appOrigin)
	cdn.vary = true
	m := start(t, newTestModel(t, cdn, 80, 24, urls...))
	if !strings.Contains(m.View(), "Targets 10 · rows 1–6 ▲▼") {
		t.Errorf("no row range in the title:\n%s", m.View())
	}
	m = keys(t, m, "end")
	if !strings.Contains(m.View(), "rows 5–10") || !strings.Contains(m.View(), "/tj") {
		t.Errorf("end did not scroll to the last target:\n%s", m.View())
	}
}

// The curl reproducer is one line in the detail view, never hard-wrapped
// (a wrapped command pastes as several broken lines); < and > move a
// window over it, and the windows together hold the whole command.
func TestDetailCurlScrollsSidewaysNotWrapped(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 80, 24, urlA))
	m = keys(t, m, "tab", "home", "enter")
	v, _ := m.matrix.Selected()
	if len(v.Curl) <= 80 {
		t.Fatalf("curl command %q fits in 80 columns: the test needs a longer one", v.Curl)
	}
	// Scroll down until the Reproduce section shows.
	for i := 0; i < 40 && !strings.Contains(ansi.Strip(m.View()), "── Reproduce"); i++ {
		m = keys(t, m, "pgdown")
	}
	row := -1
	for i, l := range strings.Split(ansi.Strip(m.View()), "\n") {
		if strings.HasPrefix(l, "curl ") {
			row = i
		}
	}
	if row < 0 {
		t.Fatalf("no line starts with curl:\n%s", ansi.Strip(m.View()))
	}
	curlLine := func() string { return strings.Split(ansi.Strip(m.View()), "\n")[row] }
	first := curlLine()
	if !strings.HasPrefix(first, "curl ") {
		t.Fatalf("no curl line at the start of the window:\n%s", ansi.Strip(m.View()))
	}
	if strings.Contains(first, "…") {
		t.Errorf("the curl line was cut with …: %q", first)
	}
	if !strings.Contains(ansi.Strip(m.View()), "columns 1–80 of ") {
		t.Errorf("no sideways position shown:\n%s", ansi.Strip(m.View()))
	}
	var got strings.Builder
	got.WriteString(first)
	for range 20 {
		prev := m.detail.xoff
		m = keys(t, m, ">")
		if m.detail.xoff == prev {
			break
		}
		// Each step moves half a view: append what is new.
		l := curlLine()
		got.WriteString(l[80-(m.detail.xoff-prev):])
	}
	if strings.TrimRight(got.String(), " ") != v.Curl {
		t.Errorf("scrolled windows hold\n%q\nwant the curl command\n%q", got.String(), v.Curl)
	}
	m = keys(t, m, "<")
	if m.detail.xoff == 0 && len(v.Curl) > 120 {
		t.Error("< did not scroll back")
	}
}

// Without -o the header says how to add an origin, with the key as bound.
func TestHeaderSaysHowToAddAnOrigin(t *testing.T) {
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	m := start(t, newTestModelOpt(t, opt, 80, 24))
	if head := firstLine([]byte(ansi.Strip(m.View()))); !strings.Contains(head, "no origins: o adds one") {
		t.Errorf("header %q does not say how to add an origin", head)
	}
	km := DefaultKeyMap()
	km.AddOrigin.SetKeys("O")
	km.AddOrigin.SetHelp("O", "add origin")
	opt.Keys = &km
	m = start(t, newTestModelOpt(t, opt, 80, 24))
	if head := firstLine([]byte(ansi.Strip(m.View()))); !strings.Contains(head, "no origins: O adds one") {
		t.Errorf("header %q does not follow the rebound key", head)
	}
	// With origins it counts them.
	m = start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA))
	if head := firstLine([]byte(ansi.Strip(m.View()))); !strings.Contains(head, "2 origins") {
		t.Errorf("header %q does not count the origins", head)
	}
}

// The default theme follows the background, so on a dark terminal the
// first t (to dark) changes nothing visible: the status says why.
func TestThemeSwitchThatLooksTheSameSaysWhy(t *testing.T) {
	cases := []struct {
		prev, next string
		dark       bool
		want       string
	}{
		{"default", "dark", true, "same colours as default here: default follows the terminal's dark background"},
		{"dark", "light", true, ""},
		{"default", "dark", false, ""},
		{"light", "default", false, "same colours as light here"},
		{"mono", "default", true, ""},
	}
	for _, c := range cases {
		got := sameLookNote(c.prev, c.next, c.dark)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s→%s dark=%v: %q, want %q", c.prev, c.next, c.dark, got, c.want)
		}
	}
	m := start(t, newTestModel(t, newFakeCDN(appOrigin), 120, 40, urlA))
	if m.themes[m.themeIdx].Name != "default" || m.themes[(m.themeIdx+1)%len(m.themes)].Name != "dark" {
		t.Fatalf("theme order changed: %v", m.themes)
	}
	m = keys(t, m, "t")
	if v := ansi.Strip(m.View()); !strings.Contains(v, "theme dark (same colours as default here") {
		t.Errorf("first t does not explain the unchanged look:\n%s", v)
	}
}

// wholeHelp opens the help and pages through it, returning every page.
func wholeHelp(t *testing.T, m Model) string {
	t.Helper()
	m = keys(t, m, "?")
	var b strings.Builder
	for range 10 {
		b.WriteString(m.View())
		prev := m.helpOff
		m = keys(t, m, "pgdown")
		if m.helpOff == prev {
			break
		}
	}
	return b.String()
}

// The help scrolls when it is longer than the screen, and lists the keys
// that do nothing now with why.
func TestHelpScrollsAndSaysWhyKeysAreOff(t *testing.T) {
	m := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA))
	m = keys(t, m, "?")
	first := m.View()
	if !strings.Contains(first, "lines 1–") {
		t.Fatalf("help at 80×24 does not say it scrolls:\n%s", first)
	}
	m = keys(t, m, "end")
	last := m.View()
	if !strings.Contains(last, "Not available now") || !strings.Contains(last, "d diff vs previous: no previous run yet") {
		t.Errorf("end of the help lacks the unavailable keys:\n%s", last)
	}
	m = keys(t, m, "home")
	if m.View() != first {
		t.Error("home did not return to the top of the help")
	}
}

// A key that does nothing now says why in the status line instead of
// doing nothing silently.
func TestDisabledKeysSayWhy(t *testing.T) {
	m := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, urlA))
	cases := []struct{ key, want string }{
		{"d", "d: no previous run yet: r re-probes, then d compares"},
		{"c", "c: nothing is running to cancel"},
		{"y", "y: copies a variant's curl command"},
		{"p", "p: no purge provider"},
	}
	for _, c := range cases {
		m = keys(t, m, c.key)
		if v := ansi.Strip(m.View()); !strings.Contains(v, c.want) {
			t.Errorf("%s: status does not say %q:\n%s", c.key, c.want, v)
		}
	}
	rep := m.s.targets[0].current
	view := start(t, newTestModelOpt(t, Options{Reports: []cachemodel.TargetReport{*rep}}, 80, 24))
	view = keys(t, view, "r")
	if v := ansi.Strip(view.View()); !strings.Contains(v, "r: read-only") {
		t.Errorf("r in a saved report does not say why:\n%s", v)
	}
}

// q inside the purge confirmation leaves the confirmation, not corscope.
func TestQuitKeyInPurgeConfirmationOnlyCancelsIt(t *testing.T) {
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan, Purger: &fakePurger{}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	m := start(t, newTestModelOpt(t, opt, 80, 24))
	m = keys(t, m, "p")
	if m.screen != screenConfirm {
		t.Fatalf("p did not open the confirmation:\n%s", m.View())
	}
	next, cmd := m.Update(keyMsg("q"))
	m = next.(Model)
	if cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Fatal("q in the purge confirmation quit corscope")
		}
	}
	if m.quitting || m.screen != screenMain || !strings.Contains(m.View(), "nothing was sent") {
		t.Errorf("q did not cancel the confirmation:\n%s", m.View())
	}
}

// Key hints in the screen's text follow [keys]: rebinding re-probe and
// diff changes what the screens tell the user to press.
func TestKeyHintsFollowRebinding(t *testing.T) {
	km := DefaultKeyMap()
	km.Reprobe.SetKeys("f5")
	km.Reprobe.SetHelp("f5", "re-probe")
	km.Diff.SetKeys("D")
	km.Diff.SetHelp("D", "diff vs previous")
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan, Keys: &km, Origins: []string{appOrigin}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	m := start(t, newTestModelOpt(t, opt, 80, 24))
	m = keys(t, m, "D")
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "press f5 to re-probe, then D") && !strings.Contains(v, "f5 re-probes, then D compares") {
		t.Errorf("the hint does not use the rebound keys:\n%s", v)
	}
	if strings.Contains(v, "press r ") || strings.Contains(v, " then d") {
		t.Errorf("a hint still names the default keys:\n%s", v)
	}
}

// / filters by what the list shows too: severity and state words, all
// words required.
func TestFilterBySeverityAndState(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 120, 40, urlA, urlB))
	if len(m.targets.visible) != 2 {
		t.Fatalf("%d targets visible before filtering", len(m.targets.visible))
	}
	m.targets.SetFilter("high")
	if len(m.targets.visible) != 1 || m.s.targets[m.targets.visible[0]].raw != urlA {
		t.Errorf("filter high keeps %v, want only %s", m.targets.visible, urlA)
	}
	m.targets.SetFilter("done HIGH")
	if len(m.targets.visible) != 1 {
		t.Errorf("two words (state and severity) keep %d targets, want 1", len(m.targets.visible))
	}
	m.targets.SetFilter("high b.js")
	if len(m.targets.visible) != 0 {
		t.Errorf("words that no one target has all of keep %d targets", len(m.targets.visible))
	}
	m.targets.SetFilter(".js")
	if len(m.targets.visible) != 2 { // a.json and b.js
		t.Errorf("URL filter keeps %d targets, want 2", len(m.targets.visible))
	}
}

// A changed cell too narrow for "new (was old)" never cuts the old value:
// it shows the new one, the footer says enter has the old, and the detail
// view lists it in full.
func TestDiffNeverCutsTheOldValue(t *testing.T) {
	const longACAO = "https://a-rather-long-subdomain-for-the-admin-console.admin.example.com"
	older := healthyReport(t)
	for i, v := range older.Variants {
		if v.Origin != nil && *v.Origin == adminOrigin {
			s := longACAO
			older.Variants[i].CORS.ACAO = &s
		}
	}
	newer := poisonedReport(t)
	m := newTestModelOpt(t, Options{Reports: []cachemodel.TargetReport{newer}, Previous: []cachemodel.TargetReport{older}, Title: "view old.json vs new.json"}, 80, 24)
	out := m.View()
	for _, l := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(l, "(was "); ok && !strings.Contains(rest, ")") {
			t.Errorf("a changed cell cut its old value: %q\n%s", l, out)
		}
	}
	if !strings.Contains(out, "enter: was") {
		t.Fatalf("the footer does not say where the old values are:\n%s", out)
	}
	if v, _ := m.matrix.Selected(); v.Origin == nil || *v.Origin != adminOrigin {
		t.Fatalf("the view did not open on the admin variant:\n%s", out)
	}
	m = keys(t, m, "tab", "enter")
	if m.screen != screenDetail {
		t.Fatalf("enter did not open the detail view:\n%s", m.View())
	}
	det := m.View()
	if !strings.Contains(det, "Changed since the previous run") || !strings.Contains(det, "ACAO: was") || !strings.Contains(det, longACAO) {
		t.Errorf("the detail view does not show the old ACAO in full:\n%s", det)
	}
}

// The matrix's Δ marks and the run-to-run diff of `view old new` without a
// terminal (cachemodel.Changes) are computed apart: they must count the
// same changed cells.
func TestMatrixDiffAgreesWithChanges(t *testing.T) {
	pairs := [][2]cachemodel.TargetReport{
		{healthyReport(t), poisonedReport(t)},
		{poisonedReport(t), healthyReport(t)},
	}
	for i, p := range pairs {
		g := buildGrid(&p[1], &p[0], gridOptions{diff: true})
		n := 0
		for _, c := range cachemodel.Changes(p[:1], p[1:]) {
			if c.Field != "variant" && c.Field != "target" {
				n++
			}
		}
		if g.changed == 0 || g.changed != n {
			t.Errorf("pair %d: the matrix marks %d cells changed, Changes lists %d", i, g.changed, n)
		}
	}
}

// A flash that carries its own verdict glyph (a purge's "✓ purged …")
// shows it once, not "✓ ✓ purged".
func TestFlashWithItsOwnGlyphShowsItOnce(t *testing.T) {
	m := newTestModel(t, nil, 120, 40, urlA)
	_ = m.setFlash(flashOK, "✓ purged 4 copies with 1 request")
	if s := m.statusView(); strings.Contains(s, "✓ ✓") || !strings.Contains(s, "✓ purged 4 copies") {
		t.Errorf("status line %q", s)
	}
	_ = m.setFlash(flashOK, "exported 1 target to a.json")
	if s := m.statusView(); !strings.Contains(s, "✓ exported 1 target") {
		t.Errorf("a flash without a glyph lost the level's: %q", s)
	}
}
