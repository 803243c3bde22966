package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/settings"
	"github.com/corscope/corscope/internal/termsafe"
	"github.com/corscope/corscope/probe"
	"github.com/corscope/corscope/purge"
)

type purgeFlags struct {
	provider    string
	origins     []string
	dryRun      bool
	yes         bool
	everything  bool
	hosts       []string
	prefixes    []string
	tags        []string
	noVerify    bool
	verifyDelay time.Duration
	configPath  string
	timeout     time.Duration
	wait        time.Duration
}

func (a *app) newPurgeCmd() *cobra.Command {
	var f purgeFlags
	cmd := &cobra.Command{
		Use:   "purge [flags] URL...",
		Short: "Purge every Origin variant of URLs from a CDN or cache, then verify",
		Long: `purge removes the cached copies of each URL once per Origin variant: the copy
stored for requests without Origin and one per --origin (Cloudflare keys on
Origin by default; nginx's and Squid's purge remove only the variant matching
the purge request's own headers). Afterwards it re-probes every variant and
reports whether each is now a MISS (purged), still a HIT (with the likely
reason) or unknown.

The provider for each URL comes from the config file's [[purge]] entries (the
first whose hosts match) or from --provider. Tokens are read only from the
environment variable the entry names in token_env (default
CLOUDFLARE_API_TOKEN or FASTLY_API_TOKEN) and are never printed.

cloudfront creates one CloudFront invalidation per batch of paths (one path
per URL: an invalidation removes every variant of a path, whatever the
Origin), signed with credentials from the AWS credential chain only
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE and
the shared config files). Invalidations are asynchronous: purge polls
GetInvalidation until CloudFront reports Completed, for at most --wait, and
only then verifies.

On a terminal purge asks for confirmation; otherwise it needs --yes. Purging
everything needs --yes --everything. Every purge is recorded in an audit log,
$XDG_STATE_HOME/corscope/purge.log (default ~/.local/state/corscope/purge.log):
one line before each request goes out and one with its outcome ("outcome
unknown" when interrupted in flight), synced to disk as written.

Before purging, purge GETs every copy twice with its own Origin and records
its fingerprint (every header that stays the same between the two fetches,
such as ETag, Last-Modified or an origin's per-fetch counter, and a hash of
the body). After the purge each copy is compared with its own fingerprint:
a MISS or another fingerprint means purged, the same fingerprint means still
cached when this run shows that a fresh fetch changes it; anything the
evidence cannot settle is unknown. --no-verify skips both the fingerprint
and the re-probe.

Exit codes: 0 purged and every copy verified gone (or --no-verify),
1 a copy is still cached, 2 usage or configuration error, 3 the purge API
failed, 4 the purge went out but some copy could not be verified (unknown;
also a CloudFront invalidation not Completed within --wait),
5 the output could not be written (stdout closed or full), 130 interrupted
(at the confirmation prompt: nothing was purged).`,
		Example: `  corscope purge --origin https://app.example.com https://cdn.example.com/app.js
  corscope purge --dry-run -o https://app.example.com -o https://admin.example.com https://cdn.example.com/a.css
  corscope purge --provider http -o https://app.example.com --yes http://127.0.0.1:6081/api/data.json
  corscope purge --tag product-42 --yes https://cdn.example.com/products/42
  corscope purge --everything --yes https://cdn.example.com/
  corscope purge --provider cloudfront --wait 20m --yes https://d111111abcdef8.cloudfront.net/app.js`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.configPath, _ = cmd.Flags().GetString("config") // the global --config
			return a.runPurge(cmd.Context(), &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.provider, "provider", "", "purge with this provider (cloudflare, fastly, http or cloudfront) instead of matching hosts in the config")
	fl.StringArrayVarP(&f.origins, "origin", "o", nil, "Origin variant to purge besides no Origin (repeatable; default: the config's origins)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print every request that would be sent (secrets redacted) and send nothing")
	fl.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&f.everything, "everything", false, "purge every cached object of the zone or service (needs --yes)")
	fl.StringArrayVar(&f.hosts, "host", nil, "purge every object of this host name (repeatable)")
	fl.StringArrayVar(&f.prefixes, "prefix", nil, "purge every object below host/path (repeatable)")
	fl.StringArrayVar(&f.tags, "tag", nil, "purge every object with this cache tag or surrogate key (repeatable)")
	fl.BoolVar(&f.noVerify, "no-verify", false, "do not fingerprint the copies before the purge nor re-probe them after")
	fl.DurationVar(&f.verifyDelay, "verify-delay", 0, "wait this long before re-probing (purges take a moment to reach every edge)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout per purge request and per verification request")
	fl.DurationVar(&f.wait, "wait", 15*time.Minute, "longest wait for a CloudFront invalidation to complete before verifying")
	return cmd
}

// scope picks the one purge scope the flags ask for.
func (f *purgeFlags) scope() (cachemodel.PurgeScope, []string, error) {
	var chosen []string
	scope, values := cachemodel.PurgeURLs, []string(nil)
	if f.everything {
		chosen, scope = append(chosen, "--everything"), cachemodel.PurgeEverything
	}
	for _, s := range []struct {
		flag   string
		scope  cachemodel.PurgeScope
		values []string
	}{{"--host", cachemodel.PurgeHosts, f.hosts}, {"--prefix", cachemodel.PurgePrefixes, f.prefixes}, {"--tag", cachemodel.PurgeTags, f.tags}} {
		if len(s.values) > 0 {
			chosen, scope, values = append(chosen, s.flag), s.scope, s.values
		}
	}
	if len(chosen) > 1 {
		return "", nil, usageErr("%s cannot be combined: choose one of --everything, --host, --prefix, --tag", strings.Join(chosen, " and "))
	}
	return scope, values, nil
}

func (a *app) runPurge(ctx context.Context, f *purgeFlags, args []string) error {
	scope, values, err := f.scope()
	if err != nil {
		return err
	}
	// The same rule and words as check's --timeout (internal/settings).
	if msg := settings.PositiveDuration(f.timeout); msg != "" {
		return usageErr("--timeout: %s", msg)
	}
	if msg := settings.PositiveDuration(f.wait); msg != "" {
		return usageErr("--wait: %s", msg)
	}
	if f.verifyDelay < 0 {
		return usageErr("--verify-delay %s must not be negative", f.verifyDelay)
	}
	if scope == cachemodel.PurgeEverything && !f.yes && !f.dryRun {
		return usageErr("--everything purges every cached object of the zone or service: add --yes to confirm")
	}
	var urls []*url.URL
	if len(args) > 0 || scope == cachemodel.PurgeURLs {
		if urls, err = a.collectURLs(ctx, args); err != nil {
			return err
		}
	}
	cfg, err := a.loadConfigAt(f.configPath)
	if err != nil {
		return err
	}
	origins := cfg.Origins
	if len(f.origins) > 0 {
		origins = nil
		for _, o := range f.origins {
			norm, err := cachemodel.ParseOrigin(o)
			if err != nil {
				return usageErr("--origin: %v", err)
			}
			origins = append(origins, norm)
		}
	}
	plan, err := cachemodel.BuildPurgePlan(scope, values, urls, origins)
	if err != nil {
		return usageErr("%v", err)
	}
	ua := "corscope/" + versionString()
	job, err := purge.Prepare(plan, purge.Options{Providers: cfg.Purge, Provider: f.provider, Getenv: a.getenv, UserAgent: ua})
	if err != nil {
		return usageErr("%v", err)
	}
	if f.dryRun {
		return purge.WriteDryRun(a.stdout, job)
	}
	flow := purge.Flow{Job: job, Exec: purge.ExecOptions{Timeout: f.timeout, Wait: f.wait},
		Verify: purge.VerifyOptions{Delay: f.verifyDelay, UserAgent: ua}, OnProgress: a.printPurgeProgress}
	if f.yes {
		flow.Confirm = func(context.Context, *purge.Job) error {
			fmt.Fprint(a.stdout, purge.DescribePlan(job))
			return nil
		}
	} else {
		flow.Confirm = a.confirmPurge
	}
	if !f.noVerify {
		eng, err := probe.New(probe.Config{Timeout: f.timeout})
		if err != nil {
			return &exitError{code: exitFailed, err: err}
		}
		defer eng.Close()
		flow.Probes = []purge.Probe{{Engine: eng}}
	}
	out, err := flow.Run(ctx)
	if err != nil { // nothing was sent
		var ee *exitError
		switch {
		case errors.As(err, &ee): // the confirmation's own answer
			return err
		case ctx.Err() != nil:
			return &exitError{code: exitInterrupted, err: err}
		}
		return usageErr("%v", err) // a credential
	}
	if out.AuditErr != nil {
		fmt.Fprintf(a.stderr, "corscope: warning: %s\n", oneLine(out.AuditErr.Error()))
	}
	switch v := out.Verdict(); v {
	case purge.VerdictConfig, purge.VerdictInterrupted, purge.VerdictPending, purge.VerdictFailed:
		if out.Err == nil { // interrupted while verifying
			return &exitError{code: exitInterrupted, err: out.VerifyErr}
		}
		for _, l := range out.FailureLines() {
			fmt.Fprintln(a.stdout, l)
		}
		code := map[purge.Verdict]int{purge.VerdictConfig: exitUsage, purge.VerdictInterrupted: exitInterrupted,
			purge.VerdictPending: exitUnknown, purge.VerdictFailed: exitFailed}[v]
		if !f.noVerify {
			if v == purge.VerdictPending {
				fmt.Fprintln(a.stdout, "verification skipped: the invalidation has not completed, so a re-probe could not tell purged from not yet purged")
			} else {
				fmt.Fprintln(a.stdout, "verification skipped: the purge did not complete")
			}
		}
		return &exitError{code: code, err: out.Err}
	}
	if f.noVerify {
		return nil
	}
	if out.VerifyErr != nil {
		return &exitError{code: exitUnknown, err: fmt.Errorf("the purge was sent, but %w", out.VerifyErr)}
	}
	a.printVerification(out.Edges[0].Verification)
	if n := out.Count(purge.StillCached); n > 0 {
		return &exitError{code: exitFindings, err: fmt.Errorf("%d of %d cached %s still cached after the purge", n, out.Checked(), purgePlural(out.Checked(), "copy", "copies"))}
	}
	if n := out.Count(purge.Unknown); n > 0 {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%d of %d cached %s could not be verified (unknown); the purge itself was accepted", n, out.Checked(), purgePlural(out.Checked(), "copy", "copies"))}
	}
	return nil
}

// printPurgeProgress prints the flow's progress as it happens.
func (a *app) printPurgeProgress(p purge.Progress) {
	switch p.Kind {
	case purge.ProgressSending:
		fmt.Fprintln(a.stdout, "purge:")
	case purge.ProgressResult:
		fmt.Fprintln(a.stdout, "  "+p.Result.Line())
	case purge.ProgressWait:
		fmt.Fprintln(a.stdout, "  "+p.Wait.Line())
	case purge.ProgressVerifying:
		if p.Delay > 0 {
			fmt.Fprintf(a.stdout, "waiting %s before verifying\n", p.Delay)
		}
	}
}

// confirmPurge shows the plan and asks on a terminal; without one it
// refuses, since nobody could have read what is about to go.
func (a *app) confirmPurge(ctx context.Context, job *purge.Job) error {
	if !a.stdinTTY {
		return usageErr("refusing to purge without confirmation: standard input is not a terminal; review with --dry-run, then pass --yes")
	}
	fmt.Fprint(a.stderr, purge.DescribePlan(job))
	fmt.Fprint(a.stderr, "Proceed? [y/N] ")
	line, err := readInterruptibly(ctx, "at the prompt; nothing was purged", func() (string, error) {
		return bufio.NewReader(a.stdin).ReadString('\n')
	})
	if isInterrupted(err) {
		fmt.Fprintln(a.stderr) // keep the message off the prompt line
		return err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return usageErr("reading the answer: %v", err)
	}
	if !strings.HasSuffix(line, "\n") {
		fmt.Fprintln(a.stderr) // end of input: keep the next message off the prompt line
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return usageErr("aborted: nothing was purged")
}

func (a *app) printVerification(v purge.Verification) {
	if len(v.Checks) == 0 {
		fmt.Fprintln(a.stdout, "verify: no URLs given, nothing to re-probe (pass URLs of the zone to check them)")
		return
	}
	fmt.Fprintf(a.stdout, "verify: re-probed %d cached %s: %d purged, %d still cached, %d unknown\n",
		len(v.Checks), purgePlural(len(v.Checks), "copy", "copies"), v.Count(purge.Purged), v.Count(purge.StillCached), v.Count(purge.Unknown))
	for _, c := range v.Checks {
		status := string(c.Status)
		if c.Age != nil {
			status += fmt.Sprintf(" age %d", *c.Age)
		}
		line := fmt.Sprintf("  %-14s %-14s %s  %s", c.Outcome.Label(), status, c.URL, c.Variant.Label())
		if c.Reason != "" {
			line += ": " + c.Reason
		}
		fmt.Fprintln(a.stdout, termsafe.String(line))
	}
	if note := purge.Recurring(v.Reports...); note != "" {
		fmt.Fprintln(a.stdout, termsafe.String("⚠ "+note))
	}
}

func purgePlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
