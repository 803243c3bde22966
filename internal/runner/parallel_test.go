package runner

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// Analyses that finish out of order (later targets faster) must still be
// delivered in plan order, with the hook never running concurrently.
func TestStreamParallelAnalysisKeepsOrder(t *testing.T) {
	ps := plans(60, 2)
	var running, peak atomic.Int32
	slow := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		// Earlier targets take longer, so workers finish them last.
		time.Sleep(time.Duration(60-p.Index) * 20 * time.Microsecond)
		running.Add(-1)
		return analyze(p, obs)
	}
	var inHook atomic.Bool
	var order []string
	err := Stream(context.Background(), fakeEngine{3}, ps, slow, Hooks{OnTarget: func(r cachemodel.TargetReport) error {
		if !inHook.CompareAndSwap(false, true) {
			t.Error("OnTarget called concurrently")
		}
		order = append(order, r.URL)
		inHook.Store(false)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(ps) {
		t.Fatalf("delivered %d of %d targets", len(order), len(ps))
	}
	for i, u := range order {
		if u != ps[i].URL {
			t.Fatalf("target %d delivered out of order: %s", i, u)
		}
	}
	if want := int32(min(runtime.GOMAXPROCS(0), 2)); peak.Load() < want {
		t.Errorf("at most %d analyses ran at once; want %d", peak.Load(), want)
	}
}

// After a hook error no further report is delivered, and Stream returns
// only once every analysis it started has finished.
func TestStreamHookErrorWaitsForWorkers(t *testing.T) {
	var live atomic.Int32
	a := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		live.Add(1)
		defer live.Add(-1)
		time.Sleep(200 * time.Microsecond)
		return analyze(p, obs)
	}
	calls := 0
	stop := context.Canceled
	err := Stream(context.Background(), fakeEngine{5}, plans(80, 1), a, Hooks{OnTarget: func(cachemodel.TargetReport) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	}})
	if err != stop || calls != 2 {
		t.Fatalf("err=%v after %d deliveries", err, calls)
	}
	if n := live.Load(); n != 0 {
		t.Fatalf("%d analyses still running after Stream returned", n)
	}
}
