package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

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
		t.partial, t.partialPlan, t.partialRep, t.inFlight, t.startsKnown = nil, nil, nil, nil, false
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
		case eventStarted:
			if !r.startsSeen {
				r.startsSeen = true
				for _, id := range r.targets {
					if o := m.s.targets[id]; o.runID == r.id {
						o.startsKnown = true
					}
				}
			}
			t.stepsTotal = e.Steps
			if e.Plan != nil {
				t.partialPlan = e.Plan
			}
			if t.inFlight == nil {
				t.inFlight = map[int]time.Time{}
			}
			at := e.At
			if at.IsZero() {
				at = m.c.now()
			}
			t.inFlight[e.Step] = at
		case eventObserved:
			t.state = stateProbing
			t.stepsDone++
			t.stepsTotal = e.Steps
			if e.Plan != nil {
				t.partialPlan = e.Plan
				t.partial = append(t.partial, e.Obs)
				t.partialRep = nil
				t.lastAnswer = m.c.now()
				delete(t.inFlight, e.Obs.Step)
			}
		case eventReport:
			if t.current != nil {
				t.previous = t.current
			}
			t.current = e.Report
			t.stale = false
			t.partial, t.partialPlan, t.partialRep, t.inFlight = nil, nil, nil, nil
			t.state = stateDone
			if failed, why := allFailed(e.Report); failed {
				t.state, t.err = stateFailed, why
			}
			r.owned--
		case eventCancelled:
			t.state = stateCancelled
			t.partial, t.partialPlan, t.partialRep, t.inFlight = nil, nil, nil, nil
			r.owned--
		case eventPlanError:
			t.state, t.err = stateFailed, e.Err
			r.owned--
		}
	}
	m.targets.Refresh()
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
	return m.setFlash(flashOK, "re-probed "+plural(again, "target")+" · "+m.c.keys.Diff.Help().Key+" diffs against the previous run")
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
			t.inFlight = nil
			n++
		}
	}
	r.cancel()
	delete(m.runs, id)
	return n
}
