package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// countingServer is an httptest server that counts new connections.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = quietLog()
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &conns
}

func TestKeepAliveAndTiming(t *testing.T) {
	const delay = 60 * time.Millisecond
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(delay)
		}
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		_, _ = io.WriteString(w, "hello")
	}))
	e := newEngine(t, Config{})
	obs, err := run(t, t.Context(), e, plan(0,
		get(srv.URL+"/fast", "Origin", "https://a.test"),
		get(srv.URL+"/slow", "Origin", "https://b.test"),
		get(srv.URL+"/fast", "Origin", "https://c.test")))
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 3 {
		t.Fatalf("%d observations", len(obs))
	}
	for i, o := range obs {
		r := mustResponse(t, o)
		if o.Step != i {
			t.Errorf("observation %d is for step %d: steps of a target must arrive in order", i, o.Step)
		}
		if r.BodyBytes != 5 || r.BodyTruncated {
			t.Errorf("step %d body %d/%v", i, r.BodyBytes, r.BodyTruncated)
		}
		if o.Timing.TTFB <= 0 || o.Timing.Total < o.Timing.TTFB || o.Timing.Total < o.Timing.Connect {
			t.Errorf("step %d timing inconsistent: %+v", i, o.Timing)
		}
		if i > 0 && !o.Start.After(obs[i-1].Start) {
			t.Errorf("step %d started before step %d", i, i-1)
		}
	}
	if v, _ := obs[1].Response.Headers.Get("Access-Control-Allow-Origin"); v != "https://b.test" {
		t.Errorf("step 1 answered for origin %q", v)
	}
	if obs[0].Timing.Connect <= 0 {
		t.Errorf("first step Connect = %v, want > 0", obs[0].Timing.Connect)
	}
	if obs[1].Timing.Connect != 0 || obs[2].Timing.Connect != 0 {
		t.Errorf("reused connections must have Connect 0: %v, %v", obs[1].Timing.Connect, obs[2].Timing.Connect)
	}
	if obs[1].Timing.TTFB < delay {
		t.Errorf("TTFB %v does not include the server's %v think time", obs[1].Timing.TTFB, delay)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server saw %d connections, want 1 (keep-alive)", n)
	}
	if e.pool.idleCount() != 1 {
		t.Errorf("pool holds %d idle connections, want 1", e.pool.idleCount())
	}
	e.Close()
	if e.pool.idleCount() != 0 {
		t.Errorf("Close left idle connections")
	}
	if err := e.Run(t.Context(), nil, make(chan cachemodel.Observation)); !errors.Is(err, errEngineClosed) {
		t.Errorf("Run after Close = %v", err)
	}
}

func TestConnectionCloseIsHonoured(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
	}))
	e := newEngine(t, Config{})
	obs, err := run(t, t.Context(), e, plan(0, get(srv.URL+"/"), get(srv.URL+"/")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		mustResponse(t, o)
		if o.Timing.Connect == 0 {
			t.Errorf("step %d claims a reused connection after Connection: close", o.Step)
		}
	}
	if conns.Load() != 2 {
		t.Errorf("%d connections, want 2", conns.Load())
	}
}

// A keep-alive connection the server dropped while idle is retried once on
// a fresh connection; a fresh connection that fails is not retried.
func TestStaleConnectionRetriedOnce(t *testing.T) {
	srv := newRawServer(t, serveOnce("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	first := runOne(t, e, get(srv.url()+"/"))
	mustResponse(t, first)
	time.Sleep(20 * time.Millisecond) // let the server's FIN arrive
	second := runOne(t, e, get(srv.url()+"/"))
	mustResponse(t, second)
	if second.Timing.Connect == 0 {
		t.Errorf("retry should report the fresh connection's Connect time")
	}
	if srv.accepted() != 2 {
		t.Errorf("server accepted %d connections, want 2", srv.accepted())
	}

	empty := newRawServer(t, serveOnce("", false))
	o := runOne(t, e, get(empty.url()+"/"))
	wantErrKind(t, o, cachemodel.ErrProtocol, "empty reply")
	if empty.accepted() != 1 {
		t.Errorf("a fresh connection was retried: %d connections", empty.accepted())
	}
}

func TestStepsInOrderTargetsInParallel(t *testing.T) {
	const (
		concurrency = 3
		targets     = 6
		steps       = 3
		hold        = 40 * time.Millisecond
	)
	var (
		mu          sync.Mutex
		inFlight    int
		maxInFlight int
		perTarget   = map[string]int{}
		order       = map[string][]string{}
		overlap     bool
	)
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, st := r.Header.Get("X-Target"), r.Header.Get("X-Step")
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		perTarget[target]++
		if perTarget[target] > 1 {
			overlap = true
		}
		order[target] = append(order[target], st)
		mu.Unlock()
		time.Sleep(hold)
		mu.Lock()
		inFlight--
		perTarget[target]--
		mu.Unlock()
	}))
	var plans []cachemodel.TargetPlan
	for ti := 0; ti < targets; ti++ {
		var sts []cachemodel.Step
		for si := 0; si < steps; si++ {
			sts = append(sts, get(srv.URL+"/", "X-Target", strconv.Itoa(ti), "X-Step", strconv.Itoa(si)))
		}
		plans = append(plans, plan(100+ti, sts...))
	}
	e := newEngine(t, Config{Concurrency: concurrency})
	began := time.Now()
	obs, err := run(t, t.Context(), e, plans...)
	elapsed := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != targets*steps {
		t.Fatalf("%d observations, want %d", len(obs), targets*steps)
	}
	next := map[int]int{}
	for _, o := range obs {
		mustResponse(t, o)
		if o.Step != next[o.Target] {
			t.Errorf("target %d: got step %d, want %d next", o.Target, o.Step, next[o.Target])
		}
		next[o.Target]++
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("steps of one target overlapped")
	}
	for target, got := range order {
		if fmt.Sprint(got) != "[0 1 2]" {
			t.Errorf("target %s steps reached the server as %v", target, got)
		}
	}
	if maxInFlight != concurrency {
		t.Errorf("max in flight = %d, want %d", maxInFlight, concurrency)
	}
	serial := time.Duration(targets*steps) * hold
	if elapsed > serial*2/3 {
		t.Errorf("took %v; targets did not run in parallel (serial would be %v)", elapsed, serial)
	}
}

func TestRateLimitPerHost(t *testing.T) {
	const perSecond = 20 // one request every 50ms per host
	type arrivals struct {
		mu    sync.Mutex
		times []time.Time
	}
	newServer := func(a *arrivals) *httptest.Server {
		s, _ := countingServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			a.mu.Lock()
			a.times = append(a.times, time.Now())
			a.mu.Unlock()
		}))
		return s
	}
	var a, b arrivals
	srvA, srvB := newServer(&a), newServer(&b)
	var sa, sb []cachemodel.Step
	for i := 0; i < 5; i++ {
		sa = append(sa, get(srvA.URL+"/"))
		sb = append(sb, get(srvB.URL+"/"))
	}
	// Two targets on host A share its limiter.
	e := newEngine(t, Config{Rate: perSecond, Concurrency: 4})
	began := time.Now()
	obs, err := run(t, t.Context(), e, plan(0, sa...), plan(1, sb...), plan(2, sa[:2]...))
	elapsed := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		mustResponse(t, o)
	}
	check := func(name string, ar *arrivals, want int) {
		ar.mu.Lock()
		defer ar.mu.Unlock()
		if len(ar.times) != want {
			t.Fatalf("%s got %d requests, want %d", name, len(ar.times), want)
		}
		// The limiter spaces sends 50ms apart; arrival jitter is allowed
		// per gap, not over the whole span.
		for i := 1; i < len(ar.times); i++ {
			if gap := ar.times[i].Sub(ar.times[i-1]); gap < 25*time.Millisecond {
				t.Errorf("%s: requests %d and %d only %v apart at %d/s", name, i-1, i, gap, perSecond)
			}
		}
		if span, min := ar.times[len(ar.times)-1].Sub(ar.times[0]), time.Duration(want-1)*45*time.Millisecond; span < min {
			t.Errorf("%s: %d requests within %v, want at least %v", name, want, span, min)
		}
	}
	check("host A", &a, 7)
	check("host B", &b, 5)
	// A's 7 requests need ~300ms; B runs alongside, not after.
	if elapsed < 280*time.Millisecond || elapsed > 600*time.Millisecond {
		t.Errorf("run took %v, want about 300ms (hosts limited independently)", elapsed)
	}
}

func TestRateLimitWaitHonoursCancel(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	e := newEngine(t, Config{Rate: 1})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(150*time.Millisecond, cancel)
	began := time.Now()
	obs, err := run(t, ctx, e, plan(0, get(srv.URL+"/"), get(srv.URL+"/"), get(srv.URL+"/")))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(began); d > 600*time.Millisecond {
		t.Errorf("cancel took effect after %v", d)
	}
	if len(obs) != 3 {
		t.Fatalf("%d observations", len(obs))
	}
	mustResponse(t, obs[0])
	wantErrKind(t, obs[1], cachemodel.ErrCanceled, "rate limiter")
	if !obs[1].Start.IsZero() {
		t.Errorf("a step cancelled in the limiter never started, Start should be zero")
	}
	wantErrKind(t, obs[2], cachemodel.ErrCanceled, "not started")
}

func TestFollowRedirects(t *testing.T) {
	var mu sync.Mutex
	var seen []string // "path host origin"
	var p string      // the server's port, set once it listens
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Host+" "+r.Header.Get("Origin"))
		p := p
		mu.Unlock()
		switch r.URL.Path {
		case "/r1":
			w.Header().Set("Location", "/r2?x=1")
			w.WriteHeader(http.StatusFound)
		case "/r2":
			w.Header().Set("Location", "http://corscope.test:"+p+"/final#frag")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/final":
			w.Header().Set("X-Final", "yes")
		case "/loop":
			w.Header().Set("Location", "/loop")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}
	}))
	mu.Lock()
	p = port(t, srv.Listener.Addr().String())
	mu.Unlock()
	tests := []struct {
		name   string
		follow int
		step   cachemodel.Step
		status int
		hops   []string
	}{
		{"off shows the 3xx", 0, get(srv.URL+"/r1", "Origin", "https://o.test"), 302,
			[]string{"/r1 " + srv.Listener.Addr().String() + " https://o.test"}},
		{"follows across hosts", 5, get(srv.URL+"/r1", "Origin", "https://o.test"), 200,
			[]string{"/r1 " + srv.Listener.Addr().String() + " https://o.test",
				"/r2 " + srv.Listener.Addr().String() + " https://o.test",
				// Browsers: from a cross-origin URL to another origin,
				// the Origin is "null" (Fetch's tainted origin flag).
				"/final corscope.test:" + p + " null"}},
		{"stops at the limit with the last 3xx", 1, get(srv.URL + "/r1"), 301,
			[]string{"/r1 " + srv.Listener.Addr().String() + " ", "/r2 " + srv.Listener.Addr().String() + " "}},
		{"loop is bounded", 3, get(srv.URL + "/loop"), 307, nil},
		{"preflights are not followed", 5, step("OPTIONS", srv.URL+"/r1"), 302, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			e := newEngine(t, Config{FollowRedirects: tt.follow,
				Resolve: map[string]string{"corscope.test:" + p: "127.0.0.1"}})
			r := mustResponse(t, runOne(t, e, tt.step))
			if r.Status != tt.status {
				t.Errorf("status %d, want %d", r.Status, tt.status)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.hops != nil && fmt.Sprint(seen) != fmt.Sprint(tt.hops) {
				t.Errorf("hops\n got %q\nwant %q", seen, tt.hops)
			}
			if tt.name == "loop is bounded" && len(seen) != 4 {
				t.Errorf("loop made %d requests, want 4", len(seen))
			}
		})
	}
}

func TestIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("cannot listen on [::1] (no IPv6 loopback on this machine): %v", err)
	}
	ln.Close()
	hosts := make(chan string, 1)
	srv := newRawServerOn(t, "tcp6", "[::1]:0", func(c net.Conn) {
		lines, err := readRequestHead(bufio.NewReader(c))
		if err != nil {
			return
		}
		for _, l := range lines {
			if len(l) > 6 && l[:6] == "Host: " {
				hosts <- l[6:]
			}
		}
		_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
	})
	e := newEngine(t, Config{})
	r := mustResponse(t, runOne(t, e, get("http://"+srv.addr()+"/v6")))
	if r.Status != 204 || r.RemoteAddr != srv.addr() {
		t.Errorf("status %d from %q, want 204 from %q", r.Status, r.RemoteAddr, srv.addr())
	}
	if host := <-hosts; host != srv.addr() {
		t.Errorf("Host header %q, want %q", host, srv.addr())
	}
}

func TestRunNeedsChannel(t *testing.T) {
	e := newEngine(t, Config{})
	if err := e.Run(t.Context(), nil, nil); err == nil {
		t.Error("Run with a nil channel must fail")
	}
	out := make(chan cachemodel.Observation)
	if err := e.Run(t.Context(), nil, out); err != nil {
		t.Errorf("empty run: %v", err)
	}
	if _, open := <-out; open {
		t.Error("Run did not close out")
	}
}

// Runs may overlap on one engine: they share the pool and limiters.
func TestConcurrentRuns(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
	}))
	e := newEngine(t, Config{Concurrency: 4})
	var wg sync.WaitGroup
	for runID := 0; runID < 3; runID++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var plans []cachemodel.TargetPlan
			for i := 0; i < 10; i++ {
				path := fmt.Sprintf("/run%d/t%d", runID, i)
				plans = append(plans, plan(i, get(srv.URL+path), get(srv.URL+path)))
			}
			obs, err := run(t, t.Context(), e, plans...)
			if err != nil || len(obs) != 20 {
				t.Errorf("run %d: %v, %d observations", runID, err, len(obs))
				return
			}
			for _, o := range obs {
				if o.Err != nil {
					t.Errorf("run %d: %v", runID, o.Err)
					continue
				}
				want := fmt.Sprintf("/run%d/t%d", runID, o.Target)
				if v, _ := o.Response.Headers.Get("X-Path"); v != want {
					t.Errorf("run %d target %d got the answer for %q", runID, o.Target, v)
				}
			}
		}()
	}
	wg.Wait()
}
