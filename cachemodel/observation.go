package cachemodel

import "time"

// Step is one request of a target's plan. Steps of one target run strictly in
// order (the order is the experiment: MISS first, then HIT); targets run in
// parallel.
type Step struct {
	Variant Variant
	Round   int    // 1-based repetition of the variant set
	Method  string // GET, or OPTIONS for a preflight
	// URL is the exact URL requested (with the cache-busting parameter in
	// isolate mode).
	URL string
	// Headers are the complete request headers to send, in order, Origin
	// included. The probe adds nothing but Host.
	Headers   Headers
	Preflight bool
	// Experiment names the isolate-mode experiment this step belongs to
	// ("" in observe mode); CacheKey is the busting value shared by the steps
	// of one experiment.
	Experiment string
	CacheKey   string
	// Edge is the address this step is sent to instead of the URL's host
	// (--edge): an IP address, keeping the URL's port, or IP:port. Host
	// and SNI stay the URL's. "" sends it where the URL's host resolves.
	Edge string
	// After lists the steps (indexes into the plan's Steps, each lower than
	// this step's own) whose responses must be in before this step is
	// sent. It is read only in a plan with Scheduled set.
	After []int
}

// TargetPlan is everything corscope will send for one URL.
type TargetPlan struct {
	Index int    // position in the run, stable across streaming
	URL   string // the URL as the user gave it (normalised)
	Steps []Step
	// Scheduled: each step waits only for its After steps, so steps with
	// no order between them (different cache keys) may be in flight at
	// once. Unset, the steps run strictly in order, each after the one
	// before: the order is the experiment.
	Scheduled bool
}

// ErrorKind classifies why a request produced no usable response.
type ErrorKind string

// Error kinds. The UI and exit codes switch on these, never on messages.
const (
	ErrDNS      ErrorKind = "dns"
	ErrConnect  ErrorKind = "connect"
	ErrTimeout  ErrorKind = "timeout"
	ErrTLS      ErrorKind = "tls"
	ErrProtocol ErrorKind = "protocol"
	ErrTooLarge ErrorKind = "too-large"
	ErrCanceled ErrorKind = "canceled"
	ErrOther    ErrorKind = "other"
)

// ProbeError is a classified request failure: data, not a crash.
type ProbeError struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
}

func (e *ProbeError) Error() string { return string(e.Kind) + ": " + e.Message }

// Response is what came back, copied out of the HTTP client.
type Response struct {
	Status     int
	Proto      string  // e.g. "HTTP/1.1"
	Headers    Headers // exactly as received: order, case, duplicates
	RemoteAddr string
	// BodyBytes is how much of the body was read; BodyTruncated is true when
	// the probe stopped before the body's end and dropped the connection:
	// at its body limit, or because reading failed (then BodyErr says why).
	BodyBytes     int64
	BodyTruncated bool
	// BodyHash is the SHA-256 of the body bytes read (hex), "" when no body
	// was read. It tells two fetches of one URL apart when their headers
	// do not (purge verification); reports do not carry it.
	BodyHash string
	// BodyErr is a failure while reading the body after the headers arrived
	// (timeout, reset, broken chunked framing, early close). The response
	// still counts: its headers are complete. nil when the body was read to
	// its end or to the limit.
	BodyErr *ProbeError
	// Redirects lists the URLs redirected to, in order, when redirects were
	// followed; the last one is where this response came from. Empty when
	// no redirect was followed.
	Redirects []string
	// Hops are the followed 3xx answers, in order, with what was sent to
	// get each (Hops[0] answered the step's own request). Browsers run
	// the CORS check on every one of them. Empty when no redirect was
	// followed.
	Hops []RedirectHop
	// Final is what was sent for this response when redirects were
	// followed: after a cross-origin redirect browsers send Origin: null,
	// and credentials are not sent to another origin. nil otherwise.
	Final *SentRequest
}

// SentRequest is what one request of a redirect chain carried where it
// differs from the step's own request.
type SentRequest struct {
	URL string
	// Origin is the Origin header sent; nil when none was.
	Origin *string
	// Dropped names the step's headers that were not sent (credentials,
	// after a redirect changed origin).
	Dropped []string
}

// RedirectHop is one followed redirect: the request and the 3xx answer's
// status and headers.
type RedirectHop struct {
	Request SentRequest
	Status  int
	Headers Headers
}

// Timing of one request. Connect is zero when a kept-alive connection was
// reused.
type Timing struct {
	Connect time.Duration
	TTFB    time.Duration // from sending the request to the first response byte
	Total   time.Duration
}

// Observation is the outcome of one Step. Exactly one of Response and Err is
// set.
type Observation struct {
	Target   int // TargetPlan.Index
	Step     int // index into TargetPlan.Steps
	Start    time.Time
	Response *Response
	Err      *ProbeError
	Timing   Timing
}
