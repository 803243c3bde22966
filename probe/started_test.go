package probe

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// The step-started hook fires once per step, when its request goes on the
// wire: with one slot per host, a step waiting for the slot is not
// reported, and every report comes before that step's observation.
func TestStepStartedAfterTheHostSlot(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan int, 4)
	var first sync.Once
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, _ := strconv.Atoi(r.Header.Get("X-Target"))
		arrived <- st
		first.Do(func() { <-release }) // the first request is held
	}))
	e := newEngine(t, Config{HostConcurrency: 1, Concurrency: 2})
	var mu sync.Mutex
	started := map[[2]int]int{}
	var order [][2]int
	ctx := cachemodel.WithStepStarted(t.Context(), func(target, step int, at time.Time) {
		if at.IsZero() {
			t.Errorf("target %d step %d started at the zero time", target, step)
		}
		mu.Lock()
		started[[2]int{target, step}]++
		order = append(order, [2]int{target, step})
		mu.Unlock()
	})
	// The first request is held on the server; the other target's step
	// waits for the slot.
	plans := []cachemodel.TargetPlan{
		plan(0, get(srv.URL+"/a", "X-Target", "0")),
		plan(1, get(srv.URL+"/b", "X-Target", "1")),
	}
	out := make(chan cachemodel.Observation, 4)
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx, plans, out) }()
	held := <-arrived
	waiting := 1 - held
	time.Sleep(50 * time.Millisecond) // room for a wrong report of the waiting target
	mu.Lock()
	if started[[2]int{waiting, 0}] != 0 {
		t.Errorf("target %d was reported started while it waited for the host's only slot", waiting)
	}
	if started[[2]int{held, 0}] != 1 {
		t.Errorf("target %d, held on the server, was reported started %d times, want 1", held, started[[2]int{held, 0}])
	}
	mu.Unlock()
	close(release)
	for o := range out {
		mustResponse(t, o)
		mu.Lock()
		if started[[2]int{o.Target, o.Step}] != 1 {
			t.Errorf("observation of target %d step %d before (or without) its start", o.Target, o.Step)
		}
		mu.Unlock()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != [2]int{held, 0} || order[1] != [2]int{waiting, 0} {
		t.Errorf("started %v, want target %d then target %d", order, held, waiting)
	}
}
