package tui

import (
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/internal/termsafe"
	"github.com/corscope/corscope/themes"
)

// common is what every child shares with the root: styles (replaced when
// the theme changes), the key map and the clock. Children hold a pointer,
// so a theme switch reaches all of them at once.
type common struct {
	styles   themes.Styles
	keys     *KeyMap
	now      func() time.Time
	renderer *lipgloss.Renderer
	// after delivers msg() after d; every timer (spinner frames, flash
	// expiry) goes through it so tests can run without sleeping goroutines.
	after func(d time.Duration, msg func() tea.Msg) tea.Cmd
}

// realAfter is tea.Tick.
func realAfter(d time.Duration, msg func() tea.Msg) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return msg() })
}

// maxCellBytes caps any single server value before it is measured or drawn;
// longer values end in a visible "…(+N bytes)".
const maxCellBytes = 512

// safe makes untrusted text (header values, URLs, error messages, report
// fields) printable on one line and caps its length visibly. Every string
// that came from a server or a report file goes through it before it is
// drawn.
func safe(s string) string { return termsafe.Line(s, maxCellBytes) }

// safeLong is safe with a higher cap, for the detail view where values are
// wrapped rather than cut.
func safeLong(s string) string { return termsafe.Line(s, 16<<10) }

// fit cuts already-safe text to w columns, marking the cut with "…", and
// pads it to exactly w columns.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if sw := ansi.StringWidth(s); sw > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// cut is fit without the padding.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// wrap breaks already-safe text into lines of at most w columns: at spaces
// when it can, hard otherwise (header values often have no spaces).
func wrap(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	if s == "" {
		return []string{""}
	}
	out := strings.Split(ansi.Wrap(s, w, ",;"), "\n")
	for i := range out {
		out[i] = strings.TrimRight(out[i], " ")
	}
	return out
}

// padLines pads or cuts a block of lines to exactly h lines of w columns,
// so panes always fill their box and stale text never shows through.
func padLines(lines []string, w, h int) string {
	var b strings.Builder
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			l := lines[i]
			lw := ansi.StringWidth(l)
			switch {
			case lw > w:
				b.WriteString(ansi.Truncate(l, w, "…"))
			default:
				b.WriteString(l)
				b.WriteString(strings.Repeat(" ", w-lw))
			}
			continue
		}
		b.WriteString(strings.Repeat(" ", w))
	}
	return b.String()
}

// paneTitle draws a pane's title rule. The focused pane gets a heavy rule
// and a ▸ glyph, so focus reads without colour.
func paneTitle(c *common, title string, focused bool, w int) string {
	if w <= 0 {
		return ""
	}
	rule, glyph, st := "─", " ", c.styles.Muted
	if focused {
		rule, glyph, st = "━", "▸", c.styles.Accent
	}
	head := rule + glyph + " " + cut(title, max(w-6, 1)) + " "
	fill := w - ansi.StringWidth(head)
	if fill > 0 {
		head += strings.Repeat(rule, fill)
	}
	return st.Render(cut(head, w))
}
