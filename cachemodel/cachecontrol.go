package cachemodel

import (
	"strconv"
	"strings"
)

// Directive is one Cache-Control directive. Name is lower-cased; Value is
// unquoted ("" when the directive had no argument).
type Directive struct{ Name, Value string }

// CacheControl is the parsed Cache-Control of a response. The pointers are
// nil when the directive is absent or its argument is not delta-seconds;
// for repeated directives the first valid one wins (RFC 9111 §4.2.1).
type CacheControl struct {
	Present    bool
	Directives []Directive // every directive, all lines, in order

	Public, Private, NoStore, NoCache, MustRevalidate, Immutable bool

	MaxAge, SMaxAge, StaleWhileRevalidate *int64

	// PrivateFields are the header names of a qualified private="a, b": only
	// those fields are private, the rest may be stored by shared caches.
	PrivateFields []string
}

// ParseCacheControl reads every Cache-Control line. Parsing is lenient:
// names are case-insensitive, values may be tokens or quoted strings, stray
// white space and empty elements are skipped, and nothing is rejected.
func ParseCacheControl(h Headers) CacheControl {
	var c CacheControl
	n := 0
	for _, f := range h {
		if hvNameIs(f.Name, "Cache-Control") {
			n += strings.Count(f.Value, ",") + 1
		}
	}
	if n == 0 {
		return c
	}
	// One allocation each for the directives and the three numbers, since
	// this runs for every response of a probe.
	c.Present = true
	c.Directives = make([]Directive, 0, n)
	var secs ccSeconds
	for _, f := range h {
		if hvNameIs(f.Name, "Cache-Control") {
			c.parseLine(f.Value, &secs)
		}
	}
	if len(c.Directives) == 0 {
		c.Directives = nil
	}
	return c
}

// ccSeconds backs the delta-seconds pointers of one CacheControl with a
// single lazily allocated array.
type ccSeconds struct {
	vals *[3]int64
	used int
}

// set stores the first valid delta-seconds value in *dst.
func (s *ccSeconds) set(dst **int64, v string) {
	if *dst != nil {
		return
	}
	n, ok := hvDeltaSeconds(v)
	if !ok {
		return
	}
	if s.vals == nil || s.used == len(s.vals) {
		s.vals, s.used = new([3]int64), 0
	}
	p := &s.vals[s.used]
	s.used++
	*p = n
	*dst = p
}

func (c *CacheControl) parseLine(s string, secs *ccSeconds) {
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
		name := strings.ToLower(hvTrim(s[start:i]))
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
				value = hvTrim(s[vs:i])
			}
		}
		if name != "" {
			c.add(Directive{Name: name, Value: value}, secs)
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

func (c *CacheControl) add(d Directive, secs *ccSeconds) {
	c.Directives = append(c.Directives, d)
	switch d.Name {
	case "public":
		c.Public = true
	case "private":
		c.Private = true
		if d.Value != "" {
			fields, _ := ParseFieldList([]string{d.Value})
			c.PrivateFields = append(c.PrivateFields, fields...)
		}
	case "no-store":
		c.NoStore = true
	case "no-cache":
		c.NoCache = true
	case "must-revalidate":
		c.MustRevalidate = true
	case "immutable":
		c.Immutable = true
	case "max-age":
		secs.set(&c.MaxAge, d.Value)
	case "s-maxage":
		secs.set(&c.SMaxAge, d.Value)
	case "stale-while-revalidate":
		secs.set(&c.StaleWhileRevalidate, d.Value)
	}
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

// SharedCacheable reports whether a shared cache (a CDN) may store this
// response under RFC 9111 §3, with a short phrase saying why. Storing is
// not the same as serving fresh: no-cache and max-age=0 responses are
// storable but revalidated on every use, and a 304 then re-serves the
// stored headers (ACAO included), so they count as cacheable here.
// Request-side conditions (method, Authorization) are the caller's to check.
func (c CacheControl) SharedCacheable(status int, h Headers) (cacheable bool, why string) {
	switch {
	case c.NoStore:
		return false, "no-store"
	case c.Private && len(c.PrivateFields) == 0:
		return false, "private"
	}
	cacheable = true
	switch {
	case c.SMaxAge != nil:
		why = "s-maxage=" + strconv.FormatInt(*c.SMaxAge, 10)
	case c.MaxAge != nil && *c.MaxAge > 0:
		why = "max-age=" + strconv.FormatInt(*c.MaxAge, 10)
	case c.MaxAge != nil:
		why = "max-age=0, revalidated on each use"
	case c.Public:
		why = "public"
	case h.Count("Expires") > 0:
		why = "Expires"
	case heuristicallyCacheable(status) && h.Count("Last-Modified") > 0:
		why = "heuristic freshness from Last-Modified"
	case heuristicallyCacheable(status):
		why = "status " + strconv.Itoa(status) + " is heuristically cacheable"
	default:
		return false, "status " + strconv.Itoa(status) + " without explicit freshness"
	}
	if c.NoCache {
		why += ", no-cache: revalidated on each use"
	}
	if c.Private {
		why += ", private fields stripped"
	}
	if h.Count("Set-Cookie") > 0 {
		why += ", has Set-Cookie"
	}
	return cacheable, why
}
