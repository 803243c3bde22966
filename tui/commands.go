package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/internal/runner"
)

// run is one engine run in flight. The root keeps it until its channel
// closes or it is cancelled.
type run struct {
	id      uint64
	targets []int // plan index -> target ID
	cancel  context.CancelFunc
	events  chan runEvent
	owned   int // targets still waiting for this run's answer
	// startsSeen: the engine reported a request going out, so it reports
	// every one (cachemodel.WithStepStarted).
	startsSeen bool
	total      int
}

// runInputs is what a run's goroutine needs; copied out of the model so
// the goroutine shares nothing with Update.
type runInputs struct {
	engine  runner.Engine
	plan    PlanBuilder
	analyze runner.Analyzer
	reqs    []PlanRequest
}

// startStream launches the run's goroutine. It builds the plans, streams
// them through runner.Stream and reports on events, which it closes when
// done. Every send gives up when ctx is cancelled, so an abandoned run
// never blocks.
func startStream(ctx context.Context, in runInputs, events chan<- runEvent) tea.Cmd {
	return func() tea.Msg {
		go streamRun(ctx, in, events)
		return nil
	}
}

func streamRun(ctx context.Context, in runInputs, events chan<- runEvent) {
	defer close(events)
	send := func(e runEvent) bool {
		select {
		case events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var plans []cachemodel.TargetPlan
	var reqOf []int // plan index -> request index
	for i, req := range in.reqs {
		req.Index = len(plans)
		p, err := buildPlan(in.plan, req)
		if err != nil {
			if !send(runEvent{Kind: eventPlanError, Target: i, Err: err.Error()}) {
				return
			}
			continue
		}
		p.Index = req.Index
		plans = append(plans, p)
		reqOf = append(reqOf, i)
	}
	if len(plans) == 0 {
		return
	}
	analyze := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		rep := in.analyze(p, obs)
		// Report as soon as a target is complete; runner.Stream's own
		// delivery waits for earlier targets, which would freeze fast ones
		// behind a slow one.
		if ctx.Err() != nil && anyCancelled(obs) {
			send(runEvent{Kind: eventCancelled, Target: reqOf[p.Index]})
		} else {
			send(runEvent{Kind: eventReport, Target: reqOf[p.Index], Report: &rep})
		}
		return rep
	}
	// The engine says when each request goes on the wire, so the view can
	// tell a step in flight from one still queued.
	ctx = cachemodel.WithStepStarted(ctx, func(target, step int, at time.Time) {
		if target < 0 || target >= len(plans) {
			return
		}
		p := &plans[target]
		send(runEvent{Kind: eventStarted, Target: reqOf[target], Steps: len(p.Steps), Step: step, At: at, Plan: p})
	})
	err := runner.Stream(ctx, in.engine, plans, analyze, runner.Hooks{
		OnObservation: func(p *cachemodel.TargetPlan, o cachemodel.Observation) {
			send(runEvent{Kind: eventObserved, Target: reqOf[p.Index], Steps: len(p.Steps), Obs: o, Plan: p})
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		send(runEvent{Kind: eventRunError, Err: err.Error()})
	}
}

// buildPlan calls the builder, turning a panic-free nil builder into an
// error rather than a crash.
func buildPlan(b PlanBuilder, req PlanRequest) (cachemodel.TargetPlan, error) {
	if b == nil {
		return cachemodel.TargetPlan{}, errors.New("no plan builder configured")
	}
	return b(req)
}

func anyCancelled(obs []cachemodel.Observation) bool {
	for _, o := range obs {
		if o.Response == nil && (o.Err == nil || o.Err.Kind == cachemodel.ErrCanceled) {
			return true
		}
	}
	return false
}

// maxEventBatch bounds one runEventsMsg so a burst cannot stall the UI.
const maxEventBatch = 512

// waitForRunEvents reads the next events of a run: it blocks for one, then
// takes whatever else is already waiting. Update re-arms it after each
// batch (glow's channel idiom).
func waitForRunEvents(runID uint64, events <-chan runEvent) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-events
		if !ok {
			return runFinishedMsg{RunID: runID}
		}
		batch := []runEvent{e}
		for len(batch) < maxEventBatch {
			select {
			case e, ok := <-events:
				if !ok {
					// The close is seen again by the next wait.
					return runEventsMsg{RunID: runID, Events: batch}
				}
				batch = append(batch, e)
			default:
				return runEventsMsg{RunID: runID, Events: batch}
			}
		}
		return runEventsMsg{RunID: runID, Events: batch}
	}
}

// statusTimeout is how long a flash stays.
const statusTimeout = 4 * time.Second

// clearStatusAfter clears flash number seq after d.
func clearStatusAfter(c *common, seq int, d time.Duration) tea.Cmd {
	return c.after(d, func() tea.Msg { return statusClearedMsg{Seq: seq} })
}

// tickSpinner asks for the next spinner frame. The spinner's own Tick is
// not used: its timer could not be replaced in tests.
func tickSpinner(c *common, d time.Duration) tea.Cmd {
	return c.after(d, func() tea.Msg { return spinTickMsg{} })
}

// exportFormat picks the writer from the file name's extension; ok is
// false for any other extension, which the prompt refuses rather than
// writing JSON into report.txt.
func exportFormat(path string) (format string, ok bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		return "markdown", true
	case ".json":
		return "json", true
	}
	return "", false
}

// exportReport writes reports as the same document check writes. An
// existing file is replaced only when overwrite is set; otherwise the
// message says it exists, and the view asks.
func exportReport(path string, reps []cachemodel.TargetReport, opt report.Options, overwrite bool) tea.Cmd {
	return func() tea.Msg {
		abs, err := filepath.Abs(path)
		if err != nil {
			return exportDoneMsg{Path: path, Err: err}
		}
		err = writeReport(abs, reps, opt, overwrite)
		if errors.Is(err, errExportExists) {
			return exportDoneMsg{Path: abs, Exists: true}
		}
		return exportDoneMsg{Path: abs, Targets: len(reps), Err: err}
	}
}

// errExportExists: the file exists and overwrite was not set.
var errExportExists = errors.New("file exists")

// writeReport writes the document to a temporary file beside path, then
// moves it into place, so a failed write leaves any previous file as it
// was and a reader never sees half a report. Without overwrite an existing
// file is never replaced (errExportExists), checked atomically where the
// file system has hard links. Only a regular file is replaced: a FIFO or
// device at path is refused; a symbolic link is followed. A new file is
// created private (0600); a replaced one keeps its permissions.
func writeReport(path string, reps []cachemodel.TargetReport, opt report.Options, overwrite bool) (err error) {
	target := path
	perm := fs.FileMode(0o600)
	if info, lerr := os.Lstat(path); lerr == nil {
		if info.Mode()&fs.ModeSymlink != 0 {
			if target, err = filepath.EvalSymlinks(path); err != nil {
				return err
			}
			if info, err = os.Stat(target); err != nil {
				return err
			}
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file; refusing to replace it", path)
		}
		if !overwrite {
			return errExportExists
		}
		perm = info.Mode().Perm()
	} else if !errors.Is(lerr, fs.ErrNotExist) {
		return lerr
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once moved into place
	format, ok := exportFormat(target)
	if !ok {
		format = "json" // the prompt refuses other names; a caller that did not is given JSON
	}
	werr := writeDocument(tmp, format, reps, opt)
	if werr == nil {
		werr = tmp.Chmod(perm)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return werr
	}
	if overwrite {
		return os.Rename(tmp.Name(), target)
	}
	// A hard link fails if the name exists, so a file created meanwhile is
	// never replaced without asking.
	if lerr := os.Link(tmp.Name(), target); lerr != nil {
		if errors.Is(lerr, fs.ErrExist) {
			return errExportExists
		}
		// No hard links here (some FUSE and FAT file systems): check, then
		// rename.
		if _, serr := os.Lstat(target); serr == nil {
			return errExportExists
		}
		return os.Rename(tmp.Name(), target)
	}
	return nil
}

// writeDocument writes reps as one report document in format to f.
func writeDocument(f io.Writer, format string, reps []cachemodel.TargetReport, opt report.Options) error {
	w := report.NewWriter(format, f, opt)
	if err := w.Begin(); err != nil {
		return err
	}
	var sum cachemodel.Summary
	for _, r := range reps {
		sum.Add(r)
		if err := w.Target(r); err != nil {
			return err
		}
	}
	return w.End(sum)
}

// copyToClipboard writes an OSC 52 sequence carrying text to the terminal.
// The payload is base64, so nothing in text can reach the terminal as a
// control sequence. Inside tmux the sequence is sent plain: tmux 3.3+
// drops passthrough-wrapped sequences by default, while a plain OSC 52 is
// taken (set-clipboard on, its default "external" for the outer terminal).
// GNU screen knows no OSC 52, so there it is wrapped for passthrough. No
// terminal answers, so the status says "sent", never "copied".
func copyToClipboard(w io.Writer, getenv func(string) string, what, text string) tea.Cmd {
	return func() tea.Msg {
		if w == nil {
			return clipboardDoneMsg{What: what, Err: errors.New("no terminal to write to")}
		}
		seq := osc52.New(text)
		if getenv("TMUX") == "" && strings.HasPrefix(getenv("TERM"), "screen") {
			seq = seq.Screen()
		}
		_, err := seq.WriteTo(w)
		return clipboardDoneMsg{What: what, InTmux: getenv("TMUX") != "", Err: err}
	}
}

// planPurge asks the purger what it would do.
func planPurge(ctx context.Context, p Purger, seq, targetID int, req PurgeRequest) tea.Cmd {
	return func() tea.Msg {
		plan, err := p.PurgePlan(ctx, req)
		return purgePlanMsg{Seq: seq, Target: targetID, Req: req, Plan: plan, Err: err}
	}
}

// runPurge carries the confirmed purge out and verifies it.
func runPurge(ctx context.Context, p Purger, seq, targetID int, req PurgeRequest, progress *purgeProgress) tea.Cmd {
	return func() tea.Msg {
		out, err := p.Purge(ctx, req)
		progress.close()
		return purgeDoneMsg{Seq: seq, Target: targetID, Req: req, Outcome: out, Err: err}
	}
}

// exportName proposes a file name from the clock.
func exportName(dir string, now time.Time) string {
	name := fmt.Sprintf("corscope-%s.json", now.Format("20060102-150405"))
	if dir == "" {
		return name
	}
	return filepath.Join(dir, name)
}
