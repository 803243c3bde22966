package cachemodel

import (
	"fmt"
	"strings"
)

// State findings: what the target's answers say as a whole about CORS.

// ruleCORSNotEnabled: the server answered the given origins' requests
// with a 2xx (not only stored copies) and sent ACAO to none of them. Without a policy this
// may be intended (a resource only its own site reads), so it is low; when
// --allow says some of these origins must be allowed it is medium.
func ruleCORSNotEnabled(d *diag) []Finding {
	if _, ok := corsNotEnabled(d.vs, d.served); !ok {
		return nil
	}
	var origins []string
	var primary []int
	seen := map[string]bool{}
	sev := SevLow
	var ev []string
	for i, v := range d.vs {
		if !corsVariant(v) || v.Response == nil {
			continue
		}
		primary = append(primary, i)
		o := *v.Origin
		if !seen[o] {
			seen[o] = true
			origins = append(origins, o)
			ev = append(ev, d.line(i))
		}
		if d.policy.active() && d.policy.allows(o) {
			sev = SevMedium
		}
	}
	msg := fmt.Sprintf("CORS is not enabled for the given origins: no response to them carried Access-Control-Allow-Origin (%s), so browsers block every cross-origin read of this resource from them",
		strings.Join(origins, ", "))
	if sev == SevMedium {
		msg += "; the --allow policy says some of them must be allowed"
	}
	fix := "If pages on these origins must read this resource, send Access-Control-Allow-Origin: the request's Origin when it is on an exact allow-list (with Vary: Origin), or * for public data. If only the resource's own site uses it, nothing is wrong."
	return d.finding(RuleCORSNotEnabled, sev, msg, fix, ev, primary)
}

// ruleCachedCopyWithoutACAO: no request from a given origin got ACAO and
// every 2xx answer to one was, or may have been, a stored copy (typical of observe mode after a request
// without Origin primed the cache). That looks like a resource without
// CORS, but may be a copy stored for a request without Origin and served
// to every Origin; only fresh answers (isolate mode) tell them apart.
func ruleCachedCopyWithoutACAO(d *diag) []Finding {
	var cached, primary []int
	for i, v := range d.vs {
		if !corsVariant(v) || v.Response == nil {
			continue
		}
		if v.CORS.ACAO != nil {
			return nil
		}
		if d.transient(i) || v.Response.Status < 200 || v.Response.Status > 299 {
			continue
		}
		if !mayBeStored(v, d.served[i]) {
			return nil // a fresh answer: see cors-not-enabled
		}
		cached = append(cached, i)
	}
	if len(cached) == 0 {
		return nil
	}
	var ev []string
	for _, i := range cached {
		ev = append(ev, d.line(i))
		primary = append(primary, i)
	}
	var also []int
	for i, v := range d.vs {
		if v.Response != nil && v.Origin == nil && i < cached[0] {
			also = append(also, i)
			ev = append(ev, "earlier, a request without Origin: "+d.line(i)+" (it may have stored the copy)")
			break
		}
	}
	msg := "Every request from a given origin got an answer without Access-Control-Allow-Origin that was served from the cache, or came through a cache that did not say whether it was a stored copy, and no answer known to be fresh was seen: either CORS is not enabled for these origins, or a copy stored for a request without Origin (or for an origin that is not allowed) is served to every Origin, which breaks CORS until it expires. These answers cannot tell the two apart"
	fix := "Run isolate mode (--mode isolate, or x in the TUI): it asks the server on fresh cache keys whether it grants these origins. If it does, the cache mixes Origins: " + originSideFix(d.provider, d.s3Origin())
	if d.provider == ProviderCloudFront && d.s3Origin() {
		// S3 behind CloudFront: the most common form of this bug, and only
		// CloudFront's cache policy can fix it.
		fix += " " + cacheKeyFix(d.provider, false)
	}
	return d.finding(RuleCachedCopyWithoutACAO, SevLow, msg, fix, ev, primary, also...)
}
