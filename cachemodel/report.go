package cachemodel

import "time"

// ReportSchema identifies the JSON report format; bump it on breaking
// changes. The format is documented in docs/report-format.md.
const ReportSchema = "corscope.report/v1"

// Report is the result of a run: what `check --format json` prints, what
// the TUI exports and what `corscope view` reads back.
type Report struct {
	Schema      string         `json:"schema"`
	Tool        string         `json:"tool"`
	GeneratedAt time.Time      `json:"generated_at"`
	Mode        string         `json:"mode"`
	Label       string         `json:"label,omitempty"` // vantage point of the run (--label, CORSCOPE_LABEL); "" for none
	Targets     []TargetReport `json:"targets"`
	Summary     Summary        `json:"summary"`
}

// Summary counts what a run produced.
type Summary struct {
	Targets  int              `json:"targets"`
	Requests int              `json:"requests"`
	Failed   int              `json:"failed"`
	Findings map[Severity]int `json:"findings"`
	// States counts the targets per state (every state is present).
	States map[TargetState]int `json:"states"`
}

// TargetReport is everything known about one URL.
type TargetReport struct {
	URL string `json:"url"`
	// State says whether the target has a verdict at all (see
	// TargetState); StateDetail explains any state but ok.
	State       TargetState `json:"state"`
	StateDetail string      `json:"state_detail,omitempty"`
	Provider    Provider    `json:"provider"`
	// ProviderEvidence says which headers decided Provider (or, when it is
	// unknown, which products' headers conflicted): "<provider>: <what>".
	ProviderEvidence []string        `json:"provider_evidence,omitempty"`
	Variants         []VariantResult `json:"variants"`
	Diffs            []HeaderDiff    `json:"diffs"`
	Findings         []Finding       `json:"findings"`
	CacheKey         *CacheKeyFacts  `json:"cache_key,omitempty"`
	// HAR is what the browser recorded for this URL (check --har).
	HAR *HARCapture `json:"har,omitempty"`
	// Edges are the edge addresses the variants were sent through
	// (--edge), in order; absent when the URL's host was used.
	Edges []string `json:"edges,omitempty"`
}

// CacheKeyFacts is what isolate-mode experiments inferred about the cache
// key; nil fields mean unknown.
type CacheKeyFacts struct {
	OriginInKey  *bool    `json:"origin_in_key"`
	VaryHonoured *bool    `json:"vary_honoured"`
	Cacheable    *bool    `json:"cacheable"`
	Evidence     []string `json:"evidence,omitempty"`
}

// VariantResult is one request and the verdicts drawn from its response.
// Edge is the CDN edge (PoP) that served it, as the provider's headers name
// it (EdgeOf); EdgeAddr the address it was sent to (--edge; "" for the
// URL's host); Vantage, in a merged view only, the label of the report it
// came from.
type VariantResult struct {
	Label       string      `json:"label"`
	Kind        VariantKind `json:"kind"`
	Edge        string      `json:"edge,omitempty"`
	EdgeAddr    string      `json:"edge_addr,omitempty"`
	Vantage     string      `json:"vantage,omitempty"`
	Origin      *string     `json:"origin"` // null: no Origin header sent
	Round       int         `json:"round"`
	Method      string      `json:"method"`
	Preflight   bool        `json:"preflight"`
	Experiment  string      `json:"experiment,omitempty"`
	CacheBuster string      `json:"cache_buster,omitempty"`
	Request     RequestInfo `json:"request"`
	// Response is null when the request failed; Error says why.
	Response *ResponseInfo `json:"response"`
	Error    *ProbeError   `json:"error"`
	Timing   TimingInfo    `json:"timing"`
	Cache    CacheInfo     `json:"cache"`
	CORS     CORSInfo      `json:"cors"`
	Curl     string        `json:"curl"`
	// BrowserConfirm is what a real browser did when it fetched the
	// target from a page at this variant's origin (check --confirm-in);
	// null when no browser was asked.
	BrowserConfirm *BrowserConfirm `json:"browser_confirm,omitempty"`
}

// RequestInfo is the request exactly as sent.
type RequestInfo struct {
	URL     string  `json:"url"`
	Headers Headers `json:"headers"`
}

// ResponseInfo is the response exactly as received (headers in order,
// original case, duplicates kept).
type ResponseInfo struct {
	Status        int     `json:"status"`
	Proto         string  `json:"proto"`
	Headers       Headers `json:"headers"`
	RemoteAddr    string  `json:"remote_addr"`
	BodyBytes     int64   `json:"body_bytes"`
	BodyTruncated bool    `json:"body_truncated"`
	// BodyError: reading the body failed after the headers arrived.
	BodyError *ProbeError `json:"body_error,omitempty"`
	// Redirects followed, in order (the last is this response's URL).
	Redirects []string `json:"redirects,omitempty"`
	// Hops are the followed 3xx answers, with what was sent to get each
	// and the CORS check a browser runs on it.
	Hops []HopInfo `json:"hops,omitempty"`
	// Sent is what the request for this response carried, when redirects
	// were followed (Request is the first hop's).
	Sent *SentInfo `json:"sent,omitempty"`
}

// SentInfo is what one request of a redirect chain carried where it may
// differ from the step's own request.
type SentInfo struct {
	URL string `json:"url"`
	// Origin sent (null: none); "null" after a cross-origin redirect.
	Origin *string `json:"origin"`
	// DroppedHeaders were not sent: credentials, after the chain changed
	// origin.
	DroppedHeaders []string `json:"dropped_headers,omitempty"`
}

// HopInfo is one followed redirect.
type HopInfo struct {
	Request SentInfo `json:"request"`
	Status  int      `json:"status"`
	Headers Headers  `json:"headers"`
	// CORS is the browser's CORS check of this 3xx answer; null when none
	// runs (no Origin, or still on the request's own origin).
	CORS *HopCORS `json:"cors"`
}

// HopCORS is the CORS check of one redirect answer.
type HopCORS struct {
	Allowed                bool   `json:"allowed"`
	AllowedWithCredentials bool   `json:"allowed_with_credentials"`
	Reason                 string `json:"reason,omitempty"`
	ReasonWithCredentials  string `json:"reason_with_credentials,omitempty"`
}

// TimingInfo is in milliseconds.
type TimingInfo struct {
	ConnectMS float64 `json:"connect_ms"`
	TTFBMS    float64 `json:"ttfb_ms"`
	TotalMS   float64 `json:"total_ms"`
}

// CacheInfo is the normalised cache status and where it came from.
type CacheInfo struct {
	Status CacheStatus `json:"status"`
	Source string      `json:"source"`
	Raw    string      `json:"raw,omitempty"`
	Weak   bool        `json:"weak,omitempty"`
	Age    *int64      `json:"age"`
}

// CORSInfo is the browser's view of the response.
type CORSInfo struct {
	// Applicable is false when the browser runs no CORS check for this
	// request: no Origin was sent, or it is the target's own origin.
	Applicable bool     `json:"applicable"`
	ACAO       *string  `json:"acao"` // combined value; null when absent
	ACAOCount  int      `json:"acao_count"`
	ACAC       *string  `json:"acac"`
	Vary       []string `json:"vary"`
	// Allowed is the verdict for an anonymous request (fetch's default
	// credentials mode); AllowedWithCredentials for credentials: "include".
	// Both are null when the request failed or the check does not apply.
	Allowed                *bool  `json:"allowed"`
	AllowedWithCredentials *bool  `json:"allowed_with_credentials"`
	Reason                 string `json:"reason"`
	ReasonWithCredentials  string `json:"reason_with_credentials"`
	Detail                 string `json:"detail,omitempty"`
	// Standard is set only where the measured browsers decide differently
	// from the Fetch standard today (see Deviation): the verdicts above are
	// what those browsers do now, Standard what Fetch says and what they will
	// do once their switches flip. Null otherwise.
	Standard *StandardVerdict `json:"standard,omitempty"`
}

// StandardVerdict is the Fetch standard's verdict on a response where it
// differs from what today's browsers do, and the browsers measured.
type StandardVerdict struct {
	Deviation              Deviation `json:"deviation"`
	Allowed                bool      `json:"allowed"`
	AllowedWithCredentials bool      `json:"allowed_with_credentials"`
	Reason                 string    `json:"reason"`
	ReasonWithCredentials  string    `json:"reason_with_credentials"`
	Detail                 string    `json:"detail"`
	Browsers               []string  `json:"browsers"`
}

// Add counts one target into the summary.
func (s *Summary) Add(t TargetReport) {
	s.Targets++
	for _, v := range t.Variants {
		s.Requests++
		if v.Error != nil {
			s.Failed++
		}
	}
	if s.Findings == nil {
		s.Findings = map[Severity]int{}
	}
	if s.States == nil {
		s.States = map[TargetState]int{}
		for _, st := range TargetStates {
			s.States[st] = 0
		}
	}
	state := t.State
	if state == "" { // a report written before states existed
		state, _ = ComputeState(t.Variants)
	}
	s.States[state]++
	for _, f := range t.Findings {
		s.Findings[f.Severity]++
	}
}

// AtOrAbove counts findings at or above the given severity.
func (s Summary) AtOrAbove(min Severity) int {
	n := 0
	for sev, c := range s.Findings {
		if sev.Rank() >= min.Rank() {
			n += c
		}
	}
	return n
}

// Unknown counts the targets without a complete verdict (failed, partial,
// non-2xx or canceled).
func (s Summary) Unknown() int {
	n := 0
	for st, c := range s.States {
		if st.Unknown() {
			n += c
		}
	}
	return n
}
