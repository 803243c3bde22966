package config

import "fmt"

// checkNesting refuses data whose arrays and inline tables nest deeper than
// MaxNesting, before the recursive decoder sees it. It counts brackets and
// braces outside strings and comments; a table header ([a] or [[a]]) counts
// like an array, which is harmless at depth 1 or 2. Dotted keys are bounded
// the same way (a.b.c is three levels): the decoder's time grows with the
// square of their length.
func checkNesting(data []byte, name string) error {
	depth, dots, line, col := 0, 0, 1, 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		switch c {
		case '\n':
			line, col, dots = line+1, 0, 0
		case '=', ',':
			dots = 0
		case '.':
			// Outside strings a dot joins key parts (or is a value's
			// decimal point, at most one per value).
			if dots++; dots >= MaxNesting {
				return &Error{File: name, Line: line, Col: col, Msg: fmt.Sprintf("a dotted key has more than %d parts", MaxNesting)}
			}
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			end, lines := skipString(data, i)
			if lines > 0 {
				line, col = line+lines, 0
			} else {
				col += end - i
			}
			i = end
		case '[', '{':
			depth, dots = depth+1, 0
			if depth > MaxNesting {
				return &Error{File: name, Line: line, Col: col, Msg: fmt.Sprintf("arrays and inline tables nest deeper than %d levels", MaxNesting)}
			}
		case ']', '}':
			dots = 0
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// skipString returns the index of the last byte of the string starting at
// data[i] (a quote) and the newlines inside it. An unterminated string ends
// at the end of its line (single-line) or of the data (multi-line): the
// decoder reports it.
func skipString(data []byte, i int) (end, lines int) {
	q := data[i]
	multi := i+2 < len(data) && data[i+1] == q && data[i+2] == q
	j := i + 1
	if multi {
		j = i + 3
	}
	for ; j < len(data); j++ {
		c := data[j]
		switch {
		case c == '\\' && q == '"':
			if j+1 < len(data) && data[j+1] == '\n' {
				lines++
			}
			j++
		case c == '\n':
			if !multi {
				return j - 1, lines
			}
			lines++
		case c == q:
			if !multi {
				return j, lines
			}
			if j+2 < len(data) && data[j+1] == q && data[j+2] == q {
				// Up to two more quotes may belong to the content ("""a"""").
				j += 2
				for k := 0; k < 2 && j+1 < len(data) && data[j+1] == q; k++ {
					j++
				}
				return j, lines
			}
		}
	}
	return len(data) - 1, lines
}
