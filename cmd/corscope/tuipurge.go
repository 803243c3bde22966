package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/purge"
	"github.com/corscope/corscope/tui"
)

// tuiPurger is the interactive view's purge action (keys p and P) on the
// purge package, with the sequencing of `corscope purge`: plan from the
// variants the view probed, confirm, send, append to the audit log, then
// re-probe every variant through the view's own probe engine.
//
// It holds no credential: purge.Prepare reads the token variable each time,
// and nothing it returns to the view (plan lines, request lines, summaries,
// errors, the re-probe) carries it; the purge package scrubs anything a
// server echoes.
type tuiPurger struct {
	providers []config.Purge
	getenv    func(string) string
	userAgent string // of the purge API requests
	// engine re-probes for verification: the view's probe engine, so the
	// re-probe goes out exactly as the probes did (proxy, --resolve, TLS).
	engine runner.Engine
	// probe gives the user agent and extra headers the view sends to a
	// URL, so the re-probe hits the same cache key.
	probe   func(rawURL string) cachemodel.PlanOptions
	analyze cachemodel.AnalyzeOptions
	// edges are the view's --edge addresses: verification fingerprints
	// and re-probes the copy at each of them. None: the URL's address.
	edges   []string
	timeout time.Duration // per purge request; default 30s
	// auditPath is where the audit line goes; nil means the user's state
	// directory (purge.AuditPath).
	auditPath func() (string, error)
	client    *http.Client // nil: purge's default
	// wait bounds the wait for a CloudFront invalidation (default 15m);
	// pollBase is the first pause between status polls (tests).
	wait, pollBase time.Duration
}

var errNoPurgeProvider = errors.New("no purge provider configured: add a [[purge]] entry to the configuration file " +
	"(see config.example.toml), with token_env naming the variable that holds the API token")

// prepare lays out the purge of one target: the real URL, once per plain
// Origin variant the view sent (no Origin, the origins, same-origin,
// null). Isolate mode's generated attacker-style origins are left out:
// they only ever went to fresh cache keys, and verifying them would send
// them to the real URL.
func (p *tuiPurger) prepare(ctx context.Context, req tui.PurgeRequest) (*purge.Job, error) {
	if len(p.providers) == 0 {
		return nil, errNoPurgeProvider
	}
	rep := req.Report
	rep.Variants = nil
	for _, v := range req.Report.Variants {
		if !v.Kind.IsGenerated() {
			rep.Variants = append(rep.Variants, v)
		}
	}
	plan, err := cachemodel.PurgePlanFromReports([]cachemodel.TargetReport{rep})
	if err != nil {
		return nil, err
	}
	if req.Everything {
		// The target is routed to its provider and re-probed afterwards.
		plan.Scope = cachemodel.PurgeEverything
	}
	job, err := purge.Prepare(plan, purge.Options{Providers: p.providers, Getenv: p.getenv, UserAgent: p.userAgent})
	if err != nil {
		return nil, err
	}
	if err := job.CheckCredentials(ctx, p.getenv); err != nil {
		return nil, err
	}
	return job, nil
}

// PurgePlan describes the purge for the confirmation screen.
func (p *tuiPurger) PurgePlan(ctx context.Context, req tui.PurgeRequest) (tui.PurgePlan, error) {
	job, err := p.prepare(ctx, req)
	if err != nil {
		return tui.PurgePlan{}, err
	}
	out := tui.PurgePlan{Lines: strings.Split(strings.TrimSuffix(purge.DescribePlan(job), "\n"), "\n"), Prepared: job}
	if isolateRun(req.Report) {
		out.Lines = append(out.Lines, "note: this result comes from an isolate run, whose requests went to fresh cache keys; "+
			"the purge targets the real URL's copies (no Origin, your origins, same-origin, null)")
	}
	if req.Everything {
		if len(job.Batches) != 1 || job.Batches[0].Account == "" {
			return tui.PurgePlan{}, fmt.Errorf("%w: purging everything needs one provider with a zone, service or distribution ID (cloudflare zone_id, fastly service_id, cloudfront distribution_id)", purge.ErrConfig)
		}
		b := job.Batches[0]
		out.Confirm, out.ConfirmWhat = b.Account, "zone ID"
		switch b.Provider {
		case config.PurgeFastly:
			out.ConfirmWhat = "service ID"
		case config.PurgeCloudFront:
			out.ConfirmWhat = "distribution ID"
		}
	}
	return out, nil
}

// Purge runs the purge the user confirmed (req.Prepared, the job its plan
// was made from; prepared anew when absent) through purge.Flow and shows
// the outcome.
func (p *tuiPurger) Purge(ctx context.Context, req tui.PurgeRequest) (tui.PurgeOutcome, error) {
	job, ok := req.Prepared.(*purge.Job)
	if !ok {
		var err error
		if job, err = p.prepare(ctx, req); err != nil {
			return tui.PurgeOutcome{}, err
		}
	}
	var vopt purge.VerifyOptions
	if p.probe != nil && len(job.Plan.Targets) > 0 {
		po := p.probe(req.Report.URL) // the URL as the view probed it
		vopt.UserAgent, vopt.Headers = po.UserAgent, po.Headers
	}
	vopt.Analyze = p.analyze
	var waitLines []string
	flow := purge.Flow{Job: job, Verify: vopt, AuditPath: p.auditPath, Probes: p.verifyProbes(),
		Exec: purge.ExecOptions{Timeout: p.timeout, Client: p.client, Wait: p.wait, PollBase: p.pollBase},
		OnProgress: func(e purge.Progress) {
			if e.Kind != purge.ProgressWait {
				return
			}
			// "waiting for CloudFront invalidation <id>: InProgress (n s)"
			if req.Progress != nil {
				req.Progress(e.Wait.Line())
			}
			if e.Wait.Done {
				waitLines = append(waitLines, e.Wait.Line())
			}
		}}
	res, err := flow.Run(ctx)
	if err != nil {
		return tui.PurgeOutcome{}, err
	}
	var out tui.PurgeOutcome
	for _, r := range res.Result.Requests {
		out.Lines = append(out.Lines, r.Line())
	}
	out.Lines = append(out.Lines, waitLines...)
	out.Lines = append(out.Lines, res.FailureLines()...)
	if res.AuditErr != nil {
		out.Lines = append(out.Lines, "audit log not written: "+oneLine(res.AuditErr.Error()))
	} else {
		out.Lines = append(out.Lines, "audit log: appended to "+res.AuditPath)
	}
	switch res.Verdict() {
	case purge.VerdictPending:
		out.Summary = "the purge was accepted but has not completed; nothing was re-probed, so whether the copies are gone is unknown"
		return out, fmt.Errorf("%w: %w", tui.ErrPurgeIncomplete, res.Err)
	case purge.VerdictFailed, purge.VerdictConfig, purge.VerdictInterrupted:
		if res.Err != nil {
			out.Summary = fmt.Sprintf("purge failed: %d of %d %s failed; nothing was re-probed",
				res.Result.Failed(), job.RequestCount(), purgePlural(job.RequestCount(), "request", "requests"))
			return out, res.Err
		}
	}
	what := purgedWhat(job, res.Result)
	if res.VerifyErr != nil {
		out.Summary = fmt.Sprintf("%s; the re-probe failed: %v", what, res.VerifyErr)
		return out, nil
	}
	for i, e := range res.Edges {
		if i == 0 && len(e.Reports) > 0 {
			after := e.Reports[0]
			out.After = &after
		}
		for _, c := range e.Checks {
			label := c.Variant.Label()
			if e.Edge != "" {
				label = "@" + e.Edge + " " + label
			}
			out.Checks = append(out.Checks, tui.PurgeCheck{Label: label, Verdict: c.Outcome, Reason: c.Reason})
		}
	}
	where := "re-probed"
	if len(res.Edges) > 1 {
		where = fmt.Sprintf("re-probed at %d edges", len(res.Edges))
	}
	out.Summary = fmt.Sprintf("%s; %s: %d purged, %d still cached, %d unknown", what, where,
		res.Count(purge.Purged), res.Count(purge.StillCached), res.Count(purge.Unknown))
	return out, nil
}

// purgedWhat says what a successful purge covered: copies and requests,
// and the copies no request could target.
func purgedWhat(job *purge.Job, res purge.Result) string {
	n := job.RequestCount()
	reqs := fmt.Sprintf("%d %s", n, purgePlural(n, "request", "requests"))
	if job.Plan.Scope == cachemodel.PurgeEverything {
		return "purged everything in " + job.Batches[0].Label() + " with " + reqs
	}
	covered, skipped := 0, 0
	for _, r := range res.Requests {
		covered += len(r.Request.Covers)
	}
	for _, b := range job.Batches {
		skipped += len(b.Skipped)
	}
	s := fmt.Sprintf("purged %d %s with %s", covered, purgePlural(covered, "copy", "copies"), reqs)
	if skipped > 0 {
		s += fmt.Sprintf(" (%d could not be targeted)", skipped)
	}
	return s
}

// isolateRun reports whether a report holds isolate experiments.
func isolateRun(r cachemodel.TargetReport) bool {
	for _, v := range r.Variants {
		if v.Experiment != "" {
			return true
		}
	}
	return false
}

// verifyProbes are where verification fingerprints and re-probes: one
// per --edge address (each step pinned to it), else the view's engine.
func (p *tuiPurger) verifyProbes() []purge.Probe {
	if len(p.edges) == 0 {
		return []purge.Probe{{Engine: p.engine}}
	}
	probes := make([]purge.Probe, len(p.edges))
	for i, e := range p.edges {
		probes[i] = purge.Probe{Engine: edgeEngine{inner: p.engine, edge: e}, Edge: e}
	}
	return probes
}
