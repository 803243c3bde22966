// Package termsafe makes untrusted text (header values, URLs, error
// messages from servers) safe to print on a terminal: nothing in it can
// move the cursor, retitle the window, write the clipboard, reorder the
// line or break it.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String returns s with every dangerous byte or rune replaced by a visible
// escape, keeping the result on one line:
//
//   - TAB, LF and CR become \t, \n and \r. TAB is escaped rather than turned
//     into a space: a raw TAB breaks column layout, and a space would hide a
//     difference that matters when reading header values.
//   - Other C0 controls and DEL become \xNN (ESC is \x1b).
//   - Bytes that are not valid UTF-8 become \xNN, so a raw C1 byte such as
//     0x9b (a one-byte CSI on some terminals) shows as \x9b.
//   - C1 controls encoded as runes (U+0080–U+009F), the bidi embedding,
//     override and isolate characters (U+202A–U+202E, U+2066–U+2069) and the
//     line and paragraph separators (U+2028, U+2029) become \uNNNN.
//
// Everything else, including non-ASCII letters and backslashes, is kept as
// is; a literal `\x1b` in the input therefore looks like an escaped ESC,
// which is the price of leaving readable text alone. When s needs no
// escaping it is returned without allocating.
func String(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != 0x7f:
				b.WriteByte(c)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			default:
				writeByteEscape(&b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeByteEscape(&b, c)
		case unsafeRune(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[(r>>shift)&0xf])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func writeByteEscape(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

// firstUnsafe returns the index of the first byte String must change, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports the non-ASCII runes String escapes.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi
		return true
	case r == 0x2028, r == 0x2029: // line, paragraph separator
		return true
	}
	return false
}

const ellipsis = "…"

// Truncate shortens already-escaped text to at most max bytes, marking the
// cut visibly as "…(+N bytes)" where N counts the bytes dropped. It cuts
// only between runes and never inside an escape String writes (\t, \xNN,
// \uNNNN). Since no rune is wider on screen than its UTF-8 encoding is
// long, max bytes never take more than max terminal columns.
//
// max <= 0 means no limit. When max is too small for the marker the result
// is "…" alone (three bytes, one column).
func Truncate(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	// The marker for len(s) dropped bytes is the longest possible one, so a
	// prefix that fits beside it fits beside the real marker too.
	budget := max - len(marker(len(s)))
	if budget < 0 {
		return ellipsis
	}
	keep := cutPoint(s, budget)
	return s[:keep] + marker(len(s)-keep)
}

func marker(dropped int) string {
	return ellipsis + "(+" + strconv.Itoa(dropped) + " bytes)"
}

// cutPoint is the largest index <= budget that falls between whole runes
// and whole escapes.
func cutPoint(s string, budget int) int {
	i := 0
	for i < len(s) {
		n := escapeLen(s[i:])
		if n == 0 {
			if s[i] < utf8.RuneSelf {
				n = 1
			} else {
				_, n = utf8.DecodeRuneInString(s[i:])
			}
		}
		if i+n > budget {
			break
		}
		i += n
	}
	return i
}

// escapeLen is the length of the escape String would have written at the
// start of s, or 0.
func escapeLen(s string) int {
	if len(s) < 2 || s[0] != '\\' {
		return 0
	}
	switch s[1] {
	case 't', 'n', 'r':
		return 2
	case 'x':
		if len(s) >= 4 && isHex(s[2]) && isHex(s[3]) {
			return 4
		}
	case 'u':
		if len(s) >= 6 && isHex(s[2]) && isHex(s[3]) && isHex(s[4]) && isHex(s[5]) {
			return 6
		}
	}
	return 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Line makes untrusted text safe and fits it in max bytes (see Truncate):
// the one call for a table cell.
func Line(s string, max int) string {
	return Truncate(String(s), max)
}
