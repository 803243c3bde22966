package cachemodel

import (
	"slices"
	"strings"
)

// ProviderDetection is what the headers of one response say about the
// product that answered.
type ProviderDetection struct {
	Provider Provider
	// Evidence lists the signals seen, "<provider>: <what>", in table
	// order; on a conflict it ends with a line naming the products that
	// disagree. Empty when no header names any product.
	Evidence []string
	// Edge is the PoP code or edge id the product's own headers name ("AMS"
	// of CF-Ray "…-AMS", X-Amz-Cf-Pop "PHX50-C2"), "" when unknown.
	Edge string
}

// DetectProvider names the CDN or cache product a response appears to come
// from; see DetectProduct.
func DetectProvider(h Headers) Provider {
	return detectProduct(h, false).Provider
}

// DetectProduct weighs the evidence of every entry of Products:
//
//   - A signal is a header name (CF-Ray), a name prefix (Akamai-*) or a
//     value in the product's vocabulary (a Server product token, a Via
//     hop's product or receiving host, Traffic Server's Via codes).
//   - Weak signals use a format several products share (Squid's "HIT from
//     <host>"); they are dropped when another product's own signal claims
//     the same header line, so "X-Cache: HIT from velocix.com" with a
//     velocix Via is Velocix, not Squid.
//   - A product built on another (Fastly on Varnish) absorbs that one's
//     evidence.
//   - A managed CDN outranks cache software (a CDN sits in front of the
//     site's own cache), and cache software outranks a hosting platform
//     not known as a cache (Fly.io, whose proxy does not cache; Deno
//     Deploy).
//   - Two products of the same rank are a conflict: the headers of the one
//     behind pass through the one in front, so nothing says which answered,
//     and the answer is ProviderUnknown with both in the evidence.
//
// Server: nginx counts as nginx only together with a cache header (X-Cache,
// X-Proxy-Cache, Nginx-Cache): alone it is a web server, not a cache.
//
// The edge is read with the decided product's own rules; when no product
// is named at all, from headers that name an edge without naming a product
// (X-Edge-Pop, X-Edge-Location).
func DetectProduct(h Headers) ProviderDetection { return detectProduct(h, true) }

// detectProduct is DetectProduct; without evidence it leaves Evidence
// empty and builds no strings, for callers that need only the provider or
// the edge (every response of a run asks for its edge).
func detectProduct(h Headers, evidence bool) ProviderDetection {
	type seen struct {
		what    []string
		present bool
	}
	var evBuf [32]seen // the table fits: no allocation per response
	var ev []seen
	if len(Products) > len(evBuf) {
		ev = make([]seen, len(Products))
	} else {
		ev = evBuf[:len(Products)]
	}
	add := func(i int, what string) {
		ev[i].present = true
		if evidence && !slices.Contains(ev[i].what, what) {
			ev[i].what = append(ev[i].what, what)
		}
	}
	serverNginx, cacheHeader := false, ""
	type weakHit struct {
		product int
		what    string
	}
	var weakBuf [4]weakHit
	for _, f := range h {
		weak := weakBuf[:0]
		strongFrom := -1 // a product with a non-weak signal on this line
		for _, ref := range signalsFor(f.Name) {
			i, sg := ref.product, &Products[ref.product].Signals[ref.signal]
			if !sg.matches(f) {
				continue
			}
			if sg.Weak {
				weak = append(weak, weakHit{i, sg.What})
				continue
			}
			add(i, sg.What)
			strongFrom = i
		}
		for _, w := range weak {
			if strongFrom < 0 || strongFrom == w.product {
				add(w.product, w.what)
			}
		}
		switch {
		case headerNameIs(f.Name, "Server"):
			v := trimOWS(f.Value)
			if hasPrefixFold(v, "nginx") || hasPrefixFold(v, "openresty") {
				serverNginx = true
			}
		case headerNameIs(f.Name, "X-Cache"), headerNameIs(f.Name, "Nginx-Cache"), headerNameIs(f.Name, "X-Proxy-Cache"):
			if cacheHeader == "" {
				cacheHeader = f.Name
			}
		}
	}
	if serverNginx && cacheHeader != "" {
		if i := productIndex(ProviderNginx); i >= 0 {
			what := ""
			if evidence {
				what = "Server: nginx with a cache header (" + canonicalCacheHeader(cacheHeader) + ")"
			}
			add(i, what)
		}
	}
	// A product built on another absorbs its evidence.
	anyPresent := false
	for i := range Products {
		if !ev[i].present {
			continue
		}
		anyPresent = true
		for _, r := range Products[i].Runs {
			if j := productIndex(r); j >= 0 && ev[j].present {
				ev[i].what = append(ev[i].what, ev[j].what...)
				ev[j] = seen{}
			}
		}
	}
	var d ProviderDetection
	if evidence {
		n := 0
		for i := range Products {
			n += len(ev[i].what)
		}
		if n > 0 {
			d.Evidence = make([]string, 0, n+1) // and a conflict line, if any
		}
		for i := range Products {
			for _, w := range ev[i].what {
				line, ok := evidenceLines[[2]string{string(Products[i].Provider), w}]
				if !ok {
					line = string(Products[i].Provider) + ": " + w
				}
				d.Evidence = append(d.Evidence, line)
			}
		}
	}
	d.Provider = ProviderUnknown
	for _, tier := range [...]productTier{tierCDN, tierSoftware, tierPlatform} {
		n, first := 0, -1
		for i := range Products {
			if ev[i].present && Products[i].Tier == tier {
				if n == 0 {
					first = i
				}
				n++
			}
		}
		if n == 0 {
			continue
		}
		if n > 1 {
			if evidence {
				var names []string
				for i := range Products {
					if ev[i].present && Products[i].Tier == tier {
						names = append(names, string(Products[i].Provider))
					}
				}
				d.Evidence = append(d.Evidence, "conflict: "+strings.Join(names, ", ")+" (the headers of both are present and nothing says which one answered)")
			}
			return d
		}
		d.Provider = Products[first].Provider
		break
	}
	if d.Provider != ProviderUnknown {
		p, _ := ProductOf(d.Provider)
		for _, r := range p.Edge {
			if d.Edge = readEdge(h, r); d.Edge != "" {
				break
			}
		}
		return d
	}
	if !anyPresent {
		for _, r := range edgeOnlyHeaders {
			if d.Edge = readEdge(h, r); d.Edge != "" {
				if evidence {
					d.Evidence = append(d.Evidence, "edge only: "+r.Header+" header (names no product)")
				}
				break
			}
		}
	}
	return d
}

// evidenceLines holds the evidence line "<provider>: <what>" of every
// signal, for its own product and for any product that runs it, so that
// detection does not build the same strings for every target.
var evidenceLines = func() map[[2]string]string {
	m := map[[2]string]string{}
	for _, p := range Products {
		for _, sg := range p.Signals {
			m[[2]string{string(p.Provider), sg.What}] = string(p.Provider) + ": " + sg.What
			for _, q := range Products {
				if slices.Contains(q.Runs, p.Provider) {
					m[[2]string{string(q.Provider), sg.What}] = string(q.Provider) + ": " + sg.What
				}
			}
		}
	}
	return m
}()

func productIndex(p Provider) int {
	for i := range Products {
		if Products[i].Provider == p {
			return i
		}
	}
	return -1
}

// canonicalCacheHeader spells the cache header names nginx setups use the
// way corscope documents them (the evidence never repeats server text).
func canonicalCacheHeader(name string) string {
	for _, n := range []string{"X-Cache", "Nginx-Cache", "X-Proxy-Cache"} {
		if headerNameIs(name, n) {
			return n
		}
	}
	return "X-Cache"
}

// matches reports whether one header line is evidence of this signal.
func (sg *signal) matches(f Header) bool {
	if sg.NamePrefix {
		if !hasPrefixFold(f.Name, sg.Header) {
			return false
		}
	} else if !headerNameIs(f.Name, sg.Header) {
		return false
	}
	v := f.Value
	switch sg.Match {
	case matchAny:
		return true
	case matchPrefix:
		v = trimOWS(v)
		for _, w := range sg.Values {
			if hasPrefixFold(v, w) {
				return true
			}
		}
	case matchContains:
		for _, w := range sg.Values {
			if containsFold(v, w) {
				return true
			}
		}
	case matchProduct:
		return oneOf(productToken(v), sg.Values)
	case matchViaProduct, matchViaReceivedBy, matchViaCodes:
		return viaMatches(v, sg)
	case matchFromHost:
		for rest := v; rest != ""; {
			var e string
			e, rest = nextEntry(rest)
			if host := fromName(e); host != "" && squidCacheForm(e) {
				for _, w := range sg.Values {
					if containsFold(host, w) {
						return true
					}
				}
			}
		}
	case matchSquidForm:
		for rest := v; rest != ""; {
			var e string
			e, rest = nextEntry(rest)
			if squidCacheForm(e) {
				return true
			}
		}
	case matchFirstWord:
		for rest := v; rest != ""; {
			var e string
			e, rest = nextEntry(rest)
			if oneOf(firstWord(e), sg.Values) {
				return true
			}
		}
	case matchServedByFastly:
		return servedByFastly(v)
	}
	return false
}

func oneOf(w string, values []string) bool {
	for _, x := range values {
		if headerNameIs(w, x) {
			return true
		}
	}
	return false
}

// viaMatches looks at every hop of a Via: "1.1 host (product/version
// [codes])".
func viaMatches(v string, sg *signal) bool {
	for rest := v; rest != ""; {
		var hop string
		hop, rest = nextEntry(rest)
		_, after := nextField(hop)
		receivedBy, comment := nextField(after)
		switch sg.Match {
		case matchViaReceivedBy:
			host := receivedBy
			if i := strings.LastIndexByte(host, ':'); i > 0 && isDigits(host[i+1:]) {
				host = host[:i]
			}
			for _, w := range sg.Values {
				if headerNameIs(host, w) || hasPrefixFold(host, w) && len(host) > len(w) && strings.IndexByte("-.", host[len(w)]) >= 0 {
					return true
				}
			}
		case matchViaCodes:
			if i := strings.IndexByte(hop, '['); i >= 0 && atsViaCodes(hop[i:]) {
				return true
			}
		case matchViaProduct:
			comment = trimOWS(comment)
			if strings.HasPrefix(comment, "(") && oneOf(productToken(strings.TrimPrefix(comment, "(")), sg.Values) {
				return true
			}
		}
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// servedByFastly reports whether an X-Served-By lists Fastly cache nodes
// ("cache-{dc}{nodeid}-{DC}").
func servedByFastly(v string) bool {
	for rest := v; rest != ""; {
		var e string
		e, rest = nextEntry(rest)
		if hasPrefixFold(e, "cache-") {
			return true
		}
	}
	return false
}

// productToken is the product name of a Server value or Via comment: the
// text up to the first "/", white space or ")".
func productToken(v string) string {
	v = trimOWS(v)
	if i := strings.IndexAny(v, "/ \t)"); i >= 0 {
		return v[:i]
	}
	return v
}

// atsViaCodes reports whether s starts with Traffic Server's bracketed Via
// codes: "[" then letters, colons and spaces only, then "]" ("[cMsSf ]",
// "[uScMsSf pSeN:t cCMi p sS]").
func atsViaCodes(s string) bool {
	end := strings.IndexByte(s, ']')
	if !strings.HasPrefix(s, "[") || end < 3 {
		return false
	}
	for i := 1; i < end; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':' || c == ' ') {
			return false
		}
	}
	return true
}

// squidCacheForm: Squid's X-Cache / X-Cache-Lookup entry, "HIT from
// <host>", "MISS from <host>" or "NONE from <host>".
func squidCacheForm(e string) bool {
	w := firstWord(e)
	return (headerNameIs(w, "HIT") || headerNameIs(w, "MISS") || headerNameIs(w, "NONE")) && fromName(e) != ""
}

// signalRef points at one signal of the table.
type signalRef struct{ product, signal int }

// signalIndex maps a lower-case header name to the signals on it, in
// table order; prefixSignals are the name-prefix signals. Built once, so a
// response with many headers costs one map lookup per header.
var signalIndex, prefixSignals = func() (map[string][]signalRef, []signalRef) {
	idx := map[string][]signalRef{}
	var prefixes []signalRef
	for i, p := range Products {
		for j, sg := range p.Signals {
			if sg.NamePrefix {
				prefixes = append(prefixes, signalRef{i, j})
				prefixFirst.set(sg.Header[0])
				continue
			}
			k := strings.ToLower(sg.Header)
			idx[k] = append(idx[k], signalRef{i, j})
			if len(k) < 64 {
				signalLens |= 1 << len(k)
			}
		}
	}
	return idx, prefixes
}()

// signalLens has bit n set when a signal's header name is n bytes long;
// prefixFirst holds the first letters of the name-prefix signals. Most
// header lines (Date, Content-Type, ...) are ruled out by these alone.
var (
	signalLens  uint64
	prefixFirst asciiSet
)

// asciiSet is a set of ASCII letters, case-insensitive.
type asciiSet [2]uint64

func (s *asciiSet) set(c byte) {
	if c < 0x80 {
		s[c>>6] |= 1 << (c & 63)
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			c ^= 0x20
			s[c>>6] |= 1 << (c & 63)
		}
	}
}

func (s *asciiSet) has(c byte) bool { return c < 0x80 && s[c>>6]&(1<<(c&63)) != 0 }

// signalsFor returns the signals that may match a header of this name, in
// table order.
func signalsFor(name string) []signalRef {
	var refs []signalRef
	if len(name) < 64 && signalLens&(1<<len(name)) != 0 {
		var buf [64]byte
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		refs = signalIndex[string(buf[:len(name)])] // no allocation
	}
	if name == "" || !prefixFirst.has(name[0]) {
		return refs
	}
	var out []signalRef
	for _, r := range prefixSignals {
		if hasPrefixFold(name, Products[r.product].Signals[r.signal].Header) {
			if out == nil {
				out = append(make([]signalRef, 0, len(refs)+1), refs...)
			}
			out = append(out, r)
		}
	}
	if out != nil {
		slices.SortFunc(out, func(a, b signalRef) int {
			if a.product != b.product {
				return a.product - b.product
			}
			return a.signal - b.signal
		})
		return out
	}
	return refs
}

// Provider is the CDN or cache product a response appears to come from.
type Provider string

// Known providers.
const (
	ProviderCloudflare    Provider = "cloudflare"
	ProviderFastly        Provider = "fastly"
	ProviderCloudFront    Provider = "cloudfront"
	ProviderAkamai        Provider = "akamai"
	ProviderVarnish       Provider = "varnish"
	ProviderNginx         Provider = "nginx"
	ProviderSquid         Provider = "squid"
	ProviderTrafficServer Provider = "trafficserver"
	ProviderVercel        Provider = "vercel"
	ProviderNetlify       Provider = "netlify"
	ProviderUnknown       Provider = "unknown"
)
