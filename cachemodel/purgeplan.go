package cachemodel

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// PurgeScope says what a purge selects.
type PurgeScope string

// Purge scopes. Only PurgeURLs is variant-aware; the others select whole
// groups of objects whatever their cache key, and their targets (if any)
// are only routed and re-probed afterwards.
const (
	PurgeURLs       PurgeScope = "urls"       // each target URL once per Origin variant
	PurgeEverything PurgeScope = "everything" // the whole zone or service
	PurgeHosts      PurgeScope = "hosts"      // every object of the given host names
	PurgePrefixes   PurgeScope = "prefixes"   // every object below host/path prefixes
	PurgeTags       PurgeScope = "tags"       // every object tagged (Cache-Tag, Surrogate-Key)
)

// PurgeTarget is one URL and the Origin variants whose cached copies
// should go. A cache that keys on Origin (Cloudflare by default, nginx with
// $http_origin in proxy_cache_key) holds one object per variant, and a URL
// purge without the variant's Origin leaves it in place.
type PurgeTarget struct {
	URL string // absolute URL, normalised by ParseTargetURL
	// Host is the lower-case host name without port: what provider host
	// patterns are matched against.
	Host     string
	Variants []Variant // no Origin first, then in the order given; no duplicates
}

// PurgePlan is what to purge: a scope, its selector values and the target
// URLs with their variants. It says nothing about how: the purge package
// turns a plan into provider requests.
type PurgePlan struct {
	Scope PurgeScope
	// Values are the host names, host/path prefixes or tags of those
	// scopes; empty for PurgeURLs and PurgeEverything.
	Values  []string
	Targets []PurgeTarget
}

// PurgeGroup is the part of a plan one provider carries out.
type PurgeGroup struct {
	Provider string   // the name the chooser gave
	Values   []string // the scope values this provider purges (hosts, prefixes, tags)
	// Targets are the URLs this provider purges (PurgeURLs) or serves and
	// so re-probes afterwards (other scopes).
	Targets []PurgeTarget
}

// PurgeVariants lists the Origin variants to purge for a target: no Origin
// first (the copy plain page loads fill), then each origin once. An origin
// equal to the target's own is labelled same-origin, "null" as the opaque
// origin. origins must already be validated by ParseOrigin.
func PurgeVariants(target *url.URL, origins []string) []Variant {
	vs := []Variant{{Kind: KindNoOrigin}}
	own := OriginOf(target)
	seen := map[string]bool{}
	for _, o := range origins {
		if seen[o] {
			continue
		}
		seen[o] = true
		kind := KindConfigured
		switch o {
		case "null":
			kind = KindNull
		case own:
			kind = KindSameOrigin
		}
		vs = append(vs, Variant{Kind: kind, Origin: o})
	}
	return vs
}

// BuildPurgePlan checks a scope, its values and the target URLs and lays
// out the plan. Every target gets PurgeVariants(target, origins). Duplicate
// URLs and values are dropped (first place kept). Errors are one line.
func BuildPurgePlan(scope PurgeScope, values []string, targets []*url.URL, origins []string) (PurgePlan, error) {
	p := PurgePlan{Scope: scope}
	switch scope {
	case PurgeURLs:
		if len(targets) == 0 {
			return p, fmt.Errorf("nothing to purge: give one or more URLs")
		}
		if len(values) > 0 {
			return p, fmt.Errorf("a URL purge takes no host, prefix or tag values")
		}
	case PurgeEverything:
		if len(values) > 0 {
			return p, fmt.Errorf("purge everything takes no host, prefix or tag values")
		}
	case PurgeHosts, PurgePrefixes, PurgeTags:
		if len(values) == 0 {
			return p, fmt.Errorf("a %s purge needs at least one value", scope)
		}
	default:
		return p, fmt.Errorf("unknown purge scope %q", scope)
	}
	seenValue := map[string]bool{}
	for _, v := range values {
		norm, err := checkPurgeValue(scope, v)
		if err != nil {
			return p, err
		}
		if !seenValue[norm] {
			seenValue[norm] = true
			p.Values = append(p.Values, norm)
		}
	}
	seenURL := map[string]bool{}
	for _, u := range targets {
		if u == nil {
			continue
		}
		u = normalizePurgeURL(u)
		s := u.String()
		if seenURL[s] {
			continue
		}
		seenURL[s] = true
		p.Targets = append(p.Targets, PurgeTarget{URL: s, Host: purgeHostOf(u), Variants: PurgeVariants(u, origins)})
	}
	return p, nil
}

// PurgePlanFromReports builds a URL purge of exactly what a run probed:
// every target URL with each distinct Origin variant its requests carried
// (preflights and later rounds add no new variant). Targets whose URL does
// not parse are skipped and named in the error, which is returned together
// with the plan of the rest.
func PurgePlanFromReports(reports []TargetReport) (PurgePlan, error) {
	p := PurgePlan{Scope: PurgeURLs}
	var bad []string
	seenURL := map[string]bool{}
	for _, t := range reports {
		u, err := ParseTargetURL(t.URL)
		if err != nil {
			bad = append(bad, t.URL)
			continue
		}
		u = normalizePurgeURL(u)
		if seenURL[u.String()] {
			continue
		}
		seenURL[u.String()] = true
		pt := PurgeTarget{URL: u.String(), Host: purgeHostOf(u), Variants: []Variant{{Kind: KindNoOrigin}}}
		seen := map[string]bool{}
		for _, v := range t.Variants {
			if v.Origin == nil || seen[*v.Origin] {
				continue
			}
			seen[*v.Origin] = true
			pt.Variants = append(pt.Variants, Variant{Kind: v.Kind, Origin: *v.Origin})
		}
		p.Targets = append(p.Targets, pt)
	}
	if len(bad) > 0 {
		return p, fmt.Errorf("skipped %d target(s) with an unusable URL: %s", len(bad), strings.Join(bad, ", "))
	}
	return p, nil
}

// VariantCount is the number of URL × Origin variant pairs in the plan.
func (p PurgePlan) VariantCount() int {
	n := 0
	for _, t := range p.Targets {
		n += len(t.Variants)
	}
	return n
}

// GroupByProvider splits the plan by provider. choose names the provider
// serving a host (false: none); for tag and everything purges without
// targets it is asked for host "", which should name the one provider the
// user forced or configured. Groups come in order of first appearance.
// Every target, host and prefix must be served, or the error lists the
// hosts nobody serves.
func (p PurgePlan) GroupByProvider(choose func(host string) (string, bool)) ([]PurgeGroup, error) {
	var groups []PurgeGroup
	index := map[string]int{}
	group := func(name string) *PurgeGroup {
		i, ok := index[name]
		if !ok {
			i = len(groups)
			index[name] = i
			groups = append(groups, PurgeGroup{Provider: name})
		}
		return &groups[i]
	}
	var unserved []string
	route := func(host string) (string, bool) {
		name, ok := choose(host)
		if !ok && !slices.Contains(unserved, host) {
			unserved = append(unserved, host)
		}
		return name, ok
	}
	switch p.Scope {
	case PurgeHosts, PurgePrefixes:
		for _, v := range p.Values {
			if name, ok := route(PurgeValueHost(p.Scope, v)); ok {
				g := group(name)
				g.Values = append(g.Values, v)
			}
		}
	}
	for _, t := range p.Targets {
		if name, ok := route(t.Host); ok {
			g := group(name)
			g.Targets = append(g.Targets, t)
		}
	}
	switch p.Scope {
	case PurgeTags, PurgeEverything:
		if len(p.Targets) == 0 {
			name, ok := choose("")
			if !ok {
				return nil, fmt.Errorf("a %s purge without URLs needs a provider: give a URL of the zone or service, or --provider", p.Scope)
			}
			group(name)
		}
		for i := range groups {
			groups[i].Values = append([]string(nil), p.Values...)
		}
	}
	if len(unserved) > 0 {
		return nil, fmt.Errorf("no purge provider serves %s: add a [[purge]] entry whose hosts match, or pass --provider", strings.Join(unserved, ", "))
	}
	return groups, nil
}

// PurgeValueHost is the host name a scope value belongs to (lower-case,
// without port): the host itself, or a prefix's part before the first "/".
// Tags belong to no host.
func PurgeValueHost(scope PurgeScope, v string) string {
	switch scope {
	case PurgeHosts:
		return purgeStripPort(v)
	case PurgePrefixes:
		host, _, _ := strings.Cut(v, "/")
		return purgeStripPort(host)
	}
	return ""
}

// checkPurgeValue validates one host, prefix or tag the way Cloudflare
// documents them and returns it normalised (hosts lower-cased).
func checkPurgeValue(scope PurgeScope, v string) (string, error) {
	switch scope {
	case PurgeHosts:
		h := strings.ToLower(strings.TrimSuffix(v, "."))
		if !purgeValidHostPort(h) {
			return "", fmt.Errorf("--host %q: want a bare host name such as www.example.com (no scheme or path)", v)
		}
		return h, nil
	case PurgePrefixes:
		if strings.Contains(v, "://") {
			return "", fmt.Errorf("--prefix %q: write it without the scheme, as host/path", v)
		}
		host, path, ok := strings.Cut(v, "/")
		host = strings.ToLower(host)
		switch {
		case !ok || !purgeValidHostPort(host):
			return "", fmt.Errorf("--prefix %q: want host/path, e.g. www.example.com/assets/", v)
		case strings.ContainsAny(path, "?# \t"):
			return "", fmt.Errorf("--prefix %q: no query, fragment or spaces allowed", v)
		case strings.Count(v, "/") > 31:
			return "", fmt.Errorf("--prefix %q: more than 31 path separators", v)
		}
		return host + "/" + path, nil
	case PurgeTags:
		if v == "" || len(v) > 1024 {
			return "", fmt.Errorf("--tag: a tag must be 1 to 1024 characters long")
		}
		for i := 0; i < len(v); i++ {
			if v[i] <= ' ' || v[i] > '~' {
				return "", fmt.Errorf("--tag %q: only printable ASCII without spaces", v)
			}
		}
		return v, nil
	}
	return v, nil
}

// validHostPort accepts a lower-case DNS name or IPv4 address with an
// optional :port.
func purgeValidHostPort(hp string) bool {
	host, port, hasPort := strings.Cut(hp, ":")
	if hasPort {
		if port == "" || len(port) > 5 {
			return false
		}
		for _, c := range port {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// normalizePurgeURL returns a copy with the scheme and host lower-cased and
// a default port dropped: caches key on the host as the browser sends it
// (Cloudflare lower-cases it), and one object must not be purged twice under
// two spellings. Path and query stay as given: they are case-sensitive.
func normalizePurgeURL(u *url.URL) *url.URL {
	c := *u
	c.Scheme = strings.ToLower(c.Scheme)
	host, port, _ := splitHostPort(&c)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && !(c.Scheme == "https" && port == "443") && !(c.Scheme == "http" && port == "80") {
		host += ":" + port
	}
	c.Host = host
	return &c
}

func purgeHostOf(u *url.URL) string { return strings.ToLower(u.Hostname()) }

func purgeStripPort(hp string) string {
	if strings.HasPrefix(hp, "[") { // IPv6 literal
		if end := strings.IndexByte(hp, ']'); end > 0 {
			return strings.ToLower(hp[1:end])
		}
	}
	host, _, _ := strings.Cut(hp, ":")
	return strings.ToLower(host)
}
