package cachemodel

import (
	"net/url"
	"strconv"
	"strings"
)

// Generated (adversarial) variant kinds. They are sent only in isolate
// mode, each on its own fresh cache key, so an attacker-style Origin never
// reaches a cache object real users are served. Each kind probes one
// classic mistake in a server's origin check.
const (
	// KindGenUnrelated is an origin nobody trusts: allowed means the server
	// reflects any Origin.
	KindGenUnrelated VariantKind = "gen-unrelated"
	// KindGenSuffix is "evil" + a trusted host: allowed means an
	// endsWith(host) check.
	KindGenSuffix VariantKind = "gen-suffix"
	// KindGenPrefix is a trusted host followed by another domain: allowed
	// means a startsWith(origin) check.
	KindGenPrefix VariantKind = "gen-prefix"
	// KindGenUnescapedDot replaces a dot of a trusted host with a letter:
	// allowed means a regular expression with an unescaped ".".
	KindGenUnescapedDot VariantKind = "gen-unescaped-dot"
	// KindGenSpecialChar puts "_" right after a trusted host: allowed means
	// a pattern that stops at characters some browsers accept in hosts.
	KindGenSpecialChar VariantKind = "gen-special-char"
	// KindGenSubdomain is a random subdomain of a trusted host.
	KindGenSubdomain VariantKind = "gen-subdomain"
	// KindGenInsecureScheme is http:// for a trusted https:// origin.
	KindGenInsecureScheme VariantKind = "gen-insecure-scheme"
	// KindGenOtherPort is a trusted host on another port.
	KindGenOtherPort VariantKind = "gen-other-port"
)

// IsGenerated reports whether the kind is one of the adversarial kinds
// above.
func (k VariantKind) IsGenerated() bool { return strings.HasPrefix(string(k), "gen-") }

// genBase is one origin the generated variants are derived from.
type genBase struct {
	scheme, host, port string // host lower-case, IPv6 without brackets
	ip                 bool
}

// GenerateOrigins derives the adversarial Origin variants of isolate mode
// from the target's origin and each configured origin. label is a random
// DNS label such as "corscope-3f9a0c1b" (it keeps the generated domains
// unregistered and unique per run). The unrelated origin comes first, then
// each base's variants in a fixed kind order. Duplicates, and anything equal
// to the target's own origin, a configured origin or "null", are dropped.
//
// IP-literal bases only get the prefix (IPv4), insecure-scheme and
// other-port variants: the host-name tricks make no sense for them.
func GenerateOrigins(target *url.URL, origins []string, label string) []Variant {
	skip := map[string]bool{"null": true, OriginOf(target): true}
	for _, o := range origins {
		skip[o] = true
	}
	var out []Variant
	add := func(kind VariantKind, origin string) {
		if origin == "" || skip[origin] {
			return
		}
		skip[origin] = true
		out = append(out, Variant{Kind: kind, Origin: origin})
	}
	add(KindGenUnrelated, "https://"+label+".example")
	for _, b := range genBases(target, origins) {
		for _, g := range b.generate(label) {
			add(g.Kind, g.Origin)
		}
	}
	return out
}

// genBases lists the target's origin and the configured origins (not
// "null"), deduplicated, in that order.
func genBases(target *url.URL, origins []string) []genBase {
	seen := map[string]bool{}
	var out []genBase
	for _, o := range append([]string{OriginOf(target)}, origins...) {
		if o == "null" || seen[o] {
			continue
		}
		seen[o] = true
		u, err := url.Parse(o)
		if err != nil || u.Host == "" {
			continue
		}
		host := strings.ToLower(u.Hostname())
		out = append(out, genBase{scheme: strings.ToLower(u.Scheme), host: host, port: u.Port(), ip: isIPLiteral(host)})
	}
	return out
}

// generate returns this base's variants, in kind order.
func (b genBase) generate(label string) []Variant {
	var out []Variant
	add := func(k VariantKind, o string) { out = append(out, Variant{Kind: k, Origin: o}) }
	v6 := b.ip && strings.Contains(b.host, ":")
	if !b.ip {
		add(KindGenSuffix, serializeOrigin(b.scheme, "evil"+b.host, b.port))
	}
	if !v6 {
		add(KindGenPrefix, serializeOrigin(b.scheme, b.host+"."+label+".example", b.port))
	}
	if !b.ip {
		if i := strings.IndexByte(b.host, '.'); i > 0 {
			add(KindGenUnescapedDot, serializeOrigin(b.scheme, b.host[:i]+"x"+b.host[i+1:], b.port))
		}
		add(KindGenSpecialChar, serializeOrigin(b.scheme, b.host+"_."+label+".example", b.port))
		add(KindGenSubdomain, serializeOrigin(b.scheme, label+"."+b.host, b.port))
	}
	if b.scheme == "https" {
		add(KindGenInsecureScheme, serializeOrigin("http", b.host, b.port))
	}
	add(KindGenOtherPort, serializeOrigin(b.scheme, b.host, otherPort(b.scheme, b.port)))
	return out
}

// otherPort picks a port that differs from the base's (explicit or
// default) port.
func otherPort(scheme, port string) string {
	if port == "" {
		if scheme == "https" {
			return "8443"
		}
		return "8080"
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "8443"
	}
	if n >= 65535 {
		return strconv.Itoa(n - 1)
	}
	return strconv.Itoa(n + 1)
}

// isIPLiteral reports whether host is an IPv4 dotted quad or an IPv6
// literal (without brackets). A loose test is enough: it only decides which
// host-name tricks are worth generating.
func isIPLiteral(host string) bool {
	if strings.Contains(host, ":") {
		return true
	}
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
