package cachemodel

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckCORS is the Fetch standard's CORS check: would a browser that sent
// Origin: requestOrigin with the given credentials mode hand this response
// to the page?
//
// requestOrigin is the Origin header value exactly as sent (a serialized
// origin or "null"). The steps follow Fetch literally, which is the point:
//   - ACAO is read with the header-list "get", so two ACAO lines become
//     "a, b" and can never match;
//   - "*" passes only without credentials;
//   - otherwise ACAO must byte-equal the origin: no case folding, no
//     trailing-slash or default-port forgiveness. "null" equals "null",
//     which is why allowing null trusts every sandboxed page;
//   - with credentials, ACAC (also via "get") must be exactly "true".
//
// Leading and trailing spaces and tabs of each line are dropped first, as
// any HTTP parser does before a browser sees the value.
func CheckCORS(requestOrigin string, h Headers, mode CredentialsMode) CORSCheck {
	acao, n := corsGet(h, hdrACAO)
	if n == 0 {
		return CORSCheck{Reason: ReasonMissingACAO,
			Detail: fmt.Sprintf("no ACAO header for Origin %q", requestOrigin)}
	}
	if mode == Anonymous && acao == "*" {
		return CORSCheck{Allowed: true}
	}
	if acao != requestOrigin {
		switch {
		case n > 1:
			return CORSCheck{Reason: ReasonDuplicateACAO,
				Detail: fmt.Sprintf("%d ACAO lines combine to %q, which never matches Origin %q", n, acao, requestOrigin)}
		case acao == "*":
			return CORSCheck{Reason: ReasonWildcardCreds,
				Detail: fmt.Sprintf("ACAO %q is not allowed for a credentialed request from Origin %q", acao, requestOrigin)}
		}
		return CORSCheck{Reason: ReasonACAOMismatch,
			Detail: fmt.Sprintf("ACAO %q does not match Origin %q%s", acao, requestOrigin, corsMismatchHint(acao, requestOrigin))}
	}
	if mode == Anonymous {
		return CORSCheck{Allowed: true}
	}
	acac, m := corsGet(h, hdrACAC)
	switch {
	case m == 0:
		return CORSCheck{Reason: ReasonACACMissing,
			Detail: fmt.Sprintf("credentialed request from Origin %q but no ACAC header", requestOrigin)}
	case acac != "true":
		d := fmt.Sprintf("ACAC %q is not exactly \"true\"", acac)
		if m > 1 {
			d = fmt.Sprintf("%d ACAC lines combine to %q, which is not exactly \"true\"", m, acac)
		}
		return CORSCheck{Reason: ReasonACACNotTrue, Detail: d}
	}
	return CORSCheck{Allowed: true}
}

// corsGet is Fetch's header-list "get": every line of the header, trimmed of
// HTTP whitespace, joined with ", ". n is the number of lines.
func corsGet(h Headers, name string) (value string, n int) {
	var b strings.Builder // only for two lines or more: one line is returned as is
	for _, f := range h {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		v := strings.Trim(f.Value, " \t")
		switch n {
		case 0:
			value = v
		case 1:
			b.WriteString(value)
			fallthrough
		default:
			b.WriteString(", ")
			b.WriteString(v)
		}
		n++
	}
	if n > 1 {
		value = b.String()
	}
	return value, n
}

// corsMismatchHint names the near miss behind a mismatch, since "a" vs "a/"
// is easy to overlook when reading the Detail.
func corsMismatchHint(acao, origin string) string {
	switch {
	case acao == origin+"/":
		return " (trailing slash)"
	case strings.EqualFold(acao, origin):
		return " (letter case differs)"
	case acao == "null" || origin == "null":
		return ""
	}
	a, errA := url.Parse(acao)
	o, errO := url.Parse(origin)
	if errA != nil || errO != nil || a.Host == "" || o.Host == "" {
		return ""
	}
	switch {
	case !strings.EqualFold(a.Scheme, o.Scheme) && strings.EqualFold(a.Host, o.Host):
		return " (scheme differs)"
	case strings.EqualFold(a.Hostname(), o.Hostname()) && a.Port() != o.Port():
		return " (port differs)"
	case a.Path != "" || a.RawQuery != "":
		return " (ACAO carries a path; an origin has none)"
	}
	return ""
}

// Summary is a one-line verdict for tables: "allowed" or
// "blocked: <reason>".
func (c CORSCheck) Summary() string {
	if c.Allowed {
		return "allowed"
	}
	if s, ok := corsReasonText[c.Reason]; ok {
		return "blocked: " + s
	}
	if c.Reason == ReasonNone {
		return "blocked"
	}
	return "blocked: " + string(c.Reason)
}

var corsReasonText = map[BlockReason]string{
	ReasonMissingACAO:     "no ACAO",
	ReasonDuplicateACAO:   "duplicate ACAO",
	ReasonACAOMismatch:    "ACAO mismatch",
	ReasonWildcardCreds:   "ACAO * with credentials",
	ReasonACACMissing:     "no ACAC",
	ReasonACACNotTrue:     `ACAC not "true"`,
	ReasonPreflightStatus: "preflight status not 2xx",
	ReasonMethodDenied:    "method not allowed",
	ReasonHeaderDenied:    "header not allowed",
	ReasonBadAllowList:    "unparsable allow list",
}

// CredentialsMode is the request's credentials mode as far as the CORS check
// cares: credentials are either included or not.
type CredentialsMode bool

// BlockReason says why a browser would block a response. The empty reason
// means allowed.
type BlockReason string

// CORSCheck is the browser's verdict on one response for one credentials
// mode.
type CORSCheck struct {
	Allowed bool
	Reason  BlockReason
	// Detail is a short human explanation, e.g.
	// `ACAO "https://a.example" does not match Origin "https://b.example"`.
	Detail string
}

// Credentials modes.
const (
	Anonymous    CredentialsMode = false // "omit" / "same-origin": cookies not sent cross-origin
	Credentialed CredentialsMode = true  // "include"
)

// Reasons the CORS check fails, worded for a user.
const (
	ReasonNone            BlockReason = ""
	ReasonMissingACAO     BlockReason = "missing-acao"
	ReasonDuplicateACAO   BlockReason = "duplicate-acao"
	ReasonACAOMismatch    BlockReason = "acao-mismatch"
	ReasonWildcardCreds   BlockReason = "wildcard-with-credentials"
	ReasonACACMissing     BlockReason = "acac-missing"
	ReasonACACNotTrue     BlockReason = "acac-not-true"
	ReasonPreflightStatus BlockReason = "preflight-status"
	ReasonMethodDenied    BlockReason = "method-not-allowed"
	ReasonHeaderDenied    BlockReason = "header-not-allowed"
	ReasonBadAllowList    BlockReason = "unparsable-allow-list"
)
