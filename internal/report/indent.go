package report

// appendIndented appends src, compact JSON as encoding/json's Marshal
// produces it (no insignificant whitespace), to dst laid out exactly like
// json.MarshalIndent(v, prefix, indent) would lay it out.
//
// json.MarshalIndent marshals and then re-scans the output with the
// general JSON scanner, byte by byte through a state machine; on a large
// run that second pass cost more than the marshalling itself. Compact
// input needs only string tracking: outside strings, every byte is
// structural.
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func(dst []byte) []byte {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
		return dst
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the whole string; a backslash escapes the next byte.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(src))
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			// Empty objects and arrays stay on one line, as in MarshalIndent.
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1])
				i++
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
			dst = append(dst, c)
		}
	}
	return dst
}
