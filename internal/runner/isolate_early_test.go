package runner

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// gateEngine answers the guard steps (every key's first request) at once
// and holds the rest of the head until release is closed; the guard
// steps answer firstStatus ("" for a failure), the rest MISS. It notes
// when the adversarial steps start.
type gateEngine struct {
	guard       []int
	firstStatus string
	release     chan struct{}
	advStarted  chan struct{}
	once        sync.Once
	mu          sync.Mutex
	adv         int
}

func (g *gateEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	answer := func(p cachemodel.TargetPlan, i int, status string) {
		o := cachemodel.Observation{Target: p.Index, Step: i}
		if status == "" {
			o.Err = &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "refused"}
		} else {
			o.Response = &cachemodel.Response{Status: 200, Headers: cachemodel.Headers{{Name: "X-Cache", Value: status}}}
		}
		out <- o
	}
	for _, p := range plans {
		if len(p.Steps) > 0 && p.Steps[0].Experiment == cachemodel.ExperimentAdversarial {
			g.once.Do(func() { close(g.advStarted) })
			g.mu.Lock()
			g.adv += len(p.Steps)
			g.mu.Unlock()
			for i := range p.Steps {
				answer(p, i, "MISS")
			}
			continue
		}
		for _, i := range g.guard {
			answer(p, i, g.firstStatus)
		}
		<-g.release
		for i := range p.Steps {
			if !slices.Contains(g.guard, i) {
				answer(p, i, "MISS")
			}
		}
	}
	return ctx.Err()
}

// Issue 16, item 1: the adversarial steps start as soon as every key's
// first request shows the busting parameter works, while the rest of the
// keys' chains are still running; when the first requests cannot tell
// (none answered) the decision waits for the whole head, as before; a
// fresh key served from cache withholds them.
func TestIsolateEngineDecidesOnFirstRequests(t *testing.T) {
	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com/x")
	p := cachemodel.BuildIsolatePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}}, cachemodel.IsolateOptions{})
	for _, c := range []struct {
		name        string
		first       string
		early, sent bool
	}{
		{"fresh keys", "MISS", true, true},
		{"first requests failed", "", false, true},
		{"buster ignored", "HIT", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := &gateEngine{guard: cachemodel.AdversarialGuard(p), firstStatus: c.first,
				release: make(chan struct{}), advStarted: make(chan struct{})}
			eng := NewIsolateEngine(g, 1)
			out := make(chan cachemodel.Observation)
			done := make(chan int)
			go func() {
				n := 0
				for range out {
					n++
				}
				done <- n
			}()
			go func() { _ = eng.Run(context.Background(), []cachemodel.TargetPlan{p}, out) }()
			select {
			case <-g.advStarted:
				if !c.early {
					t.Error("adversarial steps started before the head was complete")
				}
			case <-time.After(300 * time.Millisecond):
				if c.early {
					t.Error("adversarial steps waited for the whole head")
				}
			}
			close(g.release)
			if n := <-done; n != len(p.Steps) {
				t.Errorf("%d observations for %d steps", n, len(p.Steps))
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if sent := g.adv > 0; sent != c.sent || eng.Withheld(0) == c.sent {
				t.Errorf("adversarial sent %v (%d), withheld %v; want sent %v", sent, g.adv, eng.Withheld(0), c.sent)
			}
		})
	}
}
