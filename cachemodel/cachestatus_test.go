package cachemodel

import (
	"reflect"
	"testing"
)

func TestNormalizeCacheStatus(t *testing.T) {
	cases := []struct {
		name   string
		h      Headers
		status CacheStatus
		source string
		raw    string
		weak   bool
	}{
		{"nothing", hdrKV("Content-Type", "text/html"), StatusUnknown, "", "", false},

		// X-Cache-Lookup: Squid's lookup result, below its X-Cache; ATS
		// setups copy header_rewrite's %{CACHE} into it.
		{"ats lookup miss", hdrKV("Server", "ATS/9.2", "X-Cache-Lookup", "miss"), StatusMiss, "X-Cache-Lookup", "miss", false},
		{"ats lookup hit-fresh", hdrKV("X-Cache-Lookup", "hit-fresh", "Age", "0"), StatusHit, "X-Cache-Lookup", "hit-fresh", false},
		{"squid x-cache outranks its lookup", hdrKV("X-Cache", "MISS from p", "X-Cache-Lookup", "HIT from p:3128"), StatusMiss, "X-Cache", "MISS from p", false},
		{"squid lookup alone", hdrKV("X-Cache-Lookup", "HIT from p:3128"), StatusHit, "X-Cache-Lookup", "HIT from p:3128", false},

		// Cloudflare: every documented value.
		{"cf hit", hdrKV("CF-Cache-Status", "HIT", "Age", "12"), StatusHit, "CF-Cache-Status", "HIT", false},
		{"cf miss", hdrKV("cf-cache-status", "MISS"), StatusMiss, "cf-cache-status", "MISS", false},
		{"cf expired", hdrKV("CF-Cache-Status", "EXPIRED"), StatusExpired, "CF-Cache-Status", "EXPIRED", false},
		{"cf stale", hdrKV("CF-Cache-Status", "STALE"), StatusStale, "CF-Cache-Status", "STALE", false},
		{"cf bypass", hdrKV("CF-Cache-Status", "BYPASS"), StatusBypass, "CF-Cache-Status", "BYPASS", false},
		{"cf revalidated", hdrKV("CF-Cache-Status", "REVALIDATED"), StatusRevalidated, "CF-Cache-Status", "REVALIDATED", false},
		{"cf updating", hdrKV("CF-Cache-Status", "UPDATING"), StatusUpdating, "CF-Cache-Status", "UPDATING", false},
		{"cf dynamic", hdrKV("CF-Cache-Status", "DYNAMIC"), StatusDynamic, "CF-Cache-Status", "DYNAMIC", false},
		{"cf none is recognised unknown", hdrKV("CF-Cache-Status", "NONE", "Age", "50"), StatusUnknown, "CF-Cache-Status", "NONE", false},
		{"cf lower-case padded", hdrKV("CF-Cache-Status", "  hit "), StatusHit, "CF-Cache-Status", "  hit ", false},
		{"cf beats everything", hdrKV("X-Cache", "MISS", "Cache-Status", "c; fwd=miss", "CF-Cache-Status", "HIT"), StatusHit, "CF-Cache-Status", "HIT", false},

		// RFC 9211 Cache-Status.
		{"rfc hit", hdrKV("Cache-Status", "ExampleCache; hit; ttl=376"), StatusHit, "Cache-Status", "ExampleCache; hit; ttl=376", false},
		{"rfc stale hit", hdrKV("Cache-Status", "ExampleCache; hit; ttl=-5"), StatusStale, "Cache-Status", "ExampleCache; hit; ttl=-5", false},
		{"rfc revalidated", hdrKV("Cache-Status", "ExampleCache; fwd=stale; fwd-status=304"), StatusRevalidated, "Cache-Status", "ExampleCache; fwd=stale; fwd-status=304", false},
		{"rfc expired", hdrKV("Cache-Status", "ExampleCache; fwd=stale; fwd-status=200"), StatusExpired, "Cache-Status", "ExampleCache; fwd=stale; fwd-status=200", false},
		{"rfc bypass", hdrKV("Cache-Status", "c; fwd=bypass"), StatusBypass, "Cache-Status", "c; fwd=bypass", false},
		{"rfc vary-miss", hdrKV("Cache-Status", "c; fwd=vary-miss"), StatusMiss, "Cache-Status", "c; fwd=vary-miss", false},
		{"rfc last member is the user's", hdrKV("Cache-Status", `OriginCache; hit; ttl=1100, "CDN Company Here"; fwd=uri-miss`), StatusMiss, "Cache-Status", `OriginCache; hit; ttl=1100, "CDN Company Here"; fwd=uri-miss`, false},
		{"netlify edge hit", hdrKV("Cache-Status", `"Netlify Edge"; hit`), StatusHit, "Cache-Status", `"Netlify Edge"; hit`, false},
		{"netlify edge miss", hdrKV("cache-status", `"Netlify Edge"; fwd=miss`), StatusMiss, "cache-status", `"Netlify Edge"; fwd=miss`, false},
		{"netlify edge stale", hdrKV("Cache-Status", `"Netlify Edge"; fwd=stale`), StatusExpired, "Cache-Status", `"Netlify Edge"; fwd=stale`, false},
		{"netlify swr", hdrKV("Cache-Status", `"Netlify Edge"; hit, fwd=stale`), StatusUpdating, "Cache-Status", `"Netlify Edge"; hit, fwd=stale`, false},
		{"cache-status lines joined", hdrKV("Cache-Status", `"Netlify Durable"; fwd=uri-miss; stored`, "Cache-Status", `"Netlify Edge"; hit`),
			StatusHit, "Cache-Status", `"Netlify Durable"; fwd=uri-miss; stored, "Netlify Edge"; hit`, false},
		{"cache-status without hit or fwd falls through", hdrKV("Cache-Status", "c; ttl=5", "X-Cache", "MISS"), StatusMiss, "X-Cache", "MISS", false},

		// Vercel.
		{"vercel hit", hdrKV("x-vercel-cache", "HIT"), StatusHit, "x-vercel-cache", "HIT", false},
		{"vercel prerender", hdrKV("X-Vercel-Cache", "PRERENDER"), StatusHit, "X-Vercel-Cache", "PRERENDER", false},
		{"vercel stale", hdrKV("x-vercel-cache", "STALE"), StatusStale, "x-vercel-cache", "STALE", false},
		{"vercel revalidated", hdrKV("x-vercel-cache", "REVALIDATED"), StatusRevalidated, "x-vercel-cache", "REVALIDATED", false},
		{"vercel bypass", hdrKV("x-vercel-cache", "BYPASS"), StatusBypass, "x-vercel-cache", "BYPASS", false},

		// Akamai Return Cache Status: child (edge) first, status of the child.
		{"akamai child hit", hdrKV("Akamai-Cache-Status", "Hit from child"), StatusHit, "Akamai-Cache-Status", "Hit from child", false},
		{"akamai child hit parent miss", hdrKV("Akamai-Cache-Status", "Hit from child, Miss from parent"), StatusHit, "Akamai-Cache-Status", "Hit from child, Miss from parent", false},
		{"akamai child miss parent hit", hdrKV("Akamai-Cache-Status", "Miss from child, Hit from parent"), StatusMiss, "Akamai-Cache-Status", "Miss from child, Hit from parent", false},
		{"akamai refresh", hdrKV("Akamai-Cache-Status", "RefreshHit from child"), StatusRevalidated, "Akamai-Cache-Status", "RefreshHit from child", false},
		{"akamai hitstale", hdrKV("Akamai-Cache-Status", "HitStale from child"), StatusStale, "Akamai-Cache-Status", "HitStale from child", false},
		{"akamai not cacheable", hdrKV("Akamai-Cache-Status", "NotCacheable from child"), StatusBypass, "Akamai-Cache-Status", "NotCacheable from child", false},
		{"akamai constructed", hdrKV("Akamai-Cache-Status", "Constructed from child"), StatusUnknown, "Akamai-Cache-Status", "Constructed from child", false},

		// nginx.
		{"nginx hit", hdrKV("X-Cache-Status", "HIT"), StatusHit, "X-Cache-Status", "HIT", false},
		{"nginx updating", hdrKV("X-Cache-Status", "UPDATING"), StatusUpdating, "X-Cache-Status", "UPDATING", false},
		{"nginx revalidated", hdrKV("x-cache-status", "revalidated"), StatusRevalidated, "x-cache-status", "revalidated", false},
		{"nginx expired", hdrKV("X-Cache-Status", "EXPIRED"), StatusExpired, "X-Cache-Status", "EXPIRED", false},
		{"nginx bypass", hdrKV("X-Cache-Status", "BYPASS"), StatusBypass, "X-Cache-Status", "BYPASS", false},
		{"nginx stale", hdrKV("X-Cache-Status", "STALE"), StatusStale, "X-Cache-Status", "STALE", false},
		{"nginx miss beats x-cache", hdrKV("X-Cache", "HIT", "X-Cache-Status", "MISS"), StatusMiss, "X-Cache-Status", "MISS", false},

		// X-Cache, Fastly: the last entry is the edge that answered the user.
		{"fastly hit", hdrKV("X-Cache", "HIT", "X-Served-By", "cache-lhr7325-LHR"), StatusHit, "X-Cache", "HIT", false},
		{"fastly shield hit edge hit", hdrKV("X-Cache", "HIT, HIT"), StatusHit, "X-Cache", "HIT, HIT", false},
		{"fastly shield miss edge hit", hdrKV("X-Cache", "MISS, HIT"), StatusHit, "X-Cache", "MISS, HIT", false},
		{"fastly shield hit edge miss", hdrKV("X-Cache", "HIT, MISS"), StatusMiss, "X-Cache", "HIT, MISS", false},
		{"vcl pass", hdrKV("X-Cache", "PASS"), StatusPass, "X-Cache", "PASS", false},
		// CloudFront.
		{"cloudfront hit", hdrKV("X-Cache", "Hit from cloudfront"), StatusHit, "X-Cache", "Hit from cloudfront", false},
		{"cloudfront refresh", hdrKV("x-cache", "RefreshHit from cloudfront"), StatusRevalidated, "x-cache", "RefreshHit from cloudfront", false},
		{"cloudfront miss", hdrKV("X-Cache", "Miss from cloudfront"), StatusMiss, "X-Cache", "Miss from cloudfront", false},
		{"cloudfront error", hdrKV("X-Cache", "Error from cloudfront", "Age", "3"), StatusUnknown, "X-Cache", "Error from cloudfront", false},
		{"cloudfront function", hdrKV("X-Cache", "FunctionGeneratedResponse from cloudfront"), StatusUnknown, "X-Cache", "FunctionGeneratedResponse from cloudfront", false},
		// Akamai Pragma debug and Azure.
		{"akamai tcp hit with host", hdrKV("X-Cache", "TCP_HIT from a23-45-67-89.deploy.akamaitechnologies.com (AkamaiGHost/22.1.0-1) (-)"), StatusHit, "X-Cache",
			"TCP_HIT from a23-45-67-89.deploy.akamaitechnologies.com (AkamaiGHost/22.1.0-1) (-)", false},
		{"tcp mem hit", hdrKV("X-Cache", "TCP_MEM_HIT"), StatusHit, "X-Cache", "TCP_MEM_HIT", false},
		{"azure remote hit", hdrKV("X-Cache", "TCP_REMOTE_HIT"), StatusHit, "X-Cache", "TCP_REMOTE_HIT", false},
		{"tcp negative hit", hdrKV("X-Cache", "TCP_NEGATIVE_HIT"), StatusHit, "X-Cache", "TCP_NEGATIVE_HIT", false},
		{"tcp miss", hdrKV("X-Cache", "TCP_MISS"), StatusMiss, "X-Cache", "TCP_MISS", false},
		{"tcp refresh hit", hdrKV("X-Cache", "TCP_REFRESH_HIT"), StatusRevalidated, "X-Cache", "TCP_REFRESH_HIT", false},
		{"tcp refresh miss", hdrKV("X-Cache", "TCP_REFRESH_MISS"), StatusExpired, "X-Cache", "TCP_REFRESH_MISS", false},
		{"tcp refresh fail hit", hdrKV("X-Cache", "TCP_REFRESH_FAIL_HIT"), StatusStale, "X-Cache", "TCP_REFRESH_FAIL_HIT", false},
		{"azure private nostore", hdrKV("X-Cache", "PRIVATE_NOSTORE"), StatusBypass, "X-Cache", "PRIVATE_NOSTORE", false},
		{"azure config nocache", hdrKV("X-Cache", "CONFIG_NOCACHE"), StatusBypass, "X-Cache", "CONFIG_NOCACHE", false},
		{"azure n/a", hdrKV("X-Cache", "N/A"), StatusUnknown, "X-Cache", "N/A", false},
		// Squid.
		{"squid hit", hdrKV("X-Cache", "HIT from proxy.example.net", "X-Cache-Lookup", "HIT from proxy.example.net:3128"), StatusHit, "X-Cache", "HIT from proxy.example.net", false},
		{"squid chain", hdrKV("X-Cache", "MISS from parent.example", "X-Cache", "HIT from child.example"), StatusHit, "X-Cache", "MISS from parent.example, HIT from child.example", false},
		// ATS xdebug.
		{"ats hit-fresh", hdrKV("X-Cache", "hit-fresh"), StatusHit, "X-Cache", "hit-fresh", false},
		{"ats hit-stale", hdrKV("X-Cache", "hit-stale"), StatusStale, "X-Cache", "hit-stale", false},
		{"ats miss", hdrKV("X-Cache", "miss"), StatusMiss, "X-Cache", "miss", false},
		{"ats skipped", hdrKV("X-Cache", "skipped"), StatusBypass, "X-Cache", "skipped", false},

		// Bunny.
		{"bunny hit", hdrKV("CDN-Cache", "HIT", "Server", "BunnyCDN-DE1-1079"), StatusHit, "CDN-Cache", "HIT", false},
		{"bunny miss", hdrKV("CDN-Cache", "MISS"), StatusMiss, "CDN-Cache", "MISS", false},

		// Varnish ids.
		{"varnish hit", hdrKV("X-Varnish", "32773 32770", "Via", "1.1 varnish (Varnish/6.0)"), StatusHit, "X-Varnish", "32773 32770", false},
		{"varnish miss", hdrKV("X-Varnish", "32776"), StatusMiss, "X-Varnish", "32776", false},
		{"varnish garbage", hdrKV("X-Varnish", "abc"), StatusUnknown, "X-Varnish", "abc", false},
		{"varnish three ids", hdrKV("X-Varnish", "1 2 3"), StatusUnknown, "X-Varnish", "1 2 3", false},
		{"varnish garbage falls through to age", hdrKV("X-Varnish", "abc", "Age", "9"), StatusHit, "Age", "9", true},

		// Age alone is a weak hint.
		{"age only", hdrKV("Age", "142"), StatusHit, "Age", "142", true},
		{"age lower-case name kept", hdrKV("age", "1"), StatusHit, "age", "1", true},
		{"age zero is no hint", hdrKV("Age", "0"), StatusUnknown, "Age", "0", false},
		{"age garbage", hdrKV("Age", "old"), StatusUnknown, "Age", "old", false},

		// Unrecognised values: UNKNOWN with the most specific header shown.
		{"unrecognised x-cache", hdrKV("X-Cache", "WARM"), StatusUnknown, "X-Cache", "WARM", false},
		{"unrecognised cf falls to x-cache", hdrKV("CF-Cache-Status", "???", "X-Cache", "HIT"), StatusHit, "X-Cache", "HIT", false},
		{"nothing recognised keeps the first source", hdrKV("X-Cache", "WARM", "CF-Cache-Status", "FROZEN"), StatusUnknown, "CF-Cache-Status", "FROZEN", false},
		{"empty cf", hdrKV("CF-Cache-Status", ""), StatusUnknown, "CF-Cache-Status", "", false},
		{"last of repeated single-value header", hdrKV("X-Cache-Status", "MISS", "X-Cache-Status", "HIT"), StatusHit, "X-Cache-Status", "MISS, HIT", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := NormalizeCacheStatus(c.h)
			if v.Status != c.status || v.Source != c.source || v.Raw != c.raw || v.Weak != c.weak {
				t.Errorf("got status=%s source=%q raw=%q weak=%v; want %s %q %q %v", v.Status, v.Source, v.Raw, v.Weak, c.status, c.source, c.raw, c.weak)
			}
			if n := len(v.Layers); n > 0 && v.Layers[n-1].Status != v.Status {
				t.Errorf("status %s differs from the user-facing layer %+v", v.Status, v.Layers[n-1])
			}
		})
	}
}

func TestNormalizeCacheStatusLayers(t *testing.T) {
	cases := []struct {
		name   string
		h      Headers
		layers []CacheLayer
	}{
		{"single-value headers have no layers", hdrKV("CF-Cache-Status", "HIT"), nil},
		{"fastly names from X-Served-By", hdrKV("X-Cache", "MISS, HIT", "X-Served-By", "cache-jfk1041-JFK, cache-ord1720-ORD"), []CacheLayer{
			{Name: "cache-jfk1041-JFK", Status: StatusMiss, Raw: "MISS"},
			{Name: "cache-ord1720-ORD", Status: StatusHit, Raw: "HIT"},
		}},
		{"X-Served-By of another length is not used", hdrKV("X-Cache", "MISS, HIT", "X-Served-By", "cache-ord1720-ORD"), []CacheLayer{
			{Status: StatusMiss, Raw: "MISS"},
			{Status: StatusHit, Raw: "HIT"},
		}},
		{"cloudfront", hdrKV("X-Cache", "RefreshHit from cloudfront"), []CacheLayer{
			{Name: "cloudfront", Status: StatusRevalidated, Raw: "RefreshHit from cloudfront"},
		}},
		{"akamai reversed to origin-first", hdrKV("Akamai-Cache-Status", "Hit from child, Miss from parent"), []CacheLayer{
			{Name: "parent", Status: StatusMiss, Raw: "Miss from parent"},
			{Name: "child", Status: StatusHit, Raw: "Hit from child"},
		}},
		{"cache-status members", hdrKV("Cache-Status", `"Netlify Durable"; fwd=uri-miss; stored, "Netlify Edge"; hit, fwd=stale`), []CacheLayer{
			{Name: "Netlify Durable", Status: StatusMiss, Raw: `"Netlify Durable"; fwd=uri-miss; stored`},
			{Name: "Netlify Edge", Status: StatusUpdating, Raw: `"Netlify Edge"; hit, fwd=stale`},
		}},
		{"unknown last entry", hdrKV("X-Cache", "HIT, WARM"), []CacheLayer{
			{Status: StatusHit, Raw: "HIT"},
			{Status: StatusUnknown, Raw: "WARM"},
		}},
		{"empty entries skipped", hdrKV("X-Cache", ", HIT ,,"), []CacheLayer{
			{Status: StatusHit, Raw: "HIT"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := NormalizeCacheStatus(c.h)
			if !reflect.DeepEqual(v.Layers, c.layers) {
				t.Errorf("layers = %+v\nwant     %+v", v.Layers, c.layers)
			}
		})
	}
}

func BenchmarkNormalizeCacheStatus(b *testing.B) {
	// A typical Fastly response with shielding: the status is found late in
	// the priority list and X-Served-By names the layers.
	h := hdrKV(
		"Content-Type", "application/json",
		"Cache-Control", "public, max-age=600",
		"Access-Control-Allow-Origin", "https://app.example.com",
		"Vary", "Origin, Accept-Encoding",
		"Via", "1.1 varnish, 1.1 varnish",
		"Age", "142",
		"X-Served-By", "cache-jfk1041-JFK, cache-ord1720-ORD",
		"X-Cache", "MISS, HIT",
		"X-Cache-Hits", "0, 7",
		"X-Varnish", "2143231221 2143226005, 1012345",
	)
	b.ReportAllocs()
	for b.Loop() {
		v := NormalizeCacheStatus(h)
		if v.Status != StatusHit {
			b.Fatal(v.Status)
		}
	}
}
