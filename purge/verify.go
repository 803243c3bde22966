package purge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
)

// VerifyOutcome is what a re-probe says about one copy.
type VerifyOutcome string

// Label is the outcome as every screen words it, readable without colour:
// "✓ purged", "✗ still cached", "? unknown" (the CLI's verify lines and the
// view's purge table both print it).
func (o VerifyOutcome) Label() string {
	switch o {
	case Purged:
		return "✓ purged"
	case StillCached:
		return "✗ still cached"
	case Unknown:
		return "? unknown"
	}
	return "– not checked"
}

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
	Checks []VariantCheck // per target, in the plan's variant order
	// Reports holds the re-probe of each target, in plan order: the
	// "after" side of a before/after view.
	Reports []cachemodel.TargetReport
}

// Recurring says, when the re-probe after a purge is again served copies
// made for another request (the ⚠ cells: cachemodel.ServedForAnother),
// that the purge removed the old copies but not their cause, naming the
// findings that rest on those cells, so that "purged" is not read as
// "fixed"; "" when no re-probed copy was made for another request. The
// purge command and the view print the same sentence.
func Recurring(reports ...cachemodel.TargetReport) string {
	var names []string
	poisoned := false
	for i := range reports {
		r := &reports[i]
		marked := cachemodel.ServedForAnother(r)
		if !slices.Contains(marked, true) {
			continue
		}
		poisoned = true
		for _, f := range r.Findings {
			rests := false
			for _, v := range f.Variants {
				rests = rests || v >= 0 && v < len(marked) && marked[v]
			}
			if name := "[" + f.Severity.Label() + "] " + f.Rule; rests && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if !poisoned {
		return ""
	}
	what := "copies made for another request again"
	if len(names) > 0 {
		what += " (" + strings.Join(names, ", ") + ")"
	}
	return "the re-probe is served " + what +
		": the purge removed the old copies, but the cause is at the origin or in the cache rules (see the finding's fix), so new copies go wrong the same way"
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
	// Baseline holds each copy's fingerprint from before the purge
	// (TakeBaseline). With it a copy served from the cache is still cached
	// when it is the pre-purge copy and purged when it is another; without
	// it Verify can only go by cache status, Age and X-Varnish.
	Baseline *Baseline
}

// Verify re-probes every copy of the job's targets with one GET each
// through eng (a probe.Engine in production; anything that runs plans in
// tests) and says per copy whether it is gone. Variants with an Origin go
// first and the no-Origin copy last: a re-probe refills the cache, and on a
// cache that keeps one copy for every Origin, the first request decides
// what it serves next; a copy with ACAO breaks fewer pages than one
// without.
//
// A MISS is purged. A copy served from the cache is judged by evidence,
// never by the order of the re-probes: X-Varnish names the request that
// stored the object; an Age older than the purge proves an old copy and a
// younger one a refill; and with opt.Baseline (TakeBaseline, taken before
// the purge) each copy is compared with its own pre-purge fingerprint:
// another fingerprint is a copy fetched since (purged), the same one is
// the old copy (still cached) when this run shows that a fresh fetch
// changes the fingerprint (a MISS re-probe that differs from its
// pre-purge copy) or its stored Date stood still. What the evidence
// cannot settle is Unknown; res (the purge's result, zero if none ran)
// dates the purge and explains copies still cached.
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
	obs := newObsLog(plans)
	err := runner.Stream(ctx, eng, plans, analyze, runner.Hooks{OnObservation: obs.add, OnTarget: func(r cachemodel.TargetReport) error {
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
		tv := targetVerify{job: job, res: res, base: opt.Baseline, steps: plans[i].Steps, rows: rep.Variants, elapsed: elapsed}
		tv.fingerprints(obs, i)
		checks := make([]VariantCheck, len(rep.Variants))
		for j := range rep.Variants {
			checks[j] = tv.judge(j) // in re-probe order: judge reads the rows before j
		}
		// Back to the plan's variant order for every consumer.
		if order, ok := planOrder(job.Plan.Targets[i].Variants, plans[i].Steps, len(rep.Variants)); ok {
			out.Reports[i] = rep.Reordered(order)
			for _, j := range order {
				out.Checks = append(out.Checks, checks[j])
			}
		} else {
			out.Checks = append(out.Checks, checks...)
		}
	}
	return out, nil
}

// planOrder maps the plan's variant order to the re-probe order: position
// k of the result is the re-probe of the plan's variant k. ok is false
// when the rows do not match the steps one to one.
func planOrder(vs []cachemodel.Variant, steps []cachemodel.Step, rows int) ([]int, bool) {
	if rows != len(steps) || len(vs) != len(steps) {
		return nil, false
	}
	order := make([]int, 0, len(vs))
	used := make([]bool, len(steps))
	for _, v := range vs {
		j := slices.IndexFunc(steps, func(st cachemodel.Step) bool { return st.Variant == v })
		for j >= 0 && used[j] { // the same variant twice: the next one
			k := slices.IndexFunc(steps[j+1:], func(st cachemodel.Step) bool { return st.Variant == v })
			if k < 0 {
				return nil, false
			}
			j += 1 + k
		}
		if j < 0 {
			return nil, false
		}
		used[j] = true
		order = append(order, j)
	}
	return order, true
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

// targetVerify holds one target's re-probes and what is known about them.
type targetVerify struct {
	job     *Job
	res     Result
	base    *Baseline
	steps   []cachemodel.Step
	rows    []cachemodel.VariantResult
	elapsed time.Duration

	now        []fingerprint // per re-probe; ok[j] says whether it has one
	ok         []bool
	fresh      string // a fresh fetch (MISS) of this URL that differs from its own pre-purge copy, in words
	freshField string // the field it differs in
}

func (tv *targetVerify) item(j int) Item {
	return Item{URL: tv.steps[j].URL, Variant: tv.steps[j].Variant}
}

// fingerprints reads every re-probe's fingerprint and learns whether this
// URL's fingerprints tell fetches apart: a re-probe that went to the
// origin (MISS) and differs from the copy its variant had before the purge
// proves a fresh fetch changes the fingerprint, so an unchanged one is the
// old copy.
func (tv *targetVerify) fingerprints(obs *obsLog, target int) {
	tv.now, tv.ok = make([]fingerprint, len(tv.rows)), make([]bool, len(tv.rows))
	for j := range tv.rows {
		if j >= len(tv.steps) {
			break
		}
		tv.now[j], tv.ok[j] = newFingerprint(tv.rows[j], obs.get(target, j))
	}
	for j, row := range tv.rows {
		if !tv.ok[j] || (row.Cache.Status != cachemodel.StatusMiss && row.Cache.Status != cachemodel.StatusExpired) {
			continue
		}
		if pre, ok := tv.base.get(tv.item(j)); ok {
			if d, field := pre.fetchDiff(tv.now[j]); d != "" {
				tv.fresh = fmt.Sprintf("the %s re-probe, a fresh fetch, differs from its pre-purge copy (%s)", row.Label, d)
				tv.freshField = field
				return
			}
		}
	}
}

// judge classifies re-probe j of one target.
func (tv *targetVerify) judge(j int) VariantCheck {
	job, res, rows := tv.job, tv.res, tv.rows
	row := rows[j]
	it := tv.item(j)
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
	still := func(extra string) VariantCheck {
		c.Outcome, c.Reason = StillCached, stillCachedReason(job, res, batch, it, row)
		if extra != "" {
			c.Reason += "; " + extra
		}
		return c
	}
	pre, hasPre := tv.base.get(it)
	if hasPre && !tv.ok[j] {
		hasPre = false
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
		if hasPre && pre.object != "" {
			if pre.object == stored {
				return still(fmt.Sprintf("evidence: X-Varnish names request %s, which stored the copy served before the purge", stored))
			}
			c.Outcome, c.Reason = Purged, fmt.Sprintf("HIT on an object stored by Varnish request %s, not the pre-purge copy's %s (X-Varnish)", stored, pre.object)
			return c
		}
		return still("")
	}

	// The cache's own Age.
	ageSays, ageWhy := VerifyOutcome(""), ""
	if c.Age != nil && tv.elapsed >= 0 {
		age := float64(*c.Age) // whole seconds since stored, by the cache's own clock
		switch {
		case age > tv.elapsed.Seconds():
			return still(fmt.Sprintf("evidence: Age %d is older than the purge", *c.Age)) // stored before the purge began
		case age+1 <= tv.elapsed.Seconds():
			ageSays, ageWhy = Purged, fmt.Sprintf("HIT on a copy stored after the purge (Age %d)", *c.Age)
		}
	}

	if hasPre {
		now := tv.now[j]
		if d := pre.diff(now); d != "" {
			// Another copy than this variant had before the purge. If it is
			// the pre-purge copy of another variant, an old copy survives.
			for k := range rows {
				other := tv.item(k)
				if other == it {
					continue
				}
				if op, ok := tv.base.get(other); ok && op.diff(now) == "" && op.diff(pre) != "" {
					return still(fmt.Sprintf("evidence: it serves the copy cached for %s before the purge", other.Variant.Label()))
				}
			}
			c.Outcome, c.Reason = Purged, fmt.Sprintf("HIT on another copy than before the purge (%s): the old copy is gone", d)
			return c
		}
		// The same fingerprint as before the purge.
		why := ""
		switch {
		case tv.fresh != "":
			why = fmt.Sprintf("evidence: it is identical to its pre-purge copy (%s), while %s", pre.same(tv.freshField), tv.fresh)
		case pre.date != "" && now.date == pre.date && now.at.Sub(pre.at) >= 2*time.Second:
			why = fmt.Sprintf("evidence: it is identical to its pre-purge copy, down to its Date (%s), which has not moved in %s", pre.date, now.at.Sub(pre.at).Round(time.Second))
		}
		if why != "" {
			if ageSays == Purged {
				c.Outcome, c.Reason = Unknown, "the evidence disagrees: "+ageWhy+", but it is "+strings.TrimPrefix(why, "evidence: ")
				return c
			}
			return still(why)
		}
		if ageSays == Purged {
			c.Outcome, c.Reason = Purged, ageWhy
			return c
		}
		for _, prev := range rows[:j] {
			if prev.Cache.Status == cachemodel.StatusMiss || prev.Cache.Status == cachemodel.StatusExpired {
				c.Outcome = Unknown
				c.Reason = fmt.Sprintf("HIT identical to its pre-purge copy, but nothing in the response (no changing ETag, Age or per-fetch header) tells that copy from the one the %s re-probe just fetched, which this cache may be serving to every Origin", prev.Label)
				return c
			}
		}
		return still("evidence: identical to its pre-purge copy, and no re-probe before it refilled the cache")
	}

	if ageSays == Purged {
		c.Outcome, c.Reason = Purged, ageWhy
		return c
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
	return still("")
}

// stillCachedReason names the likely reason a copy survived.
func stillCachedReason(job *Job, res Result, b *Batch, it Item, row cachemodel.VariantResult) string {
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
		if q.NotCached && it.Variant.HasOrigin() && variesOnOrigin(row) {
			return label + " copy still cached although the purge endpoint found nothing under its key: the response has Vary: Origin, and this cache keeps every Origin variant under one key while its purge endpoint reaches only the copy stored under the plain key (ngx_cache_purge, Squid). Put Origin in the cache key (nginx: proxy_cache_key ...$http_origin) and purge per Origin, or use a ban; see README \"What purge verification can prove\""
		}
		if q.NotCached {
			return label + " copy still cached although the purge endpoint found nothing under its key: the purge key differs from the cache key (a header or host the purge request did not carry)"
		}
	}
	if b.Provider == ProviderCloudFront {
		return label + " copy still cached although CloudFront reported the invalidation Completed: the invalidated path may not be the cached object's (a CloudFront Function or Lambda@Edge that rewrites the URI, or a query string outside the cache key: invalidate with --prefix), or another distribution serves this host"
	}
	if b.Provider == ProviderFastly && it.Variant.HasOrigin() {
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

// variesOnOrigin says whether the response listed Origin in Vary.
func variesOnOrigin(row cachemodel.VariantResult) bool {
	for _, v := range row.CORS.Vary {
		if strings.EqualFold(strings.TrimSpace(v), "origin") {
			return true
		}
	}
	return false
}

func responseHeader(row cachemodel.VariantResult, name string) (string, bool) {
	if row.Response == nil {
		return "", false
	}
	return row.Response.Headers.Get(name)
}
