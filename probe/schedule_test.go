package probe

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// stepServer holds each request for hold and records, per X-Step, when it
// arrived and when its answer was about to go out, and the most requests
// it had at once.
type stepServer struct {
	mu                    sync.Mutex
	began, ended          map[int]time.Time
	inFlight, maxInFlight int
}

func newStepServer(t *testing.T, hold time.Duration) (*stepServer, string) {
	s := &stepServer{began: map[int]time.Time{}, ended: map[int]time.Time{}}
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, _ := strconv.Atoi(r.Header.Get("X-Step"))
		s.mu.Lock()
		s.began[st] = time.Now()
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.mu.Unlock()
		time.Sleep(hold)
		s.mu.Lock()
		s.inFlight--
		s.ended[st] = time.Now()
		s.mu.Unlock()
	}))
	return s, srv.URL
}

// Issue 16, item 1: in a Scheduled plan a step waits for its After steps
// only; steps with no order between them are in flight at once.
func TestScheduledStepsHonourAfter(t *testing.T) {
	const hold = 80 * time.Millisecond
	s, url := newStepServer(t, hold)
	after := [][]int{nil, nil, {0}, {0, 1}, {3}, nil, {2, 4}}
	p := cachemodel.TargetPlan{Index: 7, Scheduled: true}
	for i, a := range after {
		st := get(url+"/", "X-Step", strconv.Itoa(i))
		st.After = a
		p.Steps = append(p.Steps, st)
	}
	e := newEngine(t, Config{})
	began := time.Now()
	obs, err := run(t, t.Context(), e, p)
	elapsed := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, o := range obs {
		mustResponse(t, o)
		if o.Target != 7 {
			t.Errorf("observation for target %d", o.Target)
		}
		seen[o.Step]++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range after {
		if seen[i] != 1 {
			t.Errorf("step %d observed %d times", i, seen[i])
		}
		for _, d := range a {
			if !s.began[i].After(s.ended[d]) {
				t.Errorf("step %d reached the server before step %d (its After) was answered", i, d)
			}
		}
	}
	// Levels: {0,1,5}, {2,3}, {4}, {6}: 4 holds, not 7.
	if s.maxInFlight < 3 {
		t.Errorf("at most %d steps in flight, want the 3 independent ones at once", s.maxInFlight)
	}
	if elapsed > 6*hold {
		t.Errorf("took %v; 4 levels of %v should not take 7 holds", elapsed, hold)
	}
}

// Plans without Scheduled keep strict order (TestStepsInOrderTargetsInParallel);
// After is ignored there.
func TestUnscheduledPlanIgnoresAfter(t *testing.T) {
	s, url := newStepServer(t, 10*time.Millisecond)
	p := plan(0, get(url+"/", "X-Step", "0"), get(url+"/", "X-Step", "1"), get(url+"/", "X-Step", "2"))
	p.Steps[1].After, p.Steps[2].After = nil, []int{0}
	if _, err := run(t, t.Context(), newEngine(t, Config{}), p); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxInFlight != 1 || !s.began[2].After(s.ended[1]) {
		t.Errorf("an unscheduled plan ran steps at once (max %d in flight)", s.maxInFlight)
	}
}

// Issue 16, item 1: HostConcurrency bounds the requests in flight to one
// host across targets, in ordered and in Scheduled plans.
func TestHostConcurrencyBound(t *testing.T) {
	for _, scheduled := range []bool{false, true} {
		t.Run("scheduled="+strconv.FormatBool(scheduled), func(t *testing.T) {
			s, url := newStepServer(t, 30*time.Millisecond)
			var plans []cachemodel.TargetPlan
			for ti := range 6 {
				var sts []cachemodel.Step
				for si := range 3 {
					sts = append(sts, get(url+"/", "X-Step", strconv.Itoa(ti*3+si)))
				}
				p := plan(ti, sts...)
				p.Scheduled = scheduled
				plans = append(plans, p)
			}
			e := newEngine(t, Config{Concurrency: 6, HostConcurrency: 2})
			obs, err := run(t, t.Context(), e, plans...)
			if err != nil || len(obs) != 18 {
				t.Fatalf("%d observations, err %v", len(obs), err)
			}
			for _, o := range obs {
				mustResponse(t, o)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.maxInFlight != 2 {
				t.Errorf("max in flight to the host = %d, want 2", s.maxInFlight)
			}
		})
	}
}

// Cancelling a Scheduled plan reports every step exactly once, the ones
// never started as canceled.
func TestScheduledCancel(t *testing.T) {
	_, url := newStepServer(t, 50*time.Millisecond)
	p := cachemodel.TargetPlan{Scheduled: true}
	for i := range 6 {
		st := get(url+"/", "X-Step", strconv.Itoa(i))
		if i > 0 {
			st.After = []int{i - 1}
		}
		p.Steps = append(p.Steps, st)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 75*time.Millisecond)
	defer cancel()
	obs, err := run(t, ctx, newEngine(t, Config{}), p)
	if err == nil {
		t.Fatal("no error from a cancelled run")
	}
	seen := map[int]int{}
	canceled := 0
	for _, o := range obs {
		seen[o.Step]++
		if o.Err != nil && o.Err.Kind == cachemodel.ErrCanceled {
			canceled++
		}
	}
	for i := range 6 {
		if seen[i] != 1 {
			t.Errorf("step %d observed %d times", i, seen[i])
		}
	}
	if canceled < 4 {
		t.Errorf("%d steps canceled, want at least the 4 never started", canceled)
	}
}

func TestHostConcurrencyValidated(t *testing.T) {
	if _, err := New(Config{HostConcurrency: -1}); err == nil {
		t.Error("negative HostConcurrency accepted")
	}
}

// --rate still holds when a Scheduled plan has many steps ready at once:
// they leave one per token, not in a burst.
func TestRateLimitScheduledPlan(t *testing.T) {
	const perSecond = 20 // one request every 50ms per host
	s, url := newStepServer(t, 0)
	p := cachemodel.TargetPlan{Scheduled: true}
	for i := range 6 {
		p.Steps = append(p.Steps, get(url+"/", "X-Step", strconv.Itoa(i)))
	}
	if _, err := run(t, t.Context(), newEngine(t, Config{Rate: perSecond}), p); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var times []time.Time
	for _, at := range s.began {
		times = append(times, at)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	if len(times) != 6 {
		t.Fatalf("%d requests", len(times))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 25*time.Millisecond {
			t.Errorf("requests %d and %d only %v apart at %d/s", i-1, i, gap, perSecond)
		}
	}
}
