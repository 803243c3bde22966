package cachemodel

import "testing"

func TestDetectProvider(t *testing.T) {
	cases := []struct {
		name string
		h    Headers
		want Provider
	}{
		{"nothing", hdrKV("Content-Type", "text/html", "Server", "Apache"), ProviderUnknown},
		{"empty", nil, ProviderUnknown},

		{"cloudflare ray", hdrKV("CF-Ray", "8c1b2c3d4e5f6a7b-AMS"), ProviderCloudflare},
		{"cloudflare status", hdrKV("cf-cache-status", "DYNAMIC"), ProviderCloudflare},
		{"cloudflare server", hdrKV("Server", "cloudflare"), ProviderCloudflare},
		// Cloudflare in front of Fastly and Fastly in front of Cloudflare
		// send exactly these headers (each passes the other's through), so
		// naming either one is a guess (issue 18): unknown.
		{"cloudflare and fastly headers together", hdrKV("X-Served-By", "cache-lhr7325-LHR", "X-Cache", "HIT", "CF-Ray", "1-AMS"), ProviderUnknown},

		{"fastly served-by", hdrKV("X-Served-By", "cache-jfk1041-JFK, cache-ord1720-ORD", "X-Cache", "HIT, HIT"), ProviderFastly},
		{"fastly debug header", hdrKV("Fastly-Debug-Digest", "abc"), ProviderFastly},
		{"fastly beats its own varnish", hdrKV("X-Varnish", "123 456", "Via", "1.1 varnish", "X-Served-By", "cache-ams21080-AMS"), ProviderFastly},
		{"served-by without cache- nodes", hdrKV("X-Served-By", "web-01"), ProviderUnknown},

		{"cloudfront id", hdrKV("X-Amz-Cf-Id", "Yh6kz0Aw=="), ProviderCloudFront},
		{"cloudfront pop", hdrKV("x-amz-cf-pop", "PHX50-C2"), ProviderCloudFront},
		{"cloudfront x-cache", hdrKV("X-Cache", "Miss from cloudfront"), ProviderCloudFront},
		{"cloudfront via", hdrKV("Via", "1.1 0123abcd.cloudfront.net (CloudFront)"), ProviderCloudFront},
		{"cloudfront server", hdrKV("Server", "CloudFront"), ProviderCloudFront},

		{"akamai cache status", hdrKV("Akamai-Cache-Status", "Hit from child"), ProviderAkamai},
		{"akamai x- header", hdrKV("X-Akamai-Transformed", "9 - 0 pmb=mRUM,1"), ProviderAkamai},
		{"akamai server", hdrKV("Server", "AkamaiGHost"), ProviderAkamai},
		{"akamai pragma x-cache", hdrKV("X-Cache", "TCP_MISS from a23-45-67-89.deploy.akamaitechnologies.com (AkamaiGHost/22.1.0-1) (-)"), ProviderAkamai},

		{"vercel", hdrKV("x-vercel-cache", "HIT", "x-vercel-id", "fra1::abc"), ProviderVercel},
		{"vercel server", hdrKV("Server", "Vercel"), ProviderVercel},

		{"netlify request id", hdrKV("X-Nf-Request-Id", "01H..."), ProviderNetlify},
		{"netlify cache-status", hdrKV("Cache-Status", `"Netlify Edge"; hit`), ProviderNetlify},
		{"netlify server", hdrKV("Server", "Netlify"), ProviderNetlify},
		{"other cache-status is not netlify", hdrKV("Cache-Status", "ExampleCache; hit"), ProviderUnknown},

		{"varnish id", hdrKV("X-Varnish", "32773 32770"), ProviderVarnish},
		{"varnish via", hdrKV("Via", "1.1 varnish (Varnish/6.0)"), ProviderVarnish},

		{"nginx x-cache-status", hdrKV("X-Cache-Status", "HIT"), ProviderNginx},
		{"nginx server with x-cache", hdrKV("Server", "nginx/1.25.3", "X-Cache", "MISS"), ProviderNginx},
		{"openresty with proxy-cache", hdrKV("Server", "openresty", "X-Proxy-Cache", "HIT"), ProviderNginx},
		{"nginx server alone is just a web server", hdrKV("Server", "nginx"), ProviderUnknown},

		{"squid x-cache", hdrKV("X-Cache", "MISS from proxy.example.net"), ProviderSquid},
		{"squid lookup", hdrKV("X-Cache-Lookup", "NONE from proxy:3128"), ProviderSquid},
		{"squid server", hdrKV("Server", "squid/5.7"), ProviderSquid},
		{"squid via", hdrKV("Via", "1.1 proxy.example.net (squid/6.6)"), ProviderSquid},

		{"ats server", hdrKV("Server", "ATS/9.2.3"), ProviderTrafficServer},
		{"ats via", hdrKV("Via", "http/1.1 edge.example (ApacheTrafficServer/9.2.3 [cMsSfW])"), ProviderTrafficServer},
		{"ats xdebug", hdrKV("X-Cache", "hit-fresh"), ProviderTrafficServer},

		// Traffic Server as configured in issue 11: its X-Cache-Lookup is not
		// Squid's "MISS from host" form, and Server and Via name ATS.
		{"ats with x-cache-lookup miss", hdrKV("Server", "ATS/9.2", "X-Cache-Lookup", "miss"), ProviderTrafficServer},
		{"ats via codes without product", hdrKV("X-Cache-Lookup", "miss", "Via", "http/1.1 edge.example[uScMsSf pSeN:t cCMi p sS]"), ProviderTrafficServer},
		{"ats via codes with product", hdrKV("X-Cache-Lookup", "miss", "Via", "https/1.1 edge (ApacheTrafficServer/9.2.3 [uScMsSf pSeN:t cCMi p sS])"), ProviderTrafficServer},
		{"bare x-cache-lookup is nobody's", hdrKV("X-Cache-Lookup", "miss"), ProviderUnknown},
		{"squid host name in via is not squid", hdrKV("Via", "1.1 squid-proxy.example (ApacheTrafficServer/9.2.3)"), ProviderTrafficServer},
		{"squid server word must be the product", hdrKV("Server", "squidward/1.0"), ProviderUnknown},
		{"conflict: squid lookup, ats server", hdrKV("Server", "ATS/9.2", "X-Cache-Lookup", "MISS from proxy:3128"), ProviderUnknown},
		{"conflict: squid via hop before ats", hdrKV("Via", "1.1 p (squid/6.6), http/1.1 e (ApacheTrafficServer/9.2.3)"), ProviderUnknown},
		{"conflict: varnish and squid", hdrKV("X-Varnish", "1 2", "Server", "squid/6.6"), ProviderUnknown},
		{"varnish pseudonym via", hdrKV("Via", "1.1 varnish-v4"), ProviderVarnish},

		{"fastly plain x-cache is not squid", hdrKV("X-Cache", "HIT"), ProviderUnknown},
		{"ats server prefix needs a slash", hdrKV("Server", "ATSX"), ProviderUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DetectProvider(c.h); got != c.want {
				t.Errorf("DetectProvider = %s, want %s", got, c.want)
			}
		})
	}
}
