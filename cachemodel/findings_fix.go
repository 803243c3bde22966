package cachemodel

import "strings"

// Fix texts. The origin-side fix comes first; the cache-side part names
// the provider's own mechanism when the provider is known.

const fixVaryOrigin = "Send Vary: Origin on every response of this URL whose ACAO depends on the request's Origin, including responses to requests without Origin and to origins you do not allow; or send one fixed ACAO (for example *) on every response and no Vary."

// fixS3BehindCloudFront replaces fixVaryOrigin when the origin is S3 behind
// CloudFront: S3 cannot be told to send Vary: Origin on every response.
const fixS3BehindCloudFront = "The origin is Amazon S3, which sends Vary: Origin (with Access-Control-Request-Headers and -Method) only on CORS responses, to requests whose Origin matches a CORS rule; the copy stored for a request without Origin (a plain <script>, <img> or font load) has no Vary and no ACAO, and CloudFront serves it to CORS requests unless its cache policy keys on Origin. S3 cannot be told to send Vary on every response, so the fix is at CloudFront."

// cloudFrontKeyFix is how CloudFront keys on Origin: the cache policy, not
// the origin request policy (which forwards without keying).
const cloudFrontKeyFix = "CloudFront: put the Origin header in the behaviour's cache key: a cache policy that lists Origin (for S3 also Access-Control-Request-Headers and Access-Control-Request-Method when OPTIONS is cached), or the managed UseOriginCacheControlHeaders policy, whose key includes Origin. The managed CORS-S3Origin and CORS-CustomOrigin policies are origin request policies: they forward Origin to the origin without putting it in the key, so with CachingOptimized (no headers in the key) the first copy stored is served to every Origin, the classic poisoning setup. Or avoid per-Origin grants: a response headers policy such as the managed SimpleCORS (Access-Control-Allow-Origin: *) answers every Origin the same. Then create an invalidation for the path (it drops every variant; corscope purge --provider cloudfront waits for it to complete)."

// varyHonouringCache is how a cache product that honours Vary by default
// is told to key on Origin and to drop stored copies.
type varyHonouringCache struct {
	name, honours, keyOn, stripped, purge string
	// keyOnWithoutVary is how to key on Origin without relying on Vary.
	keyOnWithoutVary string
}

var varyHonouringCaches = map[Provider]varyHonouringCache{
	ProviderFastly: {"Fastly", "Fastly honours Vary: Origin unless VCL rewrites or strips Vary",
		"add req.http.Origin to vcl_hash", "VCL that rewrites or strips Vary, or a vcl_hash that drops it",
		"Purge the URL afterwards (all variants go).", "add req.http.Origin to vcl_hash"},
	ProviderVarnish: {"Varnish", "Varnish honours Vary",
		"add Origin to beresp.http.Vary in vcl_backend_response when the backend cannot, or hash req.http.Origin in vcl_hash",
		"VCL that unsets or rewrites beresp.http.Vary, or a vcl_hash/vcl_recv that changes the request's Origin",
		"Then PURGE the URL (removes every variant) or ban it.", "hash req.http.Origin in vcl_hash"},
	ProviderNginx: {"nginx", "nginx proxy_cache honours Vary (since 1.7.7)",
		"add $http_origin to proxy_cache_key (with the srcache module: to the key srcache_fetch and srcache_store use)", "proxy_ignore_headers Vary, or a Vary hidden or rewritten before the cache",
		"Purge the stored copies (ngx_cache_purge with the same key) or wait for their TTL.", "add $http_origin to proxy_cache_key (or to the srcache key)"},
	ProviderSquid: {"Squid", "Squid honours Vary",
		"keep Origin in the response's Vary", "a reply_header_access or ACL rule that removes Vary, or a peer in front that ignores it",
		"Then purge the URL.", "Squid keys on the URL only, so do not cache requests that carry Origin (acl hasOrigin req_header Origin . and cache deny hasOrigin)"},
	ProviderTrafficServer: {"Apache Traffic Server", "Apache Traffic Server honours Vary (it stores one alternate per Vary value, up to proxy.config.cache.limits.http.max_alts)",
		"keep Origin in the response's Vary, or key on Origin with the cachekey plugin (--include-headers=Origin)", "a header_rewrite rule or plugin that removes or rewrites Vary before the cache stores the response",
		"Then purge the URL.", "use the cachekey plugin with --include-headers=Origin"},
}

// productKeyFixes: products with their own way to key on Origin or to
// purge say so; where none exists the text says that no per-Origin purge
// exists and what to do instead. None of them claims the product honours
// Vary, so they also serve when this run saw Vary ignored.
var productKeyFixes = map[Provider]string{
	ProviderBunny:       "Bunny CDN: the cache key is the URL plus the pull zone's Vary Cache options; if none of them tells Origins apart, bypass the cache for this path with an Edge Rule or send one fixed ACAO (for example *). No per-Origin purge exists here: purge the URL with the purge API (POST api.bunny.net/purge?url=...) or the pull zone's cache, by CDN-Tag if the origin sets one.",
	ProviderKeyCDN:      "KeyCDN: the zone's cache key is the URL and the zone's Cache Key settings; if they cannot tell Origins apart, make Origin-dependent responses uncacheable at the edge (Cache-Control: private from the origin) or send one fixed ACAO. No per-Origin purge exists here: purge the URL (Purge URL in the dashboard or the API) or purge by Cache-Tag.",
	ProviderAzure:       "Azure Front Door / Azure CDN: the cache key is the URL and its query string, and request headers such as Origin cannot be added to it; add a Rules engine rule that matches requests carrying an Origin header and overrides the route to disable caching, or send one fixed ACAO. No per-Origin purge exists here: purge the path (it drops every copy of it).",
	ProviderGoogleCloud: "Google Cloud CDN: add the Origin header to the backend's cache key policy (include HTTP headers: Origin); then invalidate the path (gcloud compute url-maps invalidate-cdn-cache), which drops every copy of it: there is no per-Origin invalidation.",
	ProviderStackPath:   "StackPath (NetDNA/MaxCDN): if the site's cache settings do not tell Origins apart, bypass the cache for requests carrying Origin with an EdgeRule, or send one fixed ACAO. No per-Origin purge exists here: purge the URL through StackPath's purge API or the dashboard.",
	ProviderCDN77:       "CDN77: corscope knows no CDN77 setting that keys on Origin. No per-Origin purge exists here; purge the URL or change the key (do not cache Origin-dependent responses, or send one fixed ACAO).",
	ProviderVelocix:     "Velocix: corscope knows no Velocix setting that keys on Origin. No per-Origin purge exists here; purge the URL or change the key (do not cache Origin-dependent responses, or send one fixed ACAO).",
	ProviderFly:         "Fly.io's proxy does not cache responses, so the stored copy came from a cache behind it (in your app) or in front of it: key that cache on Origin. No per-Origin purge exists here; purge the URL or change the key.",
	ProviderDenoDeploy:  "Deno Deploy: corscope knows no Deno Deploy setting that keys a cache on Origin. No per-Origin purge exists here; purge the URL or change the key (do not cache Origin-dependent responses, or send one fixed ACAO).",
}

// cacheKeyFix says how to keep Origins apart at the detected cache and how
// to get rid of copies already stored. varyIgnored: this run showed the
// cache serving a copy stored with Vary: Origin to another Origin, so the
// text must not claim that this cache honours Vary.
func cacheKeyFix(p Provider, varyIgnored bool) string {
	switch p {
	case ProviderCloudflare:
		return "Cloudflare: keep Origin in the cache key (it is part of the default key; make sure no Cache Rule excludes it), then purge the URL once per Origin with files[].headers.Origin in the purge API (a plain URL purge evicts only the no-Origin copy) or purge by host, prefix or tag."
	case ProviderCloudFront:
		return cloudFrontKeyFix
	case ProviderAkamai:
		return "Akamai does not honour Vary (any Vary other than Accept-Encoding makes the object uncacheable, and the Remove Vary Header behaviour strips it): add the Origin header to the cache key with Cache ID Modification, then purge the URL with Fast Purge."
	}
	if fix, ok := productKeyFixes[p]; ok {
		return fix
	}
	if c, ok := varyHonouringCaches[p]; ok {
		if varyIgnored {
			return c.name + " would honour Vary by default, but this run showed this cache ignoring Vary: Origin: look for " + c.stripped + ". Or key on Origin without relying on Vary: " + c.keyOnWithoutVary + ". " + c.purge
		}
		return c.honours + ": " + c.keyOn + ". " + c.purge
	}
	if varyIgnored {
		return "At the cache: this run showed it ignoring Vary: Origin, so key on the Origin header, then purge the copies already stored."
	}
	return "At the cache: key on the Origin header or honour Vary: Origin, then purge the copies already stored."
}

// varyIgnoredFix is the cache-side fix when the response already says
// Vary: Origin and the cache served it across Origins.
func varyIgnoredFix(p Provider) string {
	switch p {
	case ProviderCloudflare:
		return "The origin already sends Vary: Origin; Cloudflare only honours Vary for headers configured in a Cache Rule, and keys on Origin by default: check that no Cache Rule removed Origin from the cache key. Then purge per Origin (files[].headers.Origin)."
	case ProviderAkamai:
		return "The origin already sends Vary: Origin, but Akamai does not honour Vary: add the Origin header to the cache key with Cache ID Modification and make sure no Remove Vary Header behaviour applies; then purge."
	case ProviderCloudFront:
		return "The origin already sends Vary: Origin; CloudFront only varies on headers in the cache policy (an origin request policy such as the managed CORS-S3Origin forwards Origin without keying on it): add Origin to the cache policy, or use the managed UseOriginCacheControlHeaders cache policy, then invalidate the path."
	}
	return "The origin already sends Vary: Origin, but this cache served it across Origins. " + cacheKeyFix(p, true)
}

// servedAcrossOriginsFix is the fix when a cache served one Origin's copy
// to another: the origin-side Vary fix, unless the stored copy already said
// Vary: Origin, in which case only the cache can be at fault.
func servedAcrossOriginsFix(p Provider, varyIgnored, varyIgnoredSeen, s3 bool) string {
	if varyIgnored {
		return varyIgnoredFix(p)
	}
	return originSideFix(p, s3) + " " + cacheKeyFix(p, varyIgnoredSeen)
}

// originSideFix is the origin's part of the fix: Vary: Origin on every
// response, except for S3 behind CloudFront, which cannot send it.
func originSideFix(p Provider, s3 bool) string {
	if p == ProviderCloudFront && s3 {
		return fixS3BehindCloudFront
	}
	return fixVaryOrigin
}

// s3Origin: some response came from Amazon S3 (Server: AmazonS3, which
// CloudFront passes through).
func (d *diag) s3Origin() bool {
	for i := range d.vs {
		if d.vs[i].Response == nil {
			continue
		}
		for _, h := range d.headers(i) {
			if strings.EqualFold(h.Name, "Server") && strings.EqualFold(strings.TrimSpace(h.Value), "AmazonS3") {
				return true
			}
		}
	}
	return false
}

// varyIgnoredSeen: this run showed the cache ignoring Vary: Origin (the
// isolate experiments inferred it, or a stored copy that says Vary: Origin
// reached another Origin).
func (d *diag) varyIgnoredSeen() bool {
	if f := d.facts; f != nil && f.VaryHonoured != nil && !*f.VaryHonoured {
		return true
	}
	return len(ruleCDNIgnoresVary(d)) > 0
}
