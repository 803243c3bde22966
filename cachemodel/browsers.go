package cachemodel

import "strings"

// MeasuredBrowsers are the browser releases corscope's verdicts were last
// checked against by the differential suite (internal/browsertest), which
// runs every CORS case of its table in these browsers and compares them
// with this package. `corscope version` and the README print them.
var MeasuredBrowsers = []string{"Chromium 156.0.8078.129", "Firefox ESR 153.8.0esr"}

// Deviation names a rule where the measured browsers decide differently
// from the Fetch standard today.
type Deviation string

// Known deviations.
const (
	// DeviationAuthorizationWildcard: Fetch says Access-Control-Allow-Headers
	// "*" never covers Authorization; Chromium and Firefox still let it
	// through for requests without credentials, with a console deprecation
	// warning. Chromium's rule is behind the default-off feature
	// CorsNonWildcardRequestHeadersSupport, Firefox's behind the pref
	// network.cors_preflight.authorization_covered_by_wildcard (default
	// true); when those flip, both block as the standard does.
	DeviationAuthorizationWildcard Deviation = "authorization-under-wildcard"
)

// BrowserCheck is a verdict as today's browsers reach it and, when that
// differs, as the Fetch standard does.
type BrowserCheck struct {
	// Now is what the measured browsers do today: the verdict to show first.
	Now CORSCheck
	// Standard is the Fetch standard's verdict, which the browsers will
	// follow once their switches flip. It equals Now unless Deviation is set.
	Standard  CORSCheck
	Deviation Deviation
}

// Differs reports whether today's browsers and the standard disagree.
func (b BrowserCheck) Differs() bool { return b.Deviation != "" }

// CheckPreflightBrowsers is CheckPreflight (the standard) plus the verdict
// of today's browsers where they knowingly deviate from it. The only such
// case measured is Authorization covered by Access-Control-Allow-Headers
// "*" in a request without credentials: browsers allow it (with a
// deprecation warning) when everything else in the preflight passes.
func CheckPreflightBrowsers(req PreflightRequest, status int, h Headers) BrowserCheck {
	std := CheckPreflight(req, status, h)
	out := BrowserCheck{Now: std, Standard: std}
	if std.Allowed || std.Reason != ReasonHeaderDenied || req.Mode != Anonymous {
		return out
	}
	names, _ := ParseFieldList(h.Values(hdrACAH))
	if !listedIn(names, "*") {
		return out
	}
	var rest []string
	auth := false
	for _, n := range req.Headers {
		if strings.EqualFold(strings.Trim(n, " \t"), "authorization") {
			auth = true
			continue
		}
		rest = append(rest, n)
	}
	if !auth {
		return out
	}
	relaxed := req
	relaxed.Headers = rest
	if now := CheckPreflight(relaxed, status, h); now.Allowed {
		now.Detail = `Authorization is covered only by ACAH "*": today's browsers allow it with a deprecation warning; the Fetch standard blocks it`
		out.Now, out.Deviation = now, DeviationAuthorizationWildcard
	}
	return out
}
