package cachemodel

import (
	"strconv"
	"strings"
)

// CacheStatusMember is one cache's entry in an RFC 9211 Cache-Status
// header. Zero values mean the parameter was absent (FwdStatus 0: not
// given; the response status applies).
type CacheStatusMember struct {
	Cache     string // the cache's identifier (token or unquoted string)
	Hit       bool
	Fwd       string // why it went forward: bypass, method, uri-miss, vary-miss, miss, request, stale, partial
	FwdStatus int
	TTL       *int64 // remaining freshness in seconds; negative = stale
	Stored    bool
	Collapsed bool
	Key       string
	Detail    string
}

// Status maps the member to a normalised cache status:
//   - hit with fwd=stale (Netlify's stale-while-revalidate report, not valid
//     RFC 9211 but documented by Netlify) => UPDATING;
//   - hit => HIT, or STALE when ttl is negative;
//   - fwd=bypass or fwd=method => BYPASS (the cache did not try);
//   - fwd=stale => REVALIDATED when the next hop answered 304 (the stored
//     response was reused), else EXPIRED (a new response replaced it), the
//     same split Cloudflare makes;
//   - any other fwd (uri-miss, vary-miss, miss, request, partial, or an
//     unregistered reason) => MISS, since going forward is what a miss is;
//   - neither => UNKNOWN.
func (m CacheStatusMember) Status() CacheStatus {
	switch {
	case m.Hit && strings.EqualFold(m.Fwd, "stale"):
		return StatusUpdating
	case m.Hit && m.TTL != nil && *m.TTL < 0:
		return StatusStale
	case m.Hit:
		return StatusHit
	case m.Fwd == "":
		return StatusUnknown
	case strings.EqualFold(m.Fwd, "bypass"), strings.EqualFold(m.Fwd, "method"):
		return StatusBypass
	case strings.EqualFold(m.Fwd, "stale"):
		if m.FwdStatus == 304 {
			return StatusRevalidated
		}
		return StatusExpired
	}
	return StatusMiss
}

// csMember is a parsed member plus the text it came from.
type csMember struct {
	CacheStatusMember
	raw string
}

func parseCacheStatus(s string) []csMember {
	if ms, ok := parseCacheStatusStrict(s); ok {
		return ms
	}
	return parseCacheStatusLenient(s)
}

// sfValue is a Structured Fields bare item (RFC 8941 §3.3).
type sfValue struct {
	kind byte // 't' token, 's' string, 'i' integer, 'd' decimal, 'b' boolean, ':' byte sequence
	str  string
	num  int64
	flag bool
}

// sfParser is a small RFC 8941 reader for exactly what Cache-Status needs:
// a list of items with parameters. Inner lists are rejected (they are not
// valid Cache-Status members), which sends the caller to the lenient path.
type sfParser struct {
	s string
	i int
}

func parseCacheStatusStrict(s string) ([]csMember, bool) {
	p := sfParser{s: s}
	p.skipSP()
	var out []csMember
	for p.i < len(p.s) {
		start := p.i
		m, ok := p.member()
		if !ok {
			return nil, false
		}
		m.raw = p.s[start:p.i]
		out = append(out, m)
		p.skipOWS()
		if p.i == len(p.s) {
			return out, true
		}
		if p.s[p.i] != ',' {
			return nil, false
		}
		p.i++
		p.skipOWS()
		if p.i == len(p.s) {
			return nil, false // trailing comma
		}
	}
	return out, true
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) member() (csMember, bool) {
	var m csMember
	v, ok := p.bareItem()
	if !ok || (v.kind != 't' && v.kind != 's') {
		return m, false
	}
	m.Cache = v.str
	for p.i < len(p.s) && p.s[p.i] == ';' {
		p.i++
		p.skipSP()
		key, ok := p.key()
		if !ok {
			return m, false
		}
		val := sfValue{kind: 'b', flag: true}
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			if val, ok = p.bareItem(); !ok {
				return m, false
			}
		}
		m.setParam(key, val)
	}
	return m, true
}

func (p *sfParser) key() (string, bool) {
	start := p.i
	if p.i >= len(p.s) || !(sfIsLCAlpha(p.s[p.i]) || p.s[p.i] == '*') {
		return "", false
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(sfIsLCAlpha(c) || sfIsDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], true
}

func (p *sfParser) bareItem() (sfValue, bool) {
	if p.i >= len(p.s) {
		return sfValue{}, false
	}
	c := p.s[p.i]
	switch {
	case c == '-' || sfIsDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case c == '*' || sfIsAlpha(c):
		start := p.i
		p.i++
		for p.i < len(p.s) && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
			p.i++
		}
		return sfValue{kind: 't', str: p.s[start:p.i]}, true
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return sfValue{kind: 'b', flag: p.s[p.i-1] == '1'}, true
		}
	case c == ':':
		end := strings.IndexByte(p.s[p.i+1:], ':')
		if end < 0 {
			return sfValue{}, false
		}
		v := sfValue{kind: ':', str: p.s[p.i+1 : p.i+1+end]}
		p.i += end + 2
		return v, true
	}
	return sfValue{}, false
}

// number reads an sf-integer (at most 15 digits) or sf-decimal.
func (p *sfParser) number() (sfValue, bool) {
	start := p.i
	neg := false
	if p.s[p.i] == '-' {
		neg = true
		p.i++
	}
	var n int64
	digits := 0
	for p.i < len(p.s) && sfIsDigit(p.s[p.i]) {
		n = n*10 + int64(p.s[p.i]-'0')
		p.i++
		digits++
		if digits > 15 {
			return sfValue{}, false
		}
	}
	if digits == 0 {
		return sfValue{}, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		if digits > 12 {
			return sfValue{}, false
		}
		p.i++
		frac := 0
		for p.i < len(p.s) && sfIsDigit(p.s[p.i]) {
			p.i++
			frac++
		}
		if frac == 0 || frac > 3 {
			return sfValue{}, false
		}
		return sfValue{kind: 'd', str: p.s[start:p.i]}, true
	}
	if neg {
		n = -n
	}
	return sfValue{kind: 'i', num: n}, true
}

// str reads an sf-string: printable ASCII, with \" and \\ the only escapes.
func (p *sfParser) str() (sfValue, bool) {
	p.i++ // opening quote
	start := p.i
	escaped := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			if escaped {
				v = unescapeSF(v)
			}
			return sfValue{kind: 's', str: v}, true
		case c == '\\':
			if p.i+1 >= len(p.s) || (p.s[p.i+1] != '"' && p.s[p.i+1] != '\\') {
				return sfValue{}, false
			}
			escaped = true
			p.i += 2
			continue
		case c < 0x20 || c > 0x7e:
			return sfValue{}, false
		}
		p.i++
	}
	return sfValue{}, false // unterminated
}

// unescapeSF removes backslash escapes (the next byte is taken literally).
func unescapeSF(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// setParam records a known Cache-Status parameter. Values of the wrong type
// are ignored, as are unknown (extension) parameters.
func (m *csMember) setParam(key string, v sfValue) {
	switch key {
	case "hit":
		if v.kind == 'b' {
			m.Hit = v.flag
		}
	case "fwd":
		if v.kind == 't' || v.kind == 's' {
			m.Fwd = v.str
		}
	case "fwd-status":
		if v.kind == 'i' && v.num >= 0 && v.num <= 999 {
			m.FwdStatus = int(v.num)
		}
	case "ttl":
		if v.kind == 'i' {
			n := v.num
			m.TTL = &n
		}
	case "stored":
		if v.kind == 'b' {
			m.Stored = v.flag
		}
	case "collapsed":
		if v.kind == 'b' {
			m.Collapsed = v.flag
		}
	case "key":
		if v.kind == 's' || v.kind == 't' {
			m.Key = v.str
		}
	case "detail":
		if v.kind == 's' || v.kind == 't' {
			m.Detail = v.str
		}
	}
}

// parseCacheStatusLenient reads values that are not valid Structured
// Fields. Elements are split on commas outside quotes and parameters on
// semicolons; an element that is only parameters ("fwd=stale", "hit")
// continues the previous member, which is how Netlify's documented
// `"Netlify Edge"; hit, fwd=stale` is meant.
func parseCacheStatusLenient(s string) []csMember {
	var out []csMember
	from := 0 // where the last member's text starts in s
	for start := 0; start < len(s); {
		end := indexOutsideQuotes(s, start, ',')
		elemStart := start
		t := trimOWS(s[start:end])
		start = end + 1
		if t == "" {
			continue
		}
		first := t
		rest := ""
		if i := indexOutsideQuotes(t, 0, ';'); i < len(t) {
			first, rest = t[:i], t[i+1:]
		}
		first = trimOWS(first)
		if len(out) > 0 && isParamLike(first) {
			prev := &out[len(out)-1]
			prev.lenientParams(t)
			prev.raw = trimOWS(s[from:end])
			continue
		}
		m := csMember{raw: t}
		m.Cache = lenientString(first)
		m.lenientParams(rest)
		from = elemStart
		out = append(out, m)
	}
	return out
}

// isParamLike reports whether an unquoted element looks like a parameter
// rather than a cache name: key=value, or a bare boolean parameter name.
func isParamLike(s string) bool {
	if s == "" || s[0] == '"' {
		return false
	}
	if strings.IndexByte(s, '=') >= 0 {
		return true
	}
	switch strings.ToLower(s) {
	case "hit", "stored", "collapsed":
		return true
	}
	return false
}

// lenientParams reads "k=v; k; k=v" leniently into m.
func (m *csMember) lenientParams(s string) {
	for start := 0; start < len(s); {
		end := indexOutsideQuotes(s, start, ';')
		part := trimOWS(s[start:end])
		start = end + 1
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		k = strings.ToLower(trimOWS(k))
		if !hasValue {
			m.setParam(k, sfValue{kind: 'b', flag: true})
			continue
		}
		m.setParam(k, lenientValue(trimOWS(v)))
	}
}

// lenientValue types a parameter value the way a human would read it.
func lenientValue(v string) sfValue {
	switch {
	case v == "?1":
		return sfValue{kind: 'b', flag: true}
	case v == "?0":
		return sfValue{kind: 'b', flag: false}
	case v != "" && v[0] == '"':
		return sfValue{kind: 's', str: lenientString(v)}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return sfValue{kind: 'i', num: n}
	}
	return sfValue{kind: 't', str: v}
}

// lenientString unquotes a possibly quoted, possibly unterminated string.
func lenientString(s string) string {
	if s == "" || s[0] != '"' {
		return s
	}
	s = s[1:]
	end := len(s)
	escaped := false
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			escaped = true
			i++
			continue
		}
		if s[i] == '"' {
			end = i
			break
		}
	}
	if escaped {
		return unescapeSF(s[:end])
	}
	return s[:end]
}

// indexOutsideQuotes returns the index of the first sep at or after start
// that is not inside a double-quoted string, or len(s).
func indexOutsideQuotes(s string, start int, sep byte) int {
	inQuote := false
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			return i
		}
	}
	return len(s)
}

func sfIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func sfIsLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }

func sfIsAlpha(c byte) bool { return sfIsLCAlpha(c) || (c >= 'A' && c <= 'Z') }
