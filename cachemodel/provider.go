package cachemodel

import "strings"

// providerSignals records which tell-tale headers a response carries.
type providerSignals struct {
	cloudflare, fastly, cloudfront, akamai, vercel, netlify bool
	varnish, nginx, squid, trafficServer                    bool

	serverNginx, genericXCache bool
}

// DetectProvider names the CDN or cache product a response appears to come
// from, by its tell-tale headers. The first match in this order wins:
//
//  1. Cloudflare: CF-Ray, CF-Cache-Status, Server: cloudflare.
//  2. Fastly: X-Served-By listing cache-* nodes, Fastly-* or X-Fastly-*
//     headers. Before Varnish because Fastly runs Varnish and also sends
//     X-Varnish and Via: varnish.
//  3. CloudFront: X-Amz-Cf-Id, X-Amz-Cf-Pop, X-Cache "... from cloudfront",
//     Via "... (CloudFront)", Server: CloudFront.
//  4. Akamai: Akamai-* or X-Akamai-* headers, Server: AkamaiGHost or
//     AkamaiNetStorage, X-Cache naming an akamai host.
//  5. Vercel: X-Vercel-* headers, Server: Vercel.
//  6. Netlify: X-Nf-Request-Id, Server: Netlify, a Cache-Status naming
//     Netlify.
//
// Managed CDNs come first: a CDN in front of a site outranks the cache
// software behind it, and the platforms may run that software themselves.
// Then the generic products, each recognised by the vocabulary of the
// values (a Server product token, the product in a Via comment), not by a
// header name alone:
//
//  7. Varnish: X-Varnish, a Via hop received by "varnish..." or naming
//     Varnish as its product.
//  8. nginx: X-Cache-Status (the usual $upstream_cache_status header), or
//     Server: nginx/openresty together with an X-Cache, Nginx-Cache or
//     X-Proxy-Cache header.
//  9. Squid: Server: squid[/version], a Via hop whose product is squid, or
//     an X-Cache or X-Cache-Lookup of Squid's form "HIT from <host>" /
//     "MISS from <host>" (a bare "miss" is anybody's).
//  10. Apache Traffic Server: Server: ATS[/version] or ApacheTrafficServer,
//     a Via hop whose product is ApacheTrafficServer or that carries ATS's
//     bracketed via codes ("[cMsSf ]"), or an xdebug X-Cache value
//     (hit-fresh, hit-stale, skipped).
//
// When the values name more than one of these generic products (a Server
// and a Via that disagree, or two caches on the path), the answer is
// ProviderUnknown rather than a guess, since the fix texts name the
// product. Anything else is ProviderUnknown too.
func DetectProvider(h Headers) Provider {
	var s providerSignals
	for _, f := range h {
		s.observe(f)
	}
	if s.serverNginx && s.genericXCache {
		s.nginx = true
	}
	switch {
	case s.cloudflare:
		return ProviderCloudflare
	case s.fastly:
		return ProviderFastly
	case s.cloudfront:
		return ProviderCloudFront
	case s.akamai:
		return ProviderAkamai
	case s.vercel:
		return ProviderVercel
	case s.netlify:
		return ProviderNetlify
	}
	generic := 0
	for _, b := range []bool{s.varnish, s.nginx, s.squid, s.trafficServer} {
		if b {
			generic++
		}
	}
	switch {
	case generic > 1:
		return ProviderUnknown
	case s.varnish:
		return ProviderVarnish
	case s.nginx:
		return ProviderNginx
	case s.squid:
		return ProviderSquid
	case s.trafficServer:
		return ProviderTrafficServer
	}
	return ProviderUnknown
}

func (s *providerSignals) observe(f Header) {
	n, v := f.Name, f.Value
	switch {
	case hvNameIs(n, "CF-Ray"), hvNameIs(n, "CF-Cache-Status"):
		s.cloudflare = true
	case hvHasPrefixFold(n, "Fastly-"), hvHasPrefixFold(n, "X-Fastly-"):
		s.fastly = true
	case hvNameIs(n, "X-Served-By"):
		s.fastly = s.fastly || servedByFastly(v)
	case hvNameIs(n, "X-Amz-Cf-Id"), hvNameIs(n, "X-Amz-Cf-Pop"):
		s.cloudfront = true
	case hvHasPrefixFold(n, "Akamai-"), hvHasPrefixFold(n, "X-Akamai-"):
		s.akamai = true
	case hvHasPrefixFold(n, "X-Vercel-"):
		s.vercel = true
	case hvNameIs(n, "X-Nf-Request-Id"):
		s.netlify = true
	case hvNameIs(n, "Cache-Status"):
		s.netlify = s.netlify || hvContainsFold(v, "netlify")
	case hvNameIs(n, "X-Varnish"):
		s.varnish = true
	case hvNameIs(n, "X-Cache-Status"):
		s.nginx = true
	case hvNameIs(n, "Nginx-Cache"), hvNameIs(n, "X-Proxy-Cache"):
		s.genericXCache = true
	case hvNameIs(n, "X-Cache-Lookup"):
		s.squid = s.squid || squidCacheForm(v)
	case hvNameIs(n, "X-Cache"):
		s.genericXCache = true
		s.observeXCache(v)
	case hvNameIs(n, "Via"):
		s.observeVia(v)
	case hvNameIs(n, "Server"):
		s.observeServer(v)
	}
}

// servedByFastly reports whether an X-Served-By lists Fastly cache nodes
// ("cache-{dc}{nodeid}-{DC}").
func servedByFastly(v string) bool {
	for rest := v; rest != ""; {
		var e string
		e, rest = nextEntry(rest)
		if hvHasPrefixFold(e, "cache-") {
			return true
		}
	}
	return false
}

func (s *providerSignals) observeXCache(v string) {
	if hvContainsFold(v, "from cloudfront") {
		s.cloudfront = true
		return
	}
	if hvContainsFold(v, "akamai") {
		s.akamai = true
		return
	}
	for rest := v; rest != ""; {
		var e string
		e, rest = nextEntry(rest)
		w := firstWord(e)
		switch {
		case hvNameIs(w, "hit-fresh"), hvNameIs(w, "hit-stale"), hvNameIs(w, "skipped"):
			s.trafficServer = true
		case squidCacheForm(e):
			s.squid = true
		}
	}
}

func (s *providerSignals) observeVia(v string) {
	if hvContainsFold(v, "cloudfront") {
		s.cloudfront = true
	}
	// Via can list several hops: "1.1 host (product/version [codes])".
	for rest := v; rest != ""; {
		var hop string
		hop, rest = nextEntry(rest)
		_, after := nextField(hop)
		receivedBy, comment := nextField(after)
		if hvHasPrefixFold(receivedBy, "varnish") {
			s.varnish = true
		}
		if i := strings.IndexByte(hop, '['); i >= 0 && atsViaCodes(hop[i:]) {
			s.trafficServer = true
		}
		comment = hvTrim(comment)
		if !strings.HasPrefix(comment, "(") {
			continue
		}
		switch p := productToken(strings.TrimPrefix(comment, "(")); {
		case hvNameIs(p, "varnish"):
			s.varnish = true
		case hvNameIs(p, "squid"):
			s.squid = true
		case hvNameIs(p, "ApacheTrafficServer"), hvNameIs(p, "ATS"), hvNameIs(p, "TrafficServer"):
			s.trafficServer = true
		}
	}
}

// productToken is the product name of a Server value or Via comment: the
// text up to the first "/", white space or ")".
func productToken(v string) string {
	v = hvTrim(v)
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
	return (hvNameIs(w, "HIT") || hvNameIs(w, "MISS") || hvNameIs(w, "NONE")) && fromName(e) != ""
}

func (s *providerSignals) observeServer(v string) {
	v = hvTrim(v)
	switch {
	case hvHasPrefixFold(v, "cloudflare"):
		s.cloudflare = true
	case hvHasPrefixFold(v, "CloudFront"):
		s.cloudfront = true
	case hvContainsFold(v, "AkamaiGHost"), hvContainsFold(v, "AkamaiNetStorage"):
		s.akamai = true
	case hvHasPrefixFold(v, "Vercel"):
		s.vercel = true
	case hvHasPrefixFold(v, "Netlify"):
		s.netlify = true
	case hvHasPrefixFold(v, "nginx"), hvHasPrefixFold(v, "openresty"):
		s.serverNginx = true
	}
	switch p := productToken(v); {
	case hvNameIs(p, "squid"):
		s.squid = true
	case hvNameIs(p, "ATS"), hvNameIs(p, "ApacheTrafficServer"), hvNameIs(p, "TrafficServer"):
		s.trafficServer = true
	}
}
