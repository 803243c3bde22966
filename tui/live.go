package tui

import (
	"cmp"
	"slices"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// liveReport is the report of a target still being probed, from the
// answers so far: the completed steps analysed as a plan of their own, so
// each variant's column shows as it completes. It carries no findings: a
// finding drawn from part of the experiments could be false. nil when the
// target has a result or no answer yet.
//
// It is analysed with default options, never with the configured
// analyzer: that one may do more per target (--confirm-in opens a
// browser), which must happen once, on the finished target.
func (t *target) liveReport() *cachemodel.TargetReport {
	if t.current != nil || !t.state.running() || t.partialPlan == nil || len(t.partial) == 0 {
		return nil
	}
	if t.partialRep != nil {
		return t.partialRep
	}
	plan := t.partialPlan
	done := slices.Clone(t.partial)
	slices.SortFunc(done, func(a, b cachemodel.Observation) int { return cmp.Compare(a.Step, b.Step) })
	sub := cachemodel.TargetPlan{Index: plan.Index, URL: plan.URL}
	obs := make([]cachemodel.Observation, 0, len(done))
	for _, o := range done {
		if o.Step < 0 || o.Step >= len(plan.Steps) {
			continue
		}
		step := plan.Steps[o.Step]
		o.Step = len(sub.Steps)
		sub.Steps = append(sub.Steps, step)
		obs = append(obs, o)
	}
	rep := cachemodel.Analyze(sub, obs, cachemodel.AnalyzeOptions{})
	rep.Findings = nil
	t.partialRep = &rep
	return &rep
}

// liveNote says how far a running target is, in words that are true
// whether its requests go one at a time or several at once.
func (m *Model) liveNote(t *target) string {
	note := m.spin.View() + " probing: " + itoa(t.stepsDone) + " of " + plural(t.stepsTotal, "request") + " answered"
	if !t.lastAnswer.IsZero() {
		note += " · last answer " + (m.c.now().Sub(t.lastAnswer).Truncate(100 * time.Millisecond)).String() + " ago"
	}
	return note + " · findings when every request is in · " + m.c.keys.Cancel.Help().Key + " cancels"
}
