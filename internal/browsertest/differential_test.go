package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/browser"
)

// browserTimeout bounds one browser's whole run (start, every case, results).
const browserTimeout = 60 * time.Second

// result is what the page reports for one fetch().
type result struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Status  int    `json:"status"`
	Body    string `json:"body"`
	Error   string `json:"error"`
	Aborted bool   `json:"aborted"`
}

type report struct {
	Phase   string   `json:"phase"`
	UA      string   `json:"ua"`
	Error   string   `json:"error"`
	Results []result `json:"results"`
	// Reports are what the page's ReportingObserver saw (deprecations);
	// ReportingObserver says whether the browser has one.
	ReportingObserver bool         `json:"reportingObserver"`
	Reports           []pageReport `json:"reports"`
}

type pageReport struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// harness serves the pages and the cases for one browser run.
type harness struct {
	srv    *rawServer
	cases  []*tcase
	byID   map[string]*tcase
	byPath map[string]*tcase

	mu      sync.Mutex
	reports map[string]report
	done    chan struct{}
	once    sync.Once
}

func newHarness(t *testing.T, cases []*tcase) *harness {
	srv, err := newRawServer()
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{srv: srv, cases: cases, byID: map[string]*tcase{}, byPath: map[string]*tcase{},
		reports: map[string]report{}, done: make(chan struct{})}
	for _, c := range cases {
		hs.byID[c.id] = c
		if c.path != "" && hs.byPath[c.path] == nil {
			hs.byPath[c.path] = c
		}
	}
	srv.handle = hs.handle
	srv.serve()
	t.Cleanup(srv.Close)
	return hs
}

func (hs *harness) expand(s, reqOrigin string) string {
	p := hs.srv.ports
	return strings.NewReplacer(
		"{pageB}", hs.srv.origin(rolePageB),
		"{page}", hs.srv.origin(rolePageA),
		"{api2}", hs.srv.origin(roleAPI2),
		"{api}", hs.srv.origin(roleAPI),
		"{pagePort}", strconv.Itoa(p[rolePageA]),
		"{apiPort}", strconv.Itoa(p[roleAPI]),
		"{origin}", reqOrigin,
	).Replace(s)
}

// render builds the exact header lines of a response: the case's lines,
// then Location for a redirect hop, then the server's own framing headers.
func (hs *harness) render(c *tcase, r resp, hop int, reqOrigin string, body []byte) cachemodel.Headers {
	var out cachemodel.Headers
	hasCC := false
	for _, l := range r.lines {
		out = append(out, cachemodel.Header{Name: l.name, Value: hs.expand(l.value, reqOrigin)})
		hasCC = hasCC || strings.EqualFold(l.name, "Cache-Control")
	}
	if hop >= 0 && hop+1 < len(c.hops) {
		next := c.hops[hop+1]
		loc := "http://" + r.userinfo + "127.0.0.1:" + strconv.Itoa(hs.srv.ports[next.role()]) + c.hopPath(hop+1)
		out = append(out, cachemodel.Header{Name: "Location", Value: loc})
	}
	if !hasCC {
		out = append(out, cachemodel.Header{Name: "Cache-Control", Value: "no-store"})
	}
	out = append(out, cachemodel.Header{Name: "Content-Type", Value: "text/plain"})
	if r.status != 204 && r.status != 304 {
		out = append(out, cachemodel.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
	}
	return out
}

var notFound = cachemodel.Headers{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: "9"}, {Name: "Cache-Control", Value: "no-store"}}

func (hs *harness) handle(r role, req *http.Request, body []byte) (int, cachemodel.Headers, []byte) {
	path := req.URL.Path
	switch {
	case path == "/page" && (r == rolePageA || r == rolePageB):
		page := hs.page(r)
		return 200, cachemodel.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"},
			{Name: "Cache-Control", Value: "no-store"}, {Name: "Content-Length", Value: strconv.Itoa(len(page))}}, page
	case path == "/results" && req.Method == "POST":
		var rep report
		if err := json.Unmarshal(body, &rep); err != nil {
			rep = report{Phase: "error", Error: "bad results: " + err.Error()}
		}
		hs.mu.Lock()
		hs.reports[rep.Phase] = rep
		hs.mu.Unlock()
		if rep.Phase == string(rolePageB) || rep.Phase == "error" {
			hs.once.Do(func() { close(hs.done) })
		}
		return 204, cachemodel.Headers{{Name: "Cache-Control", Value: "no-store"}}, nil
	}
	c, hop := hs.lookup(path)
	if c == nil || hop >= len(c.hops) {
		return 404, notFound, []byte("not found")
	}
	if req.Method == http.MethodOptions {
		if c.preflight == nil || hop != 0 {
			return 404, notFound, []byte("not found")
		}
		return c.preflight.status, hs.render(c, *c.preflight, -1, req.Header.Get("Origin"), nil), nil
	}
	b := []byte("body-" + c.id)
	return c.hops[hop].status, hs.render(c, c.hops[hop], hop, req.Header.Get("Origin"), b), b
}

// lookup maps a request path to its case and hop.
func (hs *harness) lookup(path string) (*tcase, int) {
	if c := hs.byPath[path]; c != nil {
		return c, 0
	}
	rest, ok := strings.CutPrefix(path, "/c/")
	if !ok {
		return nil, 0
	}
	id, n, ok := strings.Cut(rest, "/")
	hop, err := strconv.Atoi(n)
	if !ok || err != nil || hs.byID[id] == nil {
		return nil, 0
	}
	return hs.byID[id], hop
}

type jsCase struct {
	ID          string      `json:"id"`
	URL         string      `json:"url"`
	Method      string      `json:"method"`
	Headers     [][2]string `json:"headers,omitempty"`
	Credentials string      `json:"credentials"`
	Cache       string      `json:"cache"`
}

// page is the HTML of page A or B: its cases as JSON, and a script that
// fetch()es them one by one, then POSTs the results back to its own origin
// and moves on to the next page.
func (hs *harness) page(r role) []byte {
	cfg := struct {
		Phase   string   `json:"phase"`
		Next    string   `json:"next,omitempty"`
		Timeout int      `json:"fetchTimeoutMs"`
		Cases   []jsCase `json:"cases"`
	}{Phase: string(r), Timeout: 10000, Cases: []jsCase{}}
	if r == rolePageA {
		cfg.Next = hs.srv.origin(rolePageB) + "/page"
	}
	for _, c := range hs.cases {
		if c.pageRole() != r {
			continue
		}
		cache := "no-store"
		if c.cache {
			cache = "default"
		}
		cfg.Cases = append(cfg.Cases, jsCase{ID: c.id, URL: hs.srv.origin(c.hops[0].role()) + c.hopPath(0),
			Method: c.method, Headers: c.headers, Credentials: c.creds, Cache: cache})
	}
	js, _ := json.Marshal(cfg) // escapes <, > and &, so it cannot close the script element
	return []byte(`<!doctype html><meta charset="utf-8"><title>corscope differential</title>
<script type="application/json" id="cfg">` + string(js) + `</script>
<script>
const reports = [];
let observer = null;
if (typeof ReportingObserver === "function") {
  observer = new ReportingObserver(rs => { for (const r of rs) reports.push(r); }, {buffered: true});
  observer.observe();
}
(async () => {
  const cfg = JSON.parse(document.getElementById("cfg").textContent);
  const out = [];
  for (const c of cfg.cases) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), cfg.fetchTimeoutMs);
    const r = {id: c.id};
    try {
      const init = {method: c.method, mode: "cors", credentials: c.credentials, cache: c.cache, signal: ctl.signal};
      if (c.headers) init.headers = c.headers;
      const resp = await fetch(c.url, init);
      r.status = resp.status;
      r.body = (await resp.text()).slice(0, 80);
      r.ok = true;
    } catch (e) {
      r.ok = false;
      r.error = String((e && e.name) || "Error") + ": " + String((e && e.message) || e);
      r.aborted = ctl.signal.aborted;
    }
    clearTimeout(timer);
    out.push(r);
  }
  await new Promise(r => setTimeout(r, 100)); // reports are delivered asynchronously
  if (observer) for (const r of observer.takeRecords()) reports.push(r);
  const reps = reports.map(r => ({type: r.type, id: (r.body && r.body.id) || "", message: (r.body && r.body.message) || ""}));
  await fetch("/results", {method: "POST", body: JSON.stringify({phase: cfg.phase, ua: navigator.userAgent,
    reportingObserver: observer !== null, reports: reps, results: out})});
  if (cfg.next) location.href = cfg.next;
})().catch(e => fetch("/results", {method: "POST", body: JSON.stringify({phase: "error", error: String(e)})}));
</script>
`)
}

// verdict is cachemodel's answer for a case, with what the browser must
// have sent on the way.
type verdict struct {
	allowed   bool
	why       string
	preflight bool     // a preflight is needed (cachemodel.NeedsPreflight)
	acrh      string   // Access-Control-Request-Headers it must carry
	origins   []string // Origin each hop of the actual request must carry
	status    int      // status the page must read when allowed
	// deviation is set where cachemodel says today's browsers depart from
	// the Fetch standard (allowed is then today's verdict, not the
	// standard's, which standardWhy explains).
	deviation       cachemodel.Deviation
	standardWhy     string
	standardAllowed bool
}

// model computes cachemodel's verdict for c from the headers the server
// sent (or, for a hop the browser never reached, would have sent). Fetch's
// redirect rules (tainted origin, credentials in Location), which
// cachemodel does not model, are applied here around its CORS check.
func (hs *harness) model(c *tcase, log []logEntry) verdict {
	page := hs.srv.origin(c.pageRole())
	var reqH cachemodel.Headers
	for _, kv := range c.headers {
		reqH = append(reqH, cachemodel.Header{Name: kv[0], Value: kv[1]})
	}
	v := verdict{preflight: cachemodel.NeedsPreflight(c.method, reqH)}
	sent := func(method, path string, r resp, hop int, origin string) (int, cachemodel.Headers) {
		var last *logEntry
		for i := range log {
			if log[i].Method == method && log[i].Path == path && log[i].Role == r.role() {
				last = &log[i]
			}
		}
		if last != nil {
			return last.Status, last.Sent
		}
		var body []byte
		if method != "OPTIONS" {
			body = []byte("body-" + c.id)
		}
		return r.status, hs.render(c, r, hop, origin, body)
	}
	if v.preflight {
		names := cachemodel.CORSUnsafeHeaderNames(reqH)
		v.acrh = strings.Join(names, ",")
		pf := resp{status: 404}
		if c.preflight != nil {
			pf = *c.preflight
		}
		st, h := sent("OPTIONS", c.hopPath(0), resp{status: pf.status, on: c.hops[0].on, lines: pf.lines}, -1, page)
		if c.preflight == nil {
			st, h = 404, notFound
		}
		b := cachemodel.CheckPreflightBrowsers(cachemodel.PreflightRequest{Origin: page, Method: c.method, Headers: names, Mode: c.mode()}, st, h)
		if b.Differs() {
			v.deviation, v.standardWhy, v.standardAllowed = b.Deviation, b.Standard.Detail, b.Standard.Allowed
		}
		if !b.Now.Allowed {
			v.why = "cachemodel.CheckPreflightBrowsers: " + b.Now.Detail
			return v
		}
	}
	origin, tainted := page, false
	for i, r := range c.hops {
		v.origins = append(v.origins, origin)
		st, h := sent(c.method, c.hopPath(i), r, i, origin)
		if c.path != "" { // cache case: shared path, any method
			st, h = sent("GET", c.path, r, i, origin)
		}
		chk := cachemodel.CheckCORS(origin, h, c.mode())
		if !chk.Allowed {
			v.why = fmt.Sprintf("cachemodel.CheckCORS hop %d: %s", i, chk.Detail)
			return v
		}
		if i+1 == len(c.hops) {
			v.allowed, v.status, v.why = true, st, "allowed"
			return v
		}
		cur, next := hs.srv.origin(r.role()), hs.srv.origin(c.hops[i+1].role())
		if r.userinfo != "" && next != page {
			v.why = "Fetch (not in cachemodel): a CORS redirect to a URL with credentials is a network error"
			return v
		}
		if next != cur && page != cur {
			tainted = true
		}
		if tainted {
			origin = "null"
		}
	}
	return v
}

// run starts the browser on page A and waits for page B's results.
func (hs *harness) run(t *testing.T, k browser.Kind, bin string, o browser.Options) {
	t.Helper()
	b, err := browser.StartWith(k, bin, "", hs.srv.origin(rolePageA)+"/page", o)
	if err != nil {
		t.Fatalf("start %s: %v", k, err)
	}
	profile := b.Profile
	defer func() {
		if err := b.Stop(); err != nil {
			t.Error(err)
		}
		if left := browser.Running(profile); len(left) > 0 {
			t.Errorf("%s left processes running: %v", k, left)
		}
		if _, err := os.Stat(profile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s profile %s not removed (%v)", k, profile, err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	select {
	case <-hs.done:
	case <-b.Exited():
		t.Fatalf("%s exited before reporting; log:\n%s", k, tail(b.Log(), 3000))
	case <-ctx.Done():
		t.Fatalf("%s: no results within %v; got phases %v; log:\n%s", k, browserTimeout, hs.phases(), tail(b.Log(), 3000))
	}
	if rep, ok := hs.report("error"); ok {
		t.Fatalf("%s page script failed: %s", k, rep.Error)
	}
}

// results are the pages' reports by case id.
func (hs *harness) results() map[string]result {
	out := map[string]result{}
	for _, ph := range []string{string(rolePageA), string(rolePageB)} {
		rep, _ := hs.report(ph)
		for _, r := range rep.Results {
			out[r.ID] = r
		}
	}
	return out
}

func (hs *harness) phases() []string {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	var out []string
	for p := range hs.reports {
		out = append(out, p)
	}
	return out
}

func (hs *harness) report(phase string) (report, bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	r, ok := hs.reports[phase]
	return r, ok
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestBrowsersAgreeWithModel is the differential suite: every case's
// fetch() in headless Chromium and Firefox ESR against cachemodel's verdict
// on the exact headers the server sent.
func TestBrowsersAgreeWithModel(t *testing.T) {
	cases := buildCases()
	for _, k := range []browser.Kind{browser.Chromium, browser.Firefox} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			bin := Require(t, k)
			full, _, err := browser.Version(context.Background(), bin)
			if err != nil {
				t.Fatal(err)
			}
			checkMeasured(t, k, full, os.Getenv)
			hs := newHarness(t, cases)
			hs.run(t, k, bin, browser.Options{})
			results, log := hs.results(), hs.srv.entries()
			t.Logf("%s %s: %d cases", k, full, len(cases))
			checkReports(t, hs, k, full, cases, results)
			for _, c := range cases {
				t.Run(c.id, func(t *testing.T) {
					compare(t, hs, k, full, c, results, log)
				})
			}
		})
	}
}

// compare checks one case for one browser.
func compare(t *testing.T, hs *harness, k browser.Kind, version string, c *tcase, results map[string]result, log []logEntry) {
	res, ok := results[c.id]
	if !ok {
		t.Fatalf("%s %s reported no result", k, version)
	}
	if res.Aborted {
		t.Fatalf("%s %s: fetch timed out", k, version)
	}
	// Only the log up to this case matters for cache cases (a later case
	// may fetch the same path again).
	v := hs.model(c, logUntil(log, c, hs))
	var reqs []logEntry
	for _, e := range log {
		if strings.HasPrefix(e.Path, "/c/"+c.id+"/") || c.path != "" && e.Path == c.path {
			reqs = append(reqs, e)
		}
	}
	what := fmt.Sprintf("%s %s: fetch %s", k, version, okText(res))
	var seen []string
	for _, e := range reqs {
		seen = append(seen, fmt.Sprintf("%s %s Origin=%q ACRH=%q -> %d", e.Method, e.Path, e.Origin, e.ACRH, e.Status))
	}
	t.Logf("%s; cachemodel: %s; requests: %s", what, v.why, strings.Join(seen, "; "))
	// What the browser sent must match what the model assumes it sends.
	if c.path == "" {
		sawPreflight := false
		for _, e := range reqs {
			if e.Method == "OPTIONS" {
				sawPreflight = true
				if e.ACRH != v.acrh {
					t.Errorf("%s: preflight Access-Control-Request-Headers %q, cachemodel.CORSUnsafeHeaderNames says %q", what, e.ACRH, v.acrh)
				}
			}
		}
		if sawPreflight != v.preflight {
			t.Errorf("%s: browser sent a preflight: %v; cachemodel.NeedsPreflight: %v", what, sawPreflight, v.preflight)
		}
		for i, want := range v.origins {
			for _, e := range reqs {
				if e.Method != "OPTIONS" && e.Path == c.hopPath(i) && (!e.HasOrig || e.Origin != want) {
					t.Errorf("%s: hop %d sent Origin %q (present %v); Fetch says %q", what, i, e.Origin, e.HasOrig, want)
				}
			}
		}
	}
	if c.wantServed > 0 {
		n := 0
		for _, e := range logUntil(log, c, hs) {
			if e.Path == c.path {
				n++
			}
		}
		if n != c.wantServed {
			t.Errorf("%s: server answered %s %d times by this case, want %d (browser cache reuse)", what, c.path, n, c.wantServed)
		}
	}
	// A deviation from the standard that cachemodel predicts must be
	// documented for this browser (switch, version), and the other way round.
	d, documented := c.diverge[k]
	switch {
	case v.deviation != "" && !documented:
		t.Errorf("%s: cachemodel says today's browsers deviate from Fetch here (%s), but the table documents no switch for %s", what, v.deviation, k)
	case v.deviation == "" && documented:
		t.Errorf("%s: the table documents a divergence (%s) that cachemodel does not model", what, d.why)
	}
	if res.OK == v.allowed {
		if res.OK && res.Status != v.status {
			t.Errorf("%s: status %d, the final response was %d", what, res.Status, v.status)
		}
		if documented {
			t.Logf("documented divergence from the Fetch standard (measured with %s %s): %s; the standard: %s", k, d.measured, d.why, v.standardWhy)
		}
		if c.knownBug != "" {
			// A mark that no longer holds would hide the next regression.
			t.Errorf("%s: known bug %q no longer reproduces: remove the mark", what, c.knownBug)
		}
		return
	}
	if c.knownBug != "" && v.allowed && !res.OK { // the bug's direction: cachemodel allows what browsers block
		t.Logf("EXPECTED FAILURE (%s): %s; cachemodel: %s", c.knownBug, what, v.why)
		return
	}
	if documented {
		t.Errorf("%s, but cachemodel's verdict for today's browsers is allowed=%v (%s): the documented divergence (measured with %s: %s) is gone; update cachemodel.CheckPreflightBrowsers, MeasuredBrowsers and this table",
			what, v.allowed, v.why, d.measured, d.why)
		return
	}
	t.Errorf("%s, cachemodel says allowed=%v (%s)", what, v.allowed, v.why)
}

func okText(r result) string {
	if r.OK {
		return fmt.Sprintf("allowed (status %d)", r.Status)
	}
	return "blocked (" + r.Error + ")"
}

// logUntil is the server log up to and including c's last request: for a
// cache case, what the browser had been served when it ran c.
func logUntil(log []logEntry, c *tcase, hs *harness) []logEntry {
	if c.path == "" {
		return log
	}
	// Cases run in table order, page A's before page B's. The requests of
	// the cases sharing c.path that run after c are cut off.
	var later int
	seen := false
	for _, o := range hs.cases {
		if o.path != c.path {
			continue
		}
		if seen {
			later++
		}
		if o == c {
			seen = true
		}
	}
	n := 0
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Path != c.path {
			continue
		}
		if n == later {
			return log[:i+1]
		}
		n++
	}
	return log
}

// TestDivergencesFollowTheirSwitch proves each documented divergence's
// explanation: with the named feature or pref flipped, the browser must
// give the Fetch standard's verdict (cachemodel's Standard) on those cases.
func TestDivergencesFollowTheirSwitch(t *testing.T) {
	all := buildCases()
	for _, k := range []browser.Kind{browser.Chromium, browser.Firefox} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			bin := Require(t, k)
			full, _, err := browser.Version(context.Background(), bin)
			if err != nil {
				t.Fatal(err)
			}
			var cases []*tcase
			var flip browser.Options
			// The divergent cases, and as controls the other cases of their
			// groups (which must not change).
			groups := map[string]bool{}
			for _, c := range all {
				if d, ok := c.diverge[k]; ok {
					groups[group(c.id)] = true
					flip.ChromiumArgs = append(flip.ChromiumArgs, d.flip.ChromiumArgs...)
					flip.FirefoxPrefs = append(flip.FirefoxPrefs, d.flip.FirefoxPrefs...)
				}
			}
			for _, c := range all {
				if groups[group(c.id)] {
					cases = append(cases, c)
				}
			}
			if len(groups) == 0 {
				t.Skipf("no divergence documented for %s", k)
			}
			flip.ChromiumArgs = slices.Compact(slices.Sorted(slices.Values(flip.ChromiumArgs)))
			flip.FirefoxPrefs = slices.Compact(slices.Sorted(slices.Values(flip.FirefoxPrefs)))
			hs := newHarness(t, cases)
			hs.run(t, k, bin, flip)
			results := hs.results()
			log := hs.srv.entries()
			for _, c := range cases {
				res, ok := results[c.id]
				v := hs.model(c, log)
				switch {
				case !ok || res.Aborted:
					t.Errorf("%s: no result from %s %s", c.id, k, full)
				case v.deviation == "" && res.OK != v.allowed:
					t.Errorf("%s: %s %s with %v%v: fetch %s, cachemodel says allowed=%v (%s): the switch changed a case it should not",
						c.id, k, full, flip.ChromiumArgs, flip.FirefoxPrefs, okText(res), v.allowed, v.why)
				case v.deviation == "":
					t.Logf("%s (control): %s %s with the switch: fetch %s, as before", c.id, k, full, okText(res))
				case res.OK != v.standardAllowed:
					t.Errorf("%s: %s %s with %v%v: fetch %s, but the Fetch standard says allowed=%v (%s): the switch does not explain the divergence",
						c.id, k, full, flip.ChromiumArgs, flip.FirefoxPrefs, okText(res), v.standardAllowed, v.standardWhy)
				default:
					t.Logf("%s: %s %s with %v%v: fetch %s, as the Fetch standard says", c.id, k, full, flip.ChromiumArgs, flip.FirefoxPrefs, okText(res))
				}
			}
		})
	}
}

// checkReports: a browser that deviated where a divergence names a
// deprecation report must have delivered that report to the page.
func checkReports(t *testing.T, hs *harness, k browser.Kind, version string, cases []*tcase, results map[string]result) {
	seen := map[string]bool{}
	for _, ph := range []role{rolePageA, rolePageB} {
		rep, _ := hs.report(string(ph))
		for _, r := range rep.Reports {
			seen[r.Type+"/"+r.ID] = true
			t.Logf("%s %s: ReportingObserver on %s: %s %s: %s", k, version, ph, r.Type, r.ID, r.Message)
		}
	}
	for _, c := range cases {
		d, ok := c.diverge[k]
		if !ok || d.report == "" || !results[c.id].OK {
			continue
		}
		if !seen["deprecation/"+d.report] {
			t.Errorf("%s %s allowed %s (a documented divergence) but sent no %q deprecation report", k, version, c.id, d.report)
		}
	}
}

// measuredName is how cachemodel.MeasuredBrowsers names a browser version.
func measuredName(k browser.Kind, version string) string {
	if k == browser.Firefox {
		return "Firefox ESR " + version
	}
	return "Chromium " + version
}

// checkMeasured keeps cachemodel.MeasuredBrowsers (printed by `corscope
// version`) true: under CORSCOPE_REQUIRE_BROWSERS=1 (CI) the browser that
// ran must be listed there; locally a different version is only noted.
func checkMeasured(t *testing.T, k browser.Kind, version string, getenv func(string) string) {
	name := measuredName(k, version)
	if slices.Contains(cachemodel.MeasuredBrowsers, name) {
		return
	}
	msg := fmt.Sprintf("%s is not in cachemodel.MeasuredBrowsers %q: once this suite passes with it, record it there and in README.md", name, cachemodel.MeasuredBrowsers)
	// A Debian security update changes the patch version between CI runs
	// without changing CORS; a new major release may, so only that fails.
	sameMajor := slices.ContainsFunc(cachemodel.MeasuredBrowsers, func(m string) bool { return majorOf(m) == majorOf(name) })
	if getenv("CORSCOPE_REQUIRE_BROWSERS") == "1" && !sameMajor {
		t.Error(msg)
		return
	}
	t.Log(msg)
}

// majorOf cuts "Chromium 156.0.8078.129" to "Chromium 156".
func majorOf(name string) string {
	head, _, _ := strings.Cut(name, ".")
	return head
}

// group is a case id's first word ("auth" of "auth-acah-star-omit").
func group(id string) string {
	g, _, _ := strings.Cut(id, "-")
	return g
}

func TestMissingBrowserSkipsUnlessRequired(t *testing.T) {
	saved := browser.Binaries[browser.Chromium]
	browser.Binaries[browser.Chromium] = []string{"/nonexistent/corscope-no-such-browser"}
	_, err := browser.Find(browser.Chromium)
	browser.Binaries[browser.Chromium] = saved
	if !errors.Is(err, browser.ErrNotInstalled) {
		t.Fatalf("Find with no binary: %v, want ErrNotInstalled", err)
	}
	for env, wantFail := range map[string]bool{"": false, "0": false, "1": true} {
		msg, fail := Missing(err, func(k string) string {
			if k == "CORSCOPE_REQUIRE_BROWSERS" {
				return env
			}
			return ""
		})
		if fail != wantFail || !strings.Contains(msg, "chromium: not installed") {
			t.Errorf("CORSCOPE_REQUIRE_BROWSERS=%q: fail=%v msg=%q", env, fail, msg)
		}
	}
}

func TestMajorOf(t *testing.T) {
	for in, want := range map[string]string{
		"Chromium 156.0.8078.129": "Chromium 156",
		"Firefox ESR 153.8.0esr":  "Firefox ESR 153",
		"Chromium 157.0.1.2":      "Chromium 157",
	} {
		if got := majorOf(in); got != want {
			t.Errorf("majorOf(%q) = %q, want %q", in, got, want)
		}
	}
}
