package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/corscope/corscope/cachemodel"
)

// Engine executes target plans. It keeps idle keep-alive connections and
// per-host rate limiters between runs; Run may be called from several
// goroutines at once (the runs then share both). Call Close when done.
type Engine struct {
	cfg      Config // defaults applied
	proxy    proxySpec
	resolve  map[string]string
	dialer   net.Dialer
	tlsBase  *tls.Config
	pool     *connPool
	limiters *hostLimiters
	slots    *hostSlots
	headers  *headerBudget // nil when MaxHeaderBytes needs none
	closed   atomic.Bool
}

// New validates cfg, applies defaults and returns a ready engine.
func New(cfg Config) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	cfg = cfg.withDefaults()
	proxy, err := parseProxy(cfg.Proxy)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	resolve, err := normalizeResolve(cfg.Resolve)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	cfg.Resolve = resolve
	e := &Engine{
		cfg:     cfg,
		proxy:   proxy,
		resolve: resolve,
		tlsBase: &tls.Config{
			InsecureSkipVerify: cfg.Insecure, //nolint:gosec // the user asked for it (--insecure)
			// Only HTTP/1.1 is spoken; say so, so servers never pick h2.
			NextProtos:         []string{"http/1.1"},
			ClientSessionCache: tls.NewLRUClientSessionCache(0),
		},
		pool:     newConnPool(max(cfg.Concurrency, 4)),
		limiters: newHostLimiters(cfg.Rate),
		slots:    newHostSlots(cfg.HostConcurrency),
		headers:  newHeaderBudget(cfg.MaxHeaderBytes, cfg.HeaderBudget),
	}
	return e, nil
}

// Close closes idle connections. Connections of a Run still in flight are
// closed as their requests finish. Run refuses to start after Close.
func (e *Engine) Close() {
	e.closed.Store(true)
	e.pool.close()
}

var errEngineClosed = errors.New("probe: engine is closed")

// Run executes every plan and sends exactly one Observation per step on out,
// then closes out. Steps of one target run strictly in order (the order is
// the experiment), except in a Scheduled plan, where each step waits for
// its After steps only and steps with no order between them are in flight
// at once. Up to Config.Concurrency targets run at once, so observations
// of different targets interleave; at most Config.HostConcurrency requests
// are in flight to one host:port across them all.
//
// Request failures are data (Observation.Err), never Run's error. When ctx is
// cancelled, requests in flight are aborted at once (their connections are
// closed) and every step not yet done is still reported, with
// ErrCanceled; Run then returns ctx.Err(). Steps that never started have a
// zero Start. The caller must keep receiving until out is closed.
//
// A hook set on ctx with cachemodel.WithStepStarted is told when each
// step's request goes on the wire (slot and rate limit held).
//
// Run returns an error without sending anything only for fatal problems
// (nil out, engine closed); it closes out in every case where out is non-nil.
func (e *Engine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	if out == nil {
		return errors.New("probe: Run needs an output channel")
	}
	defer close(out)
	var taken atomic.Int64
	next := func() (*cachemodel.TargetPlan, bool) {
		i := taken.Add(1) - 1
		if i >= int64(len(plans)) {
			return nil, false
		}
		return &plans[i], true
	}
	send := func(_ *cachemodel.TargetPlan, o cachemodel.Observation) { out <- o }
	return e.run(ctx, min(e.cfg.Concurrency, len(plans)), next, nil, send)
}

// RunTargets is Run for plans taken one at a time from next (called from
// several goroutines at once, so it must be safe for that; nil, false ends
// the input), up to limit at once (Config.Concurrency when limit < 1). Each
// observation is passed to observed as it comes (nil: not wanted), and
// when a target is complete its observations, indexed by step, are passed
// to done (nil: not wanted) on the goroutine that ran it: work done there,
// such as analysis, runs beside the probing of other targets, with one
// hand-over per target instead of one per observation. Both may be called
// from several goroutines at once; observed for one target, too (the steps
// of a Scheduled plan run concurrently). Cancellation is as for Run:
// every step of every plan next yields is reported.
func (e *Engine) RunTargets(ctx context.Context, limit int, next func() (*cachemodel.TargetPlan, bool),
	done func(plan *cachemodel.TargetPlan, obs []cachemodel.Observation),
	observed func(plan *cachemodel.TargetPlan, o cachemodel.Observation),
) error {
	if limit < 1 {
		limit = e.cfg.Concurrency
	}
	return e.run(ctx, limit, next, done, observed)
}

// run is Run and RunTargets: up to workers goroutines take the targets in
// the order next yields them; each keeps its buffers from target to target.
// One cancel hook per run closes the connections requests are on.
func (e *Engine) run(ctx context.Context, workers int, next func() (*cachemodel.TargetPlan, bool),
	done func(*cachemodel.TargetPlan, []cachemodel.Observation),
	observed func(*cachemodel.TargetPlan, cachemodel.Observation),
) error {
	if e.closed.Load() {
		return errEngineClosed
	}
	finish := func(s *sink) {
		if done != nil {
			done(s.plan, s.obs)
		}
	}
	if ctx.Err() != nil {
		// Report in plan order, without starting anything.
		for plan, ok := next(); ok; plan, ok = next() {
			s := newSink(plan, done != nil, observed)
			reportCanceled(&s, 0)
			finish(&s)
		}
		return ctx.Err()
	}
	rs := &runState{}
	stop := context.AfterFunc(ctx, rs.abort)
	defer stop()
	var wg sync.WaitGroup
	for range max(workers, 1) {
		w := newWorker(e, rs)
		wg.Go(func() {
			defer w.done()
			for {
				plan, ok := next()
				if !ok {
					return
				}
				s := &w.sink // the worker's own: no allocation per target
				*s = newSink(plan, done != nil, observed)
				if ctx.Err() != nil {
					// Don't start work that would only report cancellation.
					reportCanceled(s, 0)
				} else {
					w.runTarget(ctx, s)
				}
				finish(s)
				*s = sink{}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// sink takes a target's observations: into obs (when the whole target is
// wanted), and to observed as each comes.
type sink struct {
	plan     *cachemodel.TargetPlan
	obs      []cachemodel.Observation
	observed func(*cachemodel.TargetPlan, cachemodel.Observation)
}

func newSink(plan *cachemodel.TargetPlan, collect bool, observed func(*cachemodel.TargetPlan, cachemodel.Observation)) sink {
	s := sink{plan: plan, observed: observed}
	if collect && len(plan.Steps) > 0 {
		s.obs = make([]cachemodel.Observation, len(plan.Steps))
	}
	return s
}

// add records o; the steps of a Scheduled plan call it concurrently, each
// for its own step.
func (s *sink) add(o cachemodel.Observation) {
	if s.obs != nil {
		s.obs[o.Step] = o
	}
	if s.observed != nil {
		s.observed(s.plan, o)
	}
}

func (w *worker) runTarget(ctx context.Context, s *sink) {
	plan := s.plan
	if plan.Scheduled {
		w.e.runScheduled(ctx, w.run, s)
		return
	}
	for i := range plan.Steps {
		if ctx.Err() != nil {
			reportCanceled(s, i)
			return
		}
		s.add(w.doStep(ctx, plan.Index, i, &plan.Steps[i], false))
	}
}

// runScheduled runs a Scheduled plan: a step is started as soon as every
// step in its After is done (an After entry that is not an earlier step is
// ignored, so a malformed plan cannot deadlock), in plan order among those
// ready at once. When ctx is cancelled no more steps start, the ones in
// flight finish (aborted), and the rest are reported cancelled.
func (e *Engine) runScheduled(ctx context.Context, rs *runState, s *sink) {
	plan := s.plan
	n := len(plan.Steps)
	waiting := make([]int, n)      // unfinished steps each step waits for
	dependents := make([][]int, n) // steps waiting for each step
	for i := range plan.Steps {
		for _, d := range plan.Steps[i].After {
			if d >= 0 && d < i {
				waiting[i]++
				dependents[d] = append(dependents[d], i)
			}
		}
	}
	var ready []int
	for i := range n {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	started := make([]bool, n)
	done := make(chan int, n)
	running := 0
	for {
		if ctx.Err() == nil {
			slices.Sort(ready)
			for _, i := range ready {
				started[i] = true
				running++
				go func() {
					w := newWorker(e, rs)
					defer w.done()
					s.add(w.doStep(ctx, plan.Index, i, &plan.Steps[i], len(dependents[i]) > 0))
					done <- i
				}()
			}
			ready = ready[:0]
		}
		if running == 0 {
			break
		}
		i := <-done
		running--
		for _, j := range dependents[i] {
			if waiting[j]--; waiting[j] == 0 {
				ready = append(ready, j)
			}
		}
	}
	for i := range n {
		if !started[i] {
			s.add(cachemodel.Observation{Target: plan.Index, Step: i,
				Err: &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled, Message: "not started: run canceled"}})
		}
	}
}

// request is newRequest for a step, into the worker's own request, reusing
// the parsed URL when the step's URL is the one parsed last. The request
// is valid until the worker's next call.
func (w *worker) request(st *cachemodel.Step) (*request, error) {
	if err := checkMethod(st.Method); err != nil {
		return nil, err
	}
	if !w.partsOK || w.parts.raw != st.URL {
		var p urlParts
		if err := parseURLPartsInto(&p, st.URL, w.e.proxy); err != nil {
			return nil, err
		}
		w.parts, w.partsOK = p, true
	}
	if err := buildRequestInto(&w.req, st.Method, &w.parts, st.Headers, w.e.proxy); err != nil {
		return nil, err
	}
	return &w.req, nil
}

func reportCanceled(s *sink, from int) {
	for i := from; i < len(s.plan.Steps); i++ {
		s.add(cachemodel.Observation{
			Target: s.plan.Index,
			Step:   i,
			Err:    &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled, Message: "not started: run canceled"},
		})
	}
}

// doStep runs one step, following redirects when configured. Timeout bounds
// the whole step; the timing of the last hop is reported, with Total
// covering the whole step.
func (w *worker) doStep(ctx context.Context, target, index int, st *cachemodel.Step, urgent bool) cachemodel.Observation {
	e := w.e
	obs := cachemodel.Observation{Target: target, Step: index}
	req, err := w.request(st)
	if err == nil && st.Edge != "" {
		err = e.pinEdge(req, st.Edge)
	}
	if err != nil {
		var ke *kindError
		errors.As(err, &ke) // newRequest and pinEdge only return kindErrors
		obs.Start = time.Now()
		obs.Err = &cachemodel.ProbeError{Kind: ke.kind, Message: ke.msg}
		return obs
	}
	edgeHost := req.hostport
	var deadline time.Time
	var redirects []string
	var hops []cachemodel.RedirectHop
	var ch *chain // made when a redirect is followed
	for hop := 0; ; hop++ {
		waitCtx := ctx
		if hop > 0 {
			var cancel context.CancelFunc
			waitCtx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
		// A slot on the host first, then the rate: a token taken while
		// waiting for a slot would let requests bunch up behind it.
		if w.slotWait == nil {
			w.slotWait = make(chan struct{}, 1)
		}
		slot, err := e.slots.acquire(waitCtx, req.hostport, urgent, w.slotWait)
		if err == nil {
			if err = e.limiters.wait(waitCtx, req.hostport); err != nil {
				e.slots.release(slot)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				err = context.DeadlineExceeded
			}
			obs.Err = classify(ctx, phaseRateWait, e.cfg.Timeout, err)
			break
		}
		if hop == 0 {
			obs.Start = time.Now()
			deadline = obs.Start.Add(e.cfg.Timeout)
			// The request goes on the wire now: slot and rate are held.
			if started := cachemodel.StepStartedFrom(ctx); started != nil {
				started(target, index, obs.Start)
			}
		}
		res, timing, perr := w.roundTrip(ctx, deadline, req)
		e.slots.release(slot)
		obs.Timing.Connect, obs.Timing.TTFB = timing.Connect, timing.TTFB
		if perr != nil {
			obs.Err = perr
			break
		}
		if hop < e.cfg.FollowRedirects {
			if ch == nil {
				ch = newChain(st.Headers)
			}
			sent := ch.sent(req)
			next, perr := redirect(req, res, e.proxy, ch)
			if perr != nil {
				obs.Err = perr
				break
			}
			if next != nil && st.Edge != "" && next.hostport == edgeHost {
				// A redirect within the edge's host stays on the edge.
				if err := e.pinEdge(next, st.Edge); err != nil {
					var ke *kindError
					errors.As(err, &ke)
					obs.Err = &cachemodel.ProbeError{Kind: ke.kind, Message: ke.msg}
					break
				}
			}
			if next != nil {
				hops = append(hops, cachemodel.RedirectHop{Request: sent, Status: res.Status, Headers: res.Headers})
				req = next
				redirects = append(redirects, next.url.String())
				continue
			}
		}
		res.Redirects = redirects
		if len(hops) > 0 {
			res.Hops = hops
			final := ch.sent(req)
			res.Final = &final
		}
		obs.Response = res
		break
	}
	if !obs.Start.IsZero() {
		obs.Timing.Total = time.Since(obs.Start)
	}
	return obs
}

// chain is what a followed redirect chain carries from hop to hop, as the
// Fetch standard's HTTP-redirect fetch has it.
type chain struct {
	origin    string // the step's Origin header: the request's origin
	hasOrigin bool   // a CORS request (Origin sent)
	tainted   bool   // Fetch's tainted origin flag: Origin is sent as "null"
	dropped   []string
}

func newChain(h cachemodel.Headers) *chain {
	ch := &chain{}
	ch.origin, ch.hasOrigin = h.Get("Origin")
	return ch
}

// sent describes what r carries.
func (ch *chain) sent(r *request) cachemodel.SentRequest {
	s := cachemodel.SentRequest{URL: r.url.String(), Dropped: slices.Clone(ch.dropped)}
	if v, ok := r.headers.Get("Origin"); ok {
		s.Origin = &v
	}
	return s
}

// redirect returns the request a browser makes for the Location of a 3xx
// answer to a GET or HEAD, nil when there is nothing (valid) to follow, or
// the network error a browser ends a CORS request with. The same headers
// are sent again, except a plan-supplied Host; except credentials when the
// redirect changes origin (see credentialHeaders); and with Origin: null
// once the chain has gone from one cross-origin URL to another origin
// (Fetch: the tainted origin flag, "serializing a request origin").
func redirect(prev *request, res *cachemodel.Response, proxy proxySpec, ch *chain) (*request, *cachemodel.ProbeError) {
	switch res.Status {
	case 301, 302, 303, 307, 308:
	default:
		return nil, nil
	}
	if prev.method != "GET" && prev.method != "HEAD" {
		return nil, nil
	}
	loc, ok := res.Headers.Get("Location")
	if !ok || loc == "" {
		return nil, nil
	}
	u, err := prev.url.Parse(loc)
	if err != nil {
		return nil, nil
	}
	u.Fragment, u.RawFragment = "", ""
	withCredentials := u.User != nil
	u.User = nil // never sent, never recorded
	parts, err := parseURLParts(u.String(), proxy)
	if err != nil {
		return nil, nil
	}
	if withCredentials && ch.hasOrigin && ch.origin != serializeOrigin(parts.tls, parts.hostport) {
		return nil, &cachemodel.ProbeError{Kind: cachemodel.ErrOther, Message: fmt.Sprintf(
			"redirect %d to a URL with credentials (user:password@) on another origin: a browser ends a CORS request here with a network error", res.Status)}
	}
	crossOrigin := parts.originKey() != prev.originKey()
	if ch.hasOrigin && crossOrigin && ch.origin != serializeOrigin(prev.tls, prev.hostport) {
		ch.tainted = true
	}
	headers := make(cachemodel.Headers, 0, len(prev.headers))
	for _, h := range prev.headers {
		switch {
		case strings.EqualFold(h.Name, "Host"):
			continue
		case crossOrigin && isCredentialHeader(h.Name):
			if !slices.Contains(ch.dropped, h.Name) {
				ch.dropped = append(ch.dropped, h.Name)
			}
			continue
		case ch.tainted && strings.EqualFold(h.Name, "Origin"):
			h.Value = "null"
		}
		headers = append(headers, h)
	}
	next, err := buildRequest(prev.method, parts, headers, proxy)
	if err != nil {
		return nil, nil
	}
	return next, nil
}

// serializeOrigin is the origin of a request URL as browsers write it in
// Origin: no default port, IPv6 literals in brackets.
func serializeOrigin(tls bool, hostport string) string {
	host, port, _ := net.SplitHostPort(hostport)
	scheme := "http"
	if tls {
		scheme = "https"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (tls && port == "443") || (!tls && port == "80") {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// credentialHeaders are never sent on after a redirect that changes origin
// (scheme, host or port), as curl and browsers do: the credentials were
// given for the first origin, and another host (or plain http after https)
// must not receive them. Proxy-Authorization here is one the user set with
// -H; the probe's own, for --proxy, is added per request and unaffected.
var credentialHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization"}

func isCredentialHeader(name string) bool {
	for _, c := range credentialHeaders {
		if strings.EqualFold(name, c) {
			return true
		}
	}
	return false
}

// hostLimiters holds one token bucket per host:port, created on first use.
type hostLimiters struct {
	limit rate.Limit
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func newHostLimiters(perSecond float64) *hostLimiters {
	if perSecond <= 0 {
		return nil
	}
	return &hostLimiters{limit: rate.Limit(perSecond), m: make(map[string]*rate.Limiter)}
}

// wait blocks until hostport may be sent another request. A nil set is
// unlimited.
func (l *hostLimiters) wait(ctx context.Context, hostport string) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	lim, ok := l.m[hostport]
	if !ok {
		// Burst 1: "N per second" means evenly spaced, not N at once.
		lim = rate.NewLimiter(l.limit, 1)
		l.m[hostport] = lim
	}
	l.mu.Unlock()
	return lim.Wait(ctx)
}

// pinEdge sends r to edge (a step's Edge: IP, or IP:port) instead of where
// its host resolves, keeping Host and SNI. Through a proxy the proxy picks
// the address, so an edge cannot be honoured there: the step fails rather
// than silently going elsewhere.
func (e *Engine) pinEdge(r *request, edge string) error {
	if e.proxy.kind != proxyNone {
		return &kindError{kind: cachemodel.ErrOther, msg: "an edge address cannot be used through a proxy"}
	}
	norm, err := ParseEdge(edge)
	if err != nil {
		return &kindError{kind: cachemodel.ErrOther, msg: err.Error()}
	}
	addr, err := edgeDialAddr(norm, r.hostport)
	if err != nil {
		return &kindError{kind: cachemodel.ErrOther, msg: err.Error()}
	}
	r.edge = addr
	return nil
}

// hostSlots bounds the requests in flight to each host:port, across every
// target and run of the engine. Waiters are served first come, first
// served, except that urgent ones (a step other steps wait for) go before
// the rest: a chain's next request should not queue behind requests
// nothing waits for.
type hostSlots struct {
	n  int
	mu sync.Mutex
	m  map[string]*hostQueue
}

type hostQueue struct {
	busy           int
	urgent, normal []chan struct{} // waiting, in order of arrival
}

func newHostSlots(n int) *hostSlots {
	return &hostSlots{n: n, m: make(map[string]*hostQueue)}
}

// acquire waits for a slot on hostport and returns its queue, to be given
// to release. wait is the caller's own channel (buffered, 1) to be woken
// on, empty, and empty again when acquire returns; nil makes one.
func (h *hostSlots) acquire(ctx context.Context, hostport string, urgent bool, wait chan struct{}) (*hostQueue, error) {
	h.mu.Lock()
	q, ok := h.m[hostport]
	if !ok {
		q = &hostQueue{}
		h.m[hostport] = q
	}
	if q.busy < h.n && len(q.urgent) == 0 && len(q.normal) == 0 {
		q.busy++
		h.mu.Unlock()
		return q, nil
	}
	c := wait
	if c == nil {
		c = make(chan struct{}, 1)
	}
	if urgent {
		q.urgent = append(q.urgent, c)
	} else {
		q.normal = append(q.normal, c)
	}
	h.mu.Unlock()
	select {
	case <-c:
		return q, nil
	case <-ctx.Done():
		h.mu.Lock()
		removed := remove(&q.urgent, c) || remove(&q.normal, c)
		h.mu.Unlock()
		if !removed { // handed a slot as ctx ended: pass it on
			<-c // sent before it was removed, under the lock
			h.release(q)
		}
		return nil, ctx.Err()
	}
}

// release frees a slot, handing it to the next waiter if there is one.
func (h *hostSlots) release(q *hostQueue) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, list := range []*[]chan struct{}{&q.urgent, &q.normal} {
		if len(*list) > 0 {
			c := (*list)[0]
			(*list)[0] = nil
			*list = (*list)[1:]
			c <- struct{}{} // the slot passes on: busy is unchanged
			return
		}
	}
	q.busy--
}

func remove(list *[]chan struct{}, c chan struct{}) bool {
	i := slices.Index(*list, c)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}
