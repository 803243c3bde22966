package tui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/probe"
)

// heldServer answers every request at once, except those with Origin
// hold, which it holds until the test ends (or the request is dropped).
func heldServer(t *testing.T, hold string) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == hold {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Vary", "Origin")
		}
		w.Header().Set("Cache-Control", "public, max-age=60")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: nothing stays held
	return srv
}

// Issue 12, item 2: with the real engine and one request held by the
// server, the view says that request is in flight, with its time against
// the timeout, ticking; the target's later requests, and a second target
// waiting for a free probe slot, read queued, not in flight.
func TestProgramShowsInFlightAndQueued(t *testing.T) {
	srv := heldServer(t, adminOrigin)
	eng, err := probe.New(probe.Config{Timeout: 5 * time.Second, HostConcurrency: 1, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	opt := Options{Engine: eng, Plan: observePlan, Origins: []string{appOrigin, adminOrigin}, Timeout: 5 * time.Second,
		Now: time.Now} // a real clock: the elapsed time must move
	opt.URLs = append(opt.URLs, mustURL(t, srv.URL+"/a"), mustURL(t, srv.URL+"/b"))
	tm := program(t, opt, 120, 40)
	flying := regexp.MustCompile(`in flight (\d+\.\d)s / 5s · https://admin\.example\.com R1`)
	var first float64 = -1
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, m := range flying.FindAllSubmatch(b, -1) {
			v, _ := strconv.ParseFloat(string(m[1]), 64)
			if first < 0 {
				first = v
			}
			if v >= first+0.3 {
				return true // ticking: a later frame shows more time
			}
		}
		return false
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	// The rest of the plan waits behind the held request; the other
	// target waits for a free slot.
	tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40}) // a full repaint
	waitFor(t, tm, "7 queued, not sent yet: same-origin http://127.0.0.1", "· queued ", "2 of 10 requests answered", "c cancel")
	tm.Type("j")
	waitFor(t, tm, "· queued: no request sent yet")
	tm.Type("c")
	waitFor(t, tm, "■ stopped")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// Many requests at once (isolate keys in parallel): the first ones in
// flight each get a line with their time, the rest one line by name; and
// the findings pane, which has no finding to open while probing, never
// says "enter shows the full text" when its note overflows.
func TestManyInFlightStayReadable(t *testing.T) {
	m := newTestModelOpt(t, Options{Engine: poisonedCDN(), Plan: observePlan, Origins: []string{appOrigin, adminOrigin},
		Timeout: 10 * time.Second, URLs: []*url.URL{mustURL(t, urlA)}}, 80, 24)
	m = update(t, m, keyMsg("R"))
	plan, _ := observePlan(PlanRequest{Index: 0, URL: mustURL(t, urlA), Origins: m.origins})
	cdn := poisonedCDN()
	evs := []runEvent{{Kind: eventObserved, Target: 0, Steps: len(plan.Steps), Plan: &plan,
		Obs: cachemodel.Observation{Target: 0, Step: 0, Response: cdn.respond(plan.Steps[0])}}}
	for i := 1; i <= 6; i++ {
		evs = append(evs, runEvent{Kind: eventStarted, Target: 0, Steps: len(plan.Steps), Plan: &plan, Step: i, At: fixedNow.Add(-time.Second)})
	}
	m = update(t, m, runEventsMsg{RunID: m.lastRun, Events: evs})
	note := m.pendingNote(m.s.targets[0])
	if n := strings.Count(note, "in flight 1.0s / 10s"); n != maxFlightLines-1 {
		t.Errorf("%d timed lines, want %d:\n%s", n, maxFlightLines-1, note)
	}
	if !strings.Contains(note, "4 more in flight: ") || !strings.Contains(note, "3 queued, not sent yet") {
		t.Errorf("note:\n%s", note)
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "▼ ") {
		t.Fatalf("the note fits: the test proves nothing\n%s", v)
	}
	if strings.Contains(v, "enter shows the full text") {
		t.Errorf("a pane with no finding offers enter:\n%s", v)
	}
}
