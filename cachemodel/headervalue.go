package cachemodel

import (
	"strings"
)

// firstDeltaSeconds scans a comma-separated value for the first element
// that is valid delta-seconds, without allocating.
func firstDeltaSeconds(v string) (int64, bool) {
	for v != "" {
		elem := v
		if i := strings.IndexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if n, ok := parseDeltaSeconds(trimOWS(elem)); ok {
			return n, true
		}
	}
	return 0, false
}

// maxDeltaSeconds is the value RFC 9111 §1.2.2 says to use for any
// delta-seconds too large to represent.
const maxDeltaSeconds = 1 << 31

// parseDeltaSeconds parses delta-seconds: one or more ASCII digits, nothing
// else. Values above 2^31 saturate.
func parseDeltaSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDeltaSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxDeltaSeconds {
		n = maxDeltaSeconds
	}
	return n, true
}

// trimOWS strips HTTP optional white space (SP and HTAB) from both ends.
func trimOWS(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// containsFold reports whether sub occurs in s, ignoring ASCII case,
// without allocating a lower-cased copy.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// headerNameIs compares a header name case-insensitively, cheaply rejecting
// names of a different length first.
func headerNameIs(name, want string) bool {
	return len(name) == len(want) && strings.EqualFold(name, want)
}
