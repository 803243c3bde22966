// Package settings holds the rules for corscope's probe settings once: the
// limits, one parser per grammar (sizes, headers, resolve entries, edges,
// proxies) and one Validate. The flags (cmd/corscope) and the
// configuration file (config) both fill a Probe and call Validate; each
// maps an Error's Name to where the value came from (--flag-name, or the
// key with its file:line:col), so a bad value gets the same rule and the
// same words whichever way it was given.
//
// The package is pure Go: no TOML, flags, network or terminal code.
package settings

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/suggest"
)

// Limits on numeric settings: generous, but low enough that a typo (an
// extra zero) is caught instead of flooding a CDN.
const (
	// MaxConcurrency bounds the targets in flight and the requests in
	// flight to one host. Each is at least one open connection: past about
	// 1024 (the usual soft limit on open files) connections fail with "too
	// many open files" and would be reported as failed requests.
	MaxConcurrency = 1024
	// MaxRounds bounds --rounds: each round repeats every variant (the
	// interactive view shows one column per round), and a cache shows
	// MISS then HIT within two.
	MaxRounds = 20
	// MaxRedirects bounds --follow, as browsers do (Chrome and Firefox stop
	// at 20).
	MaxRedirects = 20
	// MaxBodyLimit bounds --body-limit.
	MaxBodyLimit = 1 << 30
	// MinMaxHeaderBytes and MaxMaxHeaderBytes bound --max-header-bytes.
	MinMaxHeaderBytes = 4 << 10
	MaxMaxHeaderBytes = 64 << 20
	// MaxEdges bounds the edge addresses of one run (each repeats every
	// target's whole plan).
	MaxEdges = 16
	// MaxBusterLen bounds the cache-buster parameter name.
	MaxBusterLen = 64
)

// Modes of check and the interactive view.
const (
	ModeIsolate = "isolate"
	ModeObserve = "observe"
)

// Name names a setting. The names are the keys of the configuration
// file's [probe] table; the command line maps them to its flags.
type Name string

// The settings Validate checks.
const (
	Timeout         Name = "timeout"
	Concurrency     Name = "concurrency"
	HostConcurrency Name = "host_concurrency"
	Rate            Name = "rate"
	Rounds          Name = "rounds"
	BodyLimit       Name = "body_limit"
	MaxHeaderBytes  Name = "max_header_bytes"
	UserAgent       Name = "user_agent"
	Headers         Name = "headers"
	Proxy           Name = "proxy"
	Resolve         Name = "resolve"
	Edges           Name = "edges"
	FollowRedirects Name = "follow_redirects"
	Mode            Name = "mode"
	CacheBuster     Name = "cache_buster"
	Method          Name = "method"
	RequestMethod   Name = "request_method"
	RequestHeaders  Name = "request_headers"
)

// Error is one setting's problem. Msg never names the setting (the caller
// says where it came from) and never holds a header's value (it may be a
// credential).
type Error struct {
	Name  Name
	Index int // the entry of a list setting; -1 for the setting as a whole
	Msg   string
}

func (e *Error) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("%s[%d]: %s", e.Name, e.Index, e.Msg)
	}
	return string(e.Name) + ": " + e.Msg
}

// Probe is the probe settings as given: numbers and durations parsed, lists
// as written. Method and MaxHeaderBytes have no key in the configuration
// file, which leaves them at their defaults.
type Probe struct {
	Timeout         time.Duration
	Concurrency     int
	HostConcurrency int
	Rate            float64
	Rounds          int
	BodyLimit       int64
	MaxHeaderBytes  int64
	UserAgent       string
	Headers         []string // "Name: value"
	Proxy           string   // "" for none
	Resolve         []string // HOST:PORT:ADDRESS
	Edges           []string // IP or IP:port
	FollowRedirects int
	Mode            string
	CacheBuster     string
	Method          string
	RequestMethod   string
	RequestHeaders  []string
}

// Defaults are the values of every setting nobody sets: flags and the
// configuration file start from them.
func Defaults() Probe {
	return Probe{
		Timeout:         10 * time.Second,
		Concurrency:     16,
		HostConcurrency: 8,
		Rounds:          2,
		BodyLimit:       64 << 10,
		MaxHeaderBytes:  256 << 10,
		Mode:            ModeIsolate,
		CacheBuster:     cachemodel.DefaultBusterParam,
		Method:          "GET",
		RequestMethod:   "GET",
	}
}

// Valid is what Validate makes of the lists: parsed and normalised.
type Valid struct {
	Headers        cachemodel.Headers
	Resolve        []Pin    // in the order given
	Edges          []string // normalised (ParseEdge), repeats dropped
	RequestHeaders []string // lower case, repeats dropped
}

// Validate checks every setting and returns every problem, in the order
// of the fields of Probe.
func (p Probe) Validate() (Valid, []*Error) {
	var v Valid
	var errs []*Error
	fail := func(name Name, i int, format string, args ...any) {
		errs = append(errs, &Error{Name: name, Index: i, Msg: fmt.Sprintf(format, args...)})
	}
	if msg := PositiveDuration(p.Timeout); msg != "" {
		fail(Timeout, -1, "%s", msg)
	}
	if msg := IntRange(p.Concurrency, 1, MaxConcurrency); msg != "" {
		fail(Concurrency, -1, "%s", msg)
	}
	if msg := IntRange(p.HostConcurrency, 1, MaxConcurrency); msg != "" {
		fail(HostConcurrency, -1, "%s", msg)
	}
	if err := CheckRate(p.Rate); err != nil {
		fail(Rate, -1, "%v", err)
	}
	if msg := IntRange(p.Rounds, 1, MaxRounds); msg != "" {
		fail(Rounds, -1, "%s", msg)
	}
	if msg := sizeRange(p.BodyLimit, 1, MaxBodyLimit); msg != "" {
		fail(BodyLimit, -1, "%s", msg)
	}
	if msg := sizeRange(p.MaxHeaderBytes, MinMaxHeaderBytes, MaxMaxHeaderBytes); msg != "" {
		fail(MaxHeaderBytes, -1, "%s", msg)
	}
	if HasControl(p.UserAgent) {
		// A line break would fail every request; other controls would be
		// sent to the server and echoed into reports.
		fail(UserAgent, -1, "%q has control characters", p.UserAgent)
	}
	for i, line := range p.Headers {
		h, err := ParseHeader(line)
		if err != nil {
			fail(Headers, i, "%v", err)
			continue
		}
		v.Headers = append(v.Headers, h)
	}
	if p.Proxy != "" {
		if _, err := ParseProxy(p.Proxy); err != nil {
			fail(Proxy, -1, "%v", err)
		}
	}
	for i, s := range p.Resolve {
		pin, err := ParseResolve(s)
		if err != nil {
			fail(Resolve, i, "%v", err)
			continue
		}
		v.Resolve = append(v.Resolve, pin)
	}
	for i, s := range p.Edges {
		e, err := ParseEdge(s)
		if err != nil {
			fail(Edges, i, "%v", err)
			continue
		}
		if !slices.Contains(v.Edges, e) {
			v.Edges = append(v.Edges, e)
		}
	}
	switch {
	case len(v.Edges) > MaxEdges:
		fail(Edges, -1, "%d edges; at most %d", len(v.Edges), MaxEdges)
	case len(p.Edges) > 0 && p.Proxy != "":
		fail(Edges, -1, "edges cannot be used with a proxy: the proxy picks the address")
	}
	if msg := IntRange(p.FollowRedirects, 0, MaxRedirects); msg != "" {
		fail(FollowRedirects, -1, "%s", msg)
	}
	if msg := OneOf(p.Mode, []string{ModeIsolate, ModeObserve}); msg != "" {
		fail(Mode, -1, "%s", msg)
	}
	if !ValidBusterParam(p.CacheBuster) {
		fail(CacheBuster, -1, "%q is not a query parameter name: want 1 to %d letters, digits or - _ . ~", p.CacheBuster, MaxBusterLen)
	}
	if !IsToken(p.Method) {
		fail(Method, -1, "%q is not an HTTP method; want a method name like GET", p.Method)
	}
	if !IsToken(p.RequestMethod) {
		fail(RequestMethod, -1, "%q is not an HTTP method; want a method name like GET", p.RequestMethod)
	}
	for i, h := range p.RequestHeaders {
		h = strings.TrimSpace(h)
		if !IsToken(h) {
			fail(RequestHeaders, i, "%q is not a header name", h)
			continue
		}
		if lower := strings.ToLower(h); !slices.Contains(v.RequestHeaders, lower) {
			v.RequestHeaders = append(v.RequestHeaders, lower)
		}
	}
	return v, errs
}

// WantDuration ends every complaint about a duration.
const WantDuration = `want a duration like "10s"`

// ParseDuration reads a duration as Go writes it ("10s", "1m30s").
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; %s", s, WantDuration)
	}
	return d, nil
}

// CheckRate is the rule for a rate in requests per second: a finite number,
// 0 (unlimited) or more.
func CheckRate(r float64) error {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return fmt.Errorf("%v is not a number of requests per second", r)
	case r < 0:
		return fmt.Errorf("%v is negative; 0 means unlimited", r)
	}
	return nil
}

// PositiveDuration says what is wrong with a duration that must be more
// than zero (timeouts, waits), or "".
func PositiveDuration(d time.Duration) string {
	switch {
	case d < 0:
		return fmt.Sprintf("%s is negative; %s", d, WantDuration)
	case d == 0:
		return fmt.Sprintf("%s is zero; %s", d, WantDuration)
	}
	return ""
}

// IntRange says what is wrong with n outside lo..hi, or "".
func IntRange(n, lo, hi int) string {
	switch {
	case n < lo && lo == 0:
		return fmt.Sprintf("%d is negative", n)
	case n < lo:
		return fmt.Sprintf("%d is less than %d", n, lo)
	case n > hi:
		return fmt.Sprintf("%d is more than %d", n, hi)
	}
	return ""
}

func sizeRange(n, lo, hi int64) string {
	switch {
	case n < lo:
		return fmt.Sprintf("%s is less than %s", FormatSize(n), FormatSize(lo))
	case n > hi:
		return fmt.Sprintf("%s is more than %s", FormatSize(n), FormatSize(hi))
	}
	return ""
}

// OneOf says what is wrong with value when it is not one of allowed (with
// the closest one when it looks like a typo), or "".
func OneOf(value string, allowed []string) string {
	if slices.Contains(allowed, value) {
		return ""
	}
	msg := fmt.Sprintf("%q is not one of %s", value, strings.Join(allowed, ", "))
	if s := suggest.Closest(value, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

// FailOnLevels are the accepted values of --fail-on and policy.fail_on,
// most verbose first; "none" never fails.
var FailOnLevels = []string{"info", "low", "medium", "high", "none"}

// ParseAllowed reads an origin a policy allows: an origin (normalised as
// browsers serialise it), "null", or "*" for every origin.
func ParseAllowed(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	return cachemodel.ParseOrigin(s)
}

// ValidBusterParam: the cache-buster parameter must need no escaping, so
// the URL shown and the URL sent are the same, and stay short.
func ValidBusterParam(s string) bool {
	if s == "" || len(s) > MaxBusterLen {
		return false
	}
	for _, c := range []byte(s) {
		ok := c == '-' || c == '_' || c == '.' || c == '~' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
