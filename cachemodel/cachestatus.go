package cachemodel

import "strings"

// statusSource is a response header that reports a cache outcome.
type statusSource int

// Status sources in priority order, most specific first: a vendor's own
// header beats the standard one, the standard beats generic names that
// several products reuse, and Age is only a hint.
const (
	srcCFCacheStatus     statusSource = iota // Cloudflare
	srcCacheStatus                           // RFC 9211 (Netlify, Squid 6, others)
	srcVercelCache                           // Vercel
	srcAkamaiCacheStatus                     // Akamai "Return Cache Status"
	srcXCacheStatus                          // nginx $upstream_cache_status, by convention
	srcXProxyCache                           // nginx $upstream_cache_status, other common names
	srcXNginxCache                           //
	srcNginxCache                            //
	srcSRCacheFetch                          // nginx srcache module: $srcache_fetch_status
	srcX77Cache                              // CDN77
	srcXCache                                // Fastly, CloudFront, Akamai/Azure TCP_*, Squid, ATS xdebug, VCLs
	srcCDNCache                              // Bunny
	srcXCacheLookup                          // Squid's lookup result; ATS setups that copy %{CACHE} into it
	srcSRCacheStore                          // nginx srcache module: $srcache_store_status
	srcATSVia                                // Traffic Server's Via codes
	srcXVarnish                              // Varnish transaction ids
	srcAge                                   // any cache: weak
	numStatusSources
)

var statusSourceNames = [numStatusSources]string{
	"CF-Cache-Status",
	"Cache-Status",
	"X-Vercel-Cache",
	"Akamai-Cache-Status",
	"X-Cache-Status",
	"X-Proxy-Cache",
	"X-Nginx-Cache",
	"Nginx-Cache",
	"X-SRCache-Fetch-Status",
	"X-77-Cache",
	"X-Cache",
	"CDN-Cache",
	"X-Cache-Lookup",
	"X-SRCache-Store-Status",
	"Via",
	"X-Varnish",
	"Age",
}

// silentSource: a header that is a status source only when its value is
// recognised, and is never named as the source of an UNKNOWN (most Via
// headers carry no cache status at all).
func silentSource(src statusSource) bool { return src == srcATSVia }

// NormalizeCacheStatus reads the response's cache-status headers and
// returns one normalised verdict.
//
// Sources are tried in the priority order above; the first whose value is
// recognised wins. A recognised value may still mean UNKNOWN ("Error from
// cloudfront", CF "NONE"): the cache spoke, it just did not cache. When no
// source is recognised the verdict is UNKNOWN with Source and Raw (and
// Layers, if any) of the highest-priority header present, so users still
// see what came back. Without any such header: UNKNOWN and Source "".
//
// Source is the header name exactly as received; Raw is its value, lines
// joined with ", ". Values match case-insensitively, ignoring surrounding
// white space.
//
// List-shaped headers (Cache-Status, Akamai-Cache-Status, X-Cache) fill
// Layers, ordered like RFC 9211: closest to the origin first, closest to
// the user last. Status is then always the last layer's status, the cache
// that answered the user. Fastly and Squid append their entry as the
// response travels towards the user, so their lists are already in that
// order ("HIT, MISS": the shield hit, the edge missed => MISS); Akamai
// writes the child (edge) first, so its list is reversed.
//
// Single-value headers that arrive repeated or comma-joined are read by
// their last element, following the same append convention.
func NormalizeCacheStatus(h Headers) CacheVerdict {
	var first, count [numStatusSources]int
	for i, f := range h {
		for src, name := range statusSourceNames {
			if headerNameIs(f.Name, name) {
				if count[src] == 0 {
					first[src] = i
				}
				count[src]++
				break
			}
		}
	}
	var fallback CacheVerdict
	haveFallback := false
	for src := range numStatusSources {
		if count[src] == 0 {
			continue
		}
		raw := h[first[src]].Value
		if count[src] > 1 {
			raw, _ = h.Combined(statusSourceNames[src])
		}
		v := CacheVerdict{Status: StatusUnknown, Source: h[first[src]].Name, Raw: raw}
		if classifySource(src, h, &v) {
			return v
		}
		if !haveFallback && !silentSource(src) {
			fallback, haveFallback = v, true
		}
	}
	if haveFallback {
		return fallback
	}
	return CacheVerdict{Status: StatusUnknown}
}

// classifySource fills v.Status (and Layers) from v.Raw and reports whether
// the value was recognised. Unrecognised values leave Status UNKNOWN.
func classifySource(src statusSource, h Headers, v *CacheVerdict) bool {
	switch src {
	case srcCacheStatus:
		return classifyCacheStatus(v)
	case srcAkamaiCacheStatus:
		return classifyList(v, h, true)
	case srcXCache, srcXCacheLookup:
		return classifyList(v, h, false)
	case srcXVarnish:
		return classifyXVarnish(v)
	case srcATSVia:
		return classifyATSVia(v)
	case srcSRCacheStore:
		// STORE: the response came from the backend and was stored, so it
		// was not served from the cache. BYPASS says only that nothing was
		// stored, which is also what a hit looks like: not recognised.
		if headerNameIs(trimOWS(lastEntry(v.Raw)), "STORE") {
			v.Status = StatusMiss
			return true
		}
		return false
	case srcAge:
		if n, ok := firstDeltaSeconds(v.Raw); ok && n > 0 {
			v.Status, v.Weak = StatusHit, true
			return true
		}
		return false
	}
	st, ok := wordStatus(firstWord(lastEntry(v.Raw)))
	v.Status = st
	return ok
}

// maxCacheLayers bounds the Cache-Status members read: one per cache on
// the path, a handful in practice. A hostile header can list a hundred
// thousand, and every analysis pass would parse them all.
const maxCacheLayers = 32

// classifyCacheStatus maps RFC 9211 members to layers; the last member is
// closest to the user and gives the status. Only the last maxCacheLayers
// members are read.
func classifyCacheStatus(v *CacheVerdict) bool {
	ms := parseCacheStatus(lastListMembers(v.Raw, maxCacheLayers))
	if len(ms) == 0 {
		return false
	}
	v.Layers = make([]CacheLayer, len(ms))
	for i, m := range ms {
		v.Layers[i] = CacheLayer{Name: m.Cache, Status: m.Status(), Raw: m.raw}
	}
	v.Status = v.Layers[len(ms)-1].Status
	return v.Status != StatusUnknown
}

// lastListMembers returns the tail of a comma-separated list holding its
// last n members, cut at a comma outside quoted strings (the only place a
// structured-field list can be split), or s when it has at most n.
func lastListMembers(s string, n int) string {
	if strings.Count(s, ",") < n {
		return s // fast path: no need to track quotes
	}
	ring := make([]int, n) // positions of the last n separating commas
	seen := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			ring[seen%n] = i
			seen++
		}
	}
	if seen < n {
		return s
	}
	return s[ring[seen%n]+1:] // after the n-th comma from the end
}

// classifyList reads a comma list of "<status>[ from <name>]" entries.
// reversed is for Akamai-Cache-Status, which lists the edge first.
func classifyList(v *CacheVerdict, h Headers, reversed bool) bool {
	n := countEntries(v.Raw)
	if n == 0 {
		return false
	}
	v.Layers = make([]CacheLayer, 0, n)
	var firstKnown, lastKnown bool
	for rest := v.Raw; rest != ""; {
		var e string
		e, rest = nextEntry(rest)
		if e == "" {
			continue
		}
		st, ok := wordStatus(firstWord(e))
		if len(v.Layers) == 0 {
			firstKnown = ok
		}
		lastKnown = ok
		v.Layers = append(v.Layers, CacheLayer{Name: fromName(e), Status: st, Raw: e})
	}
	if reversed {
		for i, j := 0, len(v.Layers)-1; i < j; i, j = i+1, j-1 {
			v.Layers[i], v.Layers[j] = v.Layers[j], v.Layers[i]
		}
		lastKnown = firstKnown
	} else {
		nameFromServedBy(v.Layers, h)
	}
	v.Status = v.Layers[len(v.Layers)-1].Status
	return lastKnown
}

// nameFromServedBy names Fastly X-Cache entries after the matching
// X-Served-By nodes when both lists have the same length (Fastly writes
// them in step).
func nameFromServedBy(layers []CacheLayer, h Headers) {
	sb, ok := h.Get("X-Served-By")
	if !ok || countEntries(sb) != len(layers) {
		return
	}
	i := 0
	for rest := sb; rest != "" && i < len(layers); {
		var e string
		e, rest = nextEntry(rest)
		if e == "" {
			continue
		}
		if layers[i].Name == "" {
			layers[i].Name = e
		}
		i++
	}
}

// classifyXVarnish uses Varnish's own convention: one transaction id on a
// miss or pass, two (this request's and the one that stored the object) on
// a hit.
func classifyXVarnish(v *CacheVerdict) bool {
	ids := 0
	for rest := lastEntry(v.Raw); rest != ""; {
		var f string
		f, rest = nextField(rest)
		if f == "" {
			continue
		}
		if _, ok := parseDeltaSeconds(f); !ok {
			return false
		}
		ids++
	}
	switch ids {
	case 1:
		v.Status = StatusMiss
	case 2:
		v.Status = StatusHit
	default:
		return false
	}
	return true
}

// statusWords maps every vendor status word corscope knows to a normalised
// status. Lookups ignore ASCII case.
var statusWords = []struct {
	word   string
	status CacheStatus
}{
	// The common vocabulary: Cloudflare, nginx, Fastly, Vercel, Bunny, Squid.
	{"HIT", StatusHit},
	{"MISS", StatusMiss},
	{"EXPIRED", StatusExpired},
	{"STALE", StatusStale},
	{"REVALIDATED", StatusRevalidated},
	{"UPDATING", StatusUpdating},
	{"BYPASS", StatusBypass},
	{"DYNAMIC", StatusDynamic},
	{"PASS", StatusPass},
	{"NONE", StatusUnknown}, // Cloudflare: answered before the cache (Worker, WAF)
	{"UNKNOWN", StatusUnknown},
	{"PRERENDER", StatusHit}, // Vercel: served from static prerender storage
	// CloudFront "<Result> from cloudfront" and Akamai-Cache-Status words.
	{"RefreshHit", StatusRevalidated},
	{"HitStale", StatusStale},
	{"NotCacheable", StatusBypass},
	{"Error", StatusUnknown},
	{"Redirect", StatusUnknown},
	{"Constructed", StatusUnknown},
	{"FunctionGeneratedResponse", StatusUnknown},
	{"LambdaGeneratedResponse", StatusUnknown},
	{"LimitExceeded", StatusUnknown},
	{"CapacityExceeded", StatusUnknown},
	// Akamai (Pragma debug), Azure CDN and Squid access-log style codes.
	{"TCP_HIT", StatusHit},
	{"TCP_MEM_HIT", StatusHit},
	{"TCP_REMOTE_HIT", StatusHit},
	{"TCP_IMS_HIT", StatusHit},
	{"TCP_NEGATIVE_HIT", StatusHit}, // a cached error response
	{"TCP_MISS", StatusMiss},
	{"TCP_CLIENT_REFRESH_MISS", StatusMiss},
	{"TCP_REFRESH_HIT", StatusRevalidated},
	{"TCP_REFRESH_UNMODIFIED", StatusRevalidated},
	{"TCP_REFRESH_MISS", StatusExpired},
	{"TCP_REFRESH_MODIFIED", StatusExpired},
	{"TCP_REFRESH_FAIL_HIT", StatusStale},
	{"PRIVATE_NOSTORE", StatusBypass},
	{"CONFIG_NOCACHE", StatusBypass},
	{"UNCACHEABLE", StatusBypass},
	{"N/A", StatusUnknown},
	// Apache Traffic Server xdebug X-Cache.
	{"hit-fresh", StatusHit},
	{"hit-stale", StatusStale},
	{"skipped", StatusBypass},
}

// wordStatus looks a status word up; ok is false for words nobody uses.
func wordStatus(w string) (CacheStatus, bool) {
	for _, sw := range statusWords {
		if headerNameIs(w, sw.word) {
			return sw.status, true
		}
	}
	return StatusUnknown, false
}

// firstWord returns the entry up to its first white space ("Hit" of
// "Hit from cloudfront").
func firstWord(e string) string {
	e = trimOWS(e)
	if i := strings.IndexAny(e, " \t"); i >= 0 {
		return e[:i]
	}
	return e
}

// fromName returns the word after " from " ("cloudfront", a Squid host,
// Akamai's "child"/"parent"), or "".
func fromName(e string) string {
	for i := 0; i+6 <= len(e); i++ {
		if (e[i] == ' ' || e[i] == '\t') && headerNameIs(e[i+1:i+5], "from") && (e[i+5] == ' ' || e[i+5] == '\t') {
			return firstWord(e[i+6:])
		}
	}
	return ""
}

// nextEntry splits off the first comma-separated element, trimmed.
func nextEntry(s string) (entry, rest string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		return trimOWS(s[:i]), s[i+1:]
	}
	return trimOWS(s), ""
}

// nextField splits off the first white-space-separated field.
func nextField(s string) (field, rest string) {
	s = trimOWS(s)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// countEntries counts the non-empty comma-separated elements of s.
func countEntries(s string) int {
	n := 0
	for rest := s; rest != ""; {
		var e string
		e, rest = nextEntry(rest)
		if e != "" {
			n++
		}
	}
	return n
}

// lastEntry returns the last non-empty comma-separated element, trimmed.
func lastEntry(s string) string {
	for s != "" {
		i := strings.LastIndexByte(s, ',')
		if e := trimOWS(s[i+1:]); e != "" {
			return e
		}
		if i < 0 {
			break
		}
		s = s[:i]
	}
	return ""
}

// classifyATSVia reads Traffic Server's Via codes (traffic_via): in the
// bracket of the hop closest to the user, the part before ":" is pairs of
// a field letter and its value: u client-info, c cache-lookup, s
// server-info, f cache-fill, p proxy-info, e error-codes ("[uScMsSf pSeN:t
// cCMi p sS]"; the short form "[cMsSf ]"). The cache-lookup value decides:
//
//	H in cache, fresh; R fresh RAM hit      -> HIT
//	M miss; A in cache, not acceptable      -> MISS
//	S in cache, stale, then server-info:
//	   S served by the origin               -> EXPIRED
//	   N origin said not modified (304)     -> REVALIDATED
//	   blank: no origin connection          -> STALE (stale copy served)
//	blank: no cache lookup performed        -> BYPASS
//
// Anything else (a stale copy and an origin error) is not recognised.
func classifyATSVia(v *CacheVerdict) bool {
	codes := ""
	for rest := v.Raw; rest != ""; {
		var hop string
		hop, rest = nextEntry(rest)
		if i := strings.IndexByte(hop, '['); i >= 0 && atsViaCodes(hop[i:]) {
			codes = hop[i+1 : i+strings.IndexByte(hop[i:], ']')]
		}
	}
	if codes == "" {
		return false
	}
	if i := strings.IndexByte(codes, ':'); i >= 0 {
		codes = codes[:i]
	}
	fields := map[byte]byte{}
	for i := 0; i+1 < len(codes); i += 2 {
		fields[codes[i]] = codes[i+1]
	}
	lookup, ok := fields['c']
	if !ok {
		return false
	}
	switch lookup {
	case 'H', 'R':
		v.Status = StatusHit
	case 'M', 'A':
		v.Status = StatusMiss
	case 'S':
		switch fields['s'] {
		case 'S':
			v.Status = StatusExpired
		case 'N':
			v.Status = StatusRevalidated
		case ' ', 0:
			v.Status = StatusStale
		default:
			return false
		}
	case ' ':
		v.Status = StatusBypass
	default:
		return false
	}
	return true
}

// CacheStatus is a cache outcome normalised across vendors.
type CacheStatus string

// ServedFromCache reports whether the status means the body came from a
// stored object (fresh, stale or revalidated) rather than a new origin fetch.
func (s CacheStatus) ServedFromCache() bool {
	switch s {
	case StatusHit, StatusStale, StatusRevalidated, StatusUpdating:
		return true
	}
	return false
}

// CacheLayer is one cache on the path as a status header describes it.
// Layers are ordered as RFC 9211 orders them: closest to the origin first,
// closest to the user last.
type CacheLayer struct {
	Name   string      // cache id from Cache-Status, node from X-Cache, or ""
	Status CacheStatus // normalised
	Raw    string      // the member or list entry as received
}

// CacheVerdict is the normalised cache status of one response and where it
// came from.
type CacheVerdict struct {
	Status CacheStatus
	// Source is the header the status was read from ("CF-Cache-Status",
	// "Cache-Status", "X-Cache", "X-Varnish", "Age", ...), "" when nothing
	// told us.
	Source string
	Raw    string // the source header's value as received
	// Weak is true when the status rests only on a weak hint (Age).
	Weak   bool
	Layers []CacheLayer
}

// Normalised cache statuses.
const (
	StatusHit         CacheStatus = "HIT"
	StatusMiss        CacheStatus = "MISS"
	StatusExpired     CacheStatus = "EXPIRED"
	StatusStale       CacheStatus = "STALE"
	StatusRevalidated CacheStatus = "REVALIDATED"
	StatusUpdating    CacheStatus = "UPDATING"
	StatusBypass      CacheStatus = "BYPASS"
	StatusDynamic     CacheStatus = "DYNAMIC"
	StatusPass        CacheStatus = "PASS"
	StatusUnknown     CacheStatus = "UNKNOWN"
)
