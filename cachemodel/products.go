package cachemodel

import "strings"

// The product table: everything corscope knows about each CDN, platform
// and cache product in one entry. Detection (DetectProduct), the edge
// (PoP) reading and the documentation link all come from here; the status
// headers named here are read by NormalizeCacheStatus (a test checks that
// every one is a known status source), and the fix texts are keyed by the
// same Provider in findings_fix.go. Adding a product is one entry here and
// one fixture under testdata/providers.

// Additional providers (the first ten are in verdict.go).
const (
	ProviderStackPath   Provider = "stackpath" // StackPath CDN, formerly NetDNA / MaxCDN
	ProviderCDN77       Provider = "cdn77"
	ProviderVelocix     Provider = "velocix"
	ProviderBunny       Provider = "bunny"
	ProviderKeyCDN      Provider = "keycdn"
	ProviderAzure       Provider = "azure" // Azure Front Door / Azure CDN from Microsoft
	ProviderGoogleCloud Provider = "googlecloud"
	ProviderFly         Provider = "fly"
	ProviderDenoDeploy  Provider = "deno"
)

// productTier orders products that can be on one path: a managed CDN sits
// in front of the cache software a site runs, and a hosting platform not
// known as a cache (Fly.io's proxy does not cache; Deno Deploy) says
// nothing about which cache answered when a cache's headers are there too.
type productTier int

const (
	tierCDN      productTier = iota // managed CDN or edge network that caches
	tierSoftware                    // cache software anybody can run
	tierPlatform                    // hosting platform not known as a cache
)

// signalMatch is how a signal's header value must look.
type signalMatch int

const (
	matchAny            signalMatch = iota // the header's presence is enough
	matchPrefix                            // value starts with one of Values
	matchContains                          // value contains one of Values
	matchProduct                           // Server product token (text before "/", space) is one of Values
	matchViaProduct                        // a Via hop's comment product token is one of Values
	matchViaReceivedBy                     // a Via hop's received-by is one of Values, or starts with it and a "-" or "."
	matchViaCodes                          // a Via hop carries Traffic Server's bracketed codes
	matchFromHost                          // a Squid-form "HIT from <host>" entry whose host contains one of Values
	matchSquidForm                         // any Squid-form "HIT|MISS|NONE from <host>" entry
	matchFirstWord                         // an entry's first word is one of Values
	matchServedByFastly                    // an X-Served-By entry starting "cache-"
)

// signal is one piece of evidence for a product.
type signal struct {
	Header     string // header name, case-insensitive
	NamePrefix bool   // Header is a name prefix ("Akamai-")
	Match      signalMatch
	Values     []string // the value vocabulary, case-insensitive
	// Weak signals use a format several products share: they are dropped
	// when another product's own signal claims the same header line
	// (Velocix's "HIT from velocix.com" is not Squid's).
	Weak bool
	What string // for provider_evidence: what was seen
}

// edgeForm is how a product names the edge (PoP) that answered.
type edgeForm int

const (
	edgeWhole         edgeForm = iota // the whole value ("PHX50-C2")
	edgeAfterLastDash                 // after the last "-" ("8c1b...-AMS")
	edgeServedBy                      // last X-Served-By entry, after its last "-"
	edgeDashField                     // the Nth "-"-separated field (Bunny's "BunnyCDN-DE1-1079")
	edgeAfterSlash                    // after the first "/" ("deno/gcp-europe-west3")
	edgeFromHost                      // the host after " from " in an X-Cache entry
	edgeFirstOfList                   // the first "::"-separated element ("fra1::iad1::...")
)

// edgeRule reads the edge from one header.
type edgeRule struct {
	Header string
	Form   edgeForm
	Field  int    // edgeDashField: which field, 0-based
	Prefix string // the value must start with this (case-insensitive), if set
}

// Product is one entry of the table.
type Product struct {
	Provider Provider
	Name     string // as a user would write it
	Tier     productTier
	Signals  []signal
	// Runs lists products this one is built on and whose headers it sends
	// itself (Fastly sends Varnish's X-Varnish and Via): their evidence is
	// this product's, not a second cache.
	Runs []Provider
	// StatusHeaders carry this product's cache status, in the order
	// NormalizeCacheStatus prefers them.
	StatusHeaders []string
	Edge          []edgeRule
	// Purge is the corscope purge provider ([[purge]] provider) that can
	// drop this product's copies, "" when corscope has none.
	Purge string
	Doc   string // vendor documentation of the headers
}

// Products is the table, in no particular order: detection weighs every
// entry's evidence.
var Products = []Product{
	{
		Provider: ProviderCloudflare, Name: "Cloudflare", Tier: tierCDN,
		Signals: []signal{
			{Header: "CF-Ray", What: "CF-Ray header"},
			{Header: "CF-Cache-Status", What: "CF-Cache-Status header"},
			{Header: "Server", Match: matchPrefix, Values: []string{"cloudflare"}, What: "Server: cloudflare"},
		},
		StatusHeaders: []string{"CF-Cache-Status"},
		Edge:          []edgeRule{{Header: "CF-Ray", Form: edgeAfterLastDash}},
		Purge:         "cloudflare",
		Doc:           "https://developers.cloudflare.com/cache/concepts/cache-responses/",
	},
	{
		Provider: ProviderFastly, Name: "Fastly", Tier: tierCDN, Runs: []Provider{ProviderVarnish},
		Signals: []signal{
			{Header: "Fastly-", NamePrefix: true, What: "Fastly-* header"},
			{Header: "X-Fastly-", NamePrefix: true, What: "X-Fastly-* header"},
			{Header: "X-Served-By", Match: matchServedByFastly, What: "X-Served-By cache-* node"},
		},
		StatusHeaders: []string{"X-Cache"},
		Edge:          []edgeRule{{Header: "X-Served-By", Form: edgeServedBy}},
		Purge:         "fastly",
		Doc:           "https://www.fastly.com/documentation/reference/http/http-headers/X-Served-By/",
	},
	{
		Provider: ProviderCloudFront, Name: "Amazon CloudFront", Tier: tierCDN,
		Signals: []signal{
			{Header: "X-Amz-Cf-Id", What: "X-Amz-Cf-Id header"},
			{Header: "X-Amz-Cf-Pop", What: "X-Amz-Cf-Pop header"},
			{Header: "X-Cache", Match: matchContains, Values: []string{"from cloudfront"}, What: `X-Cache "... from cloudfront"`},
			{Header: "Via", Match: matchContains, Values: []string{"cloudfront"}, What: "Via naming CloudFront"},
			{Header: "Server", Match: matchPrefix, Values: []string{"CloudFront"}, What: "Server: CloudFront"},
		},
		StatusHeaders: []string{"X-Cache"},
		Edge:          []edgeRule{{Header: "X-Amz-Cf-Pop", Form: edgeWhole}},
		Doc:           "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html",
	},
	{
		Provider: ProviderAkamai, Name: "Akamai", Tier: tierCDN,
		Signals: []signal{
			{Header: "Akamai-", NamePrefix: true, What: "Akamai-* header"},
			{Header: "X-Akamai-", NamePrefix: true, What: "X-Akamai-* header"},
			{Header: "Server", Match: matchContains, Values: []string{"AkamaiGHost", "AkamaiNetStorage"}, What: "Server: AkamaiGHost/AkamaiNetStorage"},
			{Header: "X-Cache", Match: matchContains, Values: []string{"akamai"}, What: "X-Cache naming an Akamai host"},
		},
		StatusHeaders: []string{"Akamai-Cache-Status", "X-Cache"},
		Edge:          []edgeRule{{Header: "X-Cache", Form: edgeFromHost}},
		Doc:           "https://techdocs.akamai.com/edge-diagnostics/docs/pragma-headers",
	},
	{
		Provider: ProviderVercel, Name: "Vercel", Tier: tierCDN,
		Signals: []signal{
			{Header: "X-Vercel-", NamePrefix: true, What: "X-Vercel-* header"},
			{Header: "Server", Match: matchPrefix, Values: []string{"Vercel"}, What: "Server: Vercel"},
		},
		StatusHeaders: []string{"X-Vercel-Cache"},
		Edge:          []edgeRule{{Header: "X-Vercel-Id", Form: edgeFirstOfList}},
		Doc:           "https://vercel.com/docs/headers/response-headers",
	},
	{
		Provider: ProviderNetlify, Name: "Netlify", Tier: tierCDN,
		Signals: []signal{
			{Header: "X-Nf-Request-Id", What: "X-Nf-Request-Id header"},
			{Header: "Server", Match: matchPrefix, Values: []string{"Netlify"}, What: "Server: Netlify"},
			{Header: "Cache-Status", Match: matchContains, Values: []string{"netlify"}, What: "Cache-Status naming Netlify"},
		},
		StatusHeaders: []string{"Cache-Status"},
		Doc:           "https://www.netlify.com/blog/gain-better-insights-into-edge-caching-behavior/",
	},
	{
		Provider: ProviderStackPath, Name: "StackPath (NetDNA/MaxCDN)", Tier: tierCDN,
		Signals: []signal{
			{Header: "Server", Match: matchProduct, Values: []string{"NetDNA-cache"}, What: "Server: NetDNA-cache"},
		},
		StatusHeaders: []string{"X-Cache"},
		Doc:           "https://support.stackpath.com/",
	},
	{
		Provider: ProviderCDN77, Name: "CDN77", Tier: tierCDN,
		Signals: []signal{
			{Header: "Server", Match: matchProduct, Values: []string{"CDN77-Turbo"}, What: "Server: CDN77-Turbo"},
			{Header: "X-77-", NamePrefix: true, What: "X-77-* header"},
		},
		StatusHeaders: []string{"X-77-Cache", "X-Cache"},
		Edge:          []edgeRule{{Header: "X-77-Pop", Form: edgeWhole}},
		Doc:           "https://client.cdn77.com/support/knowledgebase",
	},
	{
		Provider: ProviderVelocix, Name: "Velocix", Tier: tierCDN,
		Signals: []signal{
			{Header: "Via", Match: matchViaReceivedBy, Values: []string{"velocix.com"}, What: "Via hop received by velocix.com"},
			{Header: "X-Cache", Match: matchFromHost, Values: []string{"velocix"}, What: `X-Cache "... from velocix..."`},
		},
		StatusHeaders: []string{"X-Cache"},
		Doc:           "https://www.velocix.com/",
	},
	{
		Provider: ProviderBunny, Name: "Bunny CDN", Tier: tierCDN,
		Signals: []signal{
			{Header: "Server", Match: matchPrefix, Values: []string{"BunnyCDN-"}, What: "Server: BunnyCDN-<PoP>-<id>"},
			{Header: "CDN-PullZone", What: "CDN-PullZone header"},
			{Header: "CDN-RequestId", What: "CDN-RequestId header"},
			{Header: "CDN-Uid", What: "CDN-Uid header"},
		},
		StatusHeaders: []string{"CDN-Cache"},
		Edge:          []edgeRule{{Header: "Server", Form: edgeDashField, Field: 1, Prefix: "BunnyCDN-"}},
		Doc:           "https://docs.bunny.net/",
	},
	{
		Provider: ProviderKeyCDN, Name: "KeyCDN", Tier: tierCDN,
		Signals: []signal{
			{Header: "Server", Match: matchProduct, Values: []string{"keycdn-engine"}, What: "Server: keycdn-engine"},
			// X-Edge-Location alone names no product: other CDNs use the
			// name too. It gives the edge once Server names KeyCDN.
		},
		StatusHeaders: []string{"X-Cache"},
		Edge:          []edgeRule{{Header: "X-Edge-Location", Form: edgeWhole}},
		Doc:           "https://www.keycdn.com/support/",
	},
	{
		Provider: ProviderAzure, Name: "Azure Front Door / Azure CDN", Tier: tierCDN,
		Signals: []signal{
			{Header: "X-Azure-", NamePrefix: true, What: "X-Azure-* header"},
			{Header: "X-MSEdge-Ref", What: "X-MSEdge-Ref header"},
		},
		StatusHeaders: []string{"X-Cache"},
		Doc:           "https://learn.microsoft.com/azure/frontdoor/front-door-http-headers-protocol",
	},
	{
		Provider: ProviderGoogleCloud, Name: "Google Cloud load balancer / Cloud CDN", Tier: tierCDN,
		Signals: []signal{
			{Header: "Via", Match: matchViaReceivedBy, Values: []string{"google"}, What: "Via: 1.1 google"},
		},
		// Cloud CDN sends no status header of its own; sites add one with
		// the {cdn_cache_status} variable under a name of their choosing.
		StatusHeaders: []string{"Age"},
		Doc:           "https://cloud.google.com/cdn/docs/caching",
	},
	{
		Provider: ProviderFly, Name: "Fly.io", Tier: tierPlatform,
		Signals: []signal{
			{Header: "Fly-Request-Id", What: "Fly-Request-Id header"},
			{Header: "Server", Match: matchProduct, Values: []string{"Fly"}, What: "Server: Fly/..."},
			{Header: "Via", Match: matchViaReceivedBy, Values: []string{"fly.io"}, What: "Via hop received by fly.io"},
		},
		Edge: []edgeRule{{Header: "Fly-Request-Id", Form: edgeAfterLastDash}},
		Doc:  "https://fly.io/docs/",
	},
	{
		Provider: ProviderDenoDeploy, Name: "Deno Deploy", Tier: tierPlatform,
		Signals: []signal{
			{Header: "Server", Match: matchProduct, Values: []string{"deno"}, What: "Server: deno/<region>"},
		},
		Edge: []edgeRule{{Header: "Server", Form: edgeAfterSlash, Prefix: "deno/"}},
		Doc:  "https://docs.deno.com/deploy/",
	},
	{
		Provider: ProviderVarnish, Name: "Varnish", Tier: tierSoftware,
		Signals: []signal{
			{Header: "X-Varnish", What: "X-Varnish header"},
			{Header: "Via", Match: matchViaReceivedBy, Values: []string{"varnish"}, What: "Via hop received by varnish"},
			{Header: "Via", Match: matchViaProduct, Values: []string{"varnish"}, What: "Via product varnish"},
		},
		StatusHeaders: []string{"X-Varnish", "X-Cache"},
		Purge:         "http",
		Doc:           "https://varnish-cache.org/docs/trunk/reference/vcl-var.html",
	},
	{
		Provider: ProviderNginx, Name: "nginx", Tier: tierSoftware,
		Signals: []signal{
			{Header: "X-Cache-Status", What: "X-Cache-Status header ($upstream_cache_status)"},
			{Header: "X-Nginx-Cache", What: "X-Nginx-Cache header"},
			{Header: "X-SRCache-Fetch-Status", What: "X-SRCache-Fetch-Status header (srcache module)"},
			{Header: "X-SRCache-Store-Status", What: "X-SRCache-Store-Status header (srcache module)"},
			// Server: nginx alone is a web server, not a cache; it counts
			// with a cache-status header (see serverNginxWithCache).
		},
		StatusHeaders: []string{"X-Cache-Status", "X-Proxy-Cache", "X-Nginx-Cache", "Nginx-Cache", "X-SRCache-Fetch-Status", "X-SRCache-Store-Status", "X-Cache"},
		Purge:         "http",
		Doc:           "https://nginx.org/en/docs/http/ngx_http_upstream_module.html#var_upstream_cache_status",
	},
	{
		Provider: ProviderSquid, Name: "Squid", Tier: tierSoftware,
		Signals: []signal{
			{Header: "Server", Match: matchProduct, Values: []string{"squid"}, What: "Server: squid"},
			{Header: "Via", Match: matchViaProduct, Values: []string{"squid"}, What: "Via product squid"},
			{Header: "X-Cache", Match: matchSquidForm, Weak: true, What: `X-Cache "HIT|MISS from <host>" form (shared by other products)`},
			{Header: "X-Cache-Lookup", Match: matchSquidForm, Weak: true, What: `X-Cache-Lookup "HIT|MISS from <host>" form (shared by other products)`},
		},
		StatusHeaders: []string{"Cache-Status", "X-Cache", "X-Cache-Lookup"},
		Purge:         "http",
		Doc:           "https://wiki.squid-cache.org/SquidFaq/InnerWorkings",
	},
	{
		Provider: ProviderTrafficServer, Name: "Apache Traffic Server", Tier: tierSoftware,
		Signals: []signal{
			{Header: "Server", Match: matchProduct, Values: []string{"ATS", "ApacheTrafficServer", "TrafficServer"}, What: "Server: ATS"},
			{Header: "Via", Match: matchViaProduct, Values: []string{"ApacheTrafficServer", "ATS", "TrafficServer"}, What: "Via product ApacheTrafficServer"},
			{Header: "Via", Match: matchViaCodes, What: "Via with Traffic Server's [codes]"},
			{Header: "X-Cache", Match: matchFirstWord, Values: []string{"hit-fresh", "hit-stale", "skipped"}, What: "xdebug X-Cache value"},
		},
		StatusHeaders: []string{"X-Cache", "X-Cache-Lookup", "Via"},
		Purge:         "http",
		Doc:           "https://docs.trafficserver.apache.org/en/latest/appendices/command-line/traffic_via.en.html",
	},
}

// ProductOf returns the table entry of a provider.
func ProductOf(p Provider) (Product, bool) {
	for _, e := range Products {
		if e.Provider == p {
			return e, true
		}
	}
	return Product{}, false
}

// edgeOnlyHeaders name the edge without naming a product: several smaller
// CDNs send them. Read only when the product is unknown or has no edge
// rule of its own that matched.
var edgeOnlyHeaders = []edgeRule{
	{Header: "X-Edge-Pop", Form: edgeWhole},
	{Header: "X-Edge-Location", Form: edgeWhole},
}

// readEdge applies one rule to the headers; "" when it does not match or
// the value is not a plausible edge name.
func readEdge(h Headers, r edgeRule) string {
	v, ok := h.Get(r.Header)
	if !ok {
		return ""
	}
	v = trimOWS(v)
	if r.Prefix != "" {
		if !hasPrefixFold(v, r.Prefix) {
			return ""
		}
	}
	var e string
	switch r.Form {
	case edgeWhole:
		e = lastEntry(v)
	case edgeAfterLastDash:
		if i := strings.LastIndexByte(v, '-'); i >= 0 {
			e = v[i+1:]
		}
	case edgeServedBy:
		last := lastEntry(v)
		if hasPrefixFold(last, "cache-") {
			if i := strings.LastIndexByte(last, '-'); i >= len("cache-") {
				e = last[i+1:]
			}
		}
	case edgeDashField:
		parts := strings.Split(productToken(v), "-")
		if r.Field < len(parts) {
			e = parts[r.Field]
		}
	case edgeAfterSlash:
		tok := v
		if i := strings.IndexAny(tok, " \t("); i >= 0 {
			tok = tok[:i]
		}
		if i := strings.IndexByte(tok, '/'); i >= 0 {
			e = tok[i+1:]
		}
	case edgeFromHost:
		for rest := v; rest != "" && e == ""; {
			var ent string
			ent, rest = nextEntry(rest)
			e = fromName(ent)
		}
	case edgeFirstOfList:
		if i := strings.Index(v, "::"); i > 0 {
			e = v[:i]
		}
	}
	if !plausibleEdge(e) {
		return ""
	}
	return e
}

// maxEdgeLen bounds an edge name: a PoP code or host name, never a page.
const maxEdgeLen = 80

// plausibleEdge: a PoP code or edge host is a short token of letters,
// digits and . _ : -; anything else (control bytes, spaces, quotes) is not
// shown, so the edge never needs escaping.
func plausibleEdge(e string) bool {
	if e == "" || len(e) > maxEdgeLen {
		return false
	}
	for i := 0; i < len(e); i++ {
		c := e[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// EdgeOf names the CDN edge (PoP) that served a response, or "" when the
// response does not say. The product table (products.go) knows, per
// product, which header names the edge and how to read it (the CF-Ray
// suffix, X-Amz-Cf-Pop, the last POP of Fastly's X-Served-By, X-Edge-Pop,
// ...), so adding a CDN adds its edge too. The value is server text,
// bounded and checked to be a plain token there: callers escape it before
// it reaches a terminal.
func EdgeOf(h Headers) string { return detectProduct(h, false).Edge }
