package purge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/internal/termsafe"
)

// Flow is one purge after Prepare, the sequence `corscope purge` and the
// interactive view both run: check the credentials, confirm, fingerprint
// every copy (TakeBaseline), send (Execute) with the audit log around it,
// then re-probe and judge every copy (Verify). The callers differ only in
// how they confirm and how they show progress and the outcome.
type Flow struct {
	Job *Job
	// Confirm is asked once the credentials are known to be there and
	// before anything is fetched or sent; an error stops the flow with
	// nothing sent. Nil goes ahead: the caller confirmed already (--yes,
	// or the view's own confirmation screen).
	Confirm func(ctx context.Context, job *Job) error
	// Exec tunes Execute. Its Audit, OnResult and OnWait are the flow's:
	// use AuditPath and OnProgress.
	Exec ExecOptions
	// AuditPath says where the audit log goes; nil: the user's state
	// directory (AuditPath, read through the job's Getenv).
	AuditPath func() (string, error)
	// Probes are where each copy is fingerprinted before the purge and
	// re-probed after it: one per edge (--edge), each holding its own
	// copies. None: nothing is verified (--no-verify).
	Probes []Probe
	// Verify tunes TakeBaseline and Verify; the flow sets Baseline.
	Verify VerifyOptions
	// OnProgress, if set, sees the flow's progress as it happens.
	OnProgress func(Progress)
}

// Probe is an engine verification goes through, and the edge address it
// is pinned to ("" for the URL's own address).
type Probe struct {
	Engine runner.Engine
	Edge   string
}

// ProgressKind says what a Progress reports.
type ProgressKind int

// Flow progress, in the order they come.
const (
	ProgressSending   ProgressKind = iota // the copies are fingerprinted; the requests go out now
	ProgressResult                        // Result: one request's outcome
	ProgressWait                          // Wait: one poll of a CloudFront invalidation
	ProgressVerifying                     // the purge went through; the re-probe starts after Delay
)

// Progress is one step of a Flow in progress.
type Progress struct {
	Kind   ProgressKind
	Result RequestResult
	Wait   WaitProgress
	Delay  time.Duration
}

// EdgeCheck is the verification at one Probe.
type EdgeCheck struct {
	Edge string
	Verification
}

// Outcome is what a Flow did: the requests' results, the audit log, and
// the verification at every probe.
type Outcome struct {
	Job    *Job
	Result Result
	// Err is Execute's error: nil when every request succeeded.
	Err error
	// AuditPath is where the audit log went; AuditErr why it (or a line
	// of it) could not be written. Never a reason to hide the outcome.
	AuditPath string
	AuditErr  error
	// Verified says whether the re-probe ran to the end at every probe;
	// Edges holds what it found, one per probe, in Flow.Probes order.
	Verified  bool
	Edges     []EdgeCheck
	VerifyErr error
}

// Count is how many copies, over every edge, the re-probe judged o.
func (o Outcome) Count(v VerifyOutcome) int {
	n := 0
	for _, e := range o.Edges {
		n += e.Count(v)
	}
	return n
}

// Checked is how many copies, over every edge, were re-probed.
func (o Outcome) Checked() int {
	n := 0
	for _, e := range o.Edges {
		n += len(e.Checks)
	}
	return n
}

// Verdict is the one answer of a purge: what the CLI's exit code and the
// view's headline both say.
type Verdict int

// Verdicts, worst first where several apply.
const (
	// VerdictGone: every copy re-probed is gone.
	VerdictGone Verdict = iota
	// VerdictSent: the purge went through and nothing was re-probed
	// (--no-verify, or no URL to re-probe).
	VerdictSent
	// VerdictStillCached: a copy is still cached.
	VerdictStillCached
	// VerdictUnknown: the purge went through, but the evidence cannot say
	// whether some copy is gone (or the re-probe failed).
	VerdictUnknown
	// VerdictPending: accepted, not known to be complete (a CloudFront
	// invalidation not Completed in time); nothing was re-probed.
	VerdictPending
	// VerdictFailed: the purge API failed.
	VerdictFailed
	// VerdictConfig: the configuration or a credential stopped it.
	VerdictConfig
	// VerdictInterrupted: cancelled while it ran.
	VerdictInterrupted
)

// Verdict says what the outcome comes to.
func (o Outcome) Verdict() Verdict {
	switch {
	case o.Err != nil && errors.Is(o.Err, ErrConfig):
		return VerdictConfig
	case o.Err != nil && (errors.Is(o.Err, context.Canceled) || errors.Is(o.Err, context.DeadlineExceeded)):
		return VerdictInterrupted
	case o.Err != nil && errors.Is(o.Err, ErrPending):
		return VerdictPending
	case o.Err != nil:
		return VerdictFailed
	case o.VerifyErr != nil && (errors.Is(o.VerifyErr, context.Canceled) || errors.Is(o.VerifyErr, context.DeadlineExceeded)):
		return VerdictInterrupted
	case o.Count(StillCached) > 0:
		return VerdictStillCached
	case o.VerifyErr != nil || o.Count(Unknown) > 0:
		return VerdictUnknown
	case !o.Verified || o.Checked() == 0:
		return VerdictSent
	}
	return VerdictGone
}

// Run runs the flow. An error (the confirmation's, a credential's, the
// context's) means nothing was sent, and the Outcome is empty; otherwise
// the Outcome says everything, its Err and VerifyErr included.
func (f *Flow) Run(ctx context.Context) (Outcome, error) {
	job := f.Job
	out := Outcome{Job: job}
	if err := job.CheckCredentials(ctx, job.getenv); err != nil {
		return out, err
	}
	if f.Confirm != nil {
		if err := f.Confirm(ctx, job); err != nil {
			return out, err
		}
	}
	vopts := make([]VerifyOptions, len(f.Probes))
	for i, p := range f.Probes {
		// Each copy's fingerprint right before the purge: what the re-probe
		// is compared with. A failure leaves copies without one; Verify
		// then says unknown where the re-probe alone cannot tell.
		vopts[i] = f.Verify
		vopts[i].Baseline, _ = TakeBaseline(ctx, p.Engine, job, f.Verify)
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("interrupted before anything was purged: %w", err)
		}
	}
	f.emit(Progress{Kind: ProgressSending})
	log := f.openAudit(&out)
	exec := f.Exec
	exec.Audit = log
	exec.OnResult = func(r RequestResult) { f.emit(Progress{Kind: ProgressResult, Result: r}) }
	exec.OnWait = func(w WaitProgress) { f.emit(Progress{Kind: ProgressWait, Wait: w}) }
	out.Result, out.Err = Execute(ctx, job, exec)
	if log != nil {
		_ = log.Append(AuditEntries(job, out.Result))
		if err := log.Close(); err != nil && out.AuditErr == nil {
			out.AuditErr = err
		}
	}
	if out.Err != nil || len(f.Probes) == 0 {
		return out, nil
	}
	f.emit(Progress{Kind: ProgressVerifying, Delay: f.Verify.Delay})
	for i, p := range f.Probes {
		v, err := Verify(ctx, p.Engine, job, out.Result, vopts[i])
		if err != nil {
			out.VerifyErr = err
			return out, nil
		}
		out.Edges = append(out.Edges, EdgeCheck{Edge: p.Edge, Verification: v})
	}
	out.Verified = true
	return out, nil
}

func (f *Flow) emit(e Progress) {
	if f.OnProgress != nil {
		f.OnProgress(e)
	}
}

// openAudit opens the audit log, so a line goes in before each request is
// sent; failing to is noted in out, never a reason to stop the purge.
func (f *Flow) openAudit(out *Outcome) *AuditLog {
	where := f.AuditPath
	if where == nil {
		where = func() (string, error) { return AuditPath(f.Job.getenv) }
	}
	path, err := where()
	if err != nil {
		out.AuditErr = err
		return nil
	}
	log, err := OpenAudit(path)
	if err != nil {
		out.AuditErr = err
		return nil
	}
	out.AuditPath = path
	return log
}

// Line is a request's outcome in one line; the message is already
// scrubbed of secrets and escaped.
func (r RequestResult) Line() string {
	mark := "✓"
	if !r.OK {
		mark = "✗"
	}
	line := mark + " " + r.Request.Method + " " + r.Request.URL
	switch n := len(r.Request.Covers); {
	case n == 1:
		line += " [" + r.Request.Covers[0].Variant.Label() + "]"
	case n > 1:
		line += fmt.Sprintf(" [%d copies]", n)
	}
	line += " → " + r.Message
	if len(r.IDs) > 0 {
		line += " (id " + strings.Join(r.IDs[:min(len(r.IDs), 3)], ", ")
		if len(r.IDs) > 3 {
			line += fmt.Sprintf(", +%d", len(r.IDs)-3)
		}
		line += ")"
	}
	if r.Attempts > 1 {
		line += fmt.Sprintf(" after %d attempts", r.Attempts)
	}
	return safe(line)
}

// FailureLines explain a purge that did not fully succeed: what a 401 or
// 403 means for the token (naming the variable it came from, never its
// value), then which cached copies were purged and which were not. Nil
// when every request succeeded. Every line is terminal-safe.
func (o Outcome) FailureLines() []string {
	job, res := o.Job, o.Result
	var lines []string
	hinted := map[string]bool{}
	for _, r := range res.Requests {
		if r.OK {
			continue
		}
		if h := authHint(job.Batches[r.Batch], r.Status); h != "" && !hinted[h] {
			hinted[h] = true
			lines = append(lines, safe(h))
		}
	}
	if job.Plan.Scope != cachemodel.PurgeURLs {
		return lines // the request lines already name every host, prefix or tag
	}
	type outcome struct {
		item   Item
		reason string // "" when purged
	}
	var done, failed, unknown []outcome
	for _, b := range job.Batches {
		for _, t := range b.Targets {
			for _, v := range t.Variants {
				it := Item{URL: t.URL, Variant: v}
				if reason, skipped := skipReason(b, it); skipped {
					failed = append(failed, outcome{it, "cannot be targeted: " + reason})
					continue
				}
				switch cover := res.Covering(it); {
				case len(cover) == 0:
					failed = append(failed, outcome{it, "not sent: the purge stopped before this request"})
				case cover[len(cover)-1].Interrupted:
					unknown = append(unknown, outcome{it, cover[len(cover)-1].Message})
				case !cover[len(cover)-1].OK:
					failed = append(failed, outcome{it, cover[len(cover)-1].Message})
				default:
					done = append(done, outcome{it, ""})
				}
			}
		}
	}
	if len(failed) == 0 && len(unknown) == 0 {
		return lines
	}
	all := len(done) + len(failed) + len(unknown)
	head := fmt.Sprintf("purged %d of %d cached %s", len(done), all, plural(all, "copy", "copies"))
	row := func(mark string, o outcome) string {
		s := fmt.Sprintf("  %s %s  %s", mark, safe(o.item.URL), safe(o.item.Variant.Label()))
		if o.reason != "" {
			s += ": " + termsafe.Line(o.reason, 200)
		}
		return s
	}
	if len(failed) > 0 {
		lines = append(lines, head+"; not purged:")
		for _, o := range failed {
			lines = append(lines, row("✗", o))
		}
	} else {
		lines = append(lines, head)
	}
	if len(unknown) > 0 {
		lines = append(lines, "outcome unknown (the API may have acted on these):")
		for _, o := range unknown {
			lines = append(lines, row("?", o))
		}
	}
	if len(done) > 0 {
		lines = append(lines, "purged:")
		for _, o := range done {
			lines = append(lines, row("✓", o))
		}
	}
	return lines
}

func skipReason(b *Batch, it Item) (string, bool) {
	for _, s := range b.Skipped {
		if s.Item == it {
			return s.Reason, true
		}
	}
	return "", false
}

// authHint says what a 401 or 403 from a provider's API means for the
// token, naming the variable it came from; "" for other statuses and for
// caches purged without a token.
func authHint(b *Batch, status int) string {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return ""
	}
	if b.token == nil || b.token.env == "" {
		return "" // the http provider without a token: its message names the cache's ACL
	}
	env, who := b.token.env, b.Label()
	if !b.token.present() {
		// Fastly URL purges go without a token unless the service demands one.
		return fmt.Sprintf("hint: %s answered %d: it wants a token, and $%s is not set", who, status, env)
	}
	if status == http.StatusUnauthorized {
		return fmt.Sprintf("hint: %s answered 401: the token in $%s is wrong (mistyped, expired or revoked); put a valid one there", who, env)
	}
	perm := "the permission to purge"
	switch b.Provider {
	case ProviderCloudflare:
		perm = "the Cache Purge permission on this zone (Zone > Cache Purge > Purge)"
	case ProviderFastly:
		perm = "the purge_select scope (purge_all for --everything) on this service"
	}
	return fmt.Sprintf("hint: %s answered 403: the token in $%s was recognised but lacks %s", who, env, perm)
}
