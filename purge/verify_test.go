package purge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// fakeEngine answers each step from a function of (URL, Origin); ok=false
// makes the request fail. It records the steps in order.
type fakeEngine struct {
	answer func(url, origin string) (cachemodel.Headers, bool)
	mu     sync.Mutex
	steps  []cachemodel.Step
}

func (f *fakeEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	for _, p := range plans {
		for i, st := range p.Steps {
			f.mu.Lock()
			f.steps = append(f.steps, st)
			f.mu.Unlock()
			origin, _ := st.Headers.Get("Origin")
			o := cachemodel.Observation{Target: p.Index, Step: i, Start: time.Now()}
			if h, ok := f.answer(st.URL, origin); ok {
				o.Response = &cachemodel.Response{Status: 200, Proto: "HTTP/1.1", Headers: h}
			} else {
				o.Err = &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "connection refused"}
			}
			out <- o
		}
	}
	return ctx.Err()
}

func cfStatus(status string, age string) cachemodel.Headers {
	h := cachemodel.Headers{{Name: "CF-Cache-Status", Value: status}}
	if age != "" {
		h = append(h, cachemodel.Header{Name: "Age", Value: age})
	}
	return h
}

// verifyJob prepares a cloudflare job for one URL with app and null
// variants (null is skipped) and a result saying the request succeeded.
func verifyJob(t *testing.T, soft bool) (*Job, Result) {
	t.Helper()
	e := Settings{Provider: ProviderCloudflare, APIBase: "http://127.0.0.1:1", ZoneID: "z", BatchSize: 30, Soft: soft}
	job, err := Prepare(urlPlan(t, []string{"https://cdn.example.com/x.json"}, "https://app.example.com", "https://b.example.com", "null"),
		Options{Providers: []Settings{e}, Getenv: testEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	req := job.Batches[0].Requests[0]
	res := Result{Started: time.Now().Add(-300 * time.Millisecond), Requests: []RequestResult{{Request: req, Attempts: 1, Status: 200, OK: true}}}
	return job, res
}

func checkFor(t *testing.T, v Verification, origin string) VariantCheck {
	t.Helper()
	for _, c := range v.Checks {
		if c.Variant.Origin == origin {
			return c
		}
	}
	t.Fatalf("no check for %q", origin)
	return VariantCheck{}
}

func TestVerifyOutcomes(t *testing.T) {
	type answers map[string]cachemodel.Headers // origin -> headers; missing = request fails
	cases := []struct {
		name    string
		soft    bool
		started time.Duration // how long ago the purge began; default 300ms
		answers answers
		want    map[string]VerifyOutcome
		reason  map[string]string
	}{
		{
			name:    "all gone",
			answers: answers{"": cfStatus("MISS", ""), "https://app.example.com": cfStatus("MISS", ""), "https://b.example.com": cfStatus("EXPIRED", ""), "null": cfStatus("MISS", "")},
			want:    map[string]VerifyOutcome{"": Purged, "https://app.example.com": Purged, "https://b.example.com": Purged, "null": Purged},
		},
		{
			name: "skipped null copy still cached",
			answers: answers{"": cfStatus("MISS", ""), "https://app.example.com": cfStatus("MISS", ""), "https://b.example.com": cfStatus("MISS", ""),
				"null": cfStatus("HIT", "250")},
			want:   map[string]VerifyOutcome{"null": StillCached, "": Purged},
			reason: map[string]string{"null": `null copy not included in the purge: Cloudflare's purge API takes Origin values`},
		},
		{
			name: "old copy of an included Origin variant",
			answers: answers{"": cfStatus("MISS", ""), "https://app.example.com": cfStatus("HIT", "90"), "https://b.example.com": cfStatus("MISS", ""),
				"null": cfStatus("MISS", "")},
			want:   map[string]VerifyOutcome{"https://app.example.com": StillCached},
			reason: map[string]string{"https://app.example.com": "Origin-keyed purge was accepted"},
		},
		{
			name: "a HIT with no earlier MISS is still cached even at Age 0",
			answers: answers{"": cfStatus("MISS", ""), "https://app.example.com": cfStatus("HIT", "0"), "https://b.example.com": cfStatus("MISS", ""),
				"null": cfStatus("MISS", "")},
			want: map[string]VerifyOutcome{"https://app.example.com": StillCached},
		},
		{
			name: "young HIT after an earlier MISS may be our own refill",
			answers: answers{"": cfStatus("HIT", "0"), "https://app.example.com": cfStatus("MISS", ""), "https://b.example.com": cfStatus("HIT", "0"),
				"null": cfStatus("HIT", "")},
			want:   map[string]VerifyOutcome{"https://b.example.com": Unknown, "null": Unknown, "": Unknown},
			reason: map[string]string{"https://b.example.com": "HIT right after the https://app.example.com re-probe stored a fresh copy"},
		},
		{
			name:    "a young HIT long after the purge is a fresh copy",
			started: 10 * time.Second,
			answers: answers{"": cfStatus("MISS", ""), "https://app.example.com": cfStatus("HIT", "3"), "https://b.example.com": cfStatus("HIT", "20"), "null": cfStatus("MISS", "")},
			want:    map[string]VerifyOutcome{"https://app.example.com": Purged, "https://b.example.com": StillCached},
			reason:  map[string]string{"https://app.example.com": "stored after the purge (Age 3)"},
		},
		{
			name: "an ETag other than the refill's proves an old copy",
			answers: answers{"": cfStatus("MISS", ""), "https://app.example.com": append(cfStatus("MISS", ""), cachemodel.Header{Name: "ETag", Value: `"v-7"`}),
				"https://b.example.com": append(cfStatus("HIT", "0"), cachemodel.Header{Name: "ETag", Value: `"v-2"`}),
				"null":                  append(cfStatus("HIT", "0"), cachemodel.Header{Name: "ETag", Value: `"v-7"`})},
			want:   map[string]VerifyOutcome{"https://b.example.com": StillCached, "null": Unknown},
			reason: map[string]string{"https://b.example.com": "Origin-keyed purge was accepted"},
		},
		{
			name:    "not cacheable, no status, failed request",
			answers: answers{"": cfStatus("BYPASS", ""), "https://app.example.com": {{Name: "Server", Value: "x"}}, "null": cfStatus("DYNAMIC", "")},
			want:    map[string]VerifyOutcome{"": Unknown, "https://app.example.com": Unknown, "https://b.example.com": Unknown, "null": Unknown},
			reason:  map[string]string{"": "did not store this response (BYPASS)", "https://app.example.com": "no cache status header", "https://b.example.com": "the re-probe failed: connect"},
		},
		{
			name:    "soft purge revalidates",
			soft:    true,
			answers: answers{"": cfStatus("REVALIDATED", ""), "https://app.example.com": cfStatus("UPDATING", "100"), "https://b.example.com": cfStatus("EXPIRED", ""), "null": cfStatus("MISS", "")},
			want:    map[string]VerifyOutcome{"": Purged, "https://app.example.com": Purged, "https://b.example.com": Purged},
			reason:  map[string]string{"": "soft purge"},
		},
		{
			name:    "hard purge: a stale copy is still a copy",
			answers: answers{"": cfStatus("STALE", "500"), "https://app.example.com": cfStatus("MISS", ""), "https://b.example.com": cfStatus("MISS", ""), "null": cfStatus("MISS", "")},
			want:    map[string]VerifyOutcome{"": StillCached},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job, res := verifyJob(t, c.soft)
			if c.started > 0 {
				res.Started = time.Now().Add(-c.started)
			}
			eng := &fakeEngine{answer: func(_, origin string) (cachemodel.Headers, bool) {
				h, ok := c.answers[origin]
				return h, ok
			}}
			v, err := Verify(context.Background(), eng, job, res, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Checks) != 4 || len(v.Reports) != 1 {
				t.Fatalf("%d checks, %d reports", len(v.Checks), len(v.Reports))
			}
			for origin, want := range c.want {
				if got := checkFor(t, v, origin); got.Outcome != want {
					t.Errorf("%q: %s (%s), want %s", origin, got.Outcome, got.Reason, want)
				}
			}
			for origin, want := range c.reason {
				if got := checkFor(t, v, origin); !strings.Contains(got.Reason, want) {
					t.Errorf("%q reason %q, want %q", origin, got.Reason, want)
				}
			}
		})
	}
}

// Re-probes ask with an Origin first and without last, and wait the delay.
func TestVerifyOrderAndDelay(t *testing.T) {
	job, res := verifyJob(t, false)
	eng := &fakeEngine{answer: func(string, string) (cachemodel.Headers, bool) { return cfStatus("MISS", ""), true }}
	var rec sleepRecorder
	if _, err := Verify(context.Background(), eng, job, res, VerifyOptions{Delay: 3 * time.Second, Sleep: rec.sleep, UserAgent: "ua-test"}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, st := range eng.steps {
		o, _ := st.Headers.Get("Origin")
		order = append(order, o)
		if ua, _ := st.Headers.Get("User-Agent"); ua != "ua-test" || st.Method != "GET" {
			t.Errorf("step %+v", st)
		}
	}
	if strings.Join(order, ",") != "https://app.example.com,https://b.example.com,null," {
		t.Errorf("order %q", order)
	}
	if w := rec.waits(); len(w) != 1 || w[0] != 3*time.Second {
		t.Errorf("waits %v", w)
	}
}

// X-Varnish tells a refill ("<xid> <xid of the request that stored it>")
// from an old copy exactly.
func TestVerifyVarnishXID(t *testing.T) {
	e := Settings{Provider: ProviderHTTP, Method: "PURGE"}
	job, err := Prepare(urlPlan(t, []string{"http://127.0.0.1:6081/x"}, "https://a.example", "https://b.example"), Options{Providers: []Settings{e}})
	if err != nil {
		t.Fatal(err)
	}
	res := Result{Started: time.Now()}
	for _, r := range job.Batches[0].Requests {
		res.Requests = append(res.Requests, RequestResult{Request: r, OK: true, Status: 200})
	}
	xv := map[string]string{"https://a.example": "32770", "https://b.example": "32772 32770", "": "32774 5"}
	eng := &fakeEngine{answer: func(_, origin string) (cachemodel.Headers, bool) {
		return cachemodel.Headers{{Name: "X-Varnish", Value: xv[origin]}, {Name: "Age", Value: "0"}}, true
	}}
	v, err := Verify(context.Background(), eng, job, res, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkFor(t, v, "https://b.example"); c.Outcome != Purged || !strings.Contains(c.Reason, "X-Varnish") {
		t.Errorf("refill: %+v", c)
	}
	if c := checkFor(t, v, ""); c.Outcome != StillCached {
		t.Errorf("old copy: %s %s", c.Outcome, c.Reason)
	}
}

func TestVerifyReasons(t *testing.T) {
	hit := func(string, string) (cachemodel.Headers, bool) { return cfStatus("HIT", "1000"), true }
	plan := urlPlan(t, []string{"https://s.example.net/x"}, "https://a.example")

	// Fastly URL purge accepted, Origin copy survives: name vcl_hash.
	fe := Settings{Provider: ProviderFastly, APIBase: "http://127.0.0.1:1"}
	job, _ := Prepare(plan, Options{Providers: []Settings{fe}, Getenv: testEnv(nil)})
	res := Result{Started: time.Now(), Requests: []RequestResult{{Request: job.Batches[0].Requests[0], OK: true}}}
	v, _ := Verify(context.Background(), &fakeEngine{answer: hit}, job, res, VerifyOptions{})
	if c := checkFor(t, v, "https://a.example"); c.Outcome != StillCached || !strings.Contains(c.Reason, "vcl_hash") {
		t.Errorf("fastly: %+v", c.Reason)
	}

	// http: the request for the Origin variant failed / found nothing.
	he := Settings{Provider: ProviderHTTP, Method: "PURGE"}
	job, _ = Prepare(plan, Options{Providers: []Settings{he}})
	reqs := job.Batches[0].Requests
	res = Result{Started: time.Now(), Requests: []RequestResult{
		{Request: reqs[0], OK: false, Message: "405 not allowed", Err: errors.New("405")},
		{Request: reqs[1], OK: true, NotCached: true},
	}}
	v, _ = Verify(context.Background(), &fakeEngine{answer: hit}, job, res, VerifyOptions{})
	if c := checkFor(t, v, ""); !strings.Contains(c.Reason, "its purge request failed: 405 not allowed") {
		t.Errorf("failed request: %q", c.Reason)
	}
	if c := checkFor(t, v, "https://a.example"); !strings.Contains(c.Reason, "purge key differs from the cache key") {
		t.Errorf("not cached: %q", c.Reason)
	}

	// Verification without any purge (zero Result).
	v, _ = Verify(context.Background(), &fakeEngine{answer: hit}, job, Result{}, VerifyOptions{})
	if c := checkFor(t, v, ""); c.Outcome != StillCached || !strings.Contains(c.Reason, "no purge request was sent") {
		t.Errorf("no purge: %+v", c)
	}
	if v.Count(StillCached) != 2 || v.Count(Purged) != 0 {
		t.Errorf("counts %d %d", v.Count(StillCached), v.Count(Purged))
	}
}

func TestVerifyCancelled(t *testing.T) {
	job, res := verifyJob(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Verify(ctx, &fakeEngine{answer: func(string, string) (cachemodel.Headers, bool) { return nil, true }}, job, res, VerifyOptions{Delay: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

// simCache is a cache in front of an origin whose responses carry the
// origin's fetch counter (when perFetch) and a per-response request id the
// cache adds. shared keeps one copy for every Origin; otherwise one copy
// per Origin (Vary: Origin).
type simCache struct {
	mu       sync.Mutex
	shared   bool
	perFetch bool
	fetches  int
	served   int
	copies   map[string]int // cache key -> fetch number stored
}

func (s *simCache) key(origin string) string {
	if s.shared {
		return ""
	}
	return origin
}

func (s *simCache) answer(_, origin string) (cachemodel.Headers, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served++
	status := "HIT"
	n, ok := s.copies[s.key(origin)]
	if !ok {
		s.fetches++
		n, status = s.fetches, "MISS"
		s.copies[s.key(origin)] = n
	}
	h := cachemodel.Headers{{Name: "X-Cache", Value: status}, {Name: "Vary", Value: "Origin"},
		{Name: "X-Request-Id", Value: fmt.Sprintf("req-%d", s.served)}}
	if s.perFetch {
		h = append(h, cachemodel.Header{Name: "X-Origin-Hits", Value: fmt.Sprint(n)})
	}
	return h, true
}

func (s *simCache) purge(origins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range origins {
		delete(s.copies, s.key(o))
	}
}

// TestVerifyBaseline: with each copy's pre-purge fingerprint, a copy
// served from the cache is judged by evidence, not by re-probe order.
func TestVerifyBaseline(t *testing.T) {
	const app, b = "https://app.example.com", "https://b.example.com"
	cases := []struct {
		name             string
		shared, perFetch bool
		purged           []string // the copies the purge really removed
		want             map[string]VerifyOutcome
		reason           map[string]string
	}{
		{
			// Issue 11 item 1: one variant's purge missed; its copy is the
			// pre-purge one while app's fresh fetch has a new counter.
			name: "vary cache, a variant survives", perFetch: true, purged: []string{"", app},
			want:   map[string]VerifyOutcome{app: Purged, b: StillCached, "": Purged},
			reason: map[string]string{b: "identical to its pre-purge copy (X-Origin-Hits is still 3), while the https://app.example.com re-probe, a fresh fetch, differs from its pre-purge copy (X-Origin-Hits 2 → 4)"},
		},
		{
			name: "shared copy: the refill is not the old copy", shared: true, perFetch: true, purged: []string{""},
			want:   map[string]VerifyOutcome{app: Purged, b: Purged, "": Purged},
			reason: map[string]string{b: "HIT on another copy than before the purge (X-Origin-Hits 1 → 2)"},
		},
		{
			name: "shared copy, nothing tells fetches apart", shared: true, purged: []string{""},
			want:   map[string]VerifyOutcome{app: Purged, b: Unknown, "": Unknown},
			reason: map[string]string{b: "nothing in the response"},
		},
		{
			name: "vary cache, nothing tells fetches apart", purged: []string{"", app},
			want: map[string]VerifyOutcome{app: Purged, b: Unknown, "": Purged},
		},
		{
			name: "nothing purged", perFetch: true,
			want:   map[string]VerifyOutcome{app: StillCached, b: StillCached, "": StillCached},
			reason: map[string]string{b: "identical to its pre-purge copy, and no re-probe before it refilled the cache"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Settings{Provider: ProviderHTTP, Method: "PURGE"}
			job, err := Prepare(urlPlan(t, []string{"http://127.0.0.1:1/x"}, app, b), Options{Providers: []Settings{e}})
			if err != nil {
				t.Fatal(err)
			}
			sim := &simCache{shared: c.shared, perFetch: c.perFetch, copies: map[string]int{}}
			for _, o := range []string{"", app, b} { // primed before corscope runs
				sim.answer("", o)
			}
			eng := &fakeEngine{answer: sim.answer}
			base, err := TakeBaseline(context.Background(), eng, job, VerifyOptions{})
			if err != nil || base.Len() != 3 {
				t.Fatalf("baseline: %v, %d copies", err, base.Len())
			}
			if sim.fetches != 3-map[bool]int{true: 2, false: 0}[c.shared] {
				t.Fatalf("the baseline fetched from the origin: %d fetches", sim.fetches)
			}
			sim.purge(c.purged...)
			res := Result{Started: time.Now()}
			for _, r := range job.Batches[0].Requests {
				res.Requests = append(res.Requests, RequestResult{Request: r, OK: true, Status: 200})
			}
			v, err := Verify(context.Background(), eng, job, res, VerifyOptions{Baseline: base})
			if err != nil {
				t.Fatal(err)
			}
			for origin, want := range c.want {
				if got := checkFor(t, v, origin); got.Outcome != want {
					t.Errorf("%q: %s (%s), want %s", origin, got.Outcome, got.Reason, want)
				}
			}
			for origin, want := range c.reason {
				if got := checkFor(t, v, origin); !strings.Contains(got.Reason, want) {
					t.Errorf("%q reason %q, want %q", origin, got.Reason, want)
				}
			}
		})
	}
}

// TestVerifyRowsInPlanOrder: the re-probe goes out with no Origin last
// (see Verify), but the checks and the report come back in the plan's
// variant order, so every consumer shows the columns the user knew.
func TestVerifyRowsInPlanOrder(t *testing.T) {
	job, res := verifyJob(t, false)
	eng := &fakeEngine{answer: func(_, origin string) (cachemodel.Headers, bool) {
		h := cfStatus("HIT", "1")
		if origin != "" {
			h = append(h, cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: origin})
		}
		return h, true
	}}
	v, err := Verify(context.Background(), eng, job, res, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want, sent, checks, rows []string
	for _, vr := range job.Plan.Targets[0].Variants {
		want = append(want, vr.Label())
	}
	for _, st := range eng.steps {
		sent = append(sent, st.Variant.Label())
	}
	for _, c := range v.Checks {
		checks = append(checks, c.Variant.Label())
	}
	for _, r := range v.Reports[0].Variants {
		rows = append(rows, r.Label)
	}
	if sent[len(sent)-1] != "(no Origin)" {
		t.Errorf("re-probe order %v: no Origin should go last", sent)
	}
	if strings.Join(checks, ",") != strings.Join(want, ",") || strings.Join(rows, ",") != strings.Join(want, ",") {
		t.Errorf("checks %v, report rows %v; want the plan's order %v", checks, rows, want)
	}
	for i, c := range v.Checks {
		if c.After.Label != v.Reports[0].Variants[i].Label {
			t.Errorf("check %d holds row %q, report row %q", i, c.After.Label, v.Reports[0].Variants[i].Label)
		}
	}
	// A finding still points at the variants its evidence names (the
	// null Origin's ACAO "null" here).
	rep := v.Reports[0]
	if len(rep.Findings) == 0 {
		t.Fatal("no finding: the test proves nothing about their variants")
	}
	for _, f := range rep.Findings {
		for _, i := range f.Variants {
			if l := rep.Variants[i].Label; !strings.Contains(strings.Join(f.Evidence, " "), " "+l+":") {
				t.Errorf("finding %s points at %q, but its evidence is %q", f.Rule, l, f.Evidence)
			}
		}
	}
}
