package tui

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/probe"
)

// shortTimers keeps real timers but caps them, so a program that quits
// leaves no timer goroutine behind for long (goleak).
func shortTimers(d time.Duration, msg func() tea.Msg) tea.Cmd {
	return realAfter(min(d, 20*time.Millisecond), msg)
}

// program runs a model in teatest at w×h.
func program(t *testing.T, opt Options, w, h int) *teatest.TestModel {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return fixedNow }
	}
	m := New(opt)
	m.c.after = shortTimers
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
}

// waitFor reads the program's output until every string has appeared.
// Output is consumed as it is read, so a later wait only sees what was
// drawn after the earlier one returned.
func waitFor(t *testing.T, tm *teatest.TestModel, what ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range what {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func TestProgramStartOpenDetailQuit(t *testing.T) {
	opt := Options{Engine: poisonedCDN(), Plan: observePlan, Origins: []string{appOrigin, adminOrigin}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA), mustURL(t, urlB))
	tm := program(t, opt, 80, 24)
	waitFor(t, tm, "✓ 2 done", "cache-served-wrong-origin")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Variant https://admin.example.com")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if final.screen != screenDetail || !final.quitting {
		t.Errorf("final state: screen %v, quitting %v", final.screen, final.quitting)
	}
	if final.ctx.Err() == nil {
		t.Error("quitting left the runs' context alive")
	}
}

func TestProgramReprobeAndDiff(t *testing.T) {
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan, Origins: []string{appOrigin}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	tm := program(t, opt, 100, 30)
	waitFor(t, tm, "✓ 1 done")
	tm.Type("r")
	waitFor(t, tm, "d diffs against the previous run")
	tm.Type("d")
	waitFor(t, tm, "(was MISS→HIT)")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if tg := final.s.targets[0]; tg.previous == nil || tg.current == tg.previous {
		t.Error("the re-probe did not keep the previous result")
	}
}

func TestProgramResizeBelowMinimum(t *testing.T) {
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	tm := program(t, opt, 80, 24)
	waitFor(t, tm, "✓ 1 done")
	tm.Send(tea.WindowSizeMsg{Width: 60, Height: 20})
	waitFor(t, tm, "variants need 80×24") // compact: targets and findings
	tm.Send(tea.WindowSizeMsg{Width: 30, Height: 10})
	waitFor(t, tm, "at least 40")
	tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	waitFor(t, tm, "Variants of")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// hostileHeaders are response headers that get past the probe's HTTP
// parser (which refuses C0 controls such as ESC and BEL in header values)
// yet would still act on a terminal: the 8-bit CSI byte, C1 controls as
// UTF-8, bidi overrides and isolates, line separators.
var hostileHeaders = map[string]string{
	"X-C1-Raw":  "\x9b31mRAW",
	"X-C1-Utf8": "\u009b31mUTF8",
	"X-Osc-C1":  "\u009d0;PWNED-TITLE\u009c",
	"X-Bidi":    "\u202eEVIL\u202c",
	"X-Isolate": "\u2066ISO\u2069",
	"X-LineSep": "line\u2028break",
}

// forbidden are byte sequences that must never reach the terminal: each
// could only be there if server or report text went out unescaped.
var forbidden = []string{
	"\x9b", "\u009b", "\u009d", "\u009c", "\u202e", "\u202c", "\u2066", "\u2069", "\u2028",
	"\x1b]0;PWNED", "\x1b]52;c;UFdORUQ", "\x1b[99;99H", "\x1b[8m", "\x07", "\x1b[31m", "\x1b]8;;",
}

// checkOutput fails on any forbidden sequence in a program's output.
func checkOutput(t *testing.T, out []byte) {
	t.Helper()
	for _, f := range forbidden {
		if i := bytes.Index(out, []byte(f)); i >= 0 {
			t.Errorf("output contains %q from untrusted text, near %q", f, out[max(i-40, 0):min(i+40, len(out))])
		}
	}
}

// hostileServer reflects the Origin in ACAO behind a C1 CSI and sends
// every hostile header, one of them varying with the Origin so it gets a
// matrix row. /esc answers with raw ESC sequences in a header, which the
// probe refuses with an error that quotes them.
func hostileServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.URL.Path == "/esc" {
			h["X-Title"] = []string{"\x1b]0;PWNED-TITLE\x07\x1b]52;c;UFdORUQ=\x07\x1b[99;99H\x1b[8m"}
		}
		for k, v := range hostileHeaders {
			h[k] = []string{v}
		}
		if o := r.Header.Get("Origin"); o != "" {
			h["Access-Control-Allow-Origin"] = []string{"\u009b31m" + o}
			h["X-Varies"] = []string{"\u202e" + o}
		}
		h.Set("Cache-Control", "public, max-age=60")
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestProgramNeverPrintsServerControlSequences runs the real engine
// against in-process servers whose headers carry terminal controls, walks
// the matrix, the detail view and the error, and checks the bytes written
// to the terminal.
func TestProgramNeverPrintsServerControlSequences(t *testing.T) {
	srv := hostileServer(t)
	eng, err := probe.New(probe.Config{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var clip bytes.Buffer
	opt := Options{Engine: eng, Plan: observePlan, Origins: []string{appOrigin}, Clipboard: &clip}
	opt.URLs = append(opt.URLs, mustURL(t, srv.URL+"/x"), mustURL(t, srv.URL+"/esc"))
	tm := program(t, opt, 160, 48)
	// The escaped forms are drawn, spelled out.
	waitFor(t, tm, "✓ 1 done", "✗ 1 error", `\u009b31mhttps://app.example`, `\u202ehttps://app.example.com`)
	// Every raw header is in the detail view: open it and page down.
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyPgDown})
	waitFor(t, tm, "X-C1-Raw", `\x9b31mRAW`, `\u009d0;PWNED-TITLE\u009c`, `line\u2028break`)
	tm.Type("y")
	waitFor(t, tm, "sent to the terminal clipboard")
	// The failed target: its error quotes the raw header, escaped.
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // back to the panes
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // focus to the targets
	tm.Type("j")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "malformed response headers", `\x1b]0;PWNED-TITLE`)
	tm.Type("q")
	out, err := io.ReadAll(tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out)
	// The clipboard carries only base64 of our own curl command.
	if bytes.Contains(clip.Bytes(), []byte("PWNED")) || !bytes.HasPrefix(clip.Bytes(), []byte("\x1b]52;c;")) {
		t.Errorf("clipboard write = %q", clip.String())
	}
}

// TestViewNeverPrintsControlSequencesFromReports opens a saved report (as
// corscope view does) whose every string carries raw terminal controls: a
// report from CI is as untrusted as a server.
func TestViewNeverPrintsControlSequencesFromReports(t *testing.T) {
	evil := "\x1b]0;PWNED\x07\x1b[31m\x1b[99;99H\x1b[8m\x9b\u202e"
	rep := poisonedReport(t)
	rep.URL += "/" + evil
	yes := true
	rep.CacheKey = &cachemodel.CacheKeyFacts{OriginInKey: &yes, Evidence: []string{evil}}
	for i := range rep.Variants {
		v := &rep.Variants[i]
		v.Label += evil
		v.Curl += evil
		v.Request.URL += evil
		v.CORS.Detail += evil
		v.Cache.Raw += evil
		v.Cache.Source += evil
		v.Response.Headers = append(v.Response.Headers, cachemodel.Header{Name: "X-" + evil, Value: evil})
		v.Response.Proto += evil
		v.Response.RemoteAddr += evil
	}
	rep.Variants[1].Error = &cachemodel.ProbeError{Kind: cachemodel.ErrorKind(evil), Message: evil}
	rep.Variants[1].Response = nil
	rep.Diffs = append(rep.Diffs, cachemodel.HeaderDiff{Name: "X-" + evil})
	rep.Findings = append(rep.Findings, cachemodel.Finding{Rule: evil, Severity: cachemodel.Severity(evil), Message: evil, Fix: evil, Evidence: []string{evil}})
	rep.Provider = cachemodel.Provider(evil)

	tm := program(t, Options{Reports: []cachemodel.TargetReport{rep}, Title: evil}, 160, 48)
	waitFor(t, tm, `\x1b]0;PWNED\x07`)
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyPgDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "── Evidence")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("T")
	tm.Type("?")
	waitFor(t, tm, "What the glyphs mean")
	tm.Type("q")
	out, err := io.ReadAll(tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out)
}
