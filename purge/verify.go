package purge

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/runner"
)

// VerifyOutcome is what a re-probe says about one copy.
type VerifyOutcome string

// Verification outcomes.
const (
	Purged      VerifyOutcome = "purged"       // the cache went to the origin (MISS, EXPIRED; after a soft purge also a revalidation)
	StillCached VerifyOutcome = "still-cached" // served from a copy older than the purge
	Unknown     VerifyOutcome = "unknown"      // no cache status, not cacheable, a failed request, or a copy that may be our own refill
)

// VariantCheck is the verdict for one copy.
type VariantCheck struct {
	Item
	Outcome VerifyOutcome
	Status  cachemodel.CacheStatus // the normalised cache status of the re-probe
	Source  string                 // the header it was read from
	Age     *int64
	// Reason explains Unknown and StillCached (naming the likely cause)
	// and, where useful, Purged.
	Reason string
	// After is the re-probe as a report row, for before/after views.
	After cachemodel.VariantResult
}

// Verification is the result of Verify.
type Verification struct {
	Checks []VariantCheck // per target, in re-probe order
	// Reports holds the re-probe of each target, in plan order: the
	// "after" side of a before/after view.
	Reports []cachemodel.TargetReport
}

// Count returns how many checks had the outcome.
func (v Verification) Count(o VerifyOutcome) int {
	n := 0
	for _, c := range v.Checks {
		if c.Outcome == o {
			n++
		}
	}
	return n
}

// VerifyOptions tune Verify. Zero values take defaults.
type VerifyOptions struct {
	Delay     time.Duration // wait before re-probing (purges take a moment on some CDNs)
	Sleep     func(ctx context.Context, d time.Duration) error
	Now       func() time.Time
	UserAgent string             // default "corscope"
	Headers   cachemodel.Headers // extra request headers (e.g. the user's -H)
	Analyze   cachemodel.AnalyzeOptions
}

// Verify re-probes every copy of the job's targets with one GET each
// through eng (a probe.Engine in production; anything that runs plans in
// tests) and says per copy whether it is gone. Variants with an Origin go
// first and the no-Origin copy last: a re-probe refills the cache, and on a
// cache that keeps one copy for every Origin, the first request decides
// what it serves next; a copy with ACAO breaks fewer pages than one
// without.
//
// res is the purge's result (zero if none ran): it explains copies still
// cached and dates the purge. A HIT is judged by the best evidence at hand:
// X-Varnish names the request that stored the object; an Age older than
// the purge proves an old copy and a younger one a refill; an ETag that
// differs from the copy an earlier re-probe just stored proves another
// object. Without such evidence, a HIT right after an earlier re-probe of
// the same URL stored a copy is Unknown (the cache may keep one copy for
// every Origin), and otherwise StillCached.
func Verify(ctx context.Context, eng runner.Engine, job *Job, res Result, opt VerifyOptions) (Verification, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleepCtx
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "corscope"
	}
	if opt.Delay > 0 {
		if err := opt.Sleep(ctx, opt.Delay); err != nil {
			return Verification{}, fmt.Errorf("verification interrupted: %w", err)
		}
	}
	popt := cachemodel.PlanOptions{UserAgent: opt.UserAgent, Headers: opt.Headers}
	plans := make([]cachemodel.TargetPlan, len(job.Plan.Targets))
	for i, t := range job.Plan.Targets {
		plans[i] = cachemodel.TargetPlan{Index: i, URL: t.URL}
		for _, v := range verifyOrder(t.Variants) {
			plans[i].Steps = append(plans[i].Steps, cachemodel.SimpleStep(t.URL, v, 1, popt))
		}
	}
	out := Verification{Reports: make([]cachemodel.TargetReport, 0, len(plans))}
	analyze := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, opt.Analyze)
	}
	err := runner.Stream(ctx, eng, plans, analyze, runner.Hooks{OnTarget: func(r cachemodel.TargetReport) error {
		out.Reports = append(out.Reports, r)
		return nil
	}})
	if err != nil {
		return out, fmt.Errorf("verification: %w", err)
	}
	elapsed := time.Duration(-1)
	if !res.Started.IsZero() {
		elapsed = opt.Now().Sub(res.Started)
	}
	for i, rep := range out.Reports {
		steps := plans[i].Steps
		for j := range rep.Variants {
			out.Checks = append(out.Checks, judge(job, res, steps, rep.Variants, j, elapsed))
		}
	}
	return out, nil
}

func verifyOrder(vs []cachemodel.Variant) []cachemodel.Variant {
	out := make([]cachemodel.Variant, 0, len(vs))
	var last []cachemodel.Variant
	for _, v := range vs {
		if v.HasOrigin() {
			out = append(out, v)
		} else {
			last = append(last, v)
		}
	}
	return append(out, last...)
}

// judge classifies re-probe j of one target.
func judge(job *Job, res Result, steps []cachemodel.Step, rows []cachemodel.VariantResult, j int, elapsed time.Duration) VariantCheck {
	row := rows[j]
	it := Item{URL: steps[j].URL, Variant: steps[j].Variant}
	c := VariantCheck{Item: it, Status: row.Cache.Status, Source: row.Cache.Source, Age: row.Cache.Age, After: row}
	batch := batchFor(job, it.URL)
	soft := batch != nil && batch.Soft
	if row.Error != nil {
		c.Outcome, c.Reason = Unknown, "the re-probe failed: "+row.Error.Error()
		return c
	}
	switch st := row.Cache.Status; {
	case st == cachemodel.StatusMiss || st == cachemodel.StatusExpired:
		c.Outcome = Purged
		return c
	case soft && (st == cachemodel.StatusRevalidated || st == cachemodel.StatusUpdating || st == cachemodel.StatusStale):
		c.Outcome, c.Reason = Purged, "soft purge: the copy was marked stale and is being revalidated"
		return c
	case st == cachemodel.StatusBypass || st == cachemodel.StatusDynamic || st == cachemodel.StatusPass:
		c.Outcome, c.Reason = Unknown, fmt.Sprintf("the cache did not store this response (%s), so there was nothing to purge", st)
		return c
	case !st.ServedFromCache():
		c.Outcome, c.Reason = Unknown, "no cache status header says whether this came from the cache"
		return c
	}

	// Served from cache. Was it stored before the purge, or by an earlier
	// re-probe of this same URL (a cache keeping one copy for all Origins)?
	if stored, ok := varnishStoredXID(row); ok {
		for _, prev := range rows[:j] {
			if xid, ok := varnishXID(prev); ok && xid == stored {
				c.Outcome, c.Reason = Purged, fmt.Sprintf("this HIT is the copy the %s re-probe just stored (X-Varnish); the old copy is gone", prev.Label)
				return c
			}
		}
		c.Outcome, c.Reason = StillCached, stillCachedReason(job, res, batch, it)
		return c
	}
	if c.Age != nil && elapsed >= 0 {
		age := float64(*c.Age) // whole seconds since stored, by the cache's own clock
		switch {
		case age > elapsed.Seconds():
			// Stored before the purge began.
			c.Outcome, c.Reason = StillCached, stillCachedReason(job, res, batch, it)
			return c
		case age+1 <= elapsed.Seconds():
			// Stored after the purge began: the old copy is gone.
			c.Outcome, c.Reason = Purged, fmt.Sprintf("HIT on a copy stored after the purge (Age %d)", *c.Age)
			return c
		}
	}
	etag, hasETag := responseHeader(row, "ETag")
	for _, prev := range rows[:j] {
		if prev.Cache.Status != cachemodel.StatusMiss && prev.Cache.Status != cachemodel.StatusExpired {
			continue
		}
		// An earlier re-probe of this URL stored a fresh copy. A cache that
		// keeps one copy for every Origin would serve it here; a different
		// ETag proves this is another, older object.
		if prevTag, ok := responseHeader(prev, "ETag"); hasETag && ok && prevTag != etag {
			continue
		}
		c.Outcome = Unknown
		c.Reason = fmt.Sprintf("HIT right after the %s re-probe stored a fresh copy: this cache may keep one copy for every Origin (no Vary: Origin), so this may be that copy", prev.Label)
		return c
	}
	c.Outcome, c.Reason = StillCached, stillCachedReason(job, res, batch, it)
	return c
}

// stillCachedReason names the likely reason a copy survived.
func stillCachedReason(job *Job, res Result, b *Batch, it Item) string {
	label := it.Variant.Label()
	if b == nil {
		return label + " copy not purged: no provider served this URL"
	}
	for _, s := range b.Skipped {
		if s.Item == it {
			return label + " copy not included in the purge: " + s.Reason
		}
	}
	if job.Plan.Scope != cachemodel.PurgeURLs {
		if failedBatch(res, job, b) != "" {
			return fmt.Sprintf("%s copy still cached: the %s purge failed: %s", label, job.Plan.Scope, failedBatch(res, job, b))
		}
		return fmt.Sprintf("%s copy still cached: the %s purge did not reach it (is the URL under that host, prefix or tag?), or it has not propagated yet (try --verify-delay)", label, job.Plan.Scope)
	}
	cover := res.Covering(it)
	if len(cover) == 0 {
		if len(res.Requests) == 0 {
			return label + " copy still cached: no purge request was sent"
		}
		return label + " copy not included in the purge (Origin-keyed copy not covered by any request)"
	}
	for _, q := range cover {
		if !q.OK {
			return label + " copy still cached: its purge request failed: " + q.Message
		}
	}
	for _, q := range cover {
		if q.NotCached {
			return label + " copy still cached although the purge endpoint found nothing under its key: the purge key differs from the cache key (a header or host the purge request did not carry)"
		}
	}
	if b.Provider == config.PurgeFastly && it.Variant.HasOrigin() {
		return label + " copy still cached after Fastly's URL purge: the service may put Origin in the cache key (vcl_hash); purge it by --tag, or try --verify-delay"
	}
	if it.Variant.HasOrigin() {
		return label + " copy still cached although its Origin-keyed purge was accepted: the cache key may hold more than URL and Origin, or the purge has not reached this edge yet (try --verify-delay 5s)"
	}
	return label + " copy still cached although the purge was accepted: it may not have propagated yet (try --verify-delay 5s), or the cache key differs from the URL"
}

func failedBatch(res Result, job *Job, b *Batch) string {
	for _, q := range res.Requests {
		if q.Batch < len(job.Batches) && job.Batches[q.Batch] == b && !q.OK {
			return q.Message
		}
	}
	return ""
}

func batchFor(job *Job, rawURL string) *Batch {
	for _, b := range job.Batches {
		for _, t := range b.Targets {
			if t.URL == rawURL {
				return b
			}
		}
	}
	return nil
}

// varnishXID is the request id of a Varnish response: the first number of
// X-Varnish.
func varnishXID(row cachemodel.VariantResult) (string, bool) {
	f := xVarnish(row)
	if len(f) == 0 {
		return "", false
	}
	return f[0], true
}

// varnishStoredXID is, on a Varnish hit ("X-Varnish: <xid> <stored-by>"),
// the id of the request that stored the object.
func varnishStoredXID(row cachemodel.VariantResult) (string, bool) {
	f := xVarnish(row)
	if len(f) != 2 {
		return "", false
	}
	return f[1], true
}

func xVarnish(row cachemodel.VariantResult) []string {
	v, ok := responseHeader(row, "X-Varnish")
	if !ok {
		return nil
	}
	return strings.Fields(v)
}

func responseHeader(row cachemodel.VariantResult, name string) (string, bool) {
	if row.Response == nil {
		return "", false
	}
	return row.Response.Headers.Get(name)
}
