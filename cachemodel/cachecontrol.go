package cachemodel

import (
	"strconv"
	"strings"
)

// ccFlags is a response's Cache-Control as the storage rules read it:
// every line, parsed leniently (names are case-insensitive, values may be
// tokens or quoted strings, stray white space and empty elements are
// skipped, nothing is rejected). The analysis fills one per response
// without allocating (see respFacts).
type ccFlags struct {
	present                                                      bool
	public, private, noStore, noCache, mustRevalidate, immutable bool
	// secs holds max-age, s-maxage and stale-while-revalidate (ccMaxAge,
	// ...); bit k of has is set when secs[k] holds a valid value.
	secs          [3]int64
	has           uint8
	privateFields []string
}

const (
	ccMaxAge = iota
	ccSMaxAge
	ccSWR
)

// readLine reads one Cache-Control line into f.
func (f *ccFlags) readLine(v string) {
	f.present = true
	scanCacheControl(v, f.add)
}

// add applies one directive; for repeated numbers the first valid one
// wins (RFC 9111 §4.2.1).
func (f *ccFlags) add(name, value string) {
	k := -1
	switch name {
	case "public":
		f.public = true
	case "private":
		f.private = true
		if value != "" {
			fields, _ := ParseFieldList([]string{value})
			f.privateFields = append(f.privateFields, fields...)
		}
	case "no-store":
		f.noStore = true
	case "no-cache":
		f.noCache = true
	case "must-revalidate":
		f.mustRevalidate = true
	case "immutable":
		f.immutable = true
	case "max-age":
		k = ccMaxAge
	case "s-maxage":
		k = ccSMaxAge
	case "stale-while-revalidate":
		k = ccSWR
	}
	if k < 0 || f.has&(1<<k) != 0 {
		return
	}
	if n, ok := parseDeltaSeconds(value); ok {
		f.secs[k], f.has = n, f.has|1<<k
	}
}

// seconds returns the value of a numeric directive (ccMaxAge, ...).
func (f *ccFlags) seconds(k int) (int64, bool) {
	return f.secs[k], f.has&(1<<k) != 0
}

// scanCacheControl calls fn for every directive of one Cache-Control line:
// the name lower-cased, the value unquoted ("" without an argument).
func scanCacheControl(s string, fn func(name, value string)) {
	i := 0
	for i < len(s) {
		// Directive name: up to '=', ',' or the end.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' {
			i++
		}
		name := strings.ToLower(trimOWS(s[start:i]))
		value := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if i < len(s) && s[i] == '"' {
				value, i = readQuoted(s, i)
				// Skip anything between the closing quote and the next comma.
				for i < len(s) && s[i] != ',' {
					i++
				}
			} else {
				vs := i
				for i < len(s) && s[i] != ',' {
					i++
				}
				value = trimOWS(s[vs:i])
			}
		}
		if name != "" {
			fn(name, value)
		}
	}
}

// readQuoted reads an RFC 9110 quoted-string starting at s[i] == '"' and
// returns its unescaped content and the index after the closing quote. An
// unterminated string runs to the end of s.
func readQuoted(s string, i int) (string, int) {
	i++ // opening quote
	start := i
	for i < len(s) {
		switch s[i] {
		case '"':
			return s[start:i], i + 1
		case '\\':
			return readQuotedEscaped(s, start)
		}
		i++
	}
	return s[start:], len(s)
}

// readQuotedEscaped is the slow path of readQuoted for strings with
// backslash escapes: it has to build a new string.
func readQuotedEscaped(s string, start int) (string, int) {
	var b strings.Builder
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), len(s)
}

// heuristicallyCacheable lists the status codes RFC 9110 §15.1 defines as
// heuristically cacheable: a cache may store them without explicit
// freshness.
func heuristicallyCacheable(status int) bool {
	switch status {
	case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

// storeHints are the other response headers sharedCacheable looks at.
type storeHints struct{ expires, lastModified, setCookie bool }

// sharedCacheable reports whether a shared cache (a CDN) may store this
// response under RFC 9111 §3, with a short phrase saying why. Storing is
// not the same as serving fresh: no-cache and max-age=0 responses are
// storable but revalidated on every use, and a 304 then re-serves the
// stored headers (ACAO included), so they count as cacheable here.
// Request-side conditions (method, Authorization) are the caller's to check.
// Without wantWhy the phrase is left empty, so the check allocates
// nothing.
func (f *ccFlags) sharedCacheable(status int, hints storeHints, wantWhy bool) (cacheable bool, why string) {
	switch {
	case f.noStore:
		return false, "no-store"
	case f.private && len(f.privateFields) == 0:
		return false, "private"
	}
	sMaxAge, hasSMaxAge := f.seconds(ccSMaxAge)
	maxAge, hasMaxAge := f.seconds(ccMaxAge)
	switch {
	case hasSMaxAge, hasMaxAge, f.public, hints.expires, heuristicallyCacheable(status):
	default:
		if !wantWhy {
			return false, ""
		}
		return false, "status " + strconv.Itoa(status) + " without explicit freshness"
	}
	if !wantWhy {
		return true, ""
	}
	switch {
	case hasSMaxAge:
		why = "s-maxage=" + strconv.FormatInt(sMaxAge, 10)
	case hasMaxAge && maxAge > 0:
		why = "max-age=" + strconv.FormatInt(maxAge, 10)
	case hasMaxAge:
		why = "max-age=0, revalidated on each use"
	case f.public:
		why = "public"
	case hints.expires:
		why = "Expires"
	case hints.lastModified:
		why = "heuristic freshness from Last-Modified"
	default:
		why = "status " + strconv.Itoa(status) + " is heuristically cacheable"
	}
	if f.noCache {
		why += ", no-cache: revalidated on each use"
	}
	if f.private {
		why += ", private fields stripped"
	}
	if hints.setCookie {
		why += ", has Set-Cookie"
	}
	return true, why
}
