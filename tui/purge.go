package tui

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/purge"
	"github.com/corscope/corscope/themes"
)

// The purge flow: p (or P for everything) asks the Purger for a plan and
// shows it; y (or, for everything, typing the zone or service ID) sends it;
// the outcome screen puts the report from before the purge and the
// verification re-probe side by side, per Origin variant; esc returns to
// the matrix, which then shows the re-probe diffed against the run before
// (Δ marks, flipped with d).

// PurgeRequest is what the purge action asks for.
type PurgeRequest struct {
	// Report is the target as last probed: its URL, and the Origin
	// variants whose cached copies should go.
	Report cachemodel.TargetReport
	// Everything asks to purge every cached object of the zone or service
	// serving the target's host, not just its variants.
	Everything bool
	// Progress, when set, takes a line of progress while Purge runs (a
	// CloudFront invalidation still in progress); the status bar shows the
	// latest. Safe to call from any goroutine; it never blocks. The line
	// is drawn as untrusted text and must never hold a credential.
	Progress func(line string)
	// Prepared is PurgePlan.Prepared of the plan the user confirmed, so
	// the Purger sends exactly what was shown; nil when there was none.
	Prepared any
}

// ErrPurgeIncomplete marks a Purge error where the purge was accepted but
// is not known to have finished (a CloudFront invalidation still in
// progress when the wait ran out): not a failure, an unknown.
var ErrPurgeIncomplete = errors.New("purge not complete")

// purgeProgress hands the latest progress line of a purge to the view:
// report never blocks (a newer line replaces one not yet shown), next
// waits for a line or the end of the purge.
type purgeProgress struct {
	mu     sync.Mutex
	line   string
	notify chan struct{}
	done   chan struct{}
	once   sync.Once
}

func newPurgeProgress() *purgeProgress {
	return &purgeProgress{notify: make(chan struct{}, 1), done: make(chan struct{})}
}

func (p *purgeProgress) report(line string) {
	p.mu.Lock()
	p.line = line
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

func (p *purgeProgress) close() {
	if p != nil {
		p.once.Do(func() { close(p.done) })
	}
}

// next is the command that delivers the next line; nil once the purge
// has ended.
func (p *purgeProgress) next(seq int) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-p.notify:
		case <-p.done:
			return nil
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		return purgeProgressMsg{Seq: seq, Line: p.line}
	}
}

// PurgePlan is what a purge would send, shown before anything is.
type PurgePlan struct {
	// Lines describe the requests, one thing per line. They are drawn as
	// untrusted text and must never hold a credential.
	Lines []string
	// Confirm, when not empty, must be typed exactly to go ahead (purge
	// everything: the zone or service ID); otherwise y confirms.
	Confirm string
	// ConfirmWhat names Confirm for the prompt: "zone ID", "service ID".
	ConfirmWhat string
	// Prepared is the Purger's own record of the purge it laid out,
	// opaque to the view: it comes back as PurgeRequest.Prepared when the
	// user confirms.
	Prepared any
}

// PurgeVerdict is what the re-probe says about one purged copy: purge's
// own outcome, so the view words it as the purge command does.
type PurgeVerdict = purge.VerifyOutcome

// Verdicts ("" is a copy that was not checked).
const (
	VerdictPurged      = purge.Purged      // the cache went to the origin
	VerdictStillCached = purge.StillCached // served from a copy older than the purge
	VerdictUnknown     = purge.Unknown     // nothing proves either
)

// PurgeCheck is the verification of one Origin variant's copy.
type PurgeCheck struct {
	// Label is the variant as reports label it: "(no Origin)" or the
	// Origin; it matches VariantResult.Label.
	Label   string
	Verdict PurgeVerdict
	Reason  string // why; always set for still cached and unknown
}

// PurgeOutcome is what a purge did and what its verification found. Every
// string is drawn as untrusted text and must never hold a credential.
type PurgeOutcome struct {
	Summary string   // one line
	Lines   []string // each request's answer, then notes (where the audit line went)
	// After is the verification re-probe of the target (nil when it did
	// not run), its variants in the order of the report purged: the
	// matrix shows it against the report from before.
	After  *cachemodel.TargetReport
	Checks []PurgeCheck // per variant, in the same order
}

// Purger is the seam for the purge actions (keys p and P). When
// Options.Purger is nil both keys are disabled and the help does not list
// them. Both methods run inside tea.Cmds, never in Update.
type Purger interface {
	// PurgePlan says what Purge would send for req; the user confirms it
	// before anything is sent. An error (no provider for this host, a
	// token variable not set) is shown instead of the plan.
	PurgePlan(ctx context.Context, req PurgeRequest) (PurgePlan, error)
	// Purge sends the plan, then re-probes every variant. A non-nil error
	// means the purge itself failed; the outcome then says what was sent.
	// A failed verification is not an error: After is nil and Summary
	// says why.
	Purge(ctx context.Context, req PurgeRequest) (PurgeOutcome, error)
}

// purgeScreen is the root's purge child: the purge being planned,
// confirmed or run, and its own screen (the plan, a refusal, or the
// outcome). The root routes the purge messages and the keys of the purge
// screens to it and keeps what is shared: the screen shown, the status
// line and the targets the outcome updates.
type purgeScreen struct {
	c       *common
	seq     int
	target  int  // the target purged
	busy    bool // a plan or a purge is in flight
	running bool // a confirmed purge (and its re-probe) is in flight
	// progress carries the Purger's progress lines (a CloudFront
	// invalidation still in progress) to the status bar.
	progress   *purgeProgress
	req        PurgeRequest // the purge being confirmed
	plan       PurgePlan
	confirming bool // the plan is shown, waiting for y, n or the typed ID
	doc        detailModel
}

func newPurgeScreen(c *common) purgeScreen { return purgeScreen{c: c, doc: newDetail(c)} }

// SetSize gives the purge screen its box.
func (p *purgeScreen) SetSize(w, h int) { p.doc.SetSize(w, h) }

// Update scrolls the purge screen.
func (p purgeScreen) Update(msg tea.Msg) (purgeScreen, tea.Cmd) {
	var cmd tea.Cmd
	p.doc, cmd = p.doc.Update(msg)
	return p, cmd
}

// View is the purge screen's body; Title its title.
func (p purgeScreen) View() string  { return p.doc.View() }
func (p purgeScreen) Title() string { return p.doc.title }

// ShortHelp is the status bar's key list on the purge screens.
func (p purgeScreen) ShortHelp() []key.Binding {
	k := p.c.keys
	if p.confirming {
		return []key.Binding{k.Confirm, k.Deny, k.Up, k.Down}
	}
	return []key.Binding{k.Back, k.Up, k.Down, k.Help, k.Quit}
}

// typed says whether the plan shown is confirmed by typing its zone or
// service ID (purge everything), never by y.
func (p purgeScreen) typed() bool { return p.plan.Confirm != "" }

func (p purgeScreen) confirmWhat() string {
	if p.plan.ConfirmWhat != "" {
		return safe(p.plan.ConfirmWhat)
	}
	return "zone or service ID"
}

// current says whether a message answers the latest request.
func (p purgeScreen) current(seq int) bool { return seq == p.seq }

// ask starts working out the plan of purging target id with req.
func (p *purgeScreen) ask(ctx context.Context, purger Purger, id int, req PurgeRequest) tea.Cmd {
	p.seq++
	p.target, p.busy = id, true
	return planPurge(ctx, purger, p.seq, id, req)
}

// planned shows the plan of the purge of the target labelled label, to be
// confirmed, or why there is none.
func (p *purgeScreen) planned(msg purgePlanMsg, label string) {
	k := p.c.keys
	p.busy = false
	if msg.Err != nil {
		// A screen, not only a flash: these errors say what to fix and
		// rarely fit the status bar.
		err := msg.Err
		p.doc.ShowDoc("Cannot purge "+label, func(st themes.Styles, w int) []string {
			b := &docWriter{st: st, w: w}
			b.text("✗ " + safeLong(err.Error()))
			b.lines = append(b.lines, "")
			b.text("Nothing was sent. " + k.Back.Help().Key + " goes back.")
			return b.lines
		})
		return
	}
	p.req, p.plan, p.confirming = msg.Req, msg.Plan, true
	lines := append([]string(nil), msg.Plan.Lines...)
	lines = append(lines, "", "Nothing is sent until you confirm. Afterwards every variant is probed again and shown before and after.")
	if !p.typed() {
		p.doc.ShowText("Purge "+label+"? "+k.Confirm.Help().Key+" purges, "+k.Deny.Help().Key+" cancels", lines)
		return
	}
	what := p.confirmWhat()
	lines = append(lines, "", "This removes far more than this URL. To confirm, type the "+what+": "+msg.Plan.Confirm)
	p.doc.ShowText("PURGE EVERYTHING behind "+label+"? type the "+what+", "+k.Dismiss.Help().Key+" cancels", lines)
}

// cancel drops the plan shown: nothing was sent.
func (p *purgeScreen) cancel() { p.plan, p.confirming = PurgePlan{}, false }

// send runs the purge whose plan was confirmed, handing the Purger back
// the plan's Prepared so that what goes out is what was shown.
func (p *purgeScreen) send(ctx context.Context, purger Purger) tea.Cmd {
	prepared := p.plan.Prepared
	p.cancel()
	p.seq++
	p.busy, p.running = true, true
	progress := newPurgeProgress()
	p.progress = progress
	req := p.req
	req.Progress, req.Prepared = progress.report, prepared
	return tea.Batch(runPurge(ctx, purger, p.seq, p.target, req, progress), progress.next(p.seq))
}

// progressed takes a progress line of the purge in flight and returns the
// command that waits for the next; ok is false for a line of another
// purge, or one that came after it ended.
func (p *purgeScreen) progressed(msg purgeProgressMsg) (next tea.Cmd, ok bool) {
	if !p.current(msg.Seq) || !p.running || p.progress == nil {
		return nil, false
	}
	return p.progress.next(msg.Seq), true
}

// finished shows the outcome of the purge of the target labelled label:
// before and after per variant, why, the requests, what next.
func (p *purgeScreen) finished(msg purgeDoneMsg, label string) {
	p.busy, p.running = false, false
	p.progress = nil
	before, out, err := msg.Req.Report, msg.Outcome, msg.Err
	title := "Purged " + label + " · before and after"
	if msg.Req.Everything {
		title = "Purged everything · " + label + " before and after"
	}
	switch {
	case errors.Is(err, ErrPurgeIncomplete):
		title = "Purge of " + label + " not complete"
	case err != nil:
		title = "Purge of " + label + " failed"
	}
	k := p.c.keys
	p.doc.ShowDoc(title, func(st themes.Styles, w int) []string {
		return purgeDoc(st, k, &before, out, err, w)
	})
}

// The root's side of the purge: the screen shown, the status line, and
// the targets a purge's outcome updates.

// onPurgeProgress shows a progress line of the purge in flight.
func (m *Model) onPurgeProgress(msg purgeProgressMsg) tea.Cmd {
	next, ok := m.purge.progressed(msg)
	if !ok {
		return nil
	}
	return tea.Batch(m.setFlash(flashInfo, safe(msg.Line)), next)
}

// startPurgePlan asks for the plan of purging the selected target.
func (m *Model) startPurgePlan(sel *target, everything bool) tea.Cmd {
	if sel == nil || sel.current == nil || m.opt.Purger == nil || m.purge.busy {
		return nil
	}
	req := PurgeRequest{Report: *sel.current, Everything: everything}
	return tea.Batch(m.purge.ask(m.ctx, m.opt.Purger, sel.id, req),
		m.setFlash(flashInfo, "working out the purge plan…"))
}

func (m *Model) onPurgePlan(msg purgePlanMsg) tea.Cmd {
	if !m.purge.current(msg.Seq) {
		return nil
	}
	m.purge.planned(msg, m.s.targets[msg.Target].label)
	if msg.Err != nil {
		m.screen = screenPurged
		return m.setFlash(flashError, "cannot purge: "+safe(msg.Err.Error()))
	}
	m.flash = flash{seq: m.flash.seq} // "working out…" is done; the status bar shows y and n
	m.screen = screenConfirm
	if !m.purge.typed() {
		return nil
	}
	return m.openPrompt(promptPurgeConfirm, "type the "+m.purge.confirmWhat()+" to purge everything: ", "")
}

func (m *Model) handleConfirmKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Confirm) && !m.purge.typed():
		return m.confirmPurge()
	case key.Matches(msg, k.Deny):
		return m.cancelPurge()
	default:
		var cmd tea.Cmd
		m.purge, cmd = m.purge.Update(msg)
		return cmd
	}
}

// submitPurgeConfirm checks the typed zone or service ID.
func (m *Model) submitPurgeConfirm(value string) tea.Cmd {
	if value != m.purge.plan.Confirm {
		m.promptErr = "not the " + m.purge.confirmWhat() + "; nothing was sent (" + m.c.keys.Dismiss.Help().Key + " cancels)"
		return nil
	}
	m.closePrompt()
	return m.confirmPurge()
}

func (m *Model) cancelPurge() tea.Cmd {
	m.screen = screenMain
	m.purge.cancel()
	return m.setFlash(flashInfo, "purge cancelled; nothing was sent")
}

// confirmPurge sends the purge that was shown.
func (m *Model) confirmPurge() tea.Cmd {
	m.screen = screenMain
	if m.opt.Purger == nil {
		m.purge.cancel()
		return nil
	}
	t := m.s.targets[m.purge.target]
	return tea.Batch(m.purge.send(m.ctx, m.opt.Purger),
		m.setFlash(flashInfo, "purging "+t.label+", then probing every variant again…"))
}

func (m *Model) onPurgeDone(msg purgeDoneMsg) tea.Cmd {
	if !m.purge.current(msg.Seq) {
		return nil
	}
	t := m.s.targets[msg.Target]
	m.purge.finished(msg, t.label)
	before, out, err := msg.Req.Report, msg.Outcome, msg.Err
	if out.After != nil {
		// The re-probe becomes the current result and the report the
		// purge started from the previous one, so the matrix's diff (d)
		// shows what the purge changed.
		after := *out.After
		t.previous, t.current, t.afterPurge = &before, &after, &after
		t.stale = false
		if !t.state.running() {
			t.state, t.err = stateDone, ""
			if failed, why := allFailed(&after); failed {
				t.state, t.err = stateFailed, why
			}
		}
		m.diff = true
	}
	m.screen = screenPurged
	m.focus = paneMatrix
	m.targets.Select(t.id)

	// A purge beyond this URL reached the other targets too: their
	// results are from before it until they are probed again.
	others := 0
	if err == nil && msg.Req.Everything {
		for _, o := range m.s.targets {
			if o.id != t.id && o.current != nil {
				o.stale = true
				others++
			}
		}
	}
	level, glyph := purgeVerdict(out, err)
	text := glyph + safe(out.Summary)
	switch {
	case errors.Is(err, ErrPurgeIncomplete):
		text = glyph + safe(err.Error())
	case err != nil:
		text = "purge failed: " + safe(err.Error())
	}
	if others > 0 {
		text += " · " + plural(others, "other target") + " now stale: " + m.c.keys.ReprobeAll.Help().Key + " re-probes all"
	}
	return m.setFlash(level, text)
}

// purgeVerdict is the one verdict of a purge, for the outcome screen's
// headline and the status line alike: failed, a copy still cached, a copy
// unknown (or nothing verified), or every copy purged.
func purgeVerdict(out PurgeOutcome, err error) (flashLevel, string) {
	switch {
	case errors.Is(err, ErrPurgeIncomplete): // sent, not known complete: unknown, not failed
		return flashWarn, "? "
	case err != nil:
		return flashError, "✗ "
	case countVerdict(out.Checks, VerdictStillCached) > 0:
		return flashWarn, "✗ "
	case out.After == nil || countVerdict(out.Checks, VerdictUnknown) > 0:
		return flashWarn, "? "
	}
	return flashOK, "✓ "
}

func (m *Model) handlePurgedKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Open):
		m.screen = screenMain
		if t := m.selected(); t != nil && t.afterPurge != nil && t.current == t.afterPurge {
			return m.setFlash(flashInfo, "the matrix shows the re-probe after the purge · Δ: changed since before · d: marks on/off")
		}
		return nil
	default:
		var cmd tea.Cmd
		m.purge, cmd = m.purge.Update(msg)
		return cmd
	}
}

func countVerdict(checks []PurgeCheck, v PurgeVerdict) int {
	n := 0
	for _, c := range checks {
		if c.Verdict == v {
			n++
		}
	}
	return n
}

func verdictStyle(st themes.Styles, v PurgeVerdict) func(...string) string {
	switch v {
	case VerdictPurged:
		return st.Verdict.Allowed.Render
	case VerdictStillCached:
		return st.Verdict.Blocked.Render
	}
	return st.Muted.Render
}

// purgeDoc is the outcome screen: the summary, the before/after table, why
// each copy ended as it did, what each request got back, and what next.
func purgeDoc(st themes.Styles, k *KeyMap, before *cachemodel.TargetReport, out PurgeOutcome, err error, w int) []string {
	b := &docWriter{st: st, w: w}
	switch {
	case errors.Is(err, ErrPurgeIncomplete):
		for _, l := range wrap("? "+safeLong(err.Error()), w) {
			b.lines = append(b.lines, st.Verdict.Blocked.Render(l))
		}
	case err != nil:
		for _, l := range wrap("✗ the purge failed: "+safeLong(err.Error()), w) {
			b.lines = append(b.lines, st.Verdict.Blocked.Render(l))
		}
	}
	if out.Summary != "" {
		_, glyph := purgeVerdict(out, err)
		if err != nil {
			glyph = "" // the failure line above carries the ✗
		}
		b.text(glyph + safeLong(out.Summary))
	}
	// A purge clears stored copies, not their cause: when the re-probe is
	// poisoned again, say so under the headline, so "✓ purged" is not read
	// as "fixed".
	if out.After != nil {
		if note := purge.Recurring(*out.After); note != "" {
			b.text(glyphProblem + " " + safeLong(note))
		}
	}

	b.section("Before and after the purge, per Origin variant")
	table, matched := beforeAfterTable(st, before, out, w)
	b.lines = append(b.lines, table...)
	if !matched && len(before.Variants) > 0 {
		b.text("The run before the purge was an isolate run (fresh cache keys, never the real URL's copies), so it has nothing to compare with.")
	}

	// Reasons in the table's order; variants that share one are named
	// together, so the reason is read once.
	type reason struct {
		verdict PurgeVerdict
		text    string
		labels  []string
	}
	var why []*reason
	for _, label := range rowsLabels(before, out) {
		for _, c := range out.Checks {
			if c.Label != label || c.Reason == "" {
				continue
			}
			var r *reason
			for _, have := range why {
				if have.verdict == c.Verdict && have.text == c.Reason {
					r = have
				}
			}
			if r == nil {
				r = &reason{verdict: c.Verdict, text: c.Reason}
				why = append(why, r)
			}
			r.labels = append(r.labels, safe(c.Label))
			break
		}
	}
	if len(why) > 0 {
		b.section("Why")
		for _, r := range why {
			first := r.verdict.Label() + " " + strings.Join(r.labels, ", ") + ": "
			for i, l := range wrap(first+safeLong(r.text), max(w-2, 8)) {
				pre := "  "
				if i == 0 {
					pre = ""
				}
				b.lines = append(b.lines, pre+l)
			}
		}
	}
	if len(out.Lines) > 0 {
		b.section("Requests")
		for _, l := range out.Lines {
			b.text(safeLong(l))
		}
	}
	b.section("Next")
	if out.After != nil {

		b.text(k.Back.Help().Key + ": the matrix now shows this re-probe. Cells that changed since the run before the purge read \"new (was old)\" and are marked Δ; " + k.Diff.Help().Key + " turns the marks off and on. " + k.Reprobe.Help().Key + " probes again.")
	} else {
		b.text(k.Back.Help().Key + " goes back; " + k.Reprobe.Help().Key + " probes the target again.")
	}
	return b.lines
}

// rowsLabels are the raw labels of the before/after table's rows, in order.
func rowsLabels(before *cachemodel.TargetReport, out PurgeOutcome) []string {
	rows, _ := beforeAfterRows(before, out)
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = r.raw
	}
	return labels
}

// sideCells are one variant's cache, ACAO and verdict cells in a grid.
type sideCells struct {
	ok                   bool
	cache, acao, verdict string
	cacheClass           cachemodel.Class
}

// variantCells finds the plain (non-experiment, non-preflight) column of
// the variant labelled label and returns its cells as the matrix words
// them, ⚠ included.
func variantCells(rep *cachemodel.TargetReport, g *grid, label string) sideCells {
	if rep == nil {
		return sideCells{}
	}
	for ci, col := range g.cols {
		v := rep.Variants[col.shown]
		if v.Label != label || v.Preflight || v.Experiment != "" {
			continue
		}
		var s sideCells
		s.ok = true
		for ri, row := range g.rows {
			c := g.cells[ri][ci]
			text := c.text
			if c.mark == markProblem {
				text = glyphProblem + text
			}
			switch row.kind {
			case rowCache:
				s.cache, s.cacheClass = text, c.class
			case rowACAO:
				s.acao = text
			case rowVerdict:
				s.verdict = text
			}
		}
		return s
	}
	return sideCells{}
}

// baRow is one line of the before/after table.
type baRow struct {
	raw           string // the label as reported
	label         string // safe
	before, after sideCells
	verdict       PurgeVerdict // "" when not checked
}

// beforeAfterRows lists the variants: in the order of the report before the
// purge, then any only the checks name. matched says whether any variant
// of the report before had a plain column.
func beforeAfterRows(before *cachemodel.TargetReport, out PurgeOutcome) ([]baRow, bool) {
	bg := buildGrid(before, nil, gridOptions{})
	var ag grid
	if out.After != nil {
		ag = buildGrid(out.After, nil, gridOptions{})
	}
	verdicts := map[string]PurgeVerdict{}
	for _, c := range out.Checks {
		if _, dup := verdicts[c.Label]; !dup {
			verdicts[c.Label] = c.Verdict
		}
	}
	var rows []baRow
	seen := map[string]bool{}
	add := func(label string) {
		if seen[label] {
			return
		}
		seen[label] = true
		rows = append(rows, baRow{
			raw:     label,
			label:   safe(label),
			before:  variantCells(before, &bg, label),
			after:   variantCells(out.After, &ag, label),
			verdict: verdicts[label],
		})
	}
	matched := false
	for _, col := range bg.cols {
		v := before.Variants[col.shown]
		if v.Preflight || v.Experiment != "" {
			continue
		}
		matched = true
		if len(out.Checks) == 0 || verdicts[v.Label] != "" {
			add(v.Label)
		}
	}
	for _, c := range out.Checks {
		add(c.Label)
	}
	return rows, matched
}

// beforeAfterTable lays the rows out side by side: the variant, then cache,
// ACAO and verdict before, the same after, then the verdict. When the
// width is short, ACAO goes first, then the variant label and the verdict
// columns shrink (cut with "…").
func beforeAfterTable(st themes.Styles, before *cachemodel.TargetReport, out PurgeOutcome, w int) ([]string, bool) {
	rows, matched := beforeAfterRows(before, out)
	if len(rows) == 0 {
		return []string{st.Muted.Render("no variants to show")}, matched
	}
	const none = "–"
	side := func(s sideCells) [3]string {
		if !s.ok {
			return [3]string{none, none, none}
		}
		return [3]string{s.cache, s.acao, s.verdict}
	}
	// Natural widths: label, before ×3, after ×3, result.
	head := [8]string{"VARIANT", "cache", "ACAO", "verdict", "cache", "ACAO", "verdict", "RESULT"}
	var ws [8]int
	for i, h := range head {
		ws[i] = ansi.StringWidth(h)
	}
	cells := make([][8]string, len(rows))
	for i, r := range rows {
		bs, as := side(r.before), side(r.after)
		cells[i] = [8]string{r.label, bs[0], bs[1], bs[2], as[0], as[1], as[2], r.verdict.Label()}
		for j, c := range cells[i] {
			ws[j] = max(ws[j], ansi.StringWidth(c))
		}
	}
	ws[2], ws[5] = min(ws[2], 28), min(ws[5], 28)
	const groupSep, cellSep = " │ ", " "
	gw, cw := ansi.StringWidth(groupSep), ansi.StringWidth(cellSep)
	total := func(acao bool) int {
		n := ws[0] + ws[7] + 3*gw + 2*cw + ws[1] + ws[3] + ws[4] + ws[6]
		if acao {
			n += ws[2] + ws[5] + 2*cw
		}
		return n
	}
	acao := total(true) <= w
	if total(acao) > w {
		// Short of room: "https://" is the least telling part of a label
		// (an http:// origin keeps its scheme, so it still stands out).
		ws[0] = ansi.StringWidth(head[0])
		for i := range cells {
			cells[i][0] = strings.TrimPrefix(cells[i][0], "https://")
			ws[0] = max(ws[0], ansi.StringWidth(cells[i][0]))
		}
	}
	shrink := func(i, floor int) {
		if over := total(acao) - w; over > 0 && ws[i] > floor {
			ws[i] -= min(over, ws[i]-floor)
		}
	}
	verdicts := func(floor int) {
		for total(acao) > w && (ws[3] > floor || ws[6] > floor) {
			if ws[3] >= ws[6] && ws[3] > floor {
				ws[3]--
			} else {
				ws[6]--
			}
		}
	}
	// Give up room in turns, so no one column is cut to nothing first.
	shrink(0, 16)
	verdicts(13)
	shrink(0, 12)
	verdicts(9)
	shrink(1, 4)
	shrink(4, 4)

	sep := st.Muted.Render(groupSep)
	group := func(c [8]string, from int, style func(int, string) string) string {
		parts := []string{style(from, fit(c[from], ws[from]))}
		if acao {
			parts = append(parts, style(from+1, fit(c[from+1], ws[from+1])))
		}
		parts = append(parts, style(from+2, fit(c[from+2], ws[from+2])))
		return strings.Join(parts, cellSep)
	}
	groupW := ws[1] + ws[3] + cw
	afterW := ws[4] + ws[6] + cw
	if acao {
		groupW += ws[2] + cw
		afterW += ws[5] + cw
	}
	hs := st.Matrix.Header.Render
	plain := func(_ int, s string) string { return hs(s) }
	lines := []string{
		fit("", ws[0]) + sep + hs(fit("BEFORE the purge", groupW)) + sep + hs(fit("AFTER (re-probe)", afterW)) + sep + fit("", ws[7]),
		hs(fit(head[0], ws[0])) + sep + group(head, 1, plain) + sep + group(head, 4, plain) + sep + hs(fit(head[7], ws[7])),
	}
	for i, r := range rows {
		c := cells[i]
		styled := func(col int, s string) string {
			switch col {
			case 1:
				if r.before.ok {
					return st.Class(string(r.before.cacheClass)).Render(s)
				}
			case 4:
				if r.after.ok {
					return st.Class(string(r.after.cacheClass)).Render(s)
				}
			}
			return st.Matrix.Cell.Render(s)
		}
		lines = append(lines, st.Matrix.RowLabel.Render(fit(c[0], ws[0]))+sep+group(c, 1, styled)+sep+group(c, 4, styled)+sep+
			verdictStyle(st, r.verdict)(fit(c[7], ws[7])))
	}
	return lines, matched
}
