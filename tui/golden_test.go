package tui

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/corscope/corscope/cachemodel"
)

// goldenSizes are the sizes every screen is pinned at: the 80×24 minimum,
// the common 120×40 and a wide 220×60, plus 160×48 (side by side begins).
var goldenSizes = [][2]int{{80, 24}, {120, 40}, {160, 48}, {220, 60}}

// TestViewGolden pins every screen at each of goldenSizes with the colour
// profile forced to ASCII (TestMain) and a frozen clock: what a NO_COLOR
// user sees, which must read on its own. Refresh with -update.
func TestViewGolden(t *testing.T) {
	scenarios := []struct {
		name  string
		build func(t *testing.T, w, h int) Model
	}{
		{"poisoned", func(t *testing.T, w, h int) Model {
			return start(t, newTestModel(t, poisonedCDN(), w, h, urlA, urlB))
		}},
		{"matrix-transposed", func(t *testing.T, w, h int) Model {
			return keys(t, start(t, newTestModel(t, poisonedCDN(), w, h, urlA, urlB)), "tab", "T")
		}},
		{"matrix-rounds", func(t *testing.T, w, h int) Model {
			return keys(t, start(t, newTestModel(t, poisonedCDN(), w, h, urlA, urlB)), "tab", "H")
		}},
		{"findings-evidence", func(t *testing.T, w, h int) Model {
			return keys(t, start(t, newTestModel(t, poisonedCDN(), w, h, urlA, urlB)), "shift+tab")
		}},
		{"detail", func(t *testing.T, w, h int) Model {
			return keys(t, start(t, newTestModel(t, poisonedCDN(), w, h, urlA, urlB)), "tab", "enter")
		}},
		{"help", func(t *testing.T, w, h int) Model {
			return keys(t, start(t, newTestModel(t, poisonedCDN(), w, h, urlA, urlB)), "?")
		}},
		{"probing", func(t *testing.T, w, h int) Model {
			m := newTestModel(t, poisonedCDN(), w, h, urlA, urlB, "http://127.0.0.1:8080/c.css")
			m = update(t, m, keyMsg("R"))
			return update(t, m, runEventsMsg{RunID: m.lastRun, Events: []runEvent{
				{Kind: eventObserved, Target: 0, Steps: 10},
				{Kind: eventObserved, Target: 0, Steps: 10},
				{Kind: eventObserved, Target: 0, Steps: 10},
			}})
		}},
		{"probing-live", func(t *testing.T, w, h int) Model {
			// Two of a plan's answers in: their columns show, no findings yet.
			m := newTestModel(t, poisonedCDN(), w, h, urlA, urlB)
			m = update(t, m, keyMsg("R"))
			plan, _ := observePlan(PlanRequest{Index: 0, URL: mustURL(t, urlA), Origins: m.origins})
			cdn := poisonedCDN()
			var evs []runEvent
			for i := range 2 {
				evs = append(evs, runEvent{Kind: eventObserved, Target: 0, Steps: len(plan.Steps), Plan: &plan,
					Obs: cachemodel.Observation{Target: 0, Step: i, Response: cdn.respond(plan.Steps[i])}})
			}
			return update(t, m, runEventsMsg{RunID: m.lastRun, Events: evs})
		}},
		{"probing-inflight", func(t *testing.T, w, h int) Model {
			// Two answers in, the third request out for 3.2 s of a 10 s
			// timeout, the rest queued; the second target has sent nothing.
			m := newTestModelOpt(t, Options{Engine: poisonedCDN(), Plan: observePlan, Origins: []string{appOrigin, adminOrigin},
				Timeout: 10 * time.Second, URLs: []*url.URL{mustURL(t, urlA), mustURL(t, urlB)}}, w, h)
			m = update(t, m, keyMsg("R"))
			plan, _ := observePlan(PlanRequest{Index: 0, URL: mustURL(t, urlA), Origins: m.origins})
			cdn := poisonedCDN()
			var evs []runEvent
			for i := range 2 {
				evs = append(evs, runEvent{Kind: eventStarted, Target: 0, Steps: len(plan.Steps), Plan: &plan, Step: i, At: fixedNow.Add(-5 * time.Second)},
					runEvent{Kind: eventObserved, Target: 0, Steps: len(plan.Steps), Plan: &plan,
						Obs: cachemodel.Observation{Target: 0, Step: i, Response: cdn.respond(plan.Steps[i])}})
			}
			evs = append(evs, runEvent{Kind: eventStarted, Target: 0, Steps: len(plan.Steps), Plan: &plan, Step: 2, At: fixedNow.Add(-3200 * time.Millisecond)})
			return update(t, m, runEventsMsg{RunID: m.lastRun, Events: evs})
		}},
		{"reprobe-diff", func(t *testing.T, w, h int) Model {
			m := start(t, newTestModel(t, newFakeCDN(appOrigin, adminOrigin), w, h, urlA))
			return keys(t, m, "r", "d")
		}},
		{"view-two-reports", func(t *testing.T, w, h int) Model {
			older := []cachemodel.TargetReport{healthyReport(t), {URL: "http://127.0.0.1:8080/gone"}}
			newer := []cachemodel.TargetReport{poisonedReport(t), {URL: "http://127.0.0.1:8080/new"}}
			return newTestModelOpt(t, Options{Reports: newer, Previous: older, Title: "view old.json vs new.json"}, w, h)
		}},
		{"target-states", func(t *testing.T, w, h int) Model {
			m := start(t, newTestModel(t, statesCDN(), w, h, urlFailed, urlNotFound, urlNoCORS, urlA))
			return m // the failed target is selected: its error shows in the findings pane
		}},
		{"empty", func(t *testing.T, w, h int) Model {
			return newTestModel(t, newFakeCDN(), w, h)
		}},
		{"add-url-refused", func(t *testing.T, w, h int) Model {
			m := start(t, newTestModel(t, poisonedCDN(), w, h, urlA))
			m = keys(t, m, "u")
			m = typeText(t, m, "cdn.example.com/app.js")
			return keys(t, m, "enter")
		}},
		{"isolate-adversarial", func(t *testing.T, w, h int) Model {
			// The generated origins' columns: a long Origin wraps in its
			// column header instead of losing its end.
			return keys(t, isolateModel(t, w, h), "tab", "end")
		}},
		{"isolate-transposed", func(t *testing.T, w, h int) Model {
			// Variants down: each row label keeps its kind words and both
			// ends of its Origin.
			return keys(t, isolateModel(t, w, h), "tab", "T", "end")
		}},
		{"add-origin-refused", func(t *testing.T, w, h int) Model {
			// A reason too long to sit beside the input goes under it.
			m := start(t, newTestModel(t, poisonedCDN(), w, h, urlA))
			m = keys(t, m, "o")
			m = typeText(t, m, "https://app.example.com/checkout/assets/app.bundle.js")
			return keys(t, m, "enter")
		}},
	}
	for _, s := range scenarios {
		for _, size := range goldenSizes {
			t.Run(fmt.Sprintf("%s-%dx%d", s.name, size[0], size[1]), func(t *testing.T) {
				golden.RequireEqual(t, []byte(s.build(t, size[0], size[1]).View()))
			})
		}
		// In colour, at every size: the same text, styled. Stripped of
		// its styles it must read exactly as the plain screen, so every
		// state is told by words and glyphs, never by colour alone.
		for _, size := range goldenSizes {
			t.Run(fmt.Sprintf("%s-colour-%dx%d", s.name, size[0], size[1]), func(t *testing.T) {
				colourGolden(t, func() Model { return s.build(t, size[0], size[1]) })
			})
		}
	}
	t.Run("too-small-79x23", func(t *testing.T) {
		golden.RequireEqual(t, []byte(newTestModel(t, poisonedCDN(), 79, 23, urlA).View()))
	})
}

// colourGolden pins a screen in colour (ANSI 256) and checks that,
// stripped of its styles, it reads word for word as the plain one.
func colourGolden(t *testing.T, build func() Model) {
	t.Helper()
	plain := build().View()
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	coloured := build().View()
	if !strings.Contains(coloured, "\x1b[") {
		t.Fatal("no colour in the coloured screen: the test proves nothing")
	}
	// Compared word by word: the text input's cursor is a styled space
	// that the plain screen trims.
	words := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
		return strings.Join(out, "\n")
	}
	if got := ansi.Strip(coloured); words(got) != words(plain) {
		t.Errorf("the coloured screen says something the plain one does not:\n%s\n--- plain:\n%s", got, plain)
	}
	golden.RequireEqual(t, []byte(coloured))
}

// isolateModel has two targets probed in isolate mode, with a fixed random
// stream so the generated origins are the same on every run.
func isolateModel(t *testing.T, w, h int) Model {
	t.Helper()
	plan := func(req PlanRequest) (cachemodel.TargetPlan, error) {
		if req.Mode == ModeIsolate {
			return cachemodel.BuildIsolatePlan(req.Index, req.URL, cachemodel.PlanOptions{Origins: req.Origins, Rounds: 2, UserAgent: "corscope/test"},
				cachemodel.IsolateOptions{Rand: bytes.NewReader(bytes.Repeat([]byte{0x5a, 0xc3, 0x17}, 4096))}), nil
		}
		return observePlan(req)
	}
	opt := Options{Engine: poisonedCDN(), Plan: plan, Modes: []Mode{ModeObserve, ModeIsolate}, Mode: ModeIsolate,
		Origins: []string{appOrigin, adminOrigin}, URLs: []*url.URL{mustURL(t, urlA), mustURL(t, urlB)}}
	return start(t, newTestModelOpt(t, opt, w, h))
}
