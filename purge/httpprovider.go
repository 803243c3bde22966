package purge

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/corscope/corscope/cachemodel"
)

// buildHTTP lays out one request per URL × Origin variant, each carrying
// that variant's Origin: nginx's ngx_cache_purge and Squid purge only the
// object whose key matches the purge request's own headers, while Varnish
// and Traffic Server drop every variant (the extra requests then find
// nothing, harmlessly).
func buildHTTP(b *Batch, e Settings, opt Options) error {
	if b.Scope != cachemodel.PurgeURLs {
		return fmt.Errorf("the http provider purges URLs only, not %s", b.Scope)
	}
	method := e.Method
	if method == "" {
		method = DefaultHTTPPurgeMethod
	}
	if e.TokenEnv != "" {
		b.token = readSecret(e.TokenEnv, opt.Getenv)
		b.needToken = true
	}
	b.interpret = interpretHTTP
	for _, t := range b.Targets {
		u, err := url.Parse(t.URL)
		if err != nil {
			return fmt.Errorf("bad URL %q: %v", t.URL, err)
		}
		target := e.ExpandURL(u)
		for _, v := range t.Variants {
			h := cachemodel.Headers{{Name: "User-Agent", Value: opt.UserAgent}, {Name: "Accept", Value: "*/*"}}
			if v.HasOrigin() {
				h = append(h, cachemodel.Header{Name: "Origin", Value: v.Origin})
			}
			r := &Request{Method: method, URL: target, Headers: h, Covers: []Item{{URL: t.URL, Variant: v}}}
			if b.token != nil {
				r.auth = &authHeader{name: "Authorization", scheme: "Bearer ", token: b.token}
			}
			b.Requests = append(b.Requests, r)
		}
	}
	return nil
}

// interpretHTTP reads a cache's purge answer: 2xx purged, 404 or 412 (what
// ngx_cache_purge ≥ 2.5 answers) nothing stored under that key, anything
// else a failure.
func interpretHTTP(status int, _ http.Header, body, shown []byte) reply {
	said := snippet(shown)
	switch {
	case status >= 200 && status < 300:
		return reply{ok: true, message: fmt.Sprintf("%d purged", status)}
	case status == http.StatusNotFound || status == http.StatusPreconditionFailed:
		return reply{ok: true, notCached: true, message: fmt.Sprintf("%d not cached", status)}
	case status == http.StatusMethodNotAllowed || status == http.StatusForbidden || status == http.StatusUnauthorized:
		return reply{errText: fmt.Sprintf("%d not allowed: the cache refused the purge (check its purge ACL or method): %s", status, said)}
	}
	return reply{errText: fmt.Sprintf("unexpected answer %d: %s", status, said)}
}
