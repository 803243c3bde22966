package tui

import (
	"context"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"

	"github.com/corscope/corscope/cachemodel"
)

func TestMain(m *testing.M) {
	// Goldens are plain text: no colour, a fixed background.
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	// teatest leaves one goroutine per program waiting for SIGINT.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest.NewTestModel.func2"))
}

// fixedNow is the frozen clock of every test.
var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeCDN is an engine that plays a cache in front of an origin, with no
// network: the origin reflects allowed origins in ACAO; the cache stores
// the first response per URL (per URL and Origin when vary is set) and
// serves it again with X-Cache: HIT. It runs targets one after another, so
// runs are deterministic.
type fakeCDN struct {
	mu      sync.Mutex
	cache   map[string]cachemodel.Headers
	hits    map[string]int64
	vary    bool
	allowed map[string]bool
	// gate, when set, must yield a token before each step: tests hold a
	// run in flight with it.
	gate chan struct{}
	// extra headers on every origin response (hostile values in tests).
	extra cachemodel.Headers
	// fail makes every request to these URLs fail.
	fail map[string]bool
	// status answers these URLs with another status than 200.
	status map[string]int
	// noCORS URLs never get ACAO, whatever the Origin.
	noCORS map[string]bool
	runs   int
}

func newFakeCDN(allowed ...string) *fakeCDN {
	f := &fakeCDN{cache: map[string]cachemodel.Headers{}, hits: map[string]int64{}, allowed: map[string]bool{}, fail: map[string]bool{},
		status: map[string]int{}, noCORS: map[string]bool{}}
	for _, o := range allowed {
		f.allowed[o] = true
	}
	return f
}

func (f *fakeCDN) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	f.mu.Lock()
	f.runs++
	f.mu.Unlock()
	for _, p := range plans {
		for i, st := range p.Steps {
			o := cachemodel.Observation{Target: p.Index, Step: i}
			if f.gate != nil && ctx.Err() == nil {
				select {
				case <-f.gate:
				case <-ctx.Done():
				}
			}
			switch {
			case ctx.Err() != nil:
				o.Err = &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled, Message: "run canceled"}
			case f.fail[st.URL]:
				o.Err = &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "connection refused"}
			default:
				o.Response = f.respond(st)
				o.Timing = cachemodel.Timing{Connect: time.Millisecond, TTFB: 2 * time.Millisecond, Total: 3 * time.Millisecond}
			}
			out <- o // the runner always drains
		}
	}
	return ctx.Err()
}

func (f *fakeCDN) respond(st cachemodel.Step) *cachemodel.Response {
	f.mu.Lock()
	defer f.mu.Unlock()
	origin, hasOrigin := st.Headers.Get("Origin")
	key := st.Method + " " + st.URL
	if f.vary {
		key += " " + origin
	}
	status := 200
	if s, ok := f.status[st.URL]; ok {
		status = s
	}
	if stored, ok := f.cache[key]; ok {
		f.hits[key]++
		h := append(stored.Clone(), cachemodel.Header{Name: "X-Cache", Value: "HIT"},
			cachemodel.Header{Name: "Age", Value: strconv.FormatInt(f.hits[key], 10)})
		return &cachemodel.Response{Status: status, Proto: "HTTP/1.1", Headers: h, RemoteAddr: "127.0.0.1:8080", BodyBytes: 42}
	}
	h := cachemodel.Headers{
		{Name: "Content-Type", Value: "application/json"},
		{Name: "Cache-Control", Value: "public, max-age=60"},
	}
	if hasOrigin && f.allowed[origin] && !f.noCORS[st.URL] {
		h = append(h, cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: origin})
	}
	if f.vary {
		h = append(h, cachemodel.Header{Name: "Vary", Value: "Origin"})
	}
	h = append(h, f.extra...)
	f.cache[key] = h.Clone()
	h = append(h, cachemodel.Header{Name: "X-Cache", Value: "MISS"}, cachemodel.Header{Name: "Age", Value: "0"})
	return &cachemodel.Response{Status: status, Proto: "HTTP/1.1", Headers: h, RemoteAddr: "127.0.0.1:8080", BodyBytes: 42}
}

// observePlan is the plan builder tests use: observe mode, two rounds.
func observePlan(req PlanRequest) (cachemodel.TargetPlan, error) {
	return cachemodel.BuildObservePlan(req.Index, req.URL, cachemodel.PlanOptions{Origins: req.Origins, Rounds: 2, UserAgent: "corscope/test"}), nil
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := cachemodel.ParseTargetURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// noTimers drops every timer: pure-Update tests never sleep.
func noTimers(time.Duration, func() tea.Msg) tea.Cmd { return nil }

// newTestModel builds a model on a fake engine with a frozen clock and no
// timers, sized w×h.
func newTestModel(t testing.TB, eng *fakeCDN, w, h int, urls ...string) Model {
	t.Helper()
	opt := Options{
		Origins: []string{"https://app.example.com", "https://admin.example.com"},
		Plan:    observePlan,
		Now:     func() time.Time { return fixedNow },
		Tool:    "corscope test",
	}
	if eng != nil {
		opt.Engine = eng
	}
	for _, s := range urls {
		opt.URLs = append(opt.URLs, mustURL(t, s))
	}
	return newTestModelOpt(t, opt, w, h)
}

func newTestModelOpt(t testing.TB, opt Options, w, h int) Model {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return fixedNow }
	}
	m := New(opt)
	m.c.after = noTimers
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// update applies one message and discards the command.
func update(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	return next.(Model)
}

// drive applies msg, then runs every resulting command to completion
// (synchronously, breadth first), feeding their messages back, until none
// is left. Runs on the fake engine finish, so this terminates.
func drive(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	next, cmd := m.Update(msg)
	m = next.(Model)
	return settle(t, m, cmd)
}

// settle runs cmd and everything it leads to.
func settle(t testing.TB, m Model, cmd tea.Cmd) Model {
	t.Helper()
	queue := []tea.Cmd{cmd}
	deadline := time.Now().Add(10 * time.Second)
	for len(queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("commands did not settle within 10s")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
		default:
			next, cmd := m.Update(msg)
			m = next.(Model)
			queue = append(queue, cmd)
		}
	}
	return m
}

// key builds a key message from its name, as bubbletea reports it.
func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "home":
		return tea.KeyMsg{Type: tea.KeyHome}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	}
	if len([]rune(s)) != 1 {
		panic("keyMsg: unknown key name " + s)
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// keys presses each key in turn, settling the commands after each.
func keys(t testing.TB, m Model, names ...string) Model {
	t.Helper()
	for _, n := range names {
		m = drive(t, m, keyMsg(n))
	}
	return m
}

// typeText types a string into whatever has focus.
func typeText(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		m = drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

// start runs Init's command (the initial probe) to completion.
func start(t testing.TB, m Model) Model {
	t.Helper()
	return settle(t, m, m.Init())
}
