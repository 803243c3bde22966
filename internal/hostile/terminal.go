package hostile

import (
	"fmt"
	"unicode/utf8"
)

// CheckTerminal returns an error naming the first byte or rune in out that
// a terminal could act on: a C0 control other than LF (ESC, BEL, CR, ...),
// DEL, a byte that is not valid UTF-8 (a raw 0x9b is CSI on 8-bit
// terminals), a C1 control encoded as UTF-8, a bidi embedding, override or
// isolate, or a line or paragraph separator. Output meant for a terminal
// (table, Markdown, messages) must pass; colour codes would fail it, so
// check uncoloured output.
func CheckTerminal(out []byte) error {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRune(out[i:])
		bad := ""
		switch {
		case r == utf8.RuneError && size == 1:
			bad = fmt.Sprintf("invalid UTF-8 byte 0x%02x", out[i])
		case r < 0x20 && r != '\n', r == 0x7f:
			bad = fmt.Sprintf("control character %U", r)
		case r >= 0x80 && r <= 0x9f:
			bad = fmt.Sprintf("C1 control %U", r)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			bad = fmt.Sprintf("bidi control %U", r)
		case r == 0x2028 || r == 0x2029:
			bad = fmt.Sprintf("line/paragraph separator %U", r)
		}
		if bad != "" {
			return fmt.Errorf("%s at byte %d, near %q", bad, i, out[max(i-40, 0):min(i+40, len(out))])
		}
		i += size
	}
	return nil
}
