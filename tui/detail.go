package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/themes"
)

// detailModel is a scrollable document: one variant's request, response,
// timing, cache evidence and curl reproducer, or a finding's full text.
// The document is rebuilt from its source on resize, so wrapping always
// fits.
type detailModel struct {
	c     *common
	w, h  int
	title string
	build func(w int) []string
	lines []string
	off   int
	xoff  int    // horizontal scroll of lines wider than the pane (the curl reproducer)
	curl  string // non-empty when y can copy something
}

func newDetail(c *common) detailModel { return detailModel{c: c} }

// SetSize re-wraps the document for the new width.
func (d *detailModel) SetSize(w, h int) {
	d.w, d.h = w, h
	d.render()
}

func (d *detailModel) render() {
	if d.build == nil || d.w <= 0 {
		d.lines = nil
		return
	}
	d.lines = d.build(d.w)
	d.off = clampInt(d.off, 0, d.maxOff())
	d.xoff = clampInt(d.xoff, 0, d.maxXOff())
}

// widest is the width of the document's widest line.
func (d *detailModel) widest() int {
	n := 0
	for _, l := range d.lines {
		n = max(n, ansi.StringWidth(l))
	}
	return n
}

// maxXOff is the last horizontal offset: the one that shows the end of
// the widest line.
func (d *detailModel) maxXOff() int { return max(d.widest()-d.w, 0) }

// ShowVariant opens one variant; changes (field, old value) are its cells
// that differ from the previous run (diff), listed first and in full.
func (d *detailModel) ShowVariant(targetURL string, v cachemodel.VariantResult, changes [][2]string, keepScroll bool) {
	d.title = "Variant " + safe(v.Label) + " · round " + strconv.Itoa(v.Round) + " · " + safe(targetURL)
	d.curl = v.Curl
	d.build = func(w int) []string { return variantDoc(d.c.styles, v, changes, w) }
	if !keepScroll {
		d.off = 0
	}
	d.render()
}

// ShowFinding opens a finding's full text.
func (d *detailModel) ShowFinding(targetURL string, f cachemodel.Finding) {
	d.title = "Finding " + safe(f.Rule) + " · " + safe(targetURL)
	d.curl = ""
	d.build = func(w int) []string { return findingDoc(d.c.styles, f, w) }
	d.off = 0
	d.render()
}

// ShowText opens plain lines (the purge plan). A wrapped line keeps its
// indentation, two columns deeper, so nested lists stay readable.
func (d *detailModel) ShowText(title string, text []string) {
	d.title = title
	d.curl = ""
	d.build = func(w int) []string {
		var out []string
		for _, l := range text {
			l = safe(l)
			body := strings.TrimLeft(l, " ")
			indent := min(len(l)-len(body), w/3)
			hang := 0
			if indent > 0 {
				hang = 2
			}
			for i, part := range wrap(body, max(w-indent-hang, 8)) {
				pad := indent
				if i > 0 {
					pad += hang
				}
				out = append(out, strings.Repeat(" ", pad)+part)
			}
		}
		return out
	}
	d.off = 0
	d.render()
}

// ShowDoc opens a document built for the width (the purge outcome); build
// gets the current styles, so a theme switch restyles it.
func (d *detailModel) ShowDoc(title string, build func(st themes.Styles, w int) []string) {
	d.title = title
	d.curl = ""
	d.build = func(w int) []string { return build(d.c.styles, w) }
	d.off = 0
	d.render()
}

// maxOff is the last scroll offset: the one that shows the last line above
// the "lines a–b of n" footer, which takes a row whenever the document
// does not fit.
func (d *detailModel) maxOff() int {
	if len(d.lines) <= d.h {
		return 0
	}
	return len(d.lines) - max(d.h-1, 1)
}

// Update scrolls.
func (d detailModel) Update(msg tea.Msg) (detailModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	d.off, _ = d.c.keys.moveLinear(km, d.off, max(d.h-1, 1), d.maxOff())
	d.off = clampInt(d.off, 0, d.maxOff())
	return d, nil
}

// Wide reports whether a line is wider than the view (it then scrolls
// sideways instead of wrapping).
func (d *detailModel) Wide() bool { return d.widest() > d.w }

// ScrollX moves the window over wide lines by half a view; dir is -1 or 1.
func (d *detailModel) ScrollX(dir int) {
	d.xoff = clampInt(d.xoff+dir*max(d.w/2, 1), 0, d.maxXOff())
}

// View draws the visible lines, the last one saying how much is left.
func (d detailModel) View() string {
	if d.h <= 0 {
		return ""
	}
	body := d.h
	more := len(d.lines) > d.h
	if more {
		body--
	}
	wide := d.widest() > d.w
	if wide && !more && len(d.lines) >= d.h {
		more = true
		body--
	}
	end := min(d.off+body, len(d.lines))
	lines := make([]string, 0, d.h)
	for _, l := range d.lines[d.off:end] {
		if ansi.StringWidth(l) > d.w {
			// Shown through a window that ←→ move; never cut with "…".
			l = ansi.Cut(l, d.xoff, d.xoff+d.w)
		}
		lines = append(lines, l)
	}
	var foot []string
	if len(d.lines) > body {
		foot = append(foot, fmt.Sprintf("lines %d–%d of %d ▲▼", d.off+1, end, len(d.lines)))
	}
	if wide {
		foot = append(foot, fmt.Sprintf("columns %d–%d of %d ◀▶", d.xoff+1, min(d.xoff+d.w, d.widest()), d.widest()))
	}
	if len(foot) > 0 {
		lines = append(lines, d.c.styles.Muted.Render(strings.Join(foot, " · ")))
	}
	return padLines(lines, d.w, d.h)
}

// ShortHelp lists the detail view's keys.
func (d detailModel) ShortHelp() []key.Binding {
	k := d.c.keys
	return []key.Binding{k.Back, k.CopyCurl, k.Up, k.Down, k.Left, k.Right, k.ScrollLeft, k.ScrollRight}
}

// FullHelp is ShortHelp in one group.
func (d detailModel) FullHelp() [][]key.Binding { return [][]key.Binding{d.ShortHelp()} }

// docWriter accumulates styled, wrapped lines.
type docWriter struct {
	st    themes.Styles
	w     int
	lines []string
}

func (b *docWriter) section(title string) {
	if len(b.lines) > 0 {
		b.lines = append(b.lines, "")
	}
	b.lines = append(b.lines, b.st.Detail.Section.Render("── "+title))
}

// text adds already-safe text, wrapped.
func (b *docWriter) text(s string) {
	for _, l := range wrap(s, b.w) {
		b.lines = append(b.lines, b.st.Detail.Value.Render(l))
	}
}

// field adds "key: value" with continuation lines indented under the value.
func (b *docWriter) field(k, v string) {
	pre := k + ": "
	indent := min(len([]rune(pre)), b.w/3)
	ls := wrap(v, max(b.w-indent, 8))
	for i, l := range ls {
		if i == 0 {
			b.lines = append(b.lines, b.st.Detail.Key.Render(pre)+b.st.Detail.Value.Render(l))
			continue
		}
		b.lines = append(b.lines, strings.Repeat(" ", indent)+b.st.Detail.Value.Render(l))
	}
}

func (b *docWriter) headers(h cachemodel.Headers) {
	if len(h) == 0 {
		b.text("(none)")
		return
	}
	for _, f := range h {
		b.field(safe(f.Name), safeLong(f.Value))
	}
}

// variantDoc is everything known about one request.
func variantDoc(st themes.Styles, v cachemodel.VariantResult, changes [][2]string, w int) []string {
	b := &docWriter{st: st, w: w}
	b.lines = append(b.lines, st.Detail.Title.Render(cut(safe(v.Method)+" "+safe(v.Request.URL), w)))
	kind := string(v.Kind)
	if v.Preflight {
		kind += ", preflight"
	}
	b.field("variant", safe(v.Label)+" ("+safe(kind)+") · round "+strconv.Itoa(v.Round))
	if v.Experiment != "" {
		b.field("experiment", safe(v.Experiment)+" · cache buster "+safe(v.CacheBuster))
	}
	if len(changes) > 0 {
		b.section("Changed since the previous run (the old values)")
		for _, c := range changes {
			b.field(c[0], "was "+c[1])
		}
	}

	b.section("Timing")
	b.text(fmt.Sprintf("connect %.1f ms · TTFB %.1f ms · total %.1f ms", v.Timing.ConnectMS, v.Timing.TTFBMS, v.Timing.TotalMS))

	b.section("Cache")
	if v.Response == nil {
		b.text("no response")
	} else {
		status := v.Cache.Status
		if status == "" {
			status = cachemodel.StatusUnknown
		}
		src := "no cache-status header; nothing says whether a cache answered"
		if v.Cache.Source != "" {
			src = "from " + safe(v.Cache.Source)
			if v.Cache.Raw != "" {
				src += ": " + safeLong(v.Cache.Raw)
			}
		}
		b.field("status", safe(string(status)))
		b.field("evidence", src)
		if v.Cache.Weak {
			b.text("weak evidence: only a hint such as Age says a cache answered")
		}
		age := "absent"
		if v.Cache.Age != nil {
			age = strconv.FormatInt(*v.Cache.Age, 10) + " s"
		}
		b.field("Age", age)
		if v.Cache.Status.ServedFromCache() {
			b.text("served from a stored response: its CORS headers were made for whichever request filled the cache")
		}
	}

	b.section("CORS (the browser's view)")
	switch {
	case v.Response == nil:
		b.text("no response to check")
	case !v.CORS.Applicable:
		b.text(safe(v.CORS.Reason))
	default:
		b.field("anonymous", safe(cachemodel.ModeVerdict(v.CORS.Allowed, v.CORS.Reason)))
		b.field("with credentials", safe(cachemodel.ModeVerdict(v.CORS.AllowedWithCredentials, v.CORS.ReasonWithCredentials)))
		if v.CORS.Detail != "" {
			b.field("why", safeLong(v.CORS.Detail))
		}
		if s := v.CORS.Standard; s != nil {
			b.text("† these are today's browsers (" + safe(strings.Join(s.Browsers, ", ")) + "); the Fetch standard, which they will follow once their switches flip, says:")
			b.field("standard, anonymous", safe(cachemodel.ModeVerdict(&s.Allowed, s.Reason)))
			b.field("standard, credentials", safe(cachemodel.ModeVerdict(&s.AllowedWithCredentials, s.ReasonWithCredentials)))
			b.field("standard, why", safeLong(s.Detail))
		}
	}
	if bc := v.BrowserConfirm; bc != nil {
		// --confirm-in: the real browser's own answer beside the verdict.
		line, console, _ := v.ConfirmLine()
		b.text(safeLong(line))
		if console != "" {
			b.text(safeLong(console))
		}
	}

	b.section("Request headers")
	b.headers(v.Request.Headers)

	if v.Response != nil {
		r := v.Response
		head := fmt.Sprintf("Response: %s %d · %d body bytes", safe(r.Proto), r.Status, r.BodyBytes)
		if r.BodyTruncated {
			head += " (stopped at the body limit)"
		}
		if r.RemoteAddr != "" {
			head += " · from " + safe(r.RemoteAddr)
		}
		b.section(head)
		b.headers(r.Headers)
	}
	if v.Error != nil {
		b.section("Error")
		b.field(safe(string(v.Error.Kind)), safeLong(v.Error.Message))
	}

	b.section("Reproduce")
	// One line, never wrapped: ←→ scroll it, and a selection of it pastes
	// as one command.
	b.lines = append(b.lines, st.Detail.Value.Render(safeLong(v.Curl)))
	b.lines = append(b.lines, st.Muted.Render("y sends this command to the terminal clipboard (OSC 52); < > scroll it"))
	return b.lines
}

// findingDoc is a finding's full text.
func findingDoc(st themes.Styles, f cachemodel.Finding, w int) []string {
	b := &docWriter{st: st, w: w}
	sev := f.Severity.Label()
	b.lines = append(b.lines, st.Class(string(f.Severity.Class())).Render("["+safe(sev)+"]")+" "+st.Detail.Title.Render(cut(safe(f.Rule), max(w-len(sev)-3, 1))))
	if f.FromErrorStatus {
		b.text("drawn from an error response (4xx/5xx): rated low at most")
	}
	b.section("What")
	b.text(safeLong(f.Message))
	b.section("Evidence")
	if len(f.Evidence) == 0 {
		b.text("(none listed)")
	}
	for _, e := range f.Evidence {
		for i, l := range wrap(safeLong(e), max(w-2, 8)) {
			pre := "  "
			if i == 0 {
				pre = "• "
			}
			b.lines = append(b.lines, pre+st.Detail.Value.Render(l))
		}
	}
	b.section("Fix")
	b.text(safeLong(f.Fix))
	return b.lines
}
