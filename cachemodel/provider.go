package cachemodel

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
// Then the generic products:
//
//  7. Varnish: X-Varnish, Via naming varnish.
//  8. nginx: X-Cache-Status (the usual $upstream_cache_status header), or
//     Server: nginx/openresty together with an X-Cache, Nginx-Cache or
//     X-Proxy-Cache header.
//  9. Squid: X-Cache-Lookup, Server: squid, Via naming squid, or an X-Cache
//     of the form "HIT from <host>" / "MISS from <host>".
//  10. Apache Traffic Server: Server: ATS/..., Server or Via naming
//     ApacheTrafficServer, or an xdebug X-Cache value (hit-fresh,
//     hit-stale, skipped).
//
// Anything else is ProviderUnknown.
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
		s.squid = true
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
		case (hvNameIs(w, "HIT") || hvNameIs(w, "MISS")) && fromName(e) != "":
			s.squid = true
		}
	}
}

func (s *providerSignals) observeVia(v string) {
	switch {
	case hvContainsFold(v, "cloudfront"):
		s.cloudfront = true
	case hvContainsFold(v, "ApacheTrafficServer"):
		s.trafficServer = true
	}
	// Via can list several hops; keep looking for the generic products.
	if hvContainsFold(v, "varnish") {
		s.varnish = true
	}
	if hvContainsFold(v, "squid") {
		s.squid = true
	}
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
	case hvHasPrefixFold(v, "squid"):
		s.squid = true
	case hvNameIs(v, "ATS"), hvHasPrefixFold(v, "ATS/"), hvContainsFold(v, "ApacheTrafficServer"):
		s.trafficServer = true
	}
}
