package tui

import (
	"strings"
	"time"
	"unicode/utf8"

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

// midFit is fit that cuts in the middle ("https://cdn…/wildcard.json"),
// keeping both ends of text whose end matters as much as its start.
func midFit(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw <= w || w < 5 {
		return fit(s, w)
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, sw-tail, "")
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
// when it can, after ',' or ';' next (header values often have no spaces),
// hard inside a word last. No character is ever lost: only the spaces at a
// break are dropped, so a pane never has to cut a wrapped line with "…".
// (ansi.Wrap returned a line one column too wide when ',' or ';' fell on
// the edge, which the pane then cut.)
func wrap(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapLine(para, w)...)
	}
	return out
}

// wrapLine fills lines greedily from pieces: a piece is a word, or the
// part of a word up to and including a ',' or ';'.
func wrapLine(s string, w int) []string {
	var (
		lines []string
		cur   strings.Builder
		curW  int
	)
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
	}
	// Leading spaces are indentation: keep them on the first line.
	rest := strings.TrimLeft(s, " ")
	cur.WriteString(s[:len(s)-len(rest)])
	curW = len(s) - len(rest)
	for i, word := range strings.Split(rest, " ") {
		spaces := 1
		if i == 0 {
			spaces = 0
		}
		if word == "" {
			// A run of spaces: keep it inside a line, drop it at a break.
			if curW > 0 {
				cur.WriteByte(' ')
				curW++
			}
			continue
		}
		for _, piece := range splitAfterPunct(word) {
			pw := ansi.StringWidth(piece)
			gap := 0
			if curW > 0 {
				gap = spaces
			}
			if curW+gap+pw > w && curW > 0 {
				flush()
				gap = 0
			}
			if gap > 0 {
				cur.WriteByte(' ')
				curW++
			}
			for pw > w-curW {
				// Too long for any line: fill this one and carry on.
				head := ansi.Truncate(piece, w-curW, "")
				if head == "" && curW > 0 {
					flush()
					continue
				}
				if head == "" || !strings.HasPrefix(piece, head) {
					// A single character wider than w (or styled text
					// Truncate rewrote): take one rune as it is.
					_, size := utf8.DecodeRuneInString(piece)
					head = piece[:size]
				}
				cur.WriteString(head)
				flush()
				piece = piece[len(head):]
				pw = ansi.StringWidth(piece)
			}
			cur.WriteString(piece)
			curW += pw
			spaces = 0 // the next piece of this word follows without a space
		}
		spaces = 1
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
	}
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

// splitAfterPunct cuts a word after each ',' or ';' that is not its last
// byte, so "a,b;c" can break as "a," "b;" "c".
func splitAfterPunct(word string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(word)-1; i++ {
		if word[i] == '\x1b' {
			// A style's escape sequence ("\x1b[38;5;111m") is never cut:
			// its ';' are no break points and take no columns.
			i = escapeEnd(word, i) - 1
			continue
		}
		if word[i] == ',' || word[i] == ';' {
			parts = append(parts, word[start:i+1])
			start = i + 1
		}
	}
	return append(parts, word[start:])
}

// escapeEnd is the index just past the escape sequence at word[i] (an
// ESC): a CSI ends at its final byte, an OSC at BEL or ESC \, anything
// else after the byte that follows ESC.
func escapeEnd(word string, i int) int {
	if i+1 >= len(word) {
		return i + 1
	}
	switch word[i+1] {
	case '[':
		for j := i + 2; j < len(word); j++ {
			if word[j] >= 0x40 && word[j] <= 0x7e {
				return j + 1
			}
		}
		return len(word)
	case ']':
		for j := i + 2; j < len(word); j++ {
			if word[j] == '\a' {
				return j + 1
			}
			if word[j] == '\x1b' && j+1 < len(word) && word[j+1] == '\\' {
				return j + 2
			}
		}
		return len(word)
	}
	return i + 2
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
