package report

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// redirectNote describes the redirects a variant followed, or "": the
// chain (paths only when it stays on the request's origin), a loop when a
// URL comes back, and that the answer shown is still a redirect when the
// --follow limit stopped it. Server text is escaped.
func redirectNote(v cachemodel.VariantResult) string {
	r := v.Response
	if r == nil || len(r.Redirects) == 0 {
		return ""
	}
	base, _ := url.Parse(v.Request.URL)
	short := func(s string) string {
		if u, err := url.Parse(s); err == nil && base != nil && u.Scheme == base.Scheme && u.Host == base.Host {
			return termsafe.String(u.RequestURI())
		}
		return termsafe.String(s)
	}
	seen := map[string]bool{v.Request.URL: true}
	loop := false
	hops := []string{short(v.Request.URL)}
	for _, u := range r.Redirects {
		loop = loop || seen[u]
		seen[u] = true
		hops = append(hops, short(u))
	}
	msg := fmt.Sprintf("↪ followed %s: %s", plural(len(r.Redirects), "redirect"), strings.Join(hops, " → "))
	switch {
	case loop:
		msg += " (a redirect loop: browsers give up on it; the last answer is shown)"
	case r.Status >= 300 && r.Status < 400:
		msg += fmt.Sprintf(" (stopped at the --follow limit; the last answer, a %d, is shown)", r.Status)
	}
	if s := r.Sent; s != nil {
		if s.Origin != nil && v.Origin != nil && *s.Origin != *v.Origin {
			msg += "; the last request carried Origin: " + termsafe.String(*s.Origin) + ", as browsers send after a cross-origin redirect"
		}
		if len(s.DroppedHeaders) > 0 {
			msg += "; not sent to the new origin: " + termsafe.String(strings.Join(s.DroppedHeaders, ", "))
		}
	}
	for i, h := range r.Hops {
		if h.CORS != nil && !h.CORS.Allowed {
			msg += fmt.Sprintf("; redirect %d fails the CORS check (%s): a browser stops there", i+1, termsafe.String(h.CORS.Reason))
			break
		}
	}
	return msg
}

// bodyErrorNote says why a variant's body was cut short, or "".
func bodyErrorNote(v cachemodel.VariantResult) string {
	r := v.Response
	if r == nil || r.BodyError == nil {
		return ""
	}
	return fmt.Sprintf("! round %d %s: body cut short after %d bytes: %s: %s (the headers are complete)",
		v.Round, termsafe.String(v.Label), r.BodyBytes, r.BodyError.Kind, termsafe.String(r.BodyError.Message))
}
