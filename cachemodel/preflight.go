package cachemodel

import (
	"fmt"
	"sort"
	"strings"
)

// PreflightRequest is what a browser's CORS preflight asks for on behalf of
// the actual request.
type PreflightRequest struct {
	Origin string // Origin of the actual request, as sent
	Method string // the actual request's method (Access-Control-Request-Method)
	// Headers are the header names announced in
	// Access-Control-Request-Headers: the actual request's CORS-unsafe
	// headers (see CORSUnsafeHeaderNames). Every one of them must be allowed.
	Headers []string
	// Mode is the actual request's credentials mode; the preflight itself
	// never carries credentials but is judged by this mode.
	Mode CredentialsMode
}

// CheckPreflight is Fetch's verdict on a CORS-preflight response, in the
// standard's order: the CORS check with the actual request's credentials
// mode, a 2xx status, parsable ACAM and ACAH, the method, then each header.
//
// Methods: GET, HEAD and POST need no listing; other methods must appear in
// ACAM, compared byte-for-byte with the request's method after Fetch's
// method normalisation (which upper-cases only DELETE, GET, HEAD, OPTIONS,
// POST and PUT, and only the request's method: ACAM "put" or "Put" does not
// allow PUT, as Chromium and Firefox agree; "patch" and "PATCH" stay
// different). "*" allows any method only without credentials.
// Headers compare case-insensitively; "*" allows any header only without
// credentials and never covers Authorization.
func CheckPreflight(req PreflightRequest, status int, h Headers) CORSCheck {
	if c := CheckCORS(req.Origin, h, req.Mode); !c.Allowed {
		c.Detail = "preflight: " + c.Detail
		return c
	}
	if status < 200 || status > 299 {
		return CORSCheck{Reason: ReasonPreflightStatus,
			Detail: fmt.Sprintf("preflight answered status %d; a browser needs 2xx", status)}
	}
	acam := h.Values(hdrACAM)
	methods, okM := ParseFieldList(acam)
	if !okM {
		return CORSCheck{Reason: ReasonBadAllowList,
			Detail: fmt.Sprintf("ACAM %q is not a comma-separated list of methods", strings.Join(acam, ", "))}
	}
	acah := h.Values(hdrACAH)
	names, okH := ParseFieldList(acah)
	if !okH {
		return CORSCheck{Reason: ReasonBadAllowList,
			Detail: fmt.Sprintf("ACAH %q is not a comma-separated list of header names", strings.Join(acah, ", "))}
	}
	if c, ok := checkPreflightMethod(req, methods, acam); !ok {
		return c
	}
	if c, ok := checkPreflightHeaders(req, names, acah); !ok {
		return c
	}
	return CORSCheck{Allowed: true}
}

func checkPreflightMethod(req PreflightRequest, methods, acam []string) (CORSCheck, bool) {
	m := normalizeMethod(req.Method)
	if safelistedMethod(m) {
		return CORSCheck{}, true
	}
	wildcard := false
	for _, item := range methods {
		// Fetch normalises only the request's method; the ACAM items are
		// compared byte for byte ("put" does not allow PUT).
		if item == m {
			return CORSCheck{}, true
		}
		wildcard = wildcard || item == "*"
	}
	if wildcard && req.Mode == Anonymous {
		return CORSCheck{}, true
	}
	var d string
	switch {
	case len(acam) == 0:
		d = fmt.Sprintf("no ACAM header, so only GET, HEAD and POST are allowed, not %q", m)
	case wildcard:
		d = fmt.Sprintf("ACAM \"*\" is a literal name for credentialed requests; %q must be listed", m)
	default:
		d = fmt.Sprintf("method %q is not in ACAM %q", m, strings.Join(acam, ", "))
		for _, item := range methods {
			if strings.EqualFold(item, m) {
				d += " (methods are case-sensitive)"
				break
			}
		}
	}
	return CORSCheck{Reason: ReasonMethodDenied, Detail: d}, false
}

func checkPreflightHeaders(req PreflightRequest, names, acah []string) (CORSCheck, bool) {
	wildcard := false
	for _, n := range names {
		wildcard = wildcard || n == "*"
	}
	var denied []string
	authBlocked := false
	seen := map[string]bool{}
	for _, raw := range req.Headers {
		name := strings.ToLower(strings.Trim(raw, " \t"))
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		if listedIn(names, name) {
			continue
		}
		if name == "authorization" {
			// Fetch: Authorization is a "CORS non-wildcard request-header
			// name"; it must be named explicitly.
			authBlocked = authBlocked || wildcard
			denied = append(denied, name)
			continue
		}
		if wildcard && req.Mode == Anonymous {
			continue
		}
		denied = append(denied, name)
	}
	if len(denied) == 0 {
		return CORSCheck{}, true
	}
	quoted := make([]string, len(denied))
	for i, n := range denied {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	list := strings.Join(quoted, ", ")
	var d string
	if len(acah) == 0 {
		d = fmt.Sprintf("no ACAH header, so request header %s is not allowed", list)
	} else {
		d = fmt.Sprintf("request header %s is not in ACAH %q", list, strings.Join(acah, ", "))
	}
	switch {
	case authBlocked:
		d += `; "*" never covers Authorization, it must be listed by name`
	case wildcard && req.Mode == Credentialed:
		d += `; "*" is a literal name for credentialed requests`
	}
	return CORSCheck{Reason: ReasonHeaderDenied, Detail: d}, false
}

func listedIn(list []string, lowerName string) bool {
	for _, n := range list {
		if strings.EqualFold(n, lowerName) {
			return true
		}
	}
	return false
}

// normalizeMethod is Fetch's "normalize a method": only the six methods
// browsers know are upper-cased; everything else is kept byte-for-byte.
func normalizeMethod(m string) string {
	for _, k := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if strings.EqualFold(m, k) {
			return k
		}
	}
	return m
}

func safelistedMethod(normalized string) bool {
	return normalized == "GET" || normalized == "HEAD" || normalized == "POST"
}

// NeedsPreflight reports whether a browser would send a CORS preflight
// before a cross-origin request with this method and these headers: the
// method is not GET, HEAD or POST, or some header is CORS-unsafe (see
// CORSUnsafeHeaderNames, which ignores headers the browser adds itself).
func NeedsPreflight(method string, headers Headers) bool {
	if !safelistedMethod(normalizeMethod(method)) {
		return true
	}
	return len(CORSUnsafeHeaderNames(headers)) > 0
}

// CORSUnsafeHeaderNames is Fetch's "CORS-unsafe request-header names":
// the lower-cased, sorted, deduplicated names of headers that are not
// CORS-safelisted, plus all safelisted ones when their values total more
// than 1024 bytes. It is what a browser puts in
// Access-Control-Request-Headers.
//
// Headers a page cannot set and the browser adds itself (Fetch's forbidden
// request-header names such as Origin, Host, Cookie, Accept-Encoding, Sec-*
// and Proxy-*, plus User-Agent, which Chromium still does not let pages
// set) are skipped, so a probe's complete request headers can be passed.
func CORSUnsafeHeaderNames(headers Headers) []string {
	set := map[string]bool{}
	var potentially []string
	size := 0
	for _, f := range headers {
		name := strings.ToLower(f.Name)
		if browserSuppliedHeader(name) {
			continue
		}
		if IsSafelistedHeader(name, f.Value) {
			potentially = append(potentially, name)
			size += len(f.Value)
			continue
		}
		set[name] = true
	}
	if size > 1024 {
		for _, n := range potentially {
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// browserSuppliedHeader reports whether a lower-cased header name is one the
// browser controls (Fetch's forbidden request-header names, and
// User-Agent).
func browserSuppliedHeader(lower string) bool {
	switch lower {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via", "user-agent":
		return true
	}
	return strings.HasPrefix(lower, "proxy-") || strings.HasPrefix(lower, "sec-")
}

// IsSafelistedHeader is Fetch's "CORS-safelisted request-header": a header
// a page may send cross-origin without a preflight. The name is compared
// case-insensitively; the value is checked byte-exactly and must be at most
// 128 bytes.
func IsSafelistedHeader(name, value string) bool {
	if len(value) > 128 {
		return false
	}
	switch strings.ToLower(name) {
	case "accept":
		return !hasUnsafeHeaderByte(value)
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			if !languageByte(value[i]) {
				return false
			}
		}
		return true
	case "content-type":
		if hasUnsafeHeaderByte(value) {
			return false
		}
		switch mimeEssence(value) {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return true
		}
		return false
	case "range":
		return safelistedRange(value)
	}
	return false
}

// hasUnsafeHeaderByte looks for a "CORS-unsafe request-header byte".
func hasUnsafeHeaderByte(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 && c != '\t' || c == 0x7f || strings.IndexByte(`"():<>?@[\]{}`, c) >= 0 {
			return true
		}
	}
	return false
}

func languageByte(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte(" *,-.;=", c) >= 0
}

// mimeEssence parses type/subtype the way the MIME Sniffing standard's
// "parse a MIME type" does (parameters never make it fail) and returns the
// lower-cased essence, or "" when the value is not a MIME type.
func mimeEssence(v string) string {
	v = strings.Trim(v, " \t\r\n")
	slash := strings.IndexByte(v, '/')
	if slash < 0 {
		return ""
	}
	typ, rest := v[:slash], v[slash+1:]
	if semi := strings.IndexByte(rest, ';'); semi >= 0 {
		rest = rest[:semi]
	}
	sub := strings.TrimRight(rest, " \t\r\n")
	if !isToken(typ) || !isToken(sub) {
		return ""
	}
	return strings.ToLower(typ) + "/" + strings.ToLower(sub)
}

// safelistedRange is Fetch's "parse a single range header value" without
// whitespace, plus the safelist's extra rule that the start must be given:
// "bytes=0-", "bytes=10-20" pass; "bytes=-500", "bytes=5-1", "bytes = 0-"
// and multiple ranges do not.
func safelistedRange(v string) bool {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	start, end, ok := strings.Cut(rest, "-")
	if !ok || start == "" || !allDigits(start) || !allDigits(end) {
		return false
	}
	if end == "" {
		return true
	}
	return compareDecimal(start, end) <= 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareDecimal compares two digit strings of any length as numbers, so
// huge ranges cannot overflow.
func compareDecimal(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
