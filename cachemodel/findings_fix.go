package cachemodel

// Fix texts. The origin-side fix comes first; the cache-side part names
// the provider's own mechanism when the provider is known.

const fixVaryOrigin = "Send Vary: Origin on every response of this URL whose ACAO depends on the request's Origin, including responses to requests without Origin and to origins you do not allow; or send one fixed ACAO (for example *) on every response and no Vary."

// cacheKeyFix says how to keep Origins apart at the detected cache and how
// to get rid of copies already stored.
func cacheKeyFix(p Provider) string {
	switch p {
	case ProviderCloudflare:
		return "Cloudflare: keep Origin in the cache key (it is part of the default key; make sure no Cache Rule excludes it), then purge the URL once per Origin with files[].headers.Origin in the purge API (a plain URL purge evicts only the no-Origin copy) or purge by host, prefix or tag."
	case ProviderCloudFront:
		return "CloudFront: add the Origin header to the behaviour's cache policy (an origin request policy only forwards it, without keying on it: the classic poisoning setup), then create an invalidation for the path (it drops every variant)."
	case ProviderAkamai:
		return "Akamai does not honour Vary (any Vary other than Accept-Encoding makes the object uncacheable, and the Remove Vary Header behaviour strips it): add the Origin header to the cache key with Cache ID Modification, then purge the URL with Fast Purge."
	case ProviderFastly:
		return "Fastly honours Vary: Origin unless VCL rewrites or strips Vary; alternatively add req.http.Origin to vcl_hash. Purge the URL afterwards (all variants go)."
	case ProviderVarnish:
		return "Varnish honours Vary: add Origin to beresp.http.Vary in vcl_backend_response when the backend cannot, or hash req.http.Origin in vcl_hash; then PURGE the URL (removes every variant) or ban it."
	case ProviderNginx:
		return "nginx proxy_cache honours Vary (since 1.7.7); alternatively add $http_origin to proxy_cache_key. Purge the stored copies (ngx_cache_purge with the same key) or wait for their TTL."
	case ProviderSquid, ProviderTrafficServer:
		return string(p) + " honours Vary: keep Origin in the response's Vary (or key on Origin), then purge the URL."
	}
	return "At the cache: key on the Origin header or honour Vary: Origin, then purge the copies already stored."
}

// varyIgnoredFix is the cache-side fix when the response already says
// Vary: Origin.
func varyIgnoredFix(p Provider) string {
	switch p {
	case ProviderCloudflare:
		return "The origin already sends Vary: Origin; Cloudflare only honours Vary for headers configured in a Cache Rule, and keys on Origin by default: check that no Cache Rule removed Origin from the cache key. Then purge per Origin (files[].headers.Origin)."
	case ProviderAkamai:
		return "The origin already sends Vary: Origin, but Akamai does not honour Vary: add the Origin header to the cache key with Cache ID Modification and make sure no Remove Vary Header behaviour applies; then purge."
	case ProviderCloudFront:
		return "The origin already sends Vary: Origin; CloudFront only varies on headers in the cache policy: add Origin to the cache policy, then invalidate the path."
	}
	return "The origin already sends Vary: Origin; the cache must honour it or key on Origin. " + cacheKeyFix(p)
}

// servedAcrossOriginsFix is the fix when a cache served one Origin's copy
// to another: the origin-side Vary fix, unless the stored copy already said
// Vary: Origin, in which case only the cache can be at fault.
func servedAcrossOriginsFix(p Provider, varyIgnored bool) string {
	if varyIgnored {
		return varyIgnoredFix(p)
	}
	return fixVaryOrigin + " " + cacheKeyFix(p)
}
