package cachemodel

import (
	"strconv"
	"strings"
)

// Response header names the CORS parsers and the CORS check read (looked up
// case-insensitively, as browsers do).
const (
	hdrACAO = "Access-Control-Allow-Origin"
	hdrACAC = "Access-Control-Allow-Credentials"
	hdrACAM = "Access-Control-Allow-Methods"
	hdrACAH = "Access-Control-Allow-Headers"
	hdrACEH = "Access-Control-Expose-Headers"
	hdrACMA = "Access-Control-Max-Age"
	hdrVary = "Vary"
	hdrAge  = "Age"
)

// Problem phrases for ACAO and ACAC values. They are shown to users as-is.
const (
	ProblemDuplicate      = "duplicate header"
	ProblemList           = "list of origins"
	ProblemTrailingSlash  = "trailing slash"
	ProblemPath           = "path in origin"
	ProblemPattern        = "pattern"
	ProblemUpperCase      = "upper-case scheme or host"
	ProblemEmpty          = "empty value"
	ProblemWhitespace     = "surrounding whitespace"
	ProblemNotAnOrigin    = "not an origin"
	ProblemDefaultPort    = "default port" // https://a.example:443 never equals a serialized origin
	ProblemNotExactlyTrue = "not exactly true"
)

// AllowOrigin is the Access-Control-Allow-Origin header as a browser sees it.
type AllowOrigin struct {
	Present bool
	Lines   []string // every ACAO line, in order, untouched
	// Combined is what the Fetch "get" algorithm hands the CORS check: all
	// lines joined with ", ". Two lines can therefore never match an origin.
	Combined string
	Wildcard bool // exactly one line, byte-equal to "*"
	Null     bool // exactly one line, byte-equal to "null"
	// Problems are short phrases (the Problem* constants) for values no
	// browser can accept or that are only accepted by accident, in the order
	// first seen, without repeats.
	Problems []string
}

// ParseAllowOrigin reads Access-Control-Allow-Origin. Values are compared
// byte for byte, as Fetch does, so "surrounding whitespace" is reported even
// though most HTTP stacks strip it before a browser looks.
func ParseAllowOrigin(h Headers) AllowOrigin {
	var a AllowOrigin
	a.Lines = h.Values(hdrACAO)
	if len(a.Lines) == 0 {
		return a
	}
	a.Present = true
	if len(a.Lines) == 1 {
		a.Combined = a.Lines[0]
		a.Wildcard = a.Combined == "*"
		a.Null = a.Combined == "null"
	} else {
		a.Combined = strings.Join(a.Lines, ", ")
		a.Problems = addProblem(a.Problems, ProblemDuplicate)
	}
	for _, v := range a.Lines {
		a.Problems = originValueProblems(a.Problems, v)
	}
	return a
}

// originValueProblems appends what is wrong with one ACAO line. A valid
// line is "*", "null" or a serialized origin: lower-case scheme "://" host
// [":" port], nothing after it.
func originValueProblems(ps []string, v string) []string {
	t := hvTrim(v)
	if t == "" {
		return addProblem(ps, ProblemEmpty)
	}
	if t != v {
		ps = addProblem(ps, ProblemWhitespace)
	}
	if t == "*" || t == "null" {
		return ps
	}
	if !strings.ContainsAny(t, ", \t") {
		return singleOriginProblems(ps, t)
	}
	// Several origins in one value: report the list, then each element.
	ps = addProblem(ps, ProblemList)
	for _, part := range strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if part != "*" && part != "null" {
			ps = singleOriginProblems(ps, part)
		}
	}
	return ps
}

// singleOriginProblems checks one non-empty element that should be a
// serialized origin.
func singleOriginProblems(ps []string, t string) []string {
	// "*" anywhere but alone, or regex syntax: someone configured a pattern
	// and the server echoed the pattern instead of the matched origin.
	if strings.ContainsAny(t, "*^$\\()[]{}|?") {
		ps = addProblem(ps, ProblemPattern)
	}
	scheme, rest, ok := strings.Cut(t, "://")
	if !ok || scheme == "" || rest == "" {
		return addProblem(ps, ProblemNotAnOrigin)
	}
	authority := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority = rest[:i]
		if i == len(rest)-1 {
			ps = addProblem(ps, ProblemTrailingSlash)
		} else {
			ps = addProblem(ps, ProblemPath)
		}
	}
	if hvHasUpper(scheme) || hvHasUpper(authority) {
		ps = addProblem(ps, ProblemUpperCase)
	}
	if (strings.EqualFold(scheme, "https") && strings.HasSuffix(authority, ":443")) ||
		(strings.EqualFold(scheme, "http") && strings.HasSuffix(authority, ":80")) {
		ps = addProblem(ps, ProblemDefaultPort)
	}
	return ps
}

// addProblem appends p unless it is already listed.
func addProblem(ps []string, p string) []string {
	for _, q := range ps {
		if q == p {
			return ps
		}
	}
	return append(ps, p)
}

// AllowCredentials is the Access-Control-Allow-Credentials header.
type AllowCredentials struct {
	Present bool
	Lines   []string
	// True is set only for exactly one line that is byte-exactly "true":
	// Fetch compares the combined value, so "True", " true" or two "true"
	// lines all fail a credentialed request.
	True     bool
	Problems []string
}

// ParseAllowCredentials reads Access-Control-Allow-Credentials.
func ParseAllowCredentials(h Headers) AllowCredentials {
	var c AllowCredentials
	c.Lines = h.Values(hdrACAC)
	if len(c.Lines) == 0 {
		return c
	}
	c.Present = true
	if len(c.Lines) > 1 {
		c.Problems = addProblem(c.Problems, ProblemDuplicate)
	}
	for _, v := range c.Lines {
		if v != "true" {
			c.Problems = addProblem(c.Problems, ProblemNotExactlyTrue)
		}
	}
	c.True = len(c.Lines) == 1 && c.Lines[0] == "true"
	return c
}

// ParseMaxAge reads Access-Control-Max-Age. valid is true only for exactly
// one value of delta-seconds (digits, optional surrounding white space);
// browsers use their 5 s default otherwise. Huge values saturate at 2^31
// as RFC 9111 §1.2.2 allows.
func ParseMaxAge(h Headers) (seconds int64, present, valid bool) {
	vals := h.Values(hdrACMA)
	if len(vals) == 0 {
		return 0, false, false
	}
	if len(vals) != 1 {
		return 0, true, false
	}
	n, ok := hvDeltaSeconds(hvTrim(vals[0]))
	if !ok {
		return 0, true, false
	}
	return n, true, true
}

// Vary is the response's Vary header: the request headers a cache must
// match before reusing the response.
type Vary struct {
	Present bool
	Fields  []string // every element, all lines, in order, case kept
	Star    bool     // "Vary: *": the response can never be reused
}

// ParseVary reads all Vary lines.
func ParseVary(h Headers) Vary {
	var v Vary
	// Line by line rather than through Values and ParseFieldList: this runs
	// several times per response, and the fields slice is then the only
	// allocation.
	for _, f := range h {
		if !strings.EqualFold(f.Name, hdrVary) {
			continue
		}
		v.Present = true
		v.Fields = appendFieldList(v.Fields, f.Value)
	}
	for _, f := range v.Fields {
		if f == "*" {
			v.Star = true
			break
		}
	}
	return v
}

// Has reports whether the Vary list names the header (case-insensitive).
// "*" does not count as naming any header; check Star for that.
func (v Vary) Has(name string) bool {
	for _, f := range v.Fields {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

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
		if n, ok := hvDeltaSeconds(hvTrim(elem)); ok {
			return n, true
		}
	}
	return 0, false
}

// maxDeltaSeconds is the value RFC 9111 §1.2.2 says to use for any
// delta-seconds too large to represent.
const maxDeltaSeconds = 1 << 31

// hvDeltaSeconds parses delta-seconds: one or more ASCII digits, nothing
// else. Values above 2^31 saturate.
func hvDeltaSeconds(s string) (int64, bool) {
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

// hvTrim strips HTTP optional white space (SP and HTAB) from both ends.
func hvTrim(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

func hvHasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// hvHasPrefixFold is strings.HasPrefix ignoring ASCII case.
func hvHasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// hvContainsFold reports whether sub occurs in s, ignoring ASCII case,
// without allocating a lower-cased copy.
func hvContainsFold(s, sub string) bool {
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

// hvNameIs compares a header name case-insensitively, cheaply rejecting
// names of a different length first.
func hvNameIs(name, want string) bool {
	return len(name) == len(want) && strings.EqualFold(name, want)
}

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
		t := hvTrim(s[start:end])
		start = end + 1
		if t == "" {
			continue
		}
		first := t
		rest := ""
		if i := indexOutsideQuotes(t, 0, ';'); i < len(t) {
			first, rest = t[:i], t[i+1:]
		}
		first = hvTrim(first)
		if len(out) > 0 && isParamLike(first) {
			prev := &out[len(out)-1]
			prev.lenientParams(t)
			prev.raw = hvTrim(s[from:end])
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
		part := hvTrim(s[start:end])
		start = end + 1
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		k = strings.ToLower(hvTrim(k))
		if !hasValue {
			m.setParam(k, sfValue{kind: 'b', flag: true})
			continue
		}
		m.setParam(k, lenientValue(hvTrim(v)))
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

func sfIsDigit(c byte) bool   { return c >= '0' && c <= '9' }
func sfIsLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func sfIsAlpha(c byte) bool   { return sfIsLCAlpha(c) || (c >= 'A' && c <= 'Z') }
