package report

import "bytes"

// escapeTerminalRunes rewrites, in compact JSON, the runes encoding/json
// leaves raw although a terminal may act on them: C1 controls
// (U+0080–U+009F; U+009B is CSI, U+009D OSC) and the bidi embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069). They become \uXXXX
// escapes, so the document decodes to the same strings while `--format
// json` on a terminal, or `cat report.json`, cannot be driven by a server.
// (encoding/json already escapes C0 controls, U+2028 and U+2029, and turns
// invalid UTF-8 into U+FFFD.)
//
// Such runes can only occur inside JSON strings (everything structural is
// ASCII), so a byte-level rewrite is safe. b is returned as is, without
// copying, when there is nothing to escape, which is almost always.
func escapeTerminalRunes(b []byte) []byte {
	var sc runeScanner
	i := sc.next(b, 0)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	last := 0
	for ; i >= 0; i = sc.next(b, last) {
		out = append(out, b[last:i]...)
		var r rune
		if b[i] == 0xc2 {
			r, last = rune(b[i+1]), i+2 // U+0080–U+009F is C2 80–C2 9F
		} else {
			r, last = rune(b[i+1]&0x3f)<<6|rune(b[i+2]&0x3f)|0x2000, i+3
		}
		out = append(out, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	return append(out, b[last:]...)
}

// runeScanner finds C1 and bidi controls encoded in b. It remembers where
// the next C2 and E2 lead bytes are, so each byte is searched once however
// many harmless E2 runes (…, →, ✓) the text holds.
type runeScanner struct {
	c2, e2 int // next index of that byte at or after the last search; -1 none
	init   bool
}

// next returns the index, at or after from, of the first C1 or bidi
// control, or -1.
func (s *runeScanner) next(b []byte, from int) int {
	if !s.init {
		s.c2, s.e2, s.init = -2, -2, true
	}
	find := func(pos *int, c byte) {
		if *pos == -1 || (*pos >= from) {
			return
		}
		if j := bytes.IndexByte(b[from:], c); j >= 0 {
			*pos = from + j
		} else {
			*pos = -1
		}
	}
	for {
		find(&s.c2, 0xc2)
		find(&s.e2, 0xe2)
		i := s.c2
		if i < 0 || (s.e2 >= 0 && s.e2 < i) {
			i = s.e2
		}
		if i < 0 {
			return -1
		}
		switch {
		case b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			return i
		case b[i] == 0xe2 && i+2 < len(b) && b[i+1] == 0x80 && b[i+2] >= 0xaa && b[i+2] <= 0xae,
			b[i] == 0xe2 && i+2 < len(b) && b[i+1] == 0x81 && b[i+2] >= 0xa6 && b[i+2] <= 0xa9:
			return i
		}
		from = i + 1
	}
}
