package tui

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/corscope/corscope/internal/hostile"
	"github.com/corscope/corscope/probe"
)

var summaryRE = regexp.MustCompile(`✓ (\d+) done(?: · ✗ (\d+) error)?|✗ (\d+) error`)

// TestHostileServersThroughTheView points the real engine at every server
// of the hostile kit at once (terminal controls, invalid bytes, huge and
// endless answers, stalls, resets, malformed and non-HTTP replies, redirect
// loops, bad certificates), waits until every target has an outcome, opens
// each target's detail view and pages through it, and checks that the
// program neither hangs nor panics and that nothing it wrote would drive
// the terminal.
func TestHostileServersThroughTheView(t *testing.T) {
	eng, err := probe.New(probe.Config{Timeout: 300 * time.Millisecond, FollowRedirects: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cases := hostile.Cases()
	opt := Options{Engine: eng, Plan: observePlan, Origins: []string{appOrigin}}
	for _, c := range cases {
		srv := hostile.Start(t, c.Case)
		opt.URLs = append(opt.URLs, mustURL(t, srv.URL))
	}
	tm := program(t, opt, 160, 48)
	start := time.Now()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		all := summaryRE.FindAllSubmatch(b, -1)
		if len(all) == 0 {
			return false
		}
		last, n := all[len(all)-1], 0
		for _, g := range last[1:] {
			v, _ := strconv.Atoi(string(g))
			n += v
		}
		return n == len(cases)
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	// Every request is bounded by its timeout: 10 sequential steps per
	// target, targets in parallel.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the hostile targets took %s", d)
	}
	// The renderer only draws the latest view once per frame, so each
	// screen of the walk is waited for: keys sent back to back would skip
	// the detail frames the checks below need.
	var walk bytes.Buffer
	for i := range cases {
		if i > 0 {
			tm.Type("j")
		}
		tm.Send(tea.KeyMsg{Type: tea.KeyTab})   // to the matrix
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) // detail of the selected variant
		if !awaitOutput(tm, &walk, []byte("Variant "), 5*time.Second) {
			t.Errorf("target %d: the detail view was never drawn", i)
		}
		for range 2 {
			tm.Send(tea.KeyMsg{Type: tea.KeyPgDown})
			awaitOutput(tm, &walk, []byte("lines "), 200*time.Millisecond) // a short document does not scroll
		}
		tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // back to the panes
		tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // focus back to the targets
	}
	tm.Type("q")
	rest, err := readAll(tm)
	if err != nil {
		t.Fatal(err)
	}
	out := append(walk.Bytes(), rest...)
	// The walk really reached the failures, and they read as words.
	for _, want := range []string{"not an HTTP response", "certificate", "timeout", "malformed"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the view never showed %q", want)
		}
	}
	checkOutput(t, out)
	if err := hostile.CheckTerminal(stripOwnSequences(out)); err != nil {
		t.Error(err)
	}
}

// awaitOutput copies the program's output into seen until what it read
// this time contains want, or d passes; it reports whether want came.
func awaitOutput(tm *teatest.TestModel, seen *bytes.Buffer, want []byte, d time.Duration) bool {
	var now bytes.Buffer
	for deadline := time.Now().Add(d); ; {
		if _, err := io.Copy(&now, tm.Output()); err != nil {
			break
		}
		if bytes.Contains(now.Bytes(), want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	seen.Write(now.Bytes())
	return bytes.Contains(now.Bytes(), want)
}

func readAll(tm *teatest.TestModel) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(tm.FinalOutput(nil, teatest.WithFinalTimeout(5*time.Second)))
	return b.Bytes(), err
}

// ownSequence matches what Bubble Tea's renderer itself writes (CSI cursor
// moves, erases, mode switches) and its carriage returns. What is left
// after removing them must hold nothing a terminal would act on; server
// text that survived unescaped would show up there (an OSC, a BEL, a C1, a
// bidi control, an invalid byte), and checkOutput catches the CSI forms
// the hostile servers send.
var ownSequence = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\r`)

func stripOwnSequences(out []byte) []byte { return ownSequence.ReplaceAll(out, nil) }

// TestHostileInputRefusalIsEscaped: cachemodel's parse errors quote what
// was typed without escaping it for a terminal; the prompt that shows the
// refusal is the edge that escapes it (C1 CSI, bidi override, invalid
// UTF-8), in the origin and in the URL prompt alike.
func TestHostileInputRefusalIsEscaped(t *testing.T) {
	eng := newFakeCDN(appOrigin)
	m := start(t, newTestModel(t, eng, 120, 40, urlA))
	for _, c := range []struct {
		submit func(*Model, string) tea.Cmd
		value  string
		want   string
	}{
		{(*Model).submitOrigin, "https://a.example/\u202e\u009b[31mX", "it has a path"},
		{(*Model).submitOrigin, "https://a.example/#\u2028\u009b[2J", "trailing slash"},
		{(*Model).submitURL, "https://\u202eevil.example/\u009b[2J\xff", "internationalised"},
	} {
		c.submit(&m, c.value)
		if m.promptErr == "" || !strings.Contains(m.promptErr, c.want) {
			t.Errorf("%q: refusal %q, want it to say %q", c.value, m.promptErr, c.want)
		}
		if err := hostile.CheckTerminal([]byte(m.promptErr)); err != nil {
			t.Errorf("%q: refusal %q: %v", c.value, m.promptErr, err)
		}
		if err := hostile.CheckTerminal(stripOwnSequences([]byte(m.View()))); err != nil {
			t.Errorf("%q: view: %v", c.value, err)
		}
	}
}
