package cachemodel

import "strings"

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
	t := trimOWS(v)
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
	if hasUpperASCII(scheme) || hasUpperASCII(authority) {
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
	n, ok := parseDeltaSeconds(trimOWS(vals[0]))
	if !ok {
		return 0, true, false
	}
	return n, true, true
}
