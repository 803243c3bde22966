package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/suggest"
	"github.com/corscope/corscope/internal/termsafe"
)

// Error is one problem with a config file. Error() is a single line:
//
//	config.toml:12:5: probe.timeout: "-5s" is negative; want a duration like "10s"
type Error struct {
	File string
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based byte column; 0 when unknown
	Key  string // the key at fault ("probe.timeout", "targets[1].url"), "" if none
	Msg  string
	err  error // underlying cause, for errors.Is (e.g. fs.ErrNotExist)
}

// Error is one line. Everything in it is escaped for the terminal: the
// parser quotes the file's own text (a stray NUL or ESC in a string), and
// a key or file name can hold anything.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(termsafe.String(e.File))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(termsafe.String(e.Key))
		b.WriteString(": ")
	}
	b.WriteString(termsafe.String(e.Msg))
	// A message may quote a URL from the file (proxy, api_base,
	// url_template, a target): never with its password.
	return cachemodel.RedactCredentials(b.String())
}

func (e *Error) Unwrap() error { return e.err }

// Errors is every problem found in one file, in file order. Error() has one
// line per problem.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func sortedErrors(es []*Error) error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
	return Errors(es)
}

// errorAt builds an Error for an indexed key path, pointing at the key (or
// its nearest written parent).
func errorAt(file string, pos *positions, key, msg string) *Error {
	e := &Error{File: file, Key: key, Msg: msg}
	if kp, ok := pos.lookup(key); ok {
		e.Line, e.Col = kp.line, kp.col
	}
	return e
}

// Decoder type errors are plain strings; this pulls out the line and key.
var (
	typeErrRE     = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key ("(?:[^"\\]|\\.)*")\): (.*)$`)
	incompatRE    = regexp.MustCompile(`^incompatible types: TOML value has type (.+); destination has type (.+)$`)
	tableExpectRE = regexp.MustCompile(`^type mismatch for .+: expected table but found (.+)$`)
)

// decodeError turns the TOML library's error into our one-line form.
func decodeError(file string, data []byte, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line, col := pe.Position.Line, pe.Position.Col
		// The parser's line is one too far for errors found at a newline;
		// the byte offset is exact, so derive line and column from it.
		input := strings.TrimPrefix(string(data), "\xef\xbb\xbf") // the parser drops a BOM too
		if start := pe.Position.Start; start > 0 && start <= len(input) {
			line = 1 + strings.Count(input[:start], "\n")
			col = start - strings.LastIndexByte(input[:start], '\n')
		}
		return &Error{File: file, Line: line, Col: col, Msg: oneLine(pe.Message), err: err}
	}
	m := typeErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: file, Msg: oneLine(strings.TrimPrefix(err.Error(), "toml: ")), err: err}
	}
	key, uerr := strconv.Unquote(m[2])
	if uerr != nil {
		key = m[2]
	}
	e := &Error{File: file, Key: key, Msg: m[3], err: err}
	e.Line, _ = strconv.Atoi(m[1])
	// The decoder reports the line of the key's last occurrence; find the
	// written key on that line for its column and array index.
	pos := scanPositions(data)
	for _, occ := range pos.plain[key] {
		if e.Line == 0 || occ.pos.line == e.Line {
			e.Key, e.Line, e.Col = occ.path(), occ.pos.line, occ.pos.col
			break
		}
	}
	if t := incompatRE.FindStringSubmatch(e.Msg); t != nil {
		e.Msg = fmt.Sprintf("value has type %s; want %s", goTypeToTOML(t[1]), goTypeToTOML(t[2]))
	} else if t := tableExpectRE.FindStringSubmatch(e.Msg); t != nil {
		e.Msg = fmt.Sprintf("value has type %s; want table", goTypeToTOML(t[1]))
	}
	e.Msg = oneLine(e.Msg)
	return e
}

func goTypeToTOML(t string) string {
	switch t {
	case "string":
		return "string"
	case "int64", "integer":
		return "integer"
	case "float64", "float":
		return "float"
	case "bool", "boolean":
		return "boolean"
	case "[]any", "slice":
		return "array"
	case "map[string]any", "map":
		return "table"
	case "[]map[string]any":
		return "array of tables"
	case "time.Time":
		return "datetime"
	}
	return t
}

// tomlType names the TOML type of a decoded value, for messages.
func tomlType(v any) string {
	return goTypeToTOML(strings.ReplaceAll(fmt.Sprintf("%T", v), "interface {}", "any"))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// unknownKeys reports keys the schema does not know: those the decoder left
// undecoded, and those it matched only case-insensitively (the decoder is
// lenient about case; TOML and our documentation are not).
func unknownKeys(file string, md toml.MetaData, pos *positions) []*Error {
	undecoded := map[string]bool{}
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	var errs []*Error
	var reported []string
	seen := map[string]int{}
	for _, k := range md.Keys() {
		plain := k.String()
		n := seen[plain]
		seen[plain]++

		depth, known, belowLeaf := walkSchema(k)
		if belowLeaf || (known && !undecoded[plain]) {
			continue // below a leaf: the value's own check reports the type
		}
		entry, found := pos.occurrence(plain, n)
		if !found { // e.g. inside an inline table: fall back to the written parent
			entry = plainEntry{segs: plainSegs(k)}
			if kp, ok := pos.lookup(plain); ok {
				entry.pos = kp
			}
		}
		path := entry.path()
		if under(reported, path) {
			continue
		}
		reported = append(reported, path)
		msg := fmt.Sprintf("unknown key %q", path)
		if !known {
			if s := suggest.Closest(k[depth], parentNode(k[:depth]).names()); s != "" {
				fixed := append([]seg(nil), entry.segs...)
				fixed[depth].name = s
				suggestion, _ := render(fixed)
				msg += fmt.Sprintf(" (did you mean %q?)", suggestion)
			}
		}
		errs = append(errs, &Error{File: file, Line: entry.pos.line, Col: entry.pos.col, Msg: msg})
	}
	return errs
}

func plainSegs(k toml.Key) []seg {
	out := make([]seg, len(k))
	for i, s := range k {
		out[i] = seg{name: s, index: -1}
	}
	return out
}

// walkSchema follows a key through the schema. It returns the depth of the
// first unknown part, whether the whole key is known, and whether the key
// reaches below a leaf value (a table where a scalar belongs).
func walkSchema(k toml.Key) (depth int, known, belowLeaf bool) {
	n := schema
	for i, part := range k {
		if n.children == nil && n.wildcard == nil {
			return i, false, true
		}
		c := n.child(part)
		if c == nil {
			return i, false, false
		}
		n = c
	}
	return len(k), true, false
}

func parentNode(k toml.Key) *schemaNode {
	n := schema
	for _, part := range k {
		n = n.child(part)
	}
	return n
}

// under reports whether path lies inside an already reported key.
func under(reported []string, path string) bool {
	for _, r := range reported {
		if path == r || strings.HasPrefix(path, r+".") || strings.HasPrefix(path, r+"[") {
			return true
		}
	}
	return false
}
