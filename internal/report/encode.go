package report

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/corscope/corscope/cachemodel"
)

// The per-type encoder methods (encTargetReport and the rest) are
// generated from the report types by ./jsongen into zz_generated_json.go;
// a report field is declared once, in cachemodel, and this command brings
// the encoder along (TestGeneratedEncoderIsCurrent fails until it is run).
//
//go:generate go run ./jsongen

// appendTargetJSON appends t as JSON to b: byte for byte what
// encoding/json's Marshal writes (HTML-safe escaping included), or with
// indent what MarshalIndent(t, "  ", "  ") writes, in one pass, except
// that the runes a terminal acts on are escaped too (see appendJSONString).
// On a run of thousands of targets this is the largest cost after the
// network, so it does not reflect and does not allocate beyond growing b.
func appendTargetJSON(b []byte, t *cachemodel.TargetReport, indent bool) ([]byte, error) {
	e := jsonEnc{b: b, indent: indent}
	e.encTargetReport(t)
	return e.b, e.err
}

// jsonEnc is the state the generated encoder writes through.
type jsonEnc struct {
	b      []byte
	err    error
	indent bool // MarshalIndent's layout with prefix and indent "  "
	depth  int  // objects and arrays open
}

// spaces pads an indented line; deeper levels append it repeatedly.
const spaces = "                                                                "

// newline starts an indented line at the current depth: the prefix and one
// indent per level, two spaces each.
func (e *jsonEnc) newline() {
	e.b = append(e.b, '\n')
	for n := 2 + 2*e.depth; n > 0; n -= len(spaces) {
		e.b = append(e.b, spaces[:min(n, len(spaces))]...)
	}
}

// open starts an object or array.
func (e *jsonEnc) open(c byte) {
	e.b = append(e.b, c)
	e.depth++
}

// close ends an object or array; an empty one stays on its line, as in
// MarshalIndent.
func (e *jsonEnc) close(c byte, empty bool) {
	e.depth--
	if e.indent && !empty {
		e.newline()
	}
	e.b = append(e.b, c)
}

// member starts an object member: key is its quoted name and colon.
func (e *jsonEnc) member(key string, first bool) {
	if !first {
		e.b = append(e.b, ',')
	}
	if e.indent {
		e.newline()
		e.b = append(e.b, key...)
		e.b = append(e.b, ' ')
		return
	}
	e.b = append(e.b, key...)
}

// element starts an array element.
func (e *jsonEnc) element(first bool) {
	if !first {
		e.b = append(e.b, ',')
	}
	if e.indent {
		e.newline()
	}
}

func (e *jsonEnc) null() { e.b = append(e.b, "null"...) }

func (e *jsonEnc) str(s string) { e.b = appendJSONString(e.b, s) }

func (e *jsonEnc) boolean(v bool) { e.b = strconv.AppendBool(e.b, v) }

func (e *jsonEnc) integer(v int64) { e.b = strconv.AppendInt(e.b, v, 10) }

func (e *jsonEnc) unsigned(v uint64) { e.b = strconv.AppendUint(e.b, v, 10) }

// float writes a float64 as encoding/json does: like ES6 number-to-string,
// plain below 1e21 and from 1e-6 on, exponent form otherwise, with the
// exponent unpadded. NaN and infinities fail with encoding/json's error.
func (e *jsonEnc) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if e.err == nil {
			e.err = &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
		}
		e.b = append(e.b, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	e.b = strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(e.b); n >= 4 && e.b[n-4] == 'e' && e.b[n-3] == '-' && e.b[n-2] == '0' {
			e.b[n-2] = e.b[n-1]
			e.b = e.b[:n-1]
		}
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping on
// (", \ and control bytes escaped, \b \f \n \r \t by name; <, > and &
// as \u003c-style escapes; invalid UTF-8 as \ufffd; U+2028/U+2029 escaped
// for JavaScript) and also escapes what encoding/json leaves raw although
// a terminal acts on it: C1 controls (U+0080–U+009F) and the bidi
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), as
// escapeTerminalRunes does to encoding/json's output. The string decodes
// to the same value, and `--format json` on a terminal cannot be driven by
// a server.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029' || terminalActive(r):
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// terminalActive reports the runes escapeTerminalRunes escapes.
func terminalActive(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
