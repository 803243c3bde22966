package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/probe"
)

// rtLatency is the origin's distance in this test: every answer takes it.
const rtLatency = 50 * time.Millisecond

// slowOrigin answers after rtLatency, like an origin 50 ms away, and counts
// requests and the most it had in flight at once.
type slowOrigin struct {
	srv                *httptest.Server
	requests, inflight atomic.Int64
	maxInflight        atomic.Int64
	mu                 sync.Mutex
	first, last        time.Time // first request in, last answer out
}

// span is the time from the first request's arrival to the last answer:
// the schedule itself, without the process around it.
func (o *slowOrigin) span() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last.Sub(o.first)
}

func startSlowOrigin(t *testing.T) *slowOrigin {
	t.Helper()
	o := &slowOrigin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		if o.first.IsZero() {
			o.first = time.Now()
		}
		o.mu.Unlock()
		defer func() {
			o.mu.Lock()
			o.last = time.Now()
			o.mu.Unlock()
		}()
		o.requests.Add(1)
		n := o.inflight.Add(1)
		defer o.inflight.Add(-1)
		for {
			m := o.maxInflight.Load()
			if n <= m || o.maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(rtLatency)
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		w.Header().Set("Vary", "Origin")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// Issue 16, item 1: isolate mode sends the requests of different cache keys
// at once. One URL with two origins is 33 requests; sent one after another
// against an origin 50 ms away that was 33 round trips (1.65 s). Keys 1
// and 2 start at once, their second requests and the repeat keys' first
// one round trip later, then the rest with the generated origins: 3 round
// trips of chains, plus what the per-host bound adds (33 requests at 8 in
// flight need 5 round trips at least; 16 in flight, 4; --preflight adds a
// chain of 4 from the first round trip and 4 requests: still 4 at 16). The bounds leave 2 to 3 round
// trips of slack for a loaded machine under -race, far below 33.
func TestIsolateRoundTrips(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		hostConc int
		maxRT    int // round trips allowed, slack included
	}{
		{"host-concurrency 16", []string{"--host-concurrency", "16"}, 16, 6},
		{"default host-concurrency 8", nil, 8, 8},
		{"preflight, host-concurrency 16", []string{"--preflight", "--host-concurrency", "16"}, 16, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := startSlowOrigin(t)
			args := append([]string{"check", "--mode", "isolate", "--format", "json", "--fail-on", "none",
				"-o", "https://app.example.com", "-o", "https://admin.example.com"}, c.args...)
			args = append(args, o.srv.URL+"/rt")
			start := time.Now()
			code, out, errs := runCLI(t, "", args...)
			wall := time.Since(start)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			rep := decodeReport(t, out)
			n := int(o.requests.Load())
			if len(rep.Targets) != 1 || len(rep.Targets[0].Variants) != n || n < 33 {
				t.Fatalf("%d requests seen by the origin, report has %d targets", n, len(rep.Targets))
			}
			rt, span := float64(wall)/float64(rtLatency), float64(o.span())/float64(rtLatency)
			t.Logf("%d requests in %v = %.1f round trips of %v (%.1f from the first request in to the last answer out); at most %d in flight",
				n, wall.Round(time.Millisecond), rt, rtLatency, span, o.maxInflight.Load())
			// The schedule must hold on the server's clock; the whole
			// process (start-up, analysis, the report: slow under -race)
			// gets 3 round trips more.
			if span >= float64(c.maxRT) || rt >= float64(c.maxRT+3) {
				t.Errorf("took %.1f round trips (%.1f on the server), want < %d (< %d for the whole process)", span, rt, c.maxRT, c.maxRT+3)
			}
			if m := o.maxInflight.Load(); m > int64(c.hostConc) || m < 2 {
				t.Errorf("the origin saw up to %d requests at once, want 2 to %d", m, c.hostConc)
			}
		})
	}
}

// The same run through the engine the interactive view uses for x
// (runner.Guard: one IsolateEngine per run over runner.Stream).
func TestIsolateRoundTripsViewPath(t *testing.T) {
	o := startSlowOrigin(t)
	eng, err := probe.New(probe.Config{HostConcurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	u, err := cachemodel.ParseTargetURL(o.srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	plan := cachemodel.BuildIsolatePlan(0, u, cachemodel.PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 2},
		cachemodel.IsolateOptions{Rand: rand.Reader})
	var rep cachemodel.TargetReport
	start := time.Now()
	err = runner.Stream(context.Background(), runner.Guard(eng, 16), []cachemodel.TargetPlan{plan},
		analyzeWith(cachemodel.AnalyzeOptions{}), runner.Hooks{OnTarget: func(r cachemodel.TargetReport) error { rep = r; return nil }})
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Variants) != len(plan.Steps) || int(o.requests.Load()) != len(plan.Steps) {
		t.Fatalf("%d variants, %d requests for %d steps", len(rep.Variants), o.requests.Load(), len(plan.Steps))
	}
	t.Logf("%d requests in %v = %.1f round trips", len(plan.Steps), wall.Round(time.Millisecond), float64(wall)/float64(rtLatency))
	if wall >= 6*rtLatency {
		t.Errorf("took %.1f round trips, want < 6", float64(wall)/float64(rtLatency))
	}
}

var randomLabel = regexp.MustCompile(`corscope-[0-9a-f]{8}`)

// The findings do not depend on the schedule: the same origin checked with
// one request in flight at a time (the old, sequential order) and with
// many gives the same rules, states and verdicts.
func TestIsolateFindingsSameWhenConcurrent(t *testing.T) {
	o := startSlowOrigin(t)
	summary := func(hostConc int) []string {
		code, out, errs := runCLI(t, "", "check", "--mode", "isolate", "--format", "json", "--fail-on", "none",
			"-o", "https://app.example.com", "-o", "https://admin.example.com", "--host-concurrency", strconv.Itoa(hostConc), o.srv.URL+"/same")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		tr := decodeReport(t, out).Targets[0]
		s := []string{"state " + string(tr.State)}
		for _, f := range tr.Findings {
			s = append(s, string(f.Severity)+" "+f.Rule+": "+f.Message)
		}
		for _, v := range tr.Variants {
			s = append(s, v.Label+" "+v.Experiment+" "+strconv.Itoa(v.Response.Status))
		}
		// The generated origins carry a random label per run.
		for i := range s {
			s[i] = randomLabel.ReplaceAllString(s[i], "corscope-LABEL")
		}
		return s
	}
	seq, par := summary(1), summary(16)
	if !slices.Equal(seq, par) {
		t.Errorf("sequential:\n%q\nconcurrent:\n%q", seq, par)
	}
}

// Issue 16, item 3: check --format jsonl prints one line per target, in
// input order, each the target object of --format json, then the summary.
func TestCheckJSONLines(t *testing.T) {
	o := startSlowOrigin(t)
	urls := o.srv.URL + "/a\n" + o.srv.URL + "/b\n" + o.srv.URL + "/c\n"
	args := []string{"check", "--mode", "observe", "--rounds", "1", "--fail-on", "none", "-o", "https://app.example.com", "-"}
	code, out, errs := runCLI(t, urls, append(args, "--format", "jsonl")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 targets and the summary:\n%s", len(lines), out)
	}
	for i, line := range lines[:3] {
		var tr cachemodel.TargetReport
		if err := json.Unmarshal([]byte(line), &tr); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if want := o.srv.URL + "/" + string(rune('a'+i)); tr.URL != want || len(tr.Variants) != 4 {
			t.Errorf("line %d: %s with %d variants, want %s with 4", i+1, tr.URL, len(tr.Variants), want)
		}
	}
	var last struct {
		Schema  string             `json:"schema"`
		Mode    string             `json:"mode"`
		Summary cachemodel.Summary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[3]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Schema != cachemodel.ReportSchema || last.Mode != "observe" || last.Summary.Targets != 3 || last.Summary.Requests != 12 {
		t.Errorf("last line: %+v", last)
	}
}
