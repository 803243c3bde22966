package cachemodel

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// servedState says whether a response came from a stored object.
type servedState uint8

const (
	servedUnknown servedState = iota
	servedFresh               // a new origin response
	servedCached              // a stored object
)

// servedInfo is the verdict and the evidence it rests on, e.g. "HIT via
// X-Varnish" or "ETag unchanged since the first request on this key".
type servedInfo struct {
	state servedState
	note  string
	// A verdict read from the cache status is worded from it when needed
	// (how): "HIT via X-Varnish".
	viaStatus bool
	status    CacheStatus
	source    string
}

// how is the evidence the verdict rests on ("" when unknown).
func (s servedInfo) how() string {
	if s.viaStatus {
		return string(s.status) + " via " + s.source
	}
	return s.note
}

// appendHow appends how() to b.
func (s servedInfo) appendHow(b []byte) []byte {
	if s.viaStatus {
		return append(append(append(b, s.status...), " via "...), s.source...)
	}
	return append(b, s.note...)
}

// diag is everything the finding rules and the cache-key inference share
// about one target: its variants plus per-variant bookkeeping.
type diag struct {
	vs       []VariantResult
	provider Provider
	policy   Policy
	isolate  bool // the plan ran isolate experiments

	// f holds what each response's headers say (zero for no response).
	f []respFacts
	// groups are the variant indexes per experiment key (experiment and
	// busting value), in order, keys in first-use order; observe mode has
	// one key.
	groups    [][]int
	groupsBuf [1][]int
	servedBuf [8]servedInfo
	intsBuf   [4 * 8]int
	keyIdx    []int // the group of each variant
	pos       []int // position of each variant on its key, 0-based
	keyFirst  []int // index of the first variant on the same key
	served    []servedInfo

	// busterHits are fresh keys whose first request was already served from
	// cache: the cache ignores the busting parameter.
	busterHits []int
	busterOK   bool // isolate mode and no busterHits
	// adversarialSent: the plan's generated origins were sent.
	adversarialSent bool
	facts           *CacheKeyFacts
	// cacheableBy is the variant whose cached answer proved the response
	// cacheable (facts.Cacheable true); -1 otherwise.
	cacheableBy int
	// storable: variant label -> its repeat key showed a stored object.
	storable map[string]bool
}

func newDiag(vs []VariantResult, provider Provider, pol Policy) *diag {
	return newDiagFacts(vs, nil, provider, pol)
}

// newDiagFacts is newDiag with the facts already read from each
// variant's response (nil: read them here).
func newDiagFacts(vs []VariantResult, facts []respFacts, provider Provider, pol Policy) *diag {
	if facts == nil {
		facts = readAllFacts(vs)
	}
	d := &diag{vs: vs, f: facts, provider: provider, policy: pol, cacheableBy: -1}
	// A small target's bookkeeping lives in d itself.
	ints := d.intsBuf[:]
	if len(vs) > len(d.servedBuf) {
		ints, d.served = make([]int, 4*len(vs)), make([]servedInfo, len(vs))
	} else {
		d.served = d.servedBuf[:len(vs):len(vs)]
	}
	d.keyIdx, d.pos, d.keyFirst = ints[:len(vs):len(vs)], ints[len(vs):2*len(vs):2*len(vs)], ints[2*len(vs):3*len(vs):3*len(vs)]
	for _, v := range vs {
		if v.Experiment != "" {
			d.isolate = true
		}
		if v.Experiment == ExperimentAdversarial {
			d.adversarialSent = true
		}
	}
	for i, v := range vs {
		g := -1
		for k, idx := range d.groups {
			if !d.isolate || (vs[idx[0]].Experiment == v.Experiment && vs[idx[0]].CacheBuster == v.CacheBuster) {
				g = k
				break
			}
		}
		if g < 0 {
			g = len(d.groups)
			if g == 0 {
				// The first key (observe mode's only one) uses the spare
				// quarter of ints; it holds at most every variant.
				d.groups = append(d.groupsBuf[:0], ints[3*len(vs):3*len(vs):4*len(vs)])
			} else {
				d.groups = append(d.groups, make([]int, 0, len(vs)-i))
			}
		}
		d.keyIdx[i] = g
		d.pos[i] = len(d.groups[g])
		d.groups[g] = append(d.groups[g], i)
		d.keyFirst[i] = d.groups[g][0]
		d.served[i] = statusServed(v)
	}
	if d.isolate {
		for _, idx := range d.groups {
			if first := idx[0]; d.served[first].state == servedCached {
				d.busterHits = append(d.busterHits, first)
			}
		}
		d.busterOK = len(d.busterHits) == 0
	}
	if d.busterOK {
		d.inferFromValidators()
	}
	if d.isolate {
		d.facts = d.inferFacts()
	} else {
		d.facts = d.inferObserveFacts()
	}
	return d
}

// inferObserveFacts: observe mode probes the real key, whose history is
// unknown, so most sequences prove nothing. One does: two different origins
// both served from cache, each with its own Origin in ACAO and no Vary:
// Origin, means the cache keeps a copy per Origin (or sets ACAO itself after
// the cache), so the missing Vary cannot mix them up here. Otherwise the
// facts stay unknown (nil).
func (d *diag) inferObserveFacts() *CacheKeyFacts {
	var own []int
	for i, v := range d.vs {
		if v.Preflight || v.Response == nil || d.transient(i) || v.Origin == nil || v.CORS.ACAO == nil ||
			*v.CORS.ACAO != *v.Origin || d.varyOrigin(i) || d.served[i].state != servedCached {
			continue
		}
		own = append(own, i)
	}
	for x, i := range own {
		for _, j := range own[x+1:] {
			if *d.vs[i].Origin == *d.vs[j].Origin {
				continue
			}
			return &CacheKeyFacts{
				OriginInKey: ptrBool(true),
				Cacheable:   ptrBool(true),
				Evidence: []string{fmt.Sprintf("Origin is in the cache key (or ACAO is set after the cache): %s (%s) and %s (%s) were both served from cache, each with its own Origin in ACAO, without Vary: Origin",
					d.ref(i), d.served[i].how(), d.ref(j), d.served[j].how())},
			}
		}
	}
	return nil
}

// statusServed reads the normalised cache status: a vendor status header
// is strong evidence, Age > 0 a weak one.
func statusServed(v VariantResult) servedInfo {
	if v.Response == nil {
		return servedInfo{}
	}
	c := v.Cache
	switch {
	case c.Weak && c.Age != nil:
		return servedInfo{state: servedCached, note: fmt.Sprintf("Age %d", *c.Age)}
	case c.Status == StatusUnknown:
		return servedInfo{}
	case c.Status.ServedFromCache():
		return servedInfo{state: servedCached, viaStatus: true, status: c.Status, source: c.Source}
	}
	return servedInfo{state: servedFresh, viaStatus: true, status: c.Status, source: c.Source}
}

// inferFromValidators fills in isolate-mode variants the cache status left
// unknown. The first request on a fresh key is fresh by construction. A
// later one is compared with that first response: when the origin visibly
// changes ETag per response (the first responses of different keys all
// differ), an unchanged ETag means the stored copy and a changed one a new
// fetch; a later Date means a new fetch, and an unchanged Date while a
// response received in between is newer means the stored copy.
func (d *diag) inferFromValidators() {
	perFetchETag := d.etagChangesPerFetch()
	for i, v := range d.vs {
		if v.Response == nil || d.served[i].state != servedUnknown {
			continue
		}
		first := d.keyFirst[i]
		if first == i {
			d.served[i] = servedInfo{state: servedFresh, note: "first request on a fresh cache key"}
			continue
		}
		if d.vs[first].Response == nil {
			continue
		}
		h, fh := v.Response.Headers, d.vs[first].Response.Headers
		if et, ok := h.Get("ETag"); ok && perFetchETag {
			if fet, ok := fh.Get("ETag"); ok {
				if et == fet {
					d.served[i] = servedInfo{state: servedCached, note: "ETag " + et + " unchanged since the first request on this key, while fresh responses change it"}
				} else {
					d.served[i] = servedInfo{state: servedFresh, note: "ETag changed since the first request on this key: a new origin response"}
				}
				continue
			}
		}
		date, ok1 := httpDate(h)
		fdate, ok2 := httpDate(fh)
		if !ok1 || !ok2 {
			continue
		}
		switch {
		case date.After(fdate):
			d.served[i] = servedInfo{state: servedFresh, note: "Date later than the first response on this key: a new origin response"}
		case date.Equal(fdate):
			for j := first + 1; j < i; j++ {
				if d.vs[j].Response == nil {
					continue
				}
				if dj, ok := httpDate(d.vs[j].Response.Headers); ok && dj.After(fdate) {
					d.served[i] = servedInfo{state: servedCached, note: "Date unchanged since the first request on this key although a response in between is newer"}
					break
				}
			}
		}
	}
}

// etagChangesPerFetch reports whether the first responses of the fresh
// keys (certainly origin responses) carry at least two ETags and no two
// alike: then the ETag identifies one origin response.
func (d *diag) etagChangesPerFetch() bool {
	seen := map[string]bool{}
	for _, idx := range d.groups {
		v := d.vs[idx[0]]
		if v.Response == nil {
			continue
		}
		et, ok := v.Response.Headers.Get("ETag")
		if !ok {
			continue
		}
		if seen[et] {
			return false
		}
		seen[et] = true
	}
	return len(seen) >= 2
}

// httpDate parses the Date header (IMF-fixdate, the only form senders may
// generate).
func httpDate(h Headers) (time.Time, bool) {
	v, ok := h.Get("Date")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("Mon, 02 Jan 2006 15:04:05 GMT", strings.TrimSpace(v))
	return t, err == nil
}

// inferFacts draws the cache-key facts from the experiments. Nothing is
// concluded when the busting parameter was ignored.
func (d *diag) inferFacts() *CacheKeyFacts {
	f := &CacheKeyFacts{}
	if !d.busterOK {
		if len(d.busterHits) > 0 {
			i := d.busterHits[0]
			f.Evidence = append(f.Evidence, fmt.Sprintf("the cache ignores the cache-busting parameter: %s was already served from cache (%s) on a fresh key; no cache-key conclusions drawn",
				d.ref(i), d.served[i].how()))
		}
		return f
	}
	d.inferCacheable(f)
	d.inferKeying(f)
	return f
}

// inferCacheable: a repeat key whose later request was served from cache
// proves the cache stores the response; every later request fresh proves
// it does not.
func (d *diag) inferCacheable(f *CacheKeyFacts) {
	var yes, no []int
	unknown := false
	for _, idx := range d.groups {
		if d.vs[idx[0]].Experiment != ExperimentRepeat || len(idx) < 2 {
			continue
		}
		stored, fresh := -1, 0
		for _, i := range idx[1:] {
			switch d.served[i].state {
			case servedCached:
				if stored < 0 {
					stored = i
				}
			case servedFresh:
				fresh++
			}
		}
		switch {
		case stored >= 0:
			yes = append(yes, stored)
			if d.storable == nil {
				d.storable = map[string]bool{}
			}
			d.storable[d.vs[idx[0]].Label] = true
		case fresh == len(idx)-1:
			no = append(no, idx[1])
		default:
			unknown = true
		}
	}
	switch {
	case len(yes) > 0:
		f.Cacheable = ptrBool(true)
		d.cacheableBy = yes[0]
		f.Evidence = append(f.Evidence, fmt.Sprintf("cacheable: %s was served from cache (%s)", d.ref(yes[0]), d.served[yes[0]].how()))
	case len(no) > 0 && !unknown:
		f.Cacheable = ptrBool(false)
		f.Evidence = append(f.Evidence, fmt.Sprintf("not cacheable here: no repeated request was served from cache (e.g. %s: %s)", d.ref(no[0]), d.served[no[0]].how()))
	default:
		f.Evidence = append(f.Evidence, "cacheable: unknown (no cache status, Age or telling validators)")
	}
}

// inferKeying reads the cross-origin sequences (no-origin-first,
// origin-a-first): a later request with another Origin served from cache
// means Origin is not in the key (and, when the response says Vary:
// Origin, that Vary is ignored); a fresh one after a stored response means
// the cache kept the Origins apart, by Vary: Origin when the stored
// response sent it, otherwise by its key.
func (d *diag) inferKeying(f *CacheKeyFacts) {
	var crossed, varyIgnored, keyed, varyKept []int
	for _, idx := range d.groups {
		first := idx[0]
		fv := d.vs[first]
		if (fv.Experiment != ExperimentNoOriginFirst && fv.Experiment != ExperimentOriginAFirst) || fv.Response == nil {
			continue
		}
		for _, j := range idx[1:] {
			if d.vs[j].Response == nil {
				continue
			}
			switch d.served[j].state {
			case servedCached:
				crossed = append(crossed, j)
				if d.varyOrigin(first) || d.varyOrigin(j) {
					varyIgnored = append(varyIgnored, j)
				}
			case servedFresh:
				if !d.storable[fv.Label] {
					continue // never shown stored: a miss proves nothing
				}
				if d.varyOrigin(first) {
					varyKept = append(varyKept, j)
				} else {
					keyed = append(keyed, j)
				}
			}
		}
	}
	switch {
	case len(crossed) > 0:
		j := crossed[0]
		f.OriginInKey = ptrBool(false)
		f.Evidence = append(f.Evidence, fmt.Sprintf("Origin not in the key: %s was served from cache (%s) after %s stored it",
			d.ref(j), d.served[j].how(), d.ref(d.keyFirst[j])))
	case len(keyed) > 0:
		j := keyed[0]
		f.OriginInKey = ptrBool(true)
		f.Evidence = append(f.Evidence, fmt.Sprintf("Origin in the key: %s was a new origin response (%s) although %s was stored without Vary: Origin",
			d.ref(j), d.served[j].how(), d.ref(d.keyFirst[j])))
	case f.Cacheable != nil && !*f.Cacheable:
		f.Evidence = append(f.Evidence, "Origin in the key: unknown (nothing is stored)")
	}
	switch {
	case len(varyIgnored) > 0:
		j := varyIgnored[0]
		f.VaryHonoured = ptrBool(false)
		f.Evidence = append(f.Evidence, fmt.Sprintf("Vary: Origin ignored: %s was served from cache (%s) although the stored response says Vary: Origin", d.ref(j), d.served[j].how()))
	case len(varyKept) > 0:
		j := varyKept[0]
		f.VaryHonoured = ptrBool(true)
		f.Evidence = append(f.Evidence, fmt.Sprintf("Vary: Origin honoured (or Origin is in the key): %s was a new origin response (%s) after %s was stored with Vary: Origin",
			d.ref(j), d.served[j].how(), d.ref(d.keyFirst[j])))
	}
}

func ptrBool(b bool) *bool { return &b }

// varyOrigin reports whether variant i's response has a Vary that names
// Origin (or is "*", which keeps every request apart).
func (d *diag) varyOrigin(i int) bool { return d.f[i].varyOrigin }

// readAllFacts reads the facts of every variant's response.
func readAllFacts(vs []VariantResult) []respFacts {
	facts := make([]respFacts, len(vs))
	for i, v := range vs {
		if v.Response != nil {
			facts[i] = readFacts(v.Response.Headers)
		}
	}
	return facts
}

// ref names a variant for evidence: its experiment, position on the key
// and busting value in isolate mode, its round otherwise.
func (d *diag) ref(i int) string {
	var buf [128]byte
	return string(d.appendRef(buf[:0], i))
}

func (d *diag) appendRef(b []byte, i int) []byte {
	v := d.vs[i]
	if v.Experiment == "" {
		b = strconv.AppendInt(append(b, "round "...), int64(v.Round), 10)
		b = append(b, ' ')
	} else {
		b = append(append(b, v.Experiment...), " #"...)
		b = append(strconv.AppendInt(b, int64(d.pos[i]+1), 10), ' ')
	}
	if v.Preflight {
		b = append(b, "preflight "...)
	}
	b = append(b, v.Label...)
	if v.Experiment != "" {
		b = append(append(append(b, " (key "...), v.CacheBuster...), ')')
	}
	return b
}
