package config

import (
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// The TOML decoder keeps key positions private, so errors found after
// decoding (a bad value, an unknown key) would only name the key. This
// small scanner walks the same text and records where each key was written,
// so every message can point at a line. It only has to find keys in a file
// the real parser has already accepted; values are skipped, not parsed.

type keyPos struct{ line, col int }

// positions indexes keys by path. Paths inside arrays of tables carry the
// entry's 0-based index: "targets[1].url".
type positions struct {
	indexed map[string]keyPos
	plain   map[string][]plainEntry // toml.Key.String() -> occurrences in file order
}

type plainEntry struct {
	segs []seg
	pos  keyPos
}

// path is the entry's indexed form, e.g. "targets[1].url".
func (e plainEntry) path() string {
	indexed, _ := render(e.segs)
	return indexed
}

// lookup finds the position of an indexed path, falling back to its nearest
// recorded parent ("probe.headers[2]" -> "probe.headers", a missing
// "purge[0].zone_id" -> "purge[0]").
func (p *positions) lookup(path string) (keyPos, bool) {
	if p == nil {
		return keyPos{}, false
	}
	for path != "" {
		if kp, ok := p.indexed[path]; ok {
			return kp, true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return keyPos{}, false
}

// occurrence returns the n-th (0-based) place a key without indexes was
// written.
func (p *positions) occurrence(plain string, n int) (plainEntry, bool) {
	if p == nil || n >= len(p.plain[plain]) {
		return plainEntry{}, false
	}
	return p.plain[plain][n], true
}

type seg struct {
	name  string
	index int // entry of an array of tables, or -1
}

func render(segs []seg) (indexed, plain string) {
	var ib, pb strings.Builder
	for i, s := range segs {
		if i > 0 {
			ib.WriteByte('.')
			pb.WriteByte('.')
		}
		q := toml.Key{s.name}.String()
		ib.WriteString(q)
		pb.WriteString(q)
		if s.index >= 0 {
			ib.WriteString("[" + strconv.Itoa(s.index) + "]")
		}
	}
	return ib.String(), pb.String()
}

type keyScanner struct {
	src       string
	i         int
	line      int
	lineStart int
}

func (s *keyScanner) eof() bool { return s.i >= len(s.src) }

func (s *keyScanner) peek(off int) byte {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func (s *keyScanner) advance() {
	if s.src[s.i] == '\n' {
		s.line++
		s.lineStart = s.i + 1
	}
	s.i++
}

func (s *keyScanner) pos() keyPos { return keyPos{line: s.line, col: s.i - s.lineStart + 1} }

func (s *keyScanner) skipBlank() {
	for !s.eof() && (s.peek(0) == ' ' || s.peek(0) == '\t') {
		s.advance()
	}
}

func (s *keyScanner) skipLine() {
	for !s.eof() && s.peek(0) != '\n' {
		s.advance()
	}
}

// readKey reads a dotted key: bare, "basic" or 'literal' parts.
func (s *keyScanner) readKey() ([]string, bool) {
	var parts []string
	for {
		s.skipBlank()
		switch c := s.peek(0); {
		case c == '"':
			start := s.i
			s.advance()
			for !s.eof() && s.peek(0) != '"' && s.peek(0) != '\n' {
				if s.peek(0) == '\\' && s.i+1 < len(s.src) {
					s.advance()
				}
				s.advance()
			}
			if s.eof() || s.peek(0) != '"' {
				return nil, false
			}
			s.advance()
			name, err := strconv.Unquote(s.src[start:s.i])
			if err != nil { // TOML-only escape; the raw text is close enough
				name = s.src[start+1 : s.i-1]
			}
			parts = append(parts, name)
		case c == '\'':
			s.advance()
			start := s.i
			for !s.eof() && s.peek(0) != '\'' && s.peek(0) != '\n' {
				s.advance()
			}
			if s.eof() || s.peek(0) != '\'' {
				return nil, false
			}
			parts = append(parts, s.src[start:s.i])
			s.advance()
		case isBareKeyChar(c):
			start := s.i
			for !s.eof() && isBareKeyChar(s.peek(0)) {
				s.advance()
			}
			parts = append(parts, s.src[start:s.i])
		default:
			return nil, false
		}
		s.skipBlank()
		if s.peek(0) != '.' {
			return parts, true
		}
		s.advance()
	}
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// skipValue moves past a value, which may span lines inside brackets or
// multi-line strings, and past a trailing comment.
func (s *keyScanner) skipValue() {
	depth := 0
	for !s.eof() {
		c := s.peek(0)
		switch {
		case c == '\n':
			if depth <= 0 {
				return
			}
			s.advance()
		case c == '#':
			s.skipLine()
		case c == '"' || c == '\'':
			s.skipString(c)
		case c == '[' || c == '{':
			depth++
			s.advance()
		case c == ']' || c == '}':
			depth--
			s.advance()
		default:
			s.advance()
		}
	}
}

func (s *keyScanner) skipString(q byte) {
	if s.peek(1) == q && s.peek(2) == q { // multi-line
		for range 3 {
			s.advance()
		}
		for !s.eof() {
			if q == '"' && s.peek(0) == '\\' {
				s.advance()
				if !s.eof() {
					s.advance()
				}
				continue
			}
			if s.peek(0) == q && s.peek(1) == q && s.peek(2) == q {
				for range 3 {
					s.advance()
				}
				// Up to two more quotes may belong to the content ("""a""""").
				for n := 0; n < 2 && s.peek(0) == q; n++ {
					s.advance()
				}
				return
			}
			s.advance()
		}
		return
	}
	s.advance()
	for !s.eof() && s.peek(0) != '\n' {
		c := s.peek(0)
		if q == '"' && c == '\\' {
			s.advance()
			if !s.eof() && s.peek(0) != '\n' {
				s.advance()
			}
			continue
		}
		s.advance()
		if c == q {
			return
		}
	}
}

// scanPositions records where every table header and key/value pair of a
// (syntactically valid) TOML document was written.
func scanPositions(src []byte) *positions {
	p := &positions{indexed: map[string]keyPos{}, plain: map[string][]plainEntry{}}
	record := func(segs []seg, kp keyPos) {
		indexed, plain := render(segs)
		if _, dup := p.indexed[indexed]; !dup {
			p.indexed[indexed] = kp
		}
		p.plain[plain] = append(p.plain[plain], plainEntry{segs: append([]seg(nil), segs...), pos: kp})
	}
	arrayCount := map[string]int{} // plain path of an array of tables -> entries so far
	// withIndexes gives each prefix that names an array of tables its
	// current entry, so [targets.x] under [[targets]] lands in the last one.
	withIndexes := func(names []string) []seg {
		out := make([]seg, len(names))
		for i, n := range names {
			out[i] = seg{name: n, index: -1}
			_, plain := render(out[:i+1])
			if c := arrayCount[plain]; c > 0 {
				out[i].index = c - 1
			}
		}
		return out
	}

	s := &keyScanner{src: string(src), line: 1}
	if strings.HasPrefix(s.src, "\xef\xbb\xbf") {
		s.i, s.lineStart = 3, 3
	}
	var table []seg
	for !s.eof() {
		s.skipBlank()
		switch c := s.peek(0); {
		case c == '\n' || c == '\r':
			s.advance()
		case c == '#':
			s.skipLine()
		case c == '[':
			kp := s.pos()
			isArray := s.peek(1) == '['
			s.advance()
			if isArray {
				s.advance()
			}
			names, ok := s.readKey()
			if ok {
				if isArray {
					plain := toml.Key(names).String()
					table = append(withIndexes(names[:len(names)-1]), seg{name: names[len(names)-1], index: arrayCount[plain]})
					arrayCount[plain]++
				} else {
					table = withIndexes(names)
				}
				record(table, kp)
			}
			s.skipLine()
		default:
			kp := s.pos()
			names, ok := s.readKey()
			if !ok {
				s.skipLine()
				continue
			}
			full := append([]seg(nil), table...)
			for _, n := range names {
				full = append(full, seg{name: n, index: -1})
			}
			record(full, kp)
			s.skipBlank()
			if s.peek(0) == '=' {
				s.advance()
			}
			s.skipValue()
		}
	}
	return p
}
