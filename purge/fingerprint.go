package purge

import (
	"context"
	"fmt"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
)

// Baseline is every copy's fingerprint, taken just before a purge:
// verification compares each copy's re-probe with its own fingerprint, so
// one Origin variant's refill can never pass for another variant's copy.
type Baseline struct {
	Taken  time.Time
	copies map[Item]fingerprint
}

// Len is how many copies have a usable fingerprint.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.copies)
}

func (b *Baseline) get(it Item) (fingerprint, bool) {
	if b == nil {
		return fingerprint{}, false
	}
	fp, ok := b.copies[it]
	return fp, ok
}

// fingerprint identifies one stored response: every response header that
// stays the same between two fetches of the copy (ETag, Last-Modified,
// an origin's hit counter or request id, ...), the hash of the body bytes
// read and, on Varnish, the id of the request that stored the object.
// Headers a cache makes per response (Age, Date, cache status, request
// ids, timers) are left out, by name and because they changed between
// the two baseline probes.
type fingerprint struct {
	at     time.Time // when the probe was sent
	status cachemodel.CacheStatus
	fields map[string]string // canonical name -> values joined with "\n"
	noise  map[string]bool   // names that changed between the two probes
	body   string
	object string // Varnish: xid of the request that stored the object
	age    *int64
	date   string
}

// perResponse are headers a cache or server writes anew for every
// response, whatever copy it serves: never evidence of which copy it is.
var perResponse = map[string]bool{
	"Age": true, "Date": true, "Expires": true, "Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Transfer-Encoding": true, "Via": true, "X-Varnish": true, "X-Timer": true, "Server-Timing": true,
	"Cf-Ray": true, "X-Served-By": true, "X-Cache-Hits": true, "X-Amz-Cf-Id": true, "X-Amz-Cf-Pop": true,
	"X-Cache-Lookup": true, "Cf-Cache-Status": true, "Cache-Status": true, "X-Vercel-Cache": true,
	"Akamai-Cache-Status": true, "X-Cache-Status": true, "X-Cache": true, "Cdn-Cache": true,
	"X-Vercel-Id": true, "Nel": true, "Report-To": true,
}

// newFingerprint reads one response; nil when there is none.
func newFingerprint(row cachemodel.VariantResult, obs cachemodel.Observation) (fingerprint, bool) {
	if row.Response == nil || obs.Response == nil {
		return fingerprint{}, false
	}
	fp := fingerprint{at: obs.Start, status: row.Cache.Status, fields: map[string]string{}, body: obs.Response.BodyHash, age: row.Cache.Age}
	for _, h := range row.Response.Headers {
		name := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(h.Name))
		if name == "Date" && fp.date == "" {
			fp.date = strings.TrimSpace(h.Value)
		}
		if perResponse[name] {
			continue
		}
		if prev, ok := fp.fields[name]; ok {
			fp.fields[name] = prev + "\n" + h.Value
		} else {
			fp.fields[name] = h.Value
		}
	}
	if f := xVarnish(row); len(f) == 2 {
		fp.object = f[1] // a hit: "<xid> <xid that stored it>"
	} else if len(f) == 1 && row.Cache.Status == cachemodel.StatusMiss {
		fp.object = f[0] // a miss stores the object under its own xid
	}
	return fp, true
}

// diff names the first evidence that a and b are different stored
// responses, ignoring a's noise; "" when nothing tells them apart.
func (a fingerprint) diff(b fingerprint) string {
	d, _ := a.diffField(b)
	return d
}

// diffField is diff and the name of the field that differs ("body" for
// the body).
func (a fingerprint) diffField(b fingerprint) (string, string) { return a.diffOf(b, false) }

// fetchDiff is diffField over what does not depend on the request's
// Origin: CORS response headers and Vary are left out, so a difference is
// evidence of another fetch, not of another variant.
func (a fingerprint) fetchDiff(b fingerprint) (string, string) { return a.diffOf(b, true) }

func (a fingerprint) diffOf(b fingerprint, skipCORS bool) (string, string) {
	if a.object != "" && b.object != "" && a.object != b.object {
		return fmt.Sprintf("stored by Varnish request %s, not %s (X-Varnish)", b.object, a.object), "X-Varnish"
	}
	names := make([]string, 0, len(a.fields)+len(b.fields))
	for n := range a.fields {
		names = append(names, n)
	}
	for n := range b.fields {
		if _, ok := a.fields[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if a.noise[n] || b.noise[n] || skipCORS && (n == "Vary" || strings.HasPrefix(n, "Access-Control-")) {
			continue
		}
		av, aok := a.fields[n]
		bv, bok := b.fields[n]
		switch {
		case !aok:
			return fmt.Sprintf("%s: %s appeared", n, clip(bv)), n
		case !bok:
			return fmt.Sprintf("%s: %s is gone", n, clip(av)), n
		case av != bv:
			return fmt.Sprintf("%s %s → %s", n, clip(av), clip(bv)), n
		}
	}
	if a.body != b.body && a.body != "" && b.body != "" {
		return "the body differs", "body"
	}
	return "", ""
}

// same says, for people, that a's field (as named by diffField) is what
// it was: "X-Origin-Hits is still 2".
func (a fingerprint) same(field string) string {
	switch field {
	case "X-Varnish":
		return "the object is the one Varnish request " + a.object + " stored"
	case "body":
		return "the body is byte for byte the same"
	}
	if v, ok := a.fields[field]; ok {
		return fmt.Sprintf("%s is still %s", field, clip(v))
	}
	return field + " is still absent"
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", ", ")
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TakeBaseline fetches every copy the job will purge twice, with its own
// Origin, right before the purge and records its fingerprint (see
// fingerprint). Headers that differ between the two fetches are per
// response and left out. A copy whose fetches failed gets no fingerprint;
// Verify then judges it on the re-probe alone.
//
// The fetches are ordinary GETs of the URLs the purge is about to remove:
// on a cache that did not hold a copy, the first one stores it.
func TakeBaseline(ctx context.Context, eng runner.Engine, job *Job, opt VerifyOptions) (*Baseline, error) {
	if opt.UserAgent == "" {
		opt.UserAgent = "corscope"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	popt := cachemodel.PlanOptions{UserAgent: opt.UserAgent, Headers: opt.Headers}
	plans := make([]cachemodel.TargetPlan, len(job.Plan.Targets))
	for i, t := range job.Plan.Targets {
		plans[i] = cachemodel.TargetPlan{Index: i, URL: t.URL}
		for _, v := range verifyOrder(t.Variants) {
			plans[i].Steps = append(plans[i].Steps, cachemodel.SimpleStep(t.URL, v, 1, popt), cachemodel.SimpleStep(t.URL, v, 2, popt))
		}
	}
	base := &Baseline{Taken: opt.Now(), copies: map[Item]fingerprint{}}
	obs := newObsLog(plans)
	analyze := func(p cachemodel.TargetPlan, o []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, o, opt.Analyze)
	}
	next := 0 // reports arrive in plan order
	err := runner.Stream(ctx, eng, plans, analyze, runner.Hooks{
		OnObservation: obs.add,
		OnTarget: func(rep cachemodel.TargetReport) error {
			p := plans[next]
			next++
			for j := 0; j+1 < len(rep.Variants) && j+1 < len(p.Steps); j += 2 {
				first, ok1 := newFingerprint(rep.Variants[j], obs.get(p.Index, j))
				second, ok2 := newFingerprint(rep.Variants[j+1], obs.get(p.Index, j+1))
				if !ok1 || !ok2 {
					continue
				}
				second.noise = map[string]bool{}
				for n, v := range second.fields {
					if first.fields[n] != v {
						second.noise[n] = true
					}
				}
				for n := range first.fields {
					if _, ok := second.fields[n]; !ok {
						second.noise[n] = true
					}
				}
				base.copies[Item{URL: p.Steps[j].URL, Variant: p.Steps[j].Variant}] = second
			}
			return nil
		},
	})
	if err != nil {
		return base, fmt.Errorf("fingerprinting the cached copies: %w", err)
	}
	return base, nil
}

// obsLog keeps the raw observations of a run (the report rows drop the
// body hash and the send time).
type obsLog struct{ byTarget [][]cachemodel.Observation }

func newObsLog(plans []cachemodel.TargetPlan) *obsLog {
	l := &obsLog{byTarget: make([][]cachemodel.Observation, len(plans))}
	for i, p := range plans {
		l.byTarget[i] = make([]cachemodel.Observation, len(p.Steps))
	}
	return l
}

func (l *obsLog) add(_ *cachemodel.TargetPlan, o cachemodel.Observation) {
	if o.Target >= 0 && o.Target < len(l.byTarget) && o.Step >= 0 && o.Step < len(l.byTarget[o.Target]) {
		l.byTarget[o.Target][o.Step] = o
	}
}

func (l *obsLog) get(target, step int) cachemodel.Observation {
	if target < 0 || target >= len(l.byTarget) || step < 0 || step >= len(l.byTarget[target]) {
		return cachemodel.Observation{}
	}
	return l.byTarget[target][step]
}
