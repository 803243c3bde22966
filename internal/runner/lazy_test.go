package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// stepEngine answers each step after a delay chosen by the target index
// and counts the targets in flight.
type stepEngine struct {
	delay    func(target int) time.Duration
	inFlight atomic.Int64
	maxIn    atomic.Int64
}

func (e *stepEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	for _, p := range plans {
		n := e.inFlight.Add(1)
		for m := e.maxIn.Load(); n > m && !e.maxIn.CompareAndSwap(m, n); m = e.maxIn.Load() {
		}
		for i := range p.Steps {
			if d := e.delay(p.Index); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
			o := cachemodel.Observation{Target: p.Index, Step: i, Response: &cachemodel.Response{Status: 200 + i}}
			if ctx.Err() != nil {
				o = cachemodel.Observation{Target: p.Index, Step: i, Err: &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled}}
			}
			out <- o
		}
		e.inFlight.Add(-1)
	}
	return ctx.Err()
}

// liveSource builds plans on demand and counts those built but not yet
// delivered (OnTarget decrements), remembering the most alive at once.
type liveSource struct {
	n, steps int
	built    int
	alive    atomic.Int64
	maxAlive atomic.Int64
}

func (s *liveSource) next() (cachemodel.TargetPlan, bool) {
	if s.built == s.n {
		return cachemodel.TargetPlan{}, false
	}
	p := plans(1, s.steps)[0]
	p.Index = s.built
	p.URL = fmt.Sprintf("http://t%d.example/", s.built)
	s.built++
	if a := s.alive.Add(1); a > s.maxAlive.Load() {
		s.maxAlive.Store(a)
	}
	return p, true
}

func (s *liveSource) finished() { s.alive.Add(-1) }

// 20,000 targets stream through with at most the reorder window of plans
// alive at once, never more than the concurrency probed at once, and are
// delivered in input order with every step in place. Building every plan
// first (what check did before) would hold all 20,000.
func TestStreamFromBoundsLivePlans(t *testing.T) {
	const n, conc = 20000, 8
	eng := &stepEngine{delay: func(i int) time.Duration {
		if i%97 == 0 {
			return 200 * time.Microsecond // a few slow targets hold the window
		}
		return 0
	}}
	src := &liveSource{n: n, steps: 3}
	got := 0
	err := StreamFrom(context.Background(), eng, src.next, conc, analyze, Hooks{OnTarget: func(r cachemodel.TargetReport) error {
		src.finished()
		if len(r.Variants) != 3 || r.Variants[2].Response.Status != 202 {
			t.Fatalf("target %d: steps misplaced: %+v", got, r.Variants)
		}
		got++
		return nil
	}})
	if err != nil || got != n {
		t.Fatalf("err=%v, %d of %d targets delivered", err, got, n)
	}
	if m := src.maxAlive.Load(); m > int64(ReorderWindow(conc)) {
		t.Errorf("%d plans alive at once, want at most %d (the reorder window)", m, ReorderWindow(conc))
	}
	if m := eng.maxIn.Load(); m > conc || m < 2 {
		t.Errorf("%d targets in flight at once, want 2 to %d", m, conc)
	}
}

// One slow target at the head holds the window: the source is not asked
// for more than the window while it runs, and the order is kept.
func TestStreamFromSlowHeadHoldsWindow(t *testing.T) {
	const conc = 4
	release := make(chan struct{})
	eng := &stepEngine{delay: func(i int) time.Duration {
		if i == 0 {
			<-release
		}
		return 0
	}}
	src := &liveSource{n: 1000, steps: 2}
	var order []string
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		errc <- StreamFrom(context.Background(), eng, src.next, conc, analyze, Hooks{OnTarget: func(r cachemodel.TargetReport) error {
			src.finished()
			order = append(order, r.URL)
			return nil
		}})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for src.alive.Load() < int64(ReorderWindow(conc)) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // room for a wrong implementation to overrun
	if a := src.alive.Load(); a != int64(ReorderWindow(conc)) {
		t.Errorf("%d plans alive behind a slow head, want the window (%d)", a, ReorderWindow(conc))
	}
	once.Do(func() { close(release) })
	if err := <-errc; err != nil || len(order) != 1000 {
		t.Fatalf("err=%v, %d targets", err, len(order))
	}
	for i := range order {
		if order[i] != fmt.Sprintf("http://t%d.example/", i) {
			t.Fatalf("target %d delivered out of order", i)
		}
	}
}

func TestStreamFromObservationsAndErrors(t *testing.T) {
	// Every observation reaches OnObservation; a hook error stops the run.
	src := &liveSource{n: 50, steps: 3}
	seen, delivered := 0, 0
	stop := errors.New("stop")
	err := StreamFrom(context.Background(), fakeEngine{1}, src.next, 4, analyze, Hooks{
		OnObservation: func(*cachemodel.TargetPlan, cachemodel.Observation) { seen++ },
		OnTarget: func(cachemodel.TargetReport) error {
			if delivered++; delivered == 10 {
				return stop
			}
			return nil
		},
	})
	if !errors.Is(err, stop) || delivered != 10 || seen < 30 {
		t.Errorf("err=%v delivered=%d seen=%d", err, delivered, seen)
	}

	// A plan out of sequence is refused.
	bad := func() (cachemodel.TargetPlan, bool) { return cachemodel.TargetPlan{Index: 5}, true }
	if err := StreamFrom(context.Background(), fakeEngine{1}, bad, 4, analyze, Hooks{}); err == nil || err.Error() != "runner: plan 0 has index 5" {
		t.Errorf("bad index: %v", err)
	}

	// An engine that drops observations leaves the target incomplete.
	src = &liveSource{n: 3, steps: 3}
	if err := StreamFrom(context.Background(), shortEngine{}, src.next, 2, analyze, Hooks{}); err == nil {
		t.Error("incomplete targets not reported")
	}

	// Cancellation: started targets are delivered (cancelled steps), the
	// source is asked for no more (the plan built as the cancellation came
	// may be dropped), and ctx.Err() is returned.
	ctx, cancel := context.WithCancel(context.Background())
	eng := &stepEngine{delay: func(int) time.Duration { return time.Millisecond }}
	src = &liveSource{n: 100000, steps: 2}
	delivered = 0
	err = StreamFrom(ctx, eng, src.next, 4, func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.TargetReport{URL: p.URL}
	}, Hooks{OnTarget: func(cachemodel.TargetReport) error {
		if delivered++; delivered == 20 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) || src.built > 20+ReorderWindow(4) || delivered < src.built-1 {
		t.Errorf("cancel: err=%v built=%d delivered=%d", err, src.built, delivered)
	}
}
