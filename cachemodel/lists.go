package cachemodel

import "strings"

// ParseFieldList splits header values that use the HTTP list syntax
// (RFC 9110 "#rule": elements separated by commas with optional white space,
// empty elements ignored) into their elements, in order. Multiple header
// lines are one list, as HTTP combines them.
//
// ok is false when an element is not a valid token (a space inside a name,
// a quote, a control byte); the elements still hold everything that was
// found, so callers can both report the problem and keep going.
func ParseFieldList(values []string) (items []string, ok bool) {
	ok = true
	for _, v := range values {
		n := len(items)
		items = appendFieldList(items, v)
		for _, part := range items[n:] {
			if !isToken(part) {
				ok = false
			}
		}
	}
	return items, ok
}

// appendFieldList appends the non-empty elements of one list-syntax value
// (comma-separated, optional white space around elements) to items.
func appendFieldList(items []string, v string) []string {
	for rest, more := v, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		if part = strings.Trim(part, " \t"); part != "" {
			items = append(items, part)
		}
	}
	return items
}

// isToken reports whether s is an RFC 9110 token (tchar+).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
