package tui

import (
	"fmt"
	"testing"
)

// manyTargets is a model with n analysed targets and, when inFlight, a
// run over all of them with some progress, at 160×48.
func manyTargets(tb testing.TB, n int, inFlight bool) Model {
	tb.Helper()
	rep := poisonedReport(tb)
	opt := Options{Engine: newFakeCDN(), Plan: observePlan}
	for i := range n {
		opt.URLs = append(opt.URLs, mustURL(tb, fmt.Sprintf("http://127.0.0.1:8080/t%05d.json", i)))
	}
	m := newTestModelOpt(tb, opt, 160, 48)
	for _, t := range m.s.targets {
		r := rep
		r.URL = t.raw
		t.current, t.state = &r, stateDone
	}
	if inFlight {
		m = update(tb, m, keyMsg("R")) // the run's commands are not executed
		var evs []runEvent
		for i := 0; i < n; i += 3 {
			evs = append(evs, runEvent{Kind: eventObserved, Target: i, Steps: 10})
		}
		m = update(tb, m, runEventsMsg{RunID: m.lastRun, Events: evs})
	}
	// Select a target in the middle so the list is scrolled.
	m.targets.Select(n / 2)
	return update(tb, m, keyMsg("j"))
}

// BenchmarkView is one frame with 10,000 targets; only the visible rows
// are drawn, so it costs what a frame with a screenful does.
func BenchmarkView(b *testing.B) {
	for _, inFlight := range []bool{false, true} {
		b.Run(fmt.Sprintf("10000-targets-running=%v", inFlight), func(b *testing.B) {
			m := manyTargets(b, 10000, inFlight)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkDiffToggle is d with 10,000 targets that all have a previous
// run: change markers are computed only for the rows drawn.
func BenchmarkDiffToggle(b *testing.B) {
	m := manyTargets(b, 10000, false)
	for _, t := range m.s.targets {
		prev := *t.current
		t.previous = &prev
	}
	d := keyMsg("d")
	for b.Loop() {
		next, _ := m.Update(d)
		m = next.(Model)
		_ = m.View()
	}
}

// BenchmarkUpdateKey is a cursor move with 10,000 targets (the matrix and
// findings are rebuilt for the newly selected target).
func BenchmarkUpdateKey(b *testing.B) {
	m := manyTargets(b, 10000, false)
	down, up := keyMsg("j"), keyMsg("k")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		msg := down
		if i%2 == 1 {
			msg = up
		}
		i++
		next, _ := m.Update(msg)
		m = next.(Model)
	}
}
