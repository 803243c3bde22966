package report

import "bytes"

// appendIndented appends src, compact JSON as encoding/json's Marshal
// produces it (no insignificant whitespace), to dst laid out exactly like
// json.MarshalIndent(v, prefix, indent) would lay it out.
//
// json.MarshalIndent marshals and then re-scans the output with the
// general JSON scanner, byte by byte through a state machine; on a large
// run that second pass cost more than the marshalling itself. Compact
// input needs only string tracking: outside strings every byte is
// structural or part of a literal, so runs are copied whole.
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	// pad is "\n" + prefix + indent×depth, grown on demand.
	pad := append(append(make([]byte, 0, 64), '\n'), prefix...)
	newline := func(dst []byte) []byte {
		want := 1 + len(prefix) + depth*len(indent)
		for len(pad) < want {
			pad = append(pad, indent...)
		}
		return append(dst, pad[:want]...)
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '"':
			// Copy the whole string. Find the closing quote; a quote
			// preceded by an odd run of backslashes is escaped.
			j := i + 1
			for {
				q := bytes.IndexByte(src[j:], '"')
				if q < 0 {
					j = len(src)
					break
				}
				j += q + 1
				bs := 0
				for k := j - 2; k > i && src[k] == '\\'; k-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
			}
			dst = append(dst, src[i:j]...)
			i = j
			continue
		case '{', '[':
			// Empty objects and arrays stay on one line, as in MarshalIndent.
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1])
				i += 2
				continue
			}
			dst = append(dst, c)
			depth++
			dst = newline(dst)
		case '}', ']':
			depth--
			dst = newline(dst)
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = newline(dst)
		case ':':
			dst = append(dst, ':', ' ')
		default:
			// A literal (number, true, false, null): copy up to the next
			// structural byte.
			j := i + 1
			for j < len(src) && !structural(src[j]) {
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
			continue
		}
		i++
	}
	return dst
}

func structural(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':', '"':
		return true
	}
	return false
}
