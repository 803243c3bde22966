package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
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
// whether its requests go one at a time or several at once, then each
// request in flight with its time against the timeout, and those queued.
func (m *Model) liveNote(t *target) string {
	note := m.spin.View() + " probing: " + itoa(t.stepsDone) + " of " + plural(t.stepsTotal, "request") + " answered"
	if !t.lastAnswer.IsZero() && len(t.inFlight) == 0 {
		note += " · last answer " + (m.c.now().Sub(t.lastAnswer).Truncate(100 * time.Millisecond)).String() + " ago"
	}
	note += " · findings when every request is in · " + m.c.keys.Cancel.Help().Key + " cancels"
	if p := m.pendingNote(t); p != "" {
		note += "\n" + p
	}
	return note
}

// pendingNote lists a running target's steps that have no answer yet: each
// one in flight with how long it has been out against the timeout, then
// how many are queued (not sent yet) and which. "" when the engine has not
// said which steps are out (no plan seen yet).
func (m *Model) pendingNote(t *target) string {
	plan := t.partialPlan
	if plan == nil {
		return ""
	}
	answered := make(map[int]bool, len(t.partial))
	for _, o := range t.partial {
		answered[o.Step] = true
	}
	rounds := 0
	for _, st := range plan.Steps {
		rounds = max(rounds, st.Round)
	}
	var flying []int
	for s := range t.inFlight {
		if !answered[s] && s >= 0 && s < len(plan.Steps) {
			flying = append(flying, s)
		}
	}
	slices.Sort(flying)
	var lines []string
	var rest []int // in flight beyond maxFlightLines
	if len(flying) > maxFlightLines {
		flying, rest = flying[:maxFlightLines-1], flying[maxFlightLines-1:]
	}
	for _, s := range flying {
		el := max(m.c.now().Sub(t.inFlight[s]), 0).Truncate(100 * time.Millisecond)
		when := "in flight " + strconv.FormatFloat(el.Seconds(), 'f', 1, 64) + "s"
		if m.opt.Timeout > 0 {
			when += " / " + m.opt.Timeout.String()
		}
		lines = append(lines, "  "+when+" · "+stepName(plan.Steps[s], rounds))
	}
	if len(rest) > 0 {
		names := make([]string, len(rest))
		for i, s := range rest {
			names[i] = stepName(plan.Steps[s], rounds)
		}
		lines = append(lines, "  "+itoa(len(rest))+" more in flight: "+strings.Join(names, " · "))
	}
	var queued []string
	for s := range plan.Steps {
		if _, out := t.inFlight[s]; !out && !answered[s] {
			queued = append(queued, stepName(plan.Steps[s], rounds))
		}
	}
	switch {
	case len(queued) == 0:
	case t.startsKnown:
		lines = append(lines, "  "+itoa(len(queued))+" queued, not sent yet: "+strings.Join(queued, " · "))
	default: // the engine does not say which are out
		lines = append(lines, "  "+itoa(len(queued))+" not answered yet (queued or in flight): "+strings.Join(queued, " · "))
	}
	return strings.Join(lines, "\n")
}

// maxFlightLines bounds the lines of requests in flight, each with its
// time; the rest share one line, by name.
const maxFlightLines = 3

// stepName names a step as the matrix names its column: experiment and
// kind words, method, the Origin, and the round when there are several.
func stepName(st cachemodel.Step, rounds int) string {
	kind := string(st.Variant.Kind)
	switch st.Variant.Kind {
	case cachemodel.KindNoOrigin, cachemodel.KindNull, cachemodel.KindConfigured:
		kind = "" // the Origin says it
	}
	method := ""
	if st.Preflight {
		method = "OPTIONS"
	} else if st.Method != "" && st.Method != "GET" {
		method = st.Method
	}
	round := ""
	if rounds > 1 {
		round = "R" + itoa(st.Round)
	}
	return safe(joinNonEmpty(" ", st.Experiment, kind, method, st.Variant.Label(), round))
}
