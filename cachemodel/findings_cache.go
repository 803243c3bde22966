package cachemodel

import (
	"fmt"
	"strconv"
	"strings"
)

// Cache findings: what shared caches do with CORS responses.

func ruleCacheBusterIneffective(d *diag) []Finding {
	if len(d.busterHits) == 0 {
		return nil
	}
	var ev []string
	for _, i := range d.busterHits {
		ev = append(ev, d.line(i)+" (first request on a fresh key)")
	}
	msg := "The cache ignores the cache-busting query parameter: the first request on a fresh key was already served from cache, so the experiments hit the real cache key and no cache conclusions are drawn for this target"
	if !d.adversarialSent {
		msg += "; the generated origins were not sent, to keep them away from what real users get"
	}
	fix := "Pick a --cache-buster parameter this cache keeps in its key, or check how it normalises query strings (CloudFront cache policies and Cloudflare's 'Ignore query string' cache level drop them); --mode observe reads the real key without attacker-style origins."
	// No primary: the error-status cap does not apply to a fact about the
	// cache's key, but the finding still rests on these requests.
	out := d.finding(RuleCacheBusterIneffective, SevInfo, msg, fix, ev, nil)
	out[0].Variants = variantSet(d.busterHits)
	return out
}

// originDependence finds two of the server's own answers (not stored
// copies), with the same status, for different Origins (or none) and with
// different ACAO: proof that ACAO depends on the request's Origin.
func (d *diag) originDependence(preflight bool) (a, b int, ok bool) {
	var idx []int
	for i, v := range d.vs {
		if v.Preflight == preflight && d.usable(i) {
			idx = append(idx, i)
		}
	}
	for x, i := range idx {
		for _, j := range idx[x+1:] {
			if !d.sameOrigin(i, j) && d.acaoKey(i) != d.acaoKey(j) && d.status(i) == d.status(j) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func ruleVaryOriginMissing(d *diag) []Finding {
	a, b, ok := d.originDependence(false)
	if !ok {
		return nil
	}
	var missing []int
	why := ""
	for i, v := range d.vs {
		if v.Preflight || !d.usable(i) || d.varyOrigin(i) {
			continue
		}
		if c, w := d.f[i].sharedCacheable(d.status(i), why == ""); c {
			if why == "" {
				why = w
			}
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ev := []string{"ACAO depends on the Origin: " + d.line(a), "while " + d.line(b)}
	if len(missing) == 1 {
		ev = append(ev, fmt.Sprintf("no Vary: Origin on %s, shared-cacheable (%s)", d.ref(missing[0]), why))
	} else {
		ev = append(ev, fmt.Sprintf("no Vary: Origin on %d shared-cacheable responses, e.g. %s (%s)", len(missing), d.ref(missing[0]), why))
	}
	sev := SevMedium
	msg := "ACAO depends on the request's Origin, but shared-cacheable responses lack Vary: Origin: a copy made for one Origin, or for a request without Origin, can be served to another"
	fix := originSideFix(d.provider, d.s3Origin()) + " " + cacheKeyFix(d.provider, d.varyIgnoredSeen())
	switch f := d.facts; {
	case f != nil && f.OriginInKey != nil && *f.OriginInKey:
		sev = SevInfo
		msg = "ACAO depends on the request's Origin and responses lack Vary: Origin; this cache keys on Origin, so it keeps them apart, but browser caches and any other cache on the path rely on Vary: Origin"
		fix = fixVaryOrigin
	case f != nil && f.Cacheable != nil && !*f.Cacheable:
		sev = SevLow
		msg += " (this cache did not store it, but browser caches and other caches may)"
	}
	return d.finding(RuleVaryOriginMissing, sev, msg, fix, ev, append([]int{a, b}, missing...))
}

// freshFor returns a usable response (the server's own answer) for the same
// Origin and request type as variant i that satisfies pred, or -1.
func (d *diag) freshFor(i int, pred func(j int) bool) int {
	for j := range d.vs {
		if j != i && d.usable(j) && d.sameOrigin(j, i) && d.vs[j].Preflight == d.vs[i].Preflight && pred(j) {
			return j
		}
	}
	return -1
}

func (d *diag) sentOrigin(o string) bool {
	for _, v := range d.vs {
		if v.Origin != nil && *v.Origin == o {
			return true
		}
	}
	return false
}

// wrongOriginFrom reports whether cached variant i carries another
// origin's grant, confirmed by the server's own answer for i's Origin (or,
// when there is none, because the ACAO names another origin corscope
// sent). fresh is that answer, or -1.
func (d *diag) wrongOriginFrom(i int) (fresh int, ok bool) {
	if d.vs[i].Response == nil || d.served[i].state != servedCached || !d.corsRequest(i) || d.transient(i) {
		return -1, false
	}
	x, has := d.acao(i)
	if !has || x == "*" || x == *d.vs[i].Origin {
		return -1, false
	}
	if j := d.freshFor(i, func(j int) bool { return d.acaoKey(j) != x }); j >= 0 {
		return j, true
	}
	if d.freshFor(i, func(int) bool { return true }) >= 0 || !d.sentOrigin(x) {
		return -1, false
	}
	return -1, true
}

// missingACAOFrom reports whether cached variant i has no ACAO while the
// server grants its Origin when asked fresh.
func (d *diag) missingACAOFrom(i int) (fresh int, ok bool) {
	if d.vs[i].Response == nil || d.served[i].state != servedCached || !d.corsRequest(i) || d.transient(i) {
		return -1, false
	}
	if _, has := d.acao(i); has {
		return -1, false
	}
	o := *d.vs[i].Origin
	j := d.freshFor(i, func(j int) bool { a, ok := d.acao(j); return ok && (a == o || a == "*") })
	return j, j >= 0
}

// storedBy is an evidence line naming who filled the cache, when known.
func (d *diag) storedBy(i int) []string {
	if s := d.storer(i); s >= 0 {
		return []string{"stored by " + d.line(s)}
	}
	return nil
}

func ruleCacheServedWrongOrigin(d *diag) []Finding {
	var hits, ev []string
	var primary, also []int
	varyIgnored := false
	for i := range d.vs {
		fresh, ok := d.wrongOriginFrom(i)
		if !ok {
			continue
		}
		primary = append(primary, i)
		hits = append(hits, *d.vs[i].Origin)
		varyIgnored = varyIgnored || d.varyOrigin(i)
		ev = append(ev, d.line(i))
		ev = append(ev, d.storedBy(i)...)
		if s := d.storer(i); s >= 0 {
			also = append(also, s)
		}
		if fresh >= 0 {
			also = append(also, fresh)
			ev = append(ev, "the server's own answer for the same Origin: "+d.line(fresh))
		} else {
			ev = append(ev, "no fresh response for this Origin was seen; the ACAO names another origin corscope sent")
		}
	}
	if len(primary) == 0 {
		return nil
	}
	a, _ := d.acao(primary[0])
	msg := fmt.Sprintf("A cache served %s a stored response carrying another origin's grant (ACAO %q): browsers block it, and whichever origin fills the cache decides who the resource works for",
		hits[0], a)
	if len(hits) > 1 {
		msg += fmt.Sprintf(" (%d requests affected)", len(hits))
	}
	return d.finding(RuleCacheServedWrongOrigin, SevHigh, msg, servedAcrossOriginsFix(d.provider, varyIgnored, d.varyIgnoredSeen(), d.s3Origin()), ev, primary, also...)
}

func ruleCacheServedWithoutACAO(d *diag) []Finding {
	var ev []string
	var primary, also []int
	varyIgnored := false
	for i := range d.vs {
		fresh, ok := d.missingACAOFrom(i)
		if !ok {
			continue
		}
		primary = append(primary, i)
		varyIgnored = varyIgnored || d.varyOrigin(i)
		ev = append(ev, d.line(i))
		ev = append(ev, d.storedBy(i)...)
		if s := d.storer(i); s >= 0 {
			also = append(also, s)
		}
		also = append(also, fresh)
		ev = append(ev, "the server's own answer for the same Origin: "+d.line(fresh))
	}
	if len(primary) == 0 {
		return nil
	}
	msg := fmt.Sprintf("A CORS request from %s got a stored response without ACAO although the server grants that origin when asked: the copy was made for a request without Origin (a plain <script>, <img> or font load) or from an origin that is not allowed, and breaks CORS until it expires",
		*d.vs[primary[0]].Origin)
	return d.finding(RuleCacheServedWithoutACAO, SevMedium, msg, servedAcrossOriginsFix(d.provider, varyIgnored, d.varyIgnoredSeen(), d.s3Origin()), ev, primary, also...)
}

// ruleCDNIgnoresVary: the response says Vary: Origin, yet the cache served
// it across Origins. Isolate mode sees it directly (a stored copy reached a
// request whose Origin differs from every request before it on the key);
// both modes see it when a stored copy with Vary: Origin carries CORS
// headers made for another Origin.
func ruleCDNIgnoresVary(d *diag) []Finding {
	var ev []string
	var primary, also []int
	for i, v := range d.vs {
		if v.Response == nil || d.served[i].state != servedCached {
			continue
		}
		s := d.storer(i)
		var storerVary bool
		if s >= 0 {
			storerVary = d.varyOrigin(s)
		}
		_, wrong := d.wrongOriginFrom(i)
		_, missing := d.missingACAOFrom(i)
		contentProof := d.varyOrigin(i) && (wrong || missing)
		if !storerVary && !contentProof {
			continue
		}
		primary = append(primary, i)
		ev = append(ev, d.line(i))
		if s >= 0 {
			also = append(also, s)
			ev = append(ev, "stored by "+d.line(s))
		}
	}
	if len(primary) == 0 {
		return nil
	}
	msg := "The response says Vary: Origin, but the cache served a copy stored for one Origin to a request with another: it ignores Vary and does not key on Origin"
	return d.finding(RuleCDNIgnoresVary, SevMedium, msg, varyIgnoredFix(d.provider), ev, primary, also...)
}

// preflightStorable: an OPTIONS response is not cacheable by default (RFC
// 9110 §9.3.7); only explicit freshness makes caches store it.
func preflightStorable(f *respFacts) (bool, string) {
	cc := &f.cc
	sMaxAge, hasSMaxAge := cc.seconds(ccSMaxAge)
	maxAge, hasMaxAge := cc.seconds(ccMaxAge)
	switch {
	case cc.noStore || (cc.private && len(cc.privateFields) == 0):
		return false, ""
	case hasSMaxAge:
		return true, "s-maxage=" + strconv.FormatInt(sMaxAge, 10)
	case hasMaxAge && maxAge > 0:
		return true, "max-age=" + strconv.FormatInt(maxAge, 10)
	case cc.public:
		return true, "public"
	case f.hints.expires:
		return true, "Expires"
	}
	return false, ""
}

func rulePreflightCacheableWithoutVary(d *diag) []Finding {
	a, b, ok := d.originDependence(true)
	if !ok {
		return nil
	}
	var ev []string
	var primary []int
	for i, v := range d.vs {
		if !v.Preflight || v.Response == nil || d.varyOrigin(i) {
			continue
		}
		if x, has := d.acao(i); !has || x == "*" {
			continue
		}
		why := ""
		if d.served[i].state == servedCached {
			why = "served from cache: " + d.served[i].how()
		} else if ok, w := preflightStorable(&d.f[i]); ok {
			why = "explicitly cacheable: " + w
		}
		if why == "" {
			continue
		}
		primary = append(primary, i)
		ev = append(ev, d.line(i)+" ("+why+")")
	}
	if len(primary) == 0 {
		return nil
	}
	ev = append([]string{"ACAO of preflights depends on the Origin: " + d.line(a), "while " + d.line(b)}, ev...)
	msg := "Preflight responses whose ACAO depends on the Origin are cacheable but lack Vary: Origin: a cache can answer one origin's preflight with another's grant, failing the actual request"
	fix := "Send Vary: Origin (and Vary: Access-Control-Request-Method, Access-Control-Request-Headers when the answer depends on them) on preflight responses, or do not let shared caches store OPTIONS responses (Cache-Control: no-store; the browser's own preflight cache uses Access-Control-Max-Age). " + cacheKeyFix(d.provider, d.varyIgnoredSeen())
	return d.finding(RulePreflightCacheableNoVary, SevMedium, msg, fix, ev, primary, a, b)
}

func ruleCredentialedSharedCacheable(d *diag) []Finding {
	var ev []string
	var primary []int
	for i, v := range d.vs {
		if v.Preflight || v.Response == nil || v.CORS.ACAO == nil || !d.credentialed(i) || d.transient(i) {
			continue
		}
		f := &d.f[i]
		if f.varyStar || f.varyCookie {
			continue
		}
		ok, why := f.sharedCacheable(v.Response.Status, len(ev) == 0)
		if !ok {
			continue
		}
		primary = append(primary, i)
		if len(ev) == 0 {
			cc, _ := v.Response.Headers.Combined("Cache-Control")
			ev = append(ev, d.line(i)+"; Cache-Control "+strconv.Quote(cc)+" ("+why+")")
		}
	}
	if len(primary) == 0 {
		return nil
	}
	if len(primary) > 1 {
		ev = append(ev, strconv.Itoa(len(primary))+" responses in all allow credentials and are shared-cacheable")
	}
	sev := SevMedium
	var also []int
	msg := "Responses that allow credentialed CORS requests (ACAC: true) are shared-cacheable: a CDN may store a response made for one user's cookies and hand it to other users"
	if f := d.facts; f != nil && f.Cacheable != nil {
		if *f.Cacheable {
			for _, e := range f.Evidence {
				if rest, ok := strings.CutPrefix(e, "cacheable: "); ok {
					ev = append(ev, "this cache stores it: "+rest)
					if d.cacheableBy >= 0 {
						also = append(also, d.cacheableBy)
					}
				}
			}
		} else {
			sev = SevLow
			msg += " (this cache did not store it, but the headers allow any shared cache to)"
		}
	}
	fix := "Mark responses to credentialed requests Cache-Control: private (or no-store), or Vary: Cookie when they depend on cookies; at the CDN, bypass the cache for requests carrying Cookie or Authorization."
	return d.finding(RuleCredentialedSharedCache, sev, msg, fix, ev, primary, also...)
}

// corsSig is what a browser's CORS check depends on.
type corsSig struct {
	acao, acac string // "\x00absent" when absent
	varyOrigin bool
}

func (d *diag) corsSignature(i int) corsSig {
	acac := "\x00absent"
	if c := d.vs[i].CORS.ACAC; c != nil {
		acac = *c
	}
	return corsSig{d.acaoKey(i), acac, d.varyOrigin(i)}
}

// ruleCORSInconsistent compares the server's own answers to the same
// request (same Origin, request type and status): in isolate mode also a
// repeat's stored copy, which was made for the same Origin.
func ruleCORSInconsistent(d *diag) []Finding {
	type group struct {
		first, other int
		sig          corsSig
	}
	var groups []group // in first-seen order; few: one per Origin, type and status
	for i, v := range d.vs {
		if v.Response == nil || d.transient(i) {
			continue
		}
		if d.served[i].state == servedCached && (!d.isolate || v.Experiment != ExperimentRepeat) {
			continue
		}
		g := -1
		for k := range groups {
			f := groups[k].first
			if d.sameOrigin(f, i) && d.vs[f].Preflight == v.Preflight && d.status(f) == v.Response.Status {
				g = k
				break
			}
		}
		if g < 0 {
			if groups == nil {
				groups = make([]group, 0, len(d.vs))
			}
			groups = append(groups, group{first: i, other: -1, sig: d.corsSignature(i)})
			continue
		}
		if groups[g].other < 0 && d.corsSignature(i) != groups[g].sig {
			groups[g].other = i
		}
	}
	var ev []string
	var primary []int
	for _, g := range groups {
		if g.other < 0 {
			continue
		}
		primary = append(primary, g.first, g.other)
		ev = append(ev, d.line(g.first), "but "+d.line(g.other))
	}
	if len(primary) == 0 {
		return nil
	}
	msg := fmt.Sprintf("The same request got different CORS headers at different times (%s): CORS works intermittently, typically several backends with different CORS settings or a layer rewriting headers",
		d.vs[primary[0]].Label)
	fix := "Make every backend and every cache layer answer the same Origin with the same ACAO, ACAC and Vary; compare the responses' Server/Via headers to find the odd one out."
	return d.finding(RuleCORSInconsistent, SevLow, msg, fix, ev, primary)
}
