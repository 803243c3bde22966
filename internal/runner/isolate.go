package runner

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// IsolateEngine runs isolate plans in two phases per target: the cache
// experiments first, then the adversarial experiment only when their
// responses show the cache keys on the busting parameter
// (cachemodel.AdversarialSafe). In a Scheduled plan the adversarial phase
// starts as soon as the guard steps (every key's first request,
// cachemodel.AdversarialGuard) show it is safe, while the rest of each
// key's chain is still running. Otherwise the "fresh" keys are the real
// one and an attacker-style Origin could poison what real users get, so
// those steps are not sent: they are reported to the runner as withheld
// (which it needs to complete the target) and trimmed before analysis.
type IsolateEngine struct {
	Inner Engine
	// Concurrency bounds the targets whose adversarial phase runs at once.
	// The first phase is a single Inner.Run over every target, so the
	// inner engine's own concurrency bounds it. Under StreamFrom each Run
	// gets one target, so StreamFrom's concurrency bounds both.
	Concurrency int

	mu       sync.Mutex
	withheld map[int]bool
}

// NewIsolateEngine wraps inner (a probe engine) with the isolate-mode
// safety guard.
func NewIsolateEngine(inner Engine, concurrency int) *IsolateEngine {
	return &IsolateEngine{Inner: inner, Concurrency: concurrency}
}

// Guard wraps inner with the isolate guard, one IsolateEngine per Run: the
// adversarial experiment of an isolate plan is only sent when the cache
// experiments show the busting parameter works. Observe plans have no
// adversarial steps and pass straight through. A guard per run, because
// an engine may run several at once with overlapping plan indexes (the
// TUI does). Analyse its targets with GuardAnalyzer.
func Guard(inner Engine, concurrency int) Engine { return guarded{inner, concurrency} }

type guarded struct {
	inner       Engine
	concurrency int
}

func (g guarded) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	return NewIsolateEngine(g.inner, g.concurrency).Run(ctx, plans, out)
}

// GuardAnalyzer is analyze for targets run behind the guard: a target's
// adversarial steps the guard withheld are dropped first (TrimWithheld),
// so the report holds only what was sent.
func GuardAnalyzer(analyze Analyzer) Analyzer {
	return func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		p, obs = TrimWithheld(p, obs)
		return analyze(p, obs)
	}
}

// TrimWithheld drops a target's adversarial steps when the guard withheld
// them. The guard's decision is a pure function of the cache experiments'
// observations (cachemodel.AdversarialSafe; an early go-ahead from
// AdversarialSafeEarly implies it), so it is recomputed here rather than
// looked up: it needs no state shared with the run.
func TrimWithheld(p cachemodel.TargetPlan, obs []cachemodel.Observation) (cachemodel.TargetPlan, []cachemodel.Observation) {
	n := cachemodel.AdversarialStart(p)
	if n == len(p.Steps) {
		return p, obs
	}
	if ok, _ := cachemodel.AdversarialSafe(p, obs); ok {
		return p, obs
	}
	p.Steps = p.Steps[:n]
	return p, obs[:min(n, len(obs))]
}

// Withheld reports whether a target's adversarial steps were not sent.
func (e *IsolateEngine) Withheld(target int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.withheld[target]
}

// Run implements Engine: the cache experiments of every target first, then
// each target's adversarial steps once its experiments are in, or withheld
// observations for them when that is not safe. It closes out on return.
func (e *IsolateEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	// Observations name their target by plan Index; plans are usually
	// indexed by position, but StreamFrom runs one plan at a time.
	var byIndex map[int]int
	for i, p := range plans {
		if p.Index != i {
			byIndex = make(map[int]int, len(plans))
			for j, q := range plans {
				byIndex[q.Index] = j
			}
			break
		}
	}
	pos := func(target int) (int, bool) {
		if byIndex != nil {
			i, ok := byIndex[target]
			return i, ok
		}
		return target, target >= 0 && target < len(plans)
	}
	heads := make([]cachemodel.TargetPlan, len(plans))
	cut := make([]int, len(plans))
	guard := make([][]int, len(plans))   // steps an early decision reads
	guardLeft := make([]int, len(plans)) // of those, not yet observed
	decided := make([]bool, len(plans))
	for i, p := range plans {
		cut[i] = cachemodel.AdversarialStart(p)
		heads[i] = cachemodel.TargetPlan{Index: p.Index, URL: p.URL, Steps: p.Steps[:cut[i]], Scheduled: p.Scheduled}
		guard[i] = cachemodel.AdversarialGuard(p)
		guardLeft[i] = len(guard[i])
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(e.Concurrency, 1))
	obs := make(map[int][]cachemodel.Observation)
	got := make(map[int]int)
	// sendTail starts target i's adversarial steps. In a Scheduled plan
	// they have no order among themselves (each is on its own key).
	sendTail := func(i int) {
		p := plans[i]
		tail := cachemodel.TargetPlan{Index: p.Index, URL: p.URL, Steps: p.Steps[cut[i]:], Scheduled: p.Scheduled}
		if p.Scheduled {
			tail.Steps = slices.Clone(tail.Steps)
			for s := range tail.Steps {
				tail.Steps[s].After = nil
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ch := make(chan cachemodel.Observation, 16)
			tctx := ctx
			if started := cachemodel.StepStartedFrom(ctx); started != nil {
				// The tail's steps are numbered from 0; the hook names
				// them in the whole plan, as the observations are.
				tctx = cachemodel.WithStepStarted(ctx, func(target, step int, at time.Time) { started(target, step+cut[i], at) })
			}
			go func() { _ = e.Inner.Run(tctx, []cachemodel.TargetPlan{tail}, ch) }()
			for o := range ch {
				o.Step += cut[i]
				out <- o
			}
		}()
	}
	// early decides as soon as the guard steps are in, when they alone
	// show the adversarial steps are safe (cachemodel.AdversarialSafeEarly:
	// then the whole head would too). Otherwise the decision waits for the
	// whole head, as it always did.
	early := func(i int) {
		if decided[i] || cut[i] == len(plans[i].Steps) || !cachemodel.AdversarialSafeEarly(plans[i], obs[i]) {
			return
		}
		decided[i] = true
		sendTail(i)
	}
	finishHead := func(i int) {
		p := plans[i]
		headObs := obs[i]
		delete(obs, i)
		delete(got, i)
		if cut[i] == len(p.Steps) || decided[i] {
			return
		}
		decided[i] = true
		if ok, why := cachemodel.AdversarialSafe(p, headObs); !ok {
			e.mu.Lock()
			if e.withheld == nil {
				e.withheld = map[int]bool{}
			}
			e.withheld[p.Index] = true
			e.mu.Unlock()
			for s := cut[i]; s < len(p.Steps); s++ {
				out <- cachemodel.Observation{Target: p.Index, Step: s,
					Err: &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled, Message: "not sent: " + why}}
			}
			return
		}
		sendTail(i)
	}
	for i := range plans {
		if cut[i] == 0 {
			finishHead(i)
		}
	}
	inner := make(chan cachemodel.Observation, 64)
	errc := make(chan error, 1)
	go func() { errc <- e.Inner.Run(ctx, heads, inner) }()
	for o := range inner {
		out <- o
		i, ok := pos(o.Target)
		if !ok || o.Step < 0 || o.Step >= cut[i] {
			continue
		}
		if obs[i] == nil {
			obs[i] = make([]cachemodel.Observation, cut[i])
		}
		obs[i][o.Step] = o
		if guardLeft[i] > 0 && slices.Contains(guard[i], o.Step) {
			if guardLeft[i]--; guardLeft[i] == 0 {
				early(i)
			}
		}
		if got[i]++; got[i] == cut[i] {
			finishHead(i)
		}
	}
	err := <-errc
	wg.Wait()
	return err
}
