package cachemodel

import (
	"fmt"
	"strconv"
	"strings"
)

// Header-validity findings: values browsers reject or quietly cap.

// Browser caps on Access-Control-Max-Age: Chromium (since 76) 7200 s,
// Firefox 86400 s. The lower one is what users get.
const (
	maxAgeCapChromium = 7200
	maxAgeCapFirefox  = 86400
)

// ruleWildcard: "*" with credentials is a misconfiguration browsers block;
// "*" alone is usually fine and only noted.
func ruleWildcard(d *diag) []Finding {
	var plain, creds []int
	seen := map[string]bool{}
	for i, v := range d.vs {
		if v.Response == nil || d.transient(i) || !d.f[i].acaoWildcard() {
			continue
		}
		if f := &d.f[i]; f.acacN > 0 && strings.EqualFold(strings.TrimSpace(f.acac), "true") {
			creds = append(creds, i)
			continue
		}
		if k := strconv.FormatBool(v.Preflight); !seen[k] {
			seen[k] = true
			plain = append(plain, i)
		}
	}
	if len(creds) > 0 {
		ev := []string{d.line(creds[0])}
		if len(creds) > 1 {
			ev = append(ev, fmt.Sprintf("%d responses in all send ACAO * with ACAC true", len(creds)))
		}
		msg := "ACAO * is sent together with ACAC: true: browsers refuse every credentialed request to it (a misconfiguration, not an exploit)"
		fix := "For credentialed use, answer each allowed Origin with that exact origin in ACAO plus ACAC: true and Vary: Origin; for public data drop ACAC and keep *."
		return d.finding(RuleWildcardWithCredentials, SevLow, msg, fix, ev, creds)
	}
	if len(plain) > 0 {
		var ev []string
		for _, i := range plain {
			ev = append(ev, d.line(i))
		}
		msg := "ACAO * lets every website read these responses without credentials; fine for public resources"
		fix := "Nothing to do for public data. If the responses are not public (intranet, IP-based access), use an allow-list of origins instead."
		return d.finding(RuleWildcardOrigin, SevInfo, msg, fix, ev, plain)
	}
	return nil
}

func ruleACAOInvalid(d *diag) []Finding {
	var ev []string
	var primary []int
	seen := map[string]bool{}
	onlyWhitespace := true
	var firstProblems []string
	for i, v := range d.vs {
		if v.Response == nil || d.f[i].acaoN == 0 || (d.f[i].acaoN == 1 && originValueProblems(nil, d.f[i].acao) == nil) {
			continue // absent, or one line without a problem: the common case, read without allocating
		}
		ao := ParseAllowOrigin(v.Response.Headers)
		if len(ao.Problems) == 0 || seen[ao.Combined] {
			continue
		}
		seen[ao.Combined] = true
		if firstProblems == nil {
			firstProblems = ao.Problems
		}
		primary = append(primary, i)
		if len(ao.Problems) > 1 || ao.Problems[0] != ProblemWhitespace {
			onlyWhitespace = false
		}
		ev = append(ev, fmt.Sprintf("%s: ACAO %q: %s", d.ref(i), ao.Combined, strings.Join(ao.Problems, ", ")))
	}
	if len(primary) == 0 {
		return nil
	}
	sev := SevLow
	msg := "ACAO carries a value no browser accepts (" + strings.Join(firstProblems, ", ") + "): the CORS check fails"
	if onlyWhitespace {
		sev = SevInfo
		msg = "ACAO has surrounding white space; HTTP parsers strip it, but it hints at a hand-built header"
	}
	fix := "Send exactly one ACAO line holding one serialized origin (scheme://host[:port], lower-case, no path or trailing slash), \"null\" or \"*\"; to allow several origins, pick the request's Origin from an allow-list and echo it."
	return d.finding(RuleACAOInvalid, sev, msg, fix, ev, primary)
}

func ruleACACInvalid(d *diag) []Finding {
	var ev []string
	var primary []int
	seen := map[string]bool{}
	for i, v := range d.vs {
		if v.Response == nil || d.f[i].acacN == 0 || d.f[i].acacTrue() {
			continue // absent or exactly "true": nothing to report
		}
		ac := ParseAllowCredentials(v.Response.Headers)
		joined := strings.Join(ac.Lines, ", ")
		// A lone "false" is pointless but harmless: browsers ignore it.
		if len(ac.Problems) == 0 || (len(ac.Lines) == 1 && ac.Lines[0] == "false") || seen[joined] {
			continue
		}
		seen[joined] = true
		primary = append(primary, i)
		ev = append(ev, fmt.Sprintf("%s: ACAC %q: %s", d.ref(i), joined, strings.Join(ac.Problems, ", ")))
	}
	if len(primary) == 0 {
		return nil
	}
	msg := "ACAC is not exactly one line \"true\": browsers treat credentials as not allowed and fail credentialed requests"
	fix := "Send Access-Control-Allow-Credentials: true (lower-case, once) when credentials are allowed; otherwise leave the header out."
	return d.finding(RuleACACInvalid, SevLow, msg, fix, ev, primary)
}

func ruleMaxAgeOverBrowserCap(d *diag) []Finding {
	for i, v := range d.vs {
		if !v.Preflight || v.Response == nil {
			continue
		}
		secs, _, valid := ParseMaxAge(v.Response.Headers)
		if !valid || secs <= maxAgeCapChromium {
			continue
		}
		msg := fmt.Sprintf("Access-Control-Max-Age %d exceeds what browsers honour (Chromium caps it at %d s, Firefox at %d s): preflights are repeated sooner than the server expects", secs, maxAgeCapChromium, maxAgeCapFirefox)
		fix := fmt.Sprintf("Use at most %d (two hours); a longer value changes nothing in Chromium and delays policy changes in Firefox.", maxAgeCapChromium)
		return d.finding(RuleMaxAgeOverBrowserCap, SevInfo, msg, fix, []string{d.line(i) + ", Access-Control-Max-Age " + strconv.FormatInt(secs, 10)}, []int{i})
	}
	return nil
}

// rulePreflightDenied: the configured origins' preflights fail on the
// method or a header the user asked about.
func rulePreflightDenied(d *diag) []Finding {
	var method, header []int
	for i, v := range d.vs {
		if !v.Preflight || v.Response == nil || v.Kind != KindConfigured || d.transient(i) {
			continue
		}
		switch BlockReason(v.CORS.Reason) {
		case ReasonMethodDenied:
			method = append(method, i)
		case ReasonHeaderDenied:
			header = append(header, i)
		}
	}
	var out []Finding
	lines := func(idx []int) []string {
		var ev []string
		for _, i := range idx {
			ev = append(ev, d.line(i)+": "+d.vs[i].CORS.Detail)
		}
		return ev
	}
	if len(method) > 0 {
		msg := "The preflight does not allow the request method for a configured origin: " + d.vs[method[0]].CORS.Detail
		fix := "List the method in Access-Control-Allow-Methods of the preflight response (\"*\" covers it only without credentials)."
		out = append(out, d.finding(RulePreflightMethodDenied, SevLow, msg, fix, lines(method), method)...)
	}
	if len(header) > 0 {
		msg := "The preflight does not allow a request header for a configured origin: " + d.vs[header[0]].CORS.Detail
		fix := "List the header in Access-Control-Allow-Headers of the preflight response (\"*\" covers it only without credentials, and never covers Authorization)."
		out = append(out, d.finding(RulePreflightHeaderDenied, SevLow, msg, fix, lines(header), header)...)
	}
	return out
}

// ruleAuthorizationWildcard: a preflight lets Authorization through only by
// Access-Control-Allow-Headers "*". Today's browsers allow it (the verdict
// shown first), the Fetch standard does not, and the browsers will follow
// the standard once their switches flip: the request will break then.
func ruleAuthorizationWildcard(d *diag) []Finding {
	var idx []int
	for i, v := range d.vs {
		if v.Preflight && v.Response != nil && v.CORS.Standard != nil &&
			v.CORS.Standard.Deviation == DeviationAuthorizationWildcard && !d.transient(i) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	msg := "Authorization is allowed only by Access-Control-Allow-Headers: *: allowed today by " + measuredList() +
		" with a deprecation warning; blocked by the Fetch standard, and by both browsers once their switches flip " +
		"(Chromium's CorsNonWildcardRequestHeadersSupport feature, Firefox's network.cors_preflight.authorization_covered_by_wildcard pref)"
	fix := "List Authorization in Access-Control-Allow-Headers by name (for example \"*, Authorization\", or only the headers the API needs)."
	var ev []string
	for _, i := range idx {
		ev = append(ev, d.line(i)+": "+d.vs[i].CORS.Standard.Detail)
	}
	return d.finding(RuleAuthorizationWildcard, SevLow, msg, fix, ev, idx)
}

// measuredList words MeasuredBrowsers for a sentence: "A and B".
func measuredList() string {
	switch n := len(MeasuredBrowsers); n {
	case 0:
		return "today's browsers"
	case 1:
		return MeasuredBrowsers[0]
	default:
		return strings.Join(MeasuredBrowsers[:n-1], ", ") + " and " + MeasuredBrowsers[n-1]
	}
}

// varyLinesText shows a response's Vary header lines as sent: one quoted
// value per line, so two lines never read as one.
func varyLinesText(lines []string) string {
	return strconv.Itoa(len(lines)) + " Vary lines " + quotedLines(lines)
}

func quotedLines(lines []string) string {
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = strconv.Quote(l)
	}
	return strings.Join(q, " and ")
}

// ruleVarySplitLines: Vary sent on more than one header line. HTTP says
// the lines combine into one list, but some caches and CDNs read only the
// first line; when Origin is on a later line of a response whose ACAO
// depends on the Origin, such a cache does not keep Origins apart.
func ruleVarySplitLines(d *diag) []Finding {
	var ev []string
	var primary []int
	seen := map[string]bool{}
	originLater := false
	var example []string
	for i, v := range d.vs {
		if v.Response == nil || d.f[i].varyN < 2 {
			continue
		}
		lines := v.Response.Headers.Values(hdrVary)
		primary = append(primary, i)
		first := ParseVary(Headers{{Name: hdrVary, Value: lines[0]}})
		if !first.Has("Origin") && !first.Star && d.varyOrigin(i) {
			if a, ok := d.acao(i); ok && a != "*" {
				originLater = true
			}
		}
		key := strings.Join(lines, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		if example == nil {
			example = lines
		}
		ev = append(ev, d.ref(i)+": "+varyLinesText(lines))
	}
	if len(primary) == 0 {
		return nil
	}
	sev := SevInfo
	msg := "Vary is sent on " + strconv.Itoa(len(example)) + " header lines (" + quotedLines(example) + "): HTTP combines them into one list, but some caches and CDNs read only the first line"
	if originLater {
		sev = SevLow
		msg += ", and Origin is not on the first line while ACAO depends on the Origin: such a cache keeps one copy for every Origin"
	}
	var fields []string
	for _, l := range example {
		if f, ok := ParseFieldList([]string{l}); ok {
			fields = append(fields, f...)
		}
	}
	fix := "Send one Vary line listing every field: Vary: " + strings.Join(fields, ", ") + "."
	return d.finding(RuleVarySplitLines, sev, msg, fix, ev, primary)
}
