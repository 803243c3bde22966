package tui

import (
	"net/url"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/corscope/corscope/cachemodel"
)

// targetState is where a target is in its life.
type targetState int

const (
	stateIdle      targetState = iota // never probed (or loaded from a report)
	stateQueued                       // claimed by a run, no answer yet
	stateProbing                      // some steps done
	stateDone                         // report arrived
	stateFailed                       // every request failed, or no plan
	stateCancelled                    // the run stopped before it finished
)

// String is the word shown next to the state's glyph.
func (s targetState) String() string {
	switch s {
	case stateIdle:
		return "idle"
	case stateQueued:
		return "queued"
	case stateProbing:
		return "probing"
	case stateDone:
		return "done"
	case stateFailed:
		return "error"
	case stateCancelled:
		return "stopped"
	}
	return "?"
}

// running reports whether a run still owes this target an answer.
func (s targetState) running() bool { return s == stateQueued || s == stateProbing }

// change is how a target differs from its previous result (view of two
// reports, or d after a re-probe).
type change int

const (
	changeNone    change = iota // nothing to compare
	changeSame                  // compared, equal
	changeChanged               // compared, something differs
	changeAdded                 // only in the newer run
	changeRemoved               // only in the older run
)

// target is one URL and everything known about it.
type target struct {
	id    int
	raw   string // the URL as text (from the user or a report file)
	url   *url.URL
	lower string // safe(raw) lower-cased, for filtering
	label string // safe(raw), for drawing

	state      targetState
	runID      uint64 // the run that owns it; events from others are stale
	stepsDone  int
	stepsTotal int
	mode       Mode   // mode of the last run started for it
	err        string // plan or run error (raw; made safe when drawn)

	current  *cachemodel.TargetReport
	previous *cachemodel.TargetReport // the run before current, for d
	// afterPurge is the verification re-probe of the last purge; while it
	// is current, the matrix says so.
	afterPurge *cachemodel.TargetReport
	// partial holds the answers of the run in flight and the plan they
	// belong to, until its report arrives: the matrix shows them as they
	// come. lastAnswer is when the latest one arrived.
	partial     []cachemodel.Observation
	partialPlan *cachemodel.TargetPlan
	partialRep  *cachemodel.TargetReport // built from partial, on demand
	lastAnswer  time.Time
	// inFlight holds the steps of the run in flight whose request is on
	// the wire (the engine said so) and not yet answered, with when each
	// went out; a step of partialPlan in neither partial nor inFlight is
	// queued.
	inFlight map[int]time.Time
	// startsKnown: the engine of the run in flight reports when requests
	// go out (it reported one), so a step not reported is queued. Without
	// it nothing tells queued from in flight.
	startsKnown bool
	// stale marks a result from before a purge that reached this target
	// too (purge everything, by host, prefix or tag) but was not
	// re-probed: the cache may no longer serve what it shows.
	stale bool
	// onlyNew and onlyOld mark a target of a two-report view that only one
	// of them has.
	onlyNew, onlyOld bool
	// The change marker is computed when first drawn and kept for these
	// two reports: a diff over 10,000 targets must not stall a key press.
	changeCur, changePrev *cachemodel.TargetReport
	changeMemo            change
}

// change says how the current result differs from the previous one.
func (t *target) change() change {
	switch {
	case t.onlyNew:
		return changeAdded
	case t.onlyOld:
		return changeRemoved
	case t.current == nil || t.previous == nil:
		return changeNone
	}
	if t.changeCur != t.current || t.changePrev != t.previous {
		t.changeCur, t.changePrev = t.current, t.previous
		t.changeMemo = changeOf(t.current, t.previous)
	}
	return t.changeMemo
}

func newTarget(id int, raw string, u *url.URL) *target {
	label := safe(raw)
	return &target{id: id, raw: raw, url: u, label: label, lower: strings.ToLower(label)}
}

// worst returns the highest finding severity of the current report, or ""
// when there is none.
func (t *target) worst() cachemodel.Severity {
	if t.current == nil {
		return ""
	}
	var w cachemodel.Severity
	for _, f := range t.current.Findings {
		if f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}

// allFailed reports whether every request of a report failed.
func allFailed(r *cachemodel.TargetReport) (bool, string) {
	if r == nil || len(r.Variants) == 0 {
		return false, ""
	}
	for _, v := range r.Variants {
		if v.Error == nil {
			return false, ""
		}
	}
	return true, r.Variants[0].Error.Error()
}

// store holds the targets in the order they were added. The targets pane,
// the runs and the exporter all read it; only the root's Update writes it.
type store struct {
	targets []*target
	byURL   map[string]int // raw URL -> id, for duplicates and view diffs
	// dir is the longest "scheme://host/…/" every target's label starts
	// with (kept as targets are added); the list shows it once.
	dir string
	// widest is the display width of the longest label, kept as targets
	// are added, so the layout need not measure every label per update.
	widest int
}

func newStore() *store { return &store{byURL: map[string]int{}} }

// add appends a target; ok is false (and the existing one returned) for a
// URL already listed.
func (s *store) add(raw string, u *url.URL) (*target, bool) {
	if id, dup := s.byURL[raw]; dup {
		return s.targets[id], false
	}
	t := newTarget(len(s.targets), raw, u)
	s.targets = append(s.targets, t)
	s.byURL[raw] = t.id
	if len(s.targets) == 1 {
		s.dir = t.label
	}
	s.dir = sharedDir(s.dir, t.label)
	s.widest = max(s.widest, ansi.StringWidth(t.label))
	return t, true
}

// widestShown is the display width of the widest shownLabel: every label
// starts with dir (which ends at a '/'), so it is the widest label less
// dir's width.
func (s *store) widestShown() int {
	if len(s.targets) > 1 && s.dir != "" {
		return s.widest - ansi.StringWidth(s.dir)
	}
	return s.widest
}

// sharedDir is the longest prefix of a and b that ends in '/' and still
// names a host ("https://cdn.example/" at least), or "".
func sharedDir(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	p := a[:n]
	p = p[:strings.LastIndexByte(p, '/')+1]
	if i := strings.Index(p, "://"); i < 0 || strings.Count(p[i+3:], "/") < 1 {
		return ""
	}
	return p
}

// shownLabel is a target's label without the directory every target
// shares (the title names it), when there is more than one target.
func (s *store) shownLabel(t *target) string {
	if len(s.targets) > 1 && s.dir != "" && len(t.label) > len(s.dir) {
		return t.label[len(s.dir):]
	}
	return t.label
}

// counts tallies targets by state for the header and progress bar.
type counts struct {
	total, running, done, failed, cancelled, idle int
	stepsDone, stepsTotal                         int
}

func (s *store) counts() counts {
	var c counts
	c.total = len(s.targets)
	for _, t := range s.targets {
		switch t.state {
		case stateQueued, stateProbing:
			c.running++
			c.stepsDone += t.stepsDone
			c.stepsTotal += t.stepsTotal
		case stateDone:
			c.done++
		case stateFailed:
			c.failed++
		case stateCancelled:
			c.cancelled++
		case stateIdle:
			c.idle++
		}
	}
	return c
}

// reports returns the current report of every target that has one, in
// target order.
func (s *store) reports() []cachemodel.TargetReport {
	var out []cachemodel.TargetReport
	for _, t := range s.targets {
		if t.current != nil {
			out = append(out, *t.current)
		}
	}
	return out
}
