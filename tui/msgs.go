package tui

import (
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// Every asynchronous message carries the ID of what it belongs to (a run,
// a status flash, a purge); Update drops those that no longer match.

// runEventKind says what happened in a run.
type runEventKind int

const (
	eventObserved  runEventKind = iota // one step of a target finished
	eventStarted                       // one step's request went on the wire (Step, At)
	eventReport                        // a target finished and was analysed
	eventCancelled                     // a target was stopped before it finished
	eventPlanError                     // a target's plan could not be built
	eventRunError                      // the run failed as a whole (Err)
)

// runEvent is one thing a run reports; Target is the plan index within the
// run.
type runEvent struct {
	Kind   runEventKind
	Target int
	Steps  int // eventObserved, eventStarted: the target's step count
	// eventStarted: the step (in Plan) whose request went out, and when.
	Step int
	At   time.Time
	// eventObserved: the answer and the plan it belongs to, so the matrix
	// can show each variant's column as it completes (eventStarted: the
	// plan, to name the step in flight).
	Obs    cachemodel.Observation
	Plan   *cachemodel.TargetPlan
	Report *cachemodel.TargetReport
	Err    string
}

// runEventsMsg carries the events read from a run's channel in one go
// (sent by waitForRunEvents). Batching keeps a 10,000-target run from
// flooding Update with one message per request.
type runEventsMsg struct {
	RunID  uint64
	Events []runEvent
}

// runFinishedMsg says a run's channel closed (sent by waitForRunEvents);
// a run's fatal error arrives before it as an eventRunError.
type runFinishedMsg struct {
	RunID uint64
}

// statusClearedMsg clears the status flash numbered Seq (sent by
// clearStatusAfter) unless a newer flash replaced it.
type statusClearedMsg struct{ Seq int }

// exportDoneMsg reports a finished export (sent by exportReport).
type exportDoneMsg struct {
	Path    string
	Targets int
	// Exists: nothing was written because the file exists and replacing
	// it was not confirmed yet.
	Exists bool
	Err    error
}

// clipboardDoneMsg reports an OSC 52 copy (sent by copyToClipboard).
type clipboardDoneMsg struct {
	What   string
	InTmux bool // tmux forwards it only with set-clipboard on
	Err    error
}

// purgePlanMsg carries what a purge would do (sent by planPurge).
type purgePlanMsg struct {
	Seq    int
	Target int // target ID
	Req    PurgeRequest
	Plan   PurgePlan
	Err    error
}

// purgeDoneMsg reports a purge and its verification (sent by runPurge).
// Req holds the report from before the purge.
type purgeDoneMsg struct {
	Seq     int
	Target  int
	Req     PurgeRequest
	Outcome PurgeOutcome
	Err     error
}

// purgeProgressMsg is the latest progress line of the purge in flight
// (sent by purgeProgress.next).
type purgeProgressMsg struct {
	Seq  int
	Line string
}

// spinTickMsg advances the spinner (sent by tickSpinner while runs are
// active).
type spinTickMsg struct{}
