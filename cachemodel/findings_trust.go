package cachemodel

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Trust findings: whom the server's origin check lets in. They rest on the
// server's grant for the variant's own Origin (ACAO byte-equal to it), so a
// stored copy counts too: a cache only holds that grant if the server gave
// it to that Origin. "*" is the wildcard rules' business.

// trustCheck is one origin-check mistake and the variant kind that probes
// it. Severities are without and with credentials (ACAC: true), since only
// credentialed reads expose a user's data.
type trustCheck struct {
	kind         VariantKind
	rule         string
	plain, creds Severity
	what, fix    string
}

const fixExactAllowList = "Compare the Origin with an exact allow-list of serialized origins (scheme://host[:port]) by byte equality; never match prefixes, suffixes or unanchored regular expressions, and never reflect an Origin you did not find in the list."

var trustChecks = []trustCheck{
	{KindNull, RuleOriginNullAllowed, SevLow, SevHigh,
		"Origin: null is allowed: any sandboxed iframe, data: or file: page (and some redirected requests) can read these responses",
		"Never allow Origin: null: remove \"null\" from the allow-list (it is not one site but every opaque origin)."},
	{KindGenSuffix, RuleOriginBypassSuffix, SevLow, SevHigh,
		"An origin that merely ends with a trusted host is allowed: the check is a suffix match an attacker satisfies with a domain of their own",
		fixExactAllowList},
	{KindGenPrefix, RuleOriginBypassPrefix, SevLow, SevHigh,
		"An origin that merely starts with a trusted origin is allowed: the check is a prefix match an attacker satisfies with a domain of their own",
		fixExactAllowList},
	{KindGenUnescapedDot, RuleOriginBypassUnescapedDot, SevLow, SevHigh,
		"A trusted host with a dot replaced by a letter is allowed: the check is a regular expression with an unescaped \".\"",
		fixExactAllowList + " In a regular expression, escape the dots and anchor both ends."},
	{KindGenSpecialChar, RuleOriginBypassSpecialChar, SevLow, SevHigh,
		"A trusted host followed by \"_\" and another domain is allowed: the pattern stops at a character some browsers accept in host names",
		fixExactAllowList},
	{KindGenSubdomain, RuleOriginSubdomainAllowed, SevInfo, SevLow,
		"Any subdomain of a trusted host is allowed: one XSS or subdomain takeover anywhere below it is enough to read these responses",
		"Allow only the subdomains that need access, listed exactly, unless every subdomain is trusted with this data."},
	{KindGenInsecureScheme, RuleOriginInsecureScheme, SevInfo, SevMedium,
		"The http:// version of a trusted origin is allowed: a network attacker who injects script into the plain-HTTP site can read these responses",
		"Allow only https:// origins (compare the scheme too)."},
	{KindGenOtherPort, RuleOriginAnyPort, SevInfo, SevLow,
		"A trusted host on another port is allowed: any other service on that host can read these responses",
		"Compare the whole origin, port included."},
}

// granted: the response grants exactly the variant's own Origin.
func (d *diag) granted(i int) bool {
	v := d.vs[i]
	if v.Response == nil || v.Origin == nil || d.transient(i) || !d.corsRequest(i) {
		return false
	}
	a, ok := d.acao(i)
	return ok && a == *v.Origin
}

// grants are the granted variants (not preflights), each origin once, in
// order.
type grants struct {
	d   *diag
	idx []int
	buf []int // of's answer
}

// grantsByKind collects the granted variants, each origin once.
func (d *diag) grantsByKind() grants {
	g := grants{d: d}
	for i, v := range d.vs {
		if v.Preflight || !d.granted(i) ||
			slices.ContainsFunc(g.idx, func(j int) bool { return *d.vs[j].Origin == *v.Origin }) {
			continue
		}
		if g.idx == nil {
			both := make([]int, 2*(len(d.vs)-i))
			g.idx, g.buf = both[:0:len(d.vs)-i], both[len(d.vs)-i:]
		}
		g.idx = append(g.idx, i)
	}
	return g
}

// of returns the granted variants of one kind (empty when none). The
// answer is valid until the next call.
func (g grants) of(k VariantKind) []int {
	out := g.buf[:0]
	for _, i := range g.idx {
		if g.d.vs[i].Kind == k {
			out = append(out, i)
		}
	}
	return out
}

// has reports whether a variant of kind k was granted.
func (g grants) has(k VariantKind) bool {
	return slices.ContainsFunc(g.idx, func(i int) bool { return g.d.vs[i].Kind == k })
}

func (d *diag) anyCredentialed(idx []int) bool {
	for _, i := range idx {
		if d.credentialed(i) {
			return true
		}
	}
	return false
}

// ruleOriginTrust reports each origin-check mistake the generated origins
// (and null) exposed. When an unrelated origin is allowed the server
// reflects anything, which subsumes every specific bypass: one finding.
func ruleOriginTrust(d *diag) []Finding {
	g := d.grantsByKind()
	if g.has(KindGenUnrelated) {
		refl := g.of(KindGenUnrelated)
		ev := []string{d.line(refl[0])}
		var also []string
		for _, tc := range trustChecks {
			if g.has(tc.kind) {
				also = append(also, string(tc.kind))
			}
		}
		if len(also) > 0 {
			ev = append(ev, "also allowed: "+strings.Join(also, ", "))
		}
		all := g.idx
		sev := SevLow
		msg := "The server allows an arbitrary unrelated Origin (it reflects the request's Origin): every website can read these responses"
		if d.anyCredentialed(all) {
			sev = SevHigh
			msg += ", with the visitor's cookies (ACAC: true)"
		} else {
			msg += " anonymously (no credentials, so only what an anonymous request can get)"
		}
		return d.finding(RuleOriginReflectedAny, sev, msg, fixExactAllowList+" Send Vary: Origin.", ev, refl)
	}
	var out []Finding
	for _, tc := range trustChecks {
		idx := g.of(tc.kind)
		if len(idx) == 0 {
			continue
		}
		var ev []string
		for _, i := range idx {
			ev = append(ev, d.line(i))
		}
		sev, msg := tc.plain, tc.what
		creds := d.anyCredentialed(idx)
		if creds {
			sev = tc.creds
		}
		if tc.kind == KindGenSuffix {
			if site := siteOwnedSuffix(d, idx); site != "" {
				sev, msg = SevInfo, suffixUnderSiteMsg(d.vs[idx[0]].Origin, site)
				if creds {
					sev = SevLow
				}
			}
		}
		if creds {
			msg += ", with the visitor's cookies (ACAC: true)"
		}
		if tc.kind == KindGenInsecureScheme {
			if strings.HasPrefix(d.vs[idx[0]].Request.URL, "http://") {
				sev = SevInfo // the resource itself is plain HTTP: no extra exposure
				msg = "The http:// version of a trusted origin is allowed; this resource is itself served over plain HTTP, so a network attacker can read it anyway and allowing http:// origins adds no exposure here"
			} else {
				msg = strings.Replace(msg, "these responses", "these https responses", 1)
			}
		}
		out = append(out, d.finding(tc.rule, sev, msg, tc.fix, ev, idx)...)
	}
	return out
}

// rulePolicy checks the server's own answers against --allow: listed
// origins must pass the browser's (anonymous) CORS check, others must not.
func rulePolicy(d *diag) []Finding {
	if !d.policy.active() {
		return nil
	}
	var out []Finding
	var blocked, unexpected []int
	var blockedOrigins, unexpectedOrigins []string
	seen := map[string]bool{}
	for i, v := range d.vs {
		if v.Preflight || !d.corsRequest(i) || !d.usable(i) || v.CORS.Allowed == nil {
			continue
		}
		o := *v.Origin
		switch allowed := *v.CORS.Allowed; {
		case d.policy.allows(o) && !allowed:
			blocked = append(blocked, i)
			if !seen["b"+o] {
				seen["b"+o] = true
				blockedOrigins = append(blockedOrigins, o)
			}
		case !d.policy.allows(o) && allowed:
			unexpected = append(unexpected, i)
			if !seen["u"+o] {
				seen["u"+o] = true
				unexpectedOrigins = append(unexpectedOrigins, o)
			}
		}
	}
	if len(blocked) > 0 {
		var ev []string
		for _, i := range blocked {
			ev = append(ev, fmt.Sprintf("%s: %s (%s)", d.ref(i), d.describe(i), d.vs[i].CORS.Reason))
		}
		msg := "Origins the policy allows are blocked by the server: " + strings.Join(blockedOrigins, ", ")
		fix := "Add these origins to the server's CORS allow-list exactly as browsers send them (scheme://host[:port], no trailing slash), or remove them from --allow."
		out = append(out, d.finding(RulePolicyAllowedOriginBlocked, SevMedium, msg, fix, ev, blocked)...)
	}
	if len(unexpected) > 0 {
		var ev []string
		creds := false
		for _, i := range unexpected {
			ev = append(ev, d.line(i))
			if c := d.vs[i].CORS.AllowedWithCredentials; c != nil && *c {
				creds = true
			}
		}
		sev := SevMedium
		msg := "Origins outside the policy are allowed by the server: " + strings.Join(unexpectedOrigins, ", ")
		if creds {
			sev = SevHigh
			msg += " (with credentials)"
		}
		fix := "Restrict the server's allow-list to the --allow origins. " + fixExactAllowList
		out = append(out, d.finding(RulePolicyUnexpectedAllowed, sev, msg, fix, ev, unexpected)...)
	}
	return out
}

// siteOwnedSuffix returns the registrable domain (eTLD+1, from the Public
// Suffix List) that every accepted suffix look-alike lies under, when each
// of them is a subdomain of a registrable domain rather than one itself
// ("evilapp.example.com" lies under "example.com", which an outside attacker
// cannot register); "" when any of them is registrable by anyone
// ("evilexample.com") or cannot be placed (then the finding stays high).
func siteOwnedSuffix(d *diag, idx []int) string {
	site := ""
	for _, i := range idx {
		o := d.vs[i].Origin
		if o == nil {
			return ""
		}
		u, err := url.Parse(*o)
		if err != nil {
			return ""
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		reg, err := publicsuffix.EffectiveTLDPlusOne(host)
		if err != nil || reg == host || (site != "" && reg != site) {
			return ""
		}
		site = reg
	}
	return site
}

func suffixUnderSiteMsg(origin *string, site string) string {
	return fmt.Sprintf("An origin that merely ends with a trusted host is allowed (%s): the check is a suffix match, but this look-alike lies under %s (its registrable domain by the Public Suffix List), so an outside attacker cannot register it; as with any subdomain, one XSS or subdomain takeover under %s is enough to read these responses",
		*origin, site, site)
}
