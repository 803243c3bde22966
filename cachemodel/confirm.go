package cachemodel

import (
	"fmt"
	"strconv"
	"strings"
)

// RuleBrowserDisagrees: a real browser (check --confirm-in) decided
// differently from corscope's verdict for the same origin and URL.
const RuleBrowserDisagrees = "browser-disagrees"

// Outcomes of one browser fetch.
const (
	// BrowserAllowed: fetch() resolved; the page could read the response.
	BrowserAllowed = "allowed"
	// BrowserBlocked: fetch() rejected while the URL was reachable (the
	// browser's CORS check failed).
	BrowserBlocked = "blocked"
	// BrowserFailed: fetch() rejected and the URL was not reachable even
	// without CORS: a network error, not a CORS answer.
	BrowserFailed = "failed"
	// BrowserUnknown: no answer (timed out, the browser did not report).
	BrowserUnknown = "unknown"
)

// BrowserConfirm is one browser's own answer for a variant: the target
// fetch()ed from a page served as the variant's origin, once per
// credentials mode.
type BrowserConfirm struct {
	Browser string `json:"browser"` // "chromium" or "firefox"
	Version string `json:"version"`
	// URL is what the browser fetched: the target itself, never a
	// cache-busted copy.
	URL         string       `json:"url"`
	Origin      string       `json:"origin"`
	Anonymous   BrowserFetch `json:"anonymous"`   // credentials: "omit"
	Credentials BrowserFetch `json:"credentials"` // credentials: "include" (a fresh profile: no cookies)
	// Compared says whether corscope's verdict on this variant is
	// comparable with the browser's: "" when it is; otherwise why not (an
	// isolate-mode variant on a cache-busted key, another method, ...).
	NotCompared string `json:"not_compared,omitempty"`
	// Note is anything else the user must know (an https origin the
	// browser could not be set up for, a process left running).
	Note string `json:"note,omitempty"`
}

// BrowserFetch is the browser's result for one fetch().
type BrowserFetch struct {
	Result string `json:"result"` // allowed, blocked, failed or unknown
	// Status is the response status the page could read (allowed only).
	Status *int `json:"status"`
	// Error is the exception fetch() rejected with ("TypeError: Failed to
	// fetch").
	Error string `json:"error,omitempty"`
	// Console is the browser's console message about the request, where
	// the browser exposes it (Chromium's "... has been blocked by CORS
	// policy: ...").
	Console string `json:"console,omitempty"`
	// Agrees is whether corscope's verdict for the same variant and
	// credentials mode was the same; null when either answer is unknown or
	// they are not comparable.
	Agrees *bool `json:"agrees"`
}

// Words is a one-line summary: "blocked (TypeError: Failed to fetch)",
// "allowed, status 200".
func (f BrowserFetch) Words() string {
	switch f.Result {
	case BrowserAllowed:
		if f.Status != nil {
			return "allowed, status " + strconv.Itoa(*f.Status)
		}
		return "allowed"
	case "":
		return BrowserUnknown
	}
	if f.Error != "" {
		return f.Result + " (" + f.Error + ")"
	}
	return f.Result
}

// CompareBrowser fills Agrees of each mode from the variant's verdicts.
// It does nothing when the confirmation is marked not comparable.
func CompareBrowser(v *VariantResult) {
	bc := v.BrowserConfirm
	if bc == nil {
		return
	}
	bc.Anonymous.Agrees, bc.Credentials.Agrees = nil, nil
	if bc.NotCompared != "" || v.Error != nil || !v.CORS.Applicable {
		return
	}
	agree := func(f BrowserFetch, verdict *bool) *bool {
		if verdict == nil || (f.Result != BrowserAllowed && f.Result != BrowserBlocked) {
			return nil
		}
		a := (f.Result == BrowserAllowed) == *verdict
		return &a
	}
	bc.Anonymous.Agrees = agree(bc.Anonymous, v.CORS.Allowed)
	bc.Credentials.Agrees = agree(bc.Credentials, v.CORS.AllowedWithCredentials)
}

// BrowserDisagreement is the browser-disagrees finding over a target's
// variants (nil when every comparable answer agreed): each occurrence
// names the browser's answer and corscope's.
func BrowserDisagreement(vs []VariantResult) *Finding {
	var ev []string
	var browsers []string
	var vars []int
	for vi, v := range vs {
		bc := v.BrowserConfirm
		if bc == nil {
			continue
		}
		for _, m := range []struct {
			name    string
			f       BrowserFetch
			verdict *bool
			reason  string
		}{
			{"anonymous", bc.Anonymous, v.CORS.Allowed, v.CORS.Reason},
			{"with credentials", bc.Credentials, v.CORS.AllowedWithCredentials, v.CORS.ReasonWithCredentials},
		} {
			if m.f.Agrees == nil || *m.f.Agrees || m.verdict == nil {
				continue
			}
			ours := "allowed"
			if !*m.verdict {
				ours = "blocked (" + m.reason + ")"
			}
			name := bc.Browser + " " + bc.Version
			if !containsString(browsers, name) {
				browsers = append(browsers, name)
			}
			e := fmt.Sprintf("round %d %s, %s: %s says %s; corscope says %s", v.Round, v.Label, m.name, name, m.f.Words(), ours)
			if m.f.Console != "" {
				e += "; console: " + m.f.Console
			}
			ev = append(ev, e)
			vars = append(vars, vi)
		}
	}
	if len(ev) == 0 {
		return nil
	}
	if len(ev) > maxEvidence {
		ev = append(ev[:maxEvidence], fmt.Sprintf("... and %d more", len(ev)-maxEvidence))
	}
	return &Finding{
		Rule:     RuleBrowserDisagrees,
		Severity: SevMedium,
		Message: fmt.Sprintf("%s decided differently from corscope's verdict for the same origin and URL (%s). The browser fetched after corscope's probes, with its own User-Agent: either the cache or the server answered it differently (another stored copy, a response that depends on the client), or corscope's reading of the response is wrong. The browser's answer is what users get.",
			strings.Join(browsers, " and "), ev[0]),
		Evidence: ev,
		Variants: variantSet(vars),
		Fix:      "Re-run with --mode observe --rounds 3 to see whether the cache's answer changes between requests; if the browser still disagrees on the same response, report it with the JSON report.",
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
