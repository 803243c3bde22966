package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/internal/settings"
	"github.com/corscope/corscope/internal/termsafe"
	"github.com/corscope/corscope/probe"
	"github.com/corscope/corscope/themes"
)

// probeFlags are the request settings shared by every command that probes.
type probeFlags struct {
	origins        []string
	headers        []string
	method         string
	userAgent      string
	preflight      bool
	requestMethod  string
	requestHeaders []string
	rounds         int
	timeout        time.Duration
	concurrency    int
	hostConc       int
	rate           float64
	bodyLimit      string
	maxHeaderBytes string
	resolve        []string
	edges          []string
	edgeAddrs      []string // edges validated and normalised
	valid          settings.Valid
	bodyBytes      int64 // --body-limit, parsed
	headerBytes    int64 // --max-header-bytes, parsed
	insecure       bool
	proxy          string
	follow         int

	// normalised lists what was sent other than typed: origins (and the
	// same-origin variants of targets) in the form browsers serialise
	// them. check says so in one line on stderr.
	normalised []string
}

func (f *probeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	def := settings.Defaults()
	fl.StringArrayVarP(&f.origins, "origin", "o", nil, "origin to send as an Origin variant (repeatable), e.g. https://app.example.com")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "extra request header 'Name: value' sent with every request (repeatable)")
	fl.StringVar(&f.method, "method", def.Method, "method of the simple (non-preflight) requests")
	fl.StringVar(&f.userAgent, "user-agent", "corscope/"+versionString(), "User-Agent header")
	fl.BoolVar(&f.preflight, "preflight", false, "also send a CORS preflight (OPTIONS) per Origin variant")
	fl.StringVar(&f.requestMethod, "request-method", def.RequestMethod, "Access-Control-Request-Method of preflights")
	fl.StringSliceVar(&f.requestHeaders, "request-headers", nil, "Access-Control-Request-Headers of preflights (comma-separated or repeatable)")
	fl.IntVar(&f.rounds, "rounds", def.Rounds, fmt.Sprintf("observe: repeat the whole variant set N times, in order, to see MISS then HIT; isolate: send each variant N times (at least 2) on its own key (1 to %d)", settings.MaxRounds))
	fl.DurationVar(&f.timeout, "timeout", def.Timeout, "timeout per request")
	fl.IntVar(&f.concurrency, "concurrency", def.Concurrency, fmt.Sprintf("targets probed at once (1 to %d)", settings.MaxConcurrency))
	fl.IntVar(&f.hostConc, "host-concurrency", def.HostConcurrency, fmt.Sprintf("requests in flight to one host at once, across all targets (1 to %d)", settings.MaxConcurrency))
	fl.Float64Var(&f.rate, "rate", 0, "max requests per second per host; 0 = unlimited (be polite to real CDNs)")
	fl.StringVar(&f.bodyLimit, "body-limit", settings.FormatSize(def.BodyLimit), fmt.Sprintf("read at most this much of each body, then hang up (1 byte to %s; KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000)", settings.FormatSize(settings.MaxBodyLimit)))
	fl.StringVar(&f.maxHeaderBytes, "max-header-bytes", settings.FormatSize(def.MaxHeaderBytes), fmt.Sprintf("largest response header block accepted (Chrome refuses larger ones; %s to %s)", settings.FormatSize(settings.MinMaxHeaderBytes), settings.FormatSize(settings.MaxMaxHeaderBytes)))
	fl.StringArrayVar(&f.resolve, "resolve", nil, "host:port:addr pins a host to an address, keeping Host and SNI (repeatable)")
	fl.StringArrayVar(&f.edges, "edge", nil, "probe every URL through this edge address too, side by side (repeatable): an IP keeps the URL's port, IP:port replaces it; Host and SNI stay the URL's")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify TLS certificates")
	fl.StringVar(&f.proxy, "proxy", "", "send requests through an http:// or socks5:// proxy")
	fl.IntVar(&f.follow, "follow", def.FollowRedirects, fmt.Sprintf("follow up to N redirects (0 to %d; default 0: a 3xx is shown as it is); -H Authorization, Cookie and Proxy-Authorization are dropped when a redirect changes origin (scheme, host or port)", settings.MaxRedirects))
}

// flagNames maps each setting to the flag that sets it.
var flagNames = map[settings.Name]string{
	settings.Timeout:         "--timeout",
	settings.Concurrency:     "--concurrency",
	settings.HostConcurrency: "--host-concurrency",
	settings.Rate:            "--rate",
	settings.Rounds:          "--rounds",
	settings.BodyLimit:       "--body-limit",
	settings.MaxHeaderBytes:  "--max-header-bytes",
	settings.UserAgent:       "--user-agent",
	settings.Headers:         "-H",
	settings.Proxy:           "--proxy",
	settings.Resolve:         "--resolve",
	settings.Edges:           "--edge",
	settings.FollowRedirects: "--follow",
	settings.Mode:            "--mode",
	settings.CacheBuster:     "--cache-buster",
	settings.Method:          "--method",
	settings.RequestMethod:   "--request-method",
	settings.RequestHeaders:  "--request-headers",
}

// flagErr is a usage error naming the flag of a setting.
func flagErr(name settings.Name, msg string) error {
	return usageErr("%s: %s", flagNames[name], msg)
}

// validate checks the probe settings with the rules the configuration file
// uses too (settings.Probe.Validate) and keeps what it makes of them; the
// first problem is the error, naming its flag. planOptions, probeConfig
// and edgeList read the result.
func (f *checkFlags) validate() error {
	var err error
	if f.bodyBytes, err = settings.ParseSize(f.bodyLimit); err != nil {
		return flagErr(settings.BodyLimit, err.Error())
	}
	if f.headerBytes, err = settings.ParseSize(f.maxHeaderBytes); err != nil {
		return flagErr(settings.MaxHeaderBytes, err.Error())
	}
	in := settings.Probe{
		Timeout: f.timeout, Concurrency: f.concurrency, HostConcurrency: f.hostConc, Rate: f.rate,
		Rounds: f.rounds, BodyLimit: f.bodyBytes, MaxHeaderBytes: f.headerBytes, UserAgent: f.userAgent,
		Headers: f.headers, Proxy: f.proxy, Resolve: f.resolve, Edges: f.edges, FollowRedirects: f.follow,
		Mode: f.mode, CacheBuster: f.cacheBuster, Method: strings.ToUpper(f.method),
		RequestMethod: strings.ToUpper(f.requestMethod), RequestHeaders: f.requestHeaders,
	}
	valid, errs := in.Validate()
	if len(errs) > 0 {
		return flagErr(errs[0].Name, errs[0].Msg)
	}
	f.valid = valid
	f.edgeAddrs = valid.Edges
	return nil
}

// planOptions builds the request-shaping options from the validated flags
// (see validate).
func (f *probeFlags) planOptions() (cachemodel.PlanOptions, error) {
	opt := cachemodel.PlanOptions{
		Rounds: f.rounds, Method: strings.ToUpper(f.method), UserAgent: f.userAgent,
		Preflight: f.preflight, RequestMethod: strings.ToUpper(f.requestMethod), RequestHeaders: f.valid.RequestHeaders,
		Headers: f.valid.Headers,
	}
	for _, o := range f.origins {
		norm, err := cachemodel.ParseOrigin(o)
		if err != nil {
			return opt, usageErr("--origin: %v", err)
		}
		f.noteNormalised("--origin "+o, norm)
		opt.Origins = append(opt.Origins, norm)
	}
	return opt, nil
}

// noteNormalised records that what (typed as the end of what) is sent as
// norm, when the two differ.
func (f *probeFlags) noteNormalised(what, norm string) {
	if typed := what[strings.LastIndexByte(what, ' ')+1:]; typed != norm {
		f.normalised = append(f.normalised, termsafe.String(what)+" → "+norm)
	}
}

// noteTargets records targets whose same-origin variant is not their URL's
// authority as typed: an IPv4 address or port a browser rewrites, an IPv6
// zone no Origin carries.
func (f *probeFlags) noteTargets(targets []targetSpec) {
	for _, t := range targets {
		raw, err := url.Parse(strings.TrimSpace(t.raw))
		if err != nil {
			continue
		}
		typed := strings.ToLower(raw.Scheme) + "://" + strings.ToLower(raw.Host)
		if same := cachemodel.OriginOf(t.url); typed != same && typed != cachemodel.OriginOf(raw) {
			f.normalised = append(f.normalised, "same-origin variant of "+termsafe.String(t.raw)+" → "+same)
		}
	}
}

// unusedResolveNote is one stderr line naming the --resolve entries that no
// target's host:port matches (they apply only if a redirect goes there), or
// "".
func unusedResolveNote(pins map[string]string, targets []targetSpec) string {
	if len(pins) == 0 {
		return ""
	}
	used := map[string]bool{}
	for _, t := range targets {
		port := t.url.Port()
		if port == "" {
			port = "80"
			if strings.EqualFold(t.url.Scheme, "https") {
				port = "443"
			}
		}
		used[net.JoinHostPort(strings.ToLower(t.url.Hostname()), port)] = true
	}
	var unused []string
	for hp := range pins {
		if !used[hp] {
			unused = append(unused, hp)
		}
	}
	if len(unused) == 0 {
		return ""
	}
	slices.Sort(unused)
	return "corscope: note: --resolve " + termsafe.String(strings.Join(unused, ", ")) +
		" matches no target URL's host:port; it is used only if a redirect goes there\n"
}

// normalisedNote is the one stderr line about f.normalised, or "".
func (f *probeFlags) normalisedNote() string {
	if len(f.normalised) == 0 {
		return ""
	}
	return "corscope: note: sent as browsers serialise them: " + strings.Join(f.normalised, "; ") + "\n"
}

// probeConfig builds the engine's settings from the validated flags (see
// validate).
func (f *probeFlags) probeConfig() (probe.Config, error) {
	cfg := probe.Config{
		Timeout: f.timeout, Concurrency: f.concurrency, HostConcurrency: f.hostConc, Rate: f.rate,
		Insecure: f.insecure, Proxy: f.proxy, FollowRedirects: f.follow,
		BodyLimit: f.bodyBytes, MaxHeaderBytes: int(f.headerBytes),
	}
	norm := make([]string, 0, len(f.valid.Resolve))
	for _, pin := range f.valid.Resolve {
		if cfg.Resolve == nil {
			cfg.Resolve = map[string]string{}
		}
		cfg.Resolve[pin.HostPort()] = pin.Addr
		norm = append(norm, pin.String())
	}
	// The curl reproducers get the entries as the probe reads them (a
	// port "018691" as 18691), so they pin what the probe pinned.
	f.resolve = norm
	return cfg, nil
}

type checkFlags struct {
	probeFlags
	format      string
	failOn      string
	noColor     bool
	mode        string
	allow       []string
	cacheBuster string
	confirmIn   string
	har         harFlags
	label       string

	// From the configuration file (see applyCheckConfig).
	configTargets    []config.Target
	originsFromFlags bool
	color            string
	palette          themes.Palette
}

// Probe modes of check.
const (
	modeObserve = settings.ModeObserve
	modeIsolate = settings.ModeIsolate
)

// policy validates --allow: origins (or "null"), or "*" when every origin
// should be allowed.
func (f *checkFlags) policy() (cachemodel.Policy, error) {
	var p cachemodel.Policy
	for _, a := range f.allow {
		norm, err := settings.ParseAllowed(a)
		if err != nil {
			return p, usageErr("--allow: %v", err)
		}
		f.noteNormalised("--allow "+a, norm)
		p.Allow = append(p.Allow, norm)
	}
	return p, nil
}

func (a *app) newCheckCmd() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [flags] URL... | -",
		Short: "Probe URLs with several Origin variants and report what caches serve",
		Long: `check sends every URL a GET without Origin, with each --origin, with the URL's
own origin and with Origin: null, and reports per variant the status, the
normalised cache status (HIT, MISS, ...), Age, Access-Control-Allow-Origin/
-Credentials, Vary and whether a browser would accept the response,
anonymously and with credentials, followed by findings: what is wrong and how
to fix it. "-" reads URLs from standard input, one per line (blank lines and #
comments are skipped).

--mode isolate (the default) runs cache experiments, each on a fresh cache key
made with a random --cache-buster query parameter: no Origin then each origin,
origin A then B, each variant repeated, and generated attacker-style origins
(suffix, prefix, unescaped dot, subdomain, http://, other port, ...) to test the
server's origin check. --mode observe sends only the plain variants to the real
URL, --rounds times in order: what users get now, never an attacker Origin.
--allow lists the origins that should be allowed (policy checks).

Each target gets a state: ok; cors-not-enabled (the server answered but sent
no Access-Control-Allow-Origin to any of the given origins; also a finding);
partial (some requests failed); non-2xx (no request got a 2xx: error pages, no
verdict about the resource); failed (every request failed); canceled.

--confirm-in chromium|firefox asks a real headless browser too: after each
target's probes it loads a page served locally as each --origin (only that
page's host is mapped; https pages get a throwaway certificate accepted for
them only; a fresh profile, so none of your cookies) and fetch()es the real
URL without and with credentials. Its answer (allowed with status, blocked
with the fetch error and Chromium's console message, failed, or unknown
after 30 s) is shown beside corscope's verdict; where they differ (observe
mode) the finding browser-disagrees names both. A missing browser is an
error (exit 2); --resolve and --proxy are refused with it.

Exit codes: 0 fine, 1 findings at or above --fail-on, 2 usage or configuration
error, 3 every request failed, 4 unknown: some target failed, had failed
requests or got no 2xx, so it has no complete verdict, 5 the report could not
be written (stdout closed or full), 130 interrupted (Ctrl-C, SIGTERM, SIGHUP):
the report is still closed, with every unfinished target marked "canceled"
and the summary. When several apply the first in this order wins: 130, 5, 2,
3, 1, 4, 0 (findings are answers, so they outrank an unknown).`,
		Example: `  corscope check --origin https://app.example.com --origin https://admin.example.com https://cdn.example.com/app.js
  corscope check --format json -o https://app.example.com https://cdn.example.com/font.woff2 > report.json
  corscope check --resolve cdn.example.com:443:203.0.113.7 -o https://app.example.com https://cdn.example.com/a.css
  cat urls.txt | corscope check --rounds 1 --format markdown -o https://app.example.com -
  corscope check --mode observe -o https://app.example.com https://cdn.example.com/font.woff2
  corscope check --allow https://app.example.com --fail-on medium https://api.example.com/me
  corscope check --mode observe --confirm-in chromium -o https://app.example.com https://cdn.example.com/font.woff2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			f.applyCheckConfig(cmd.Flags(), cfg)
			return a.runCheck(cmd.Context(), &f, args)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.format, "format", "", "output format: table, json, jsonl (one target per line, then the summary), markdown, sarif (SARIF 2.1.0) or junit (JUnit XML) (default table on a terminal, json otherwise)")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above: info, low, medium, high, none")
	cmd.Flags().BoolVar(&f.noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")
	cmd.Flags().StringVar(&f.mode, "mode", modeIsolate, "isolate: experiments on fresh cache keys plus generated origins; observe: the real URL, plain variants only")
	cmd.Flags().StringArrayVar(&f.allow, "allow", nil, "origin that should be allowed, all others blocked (repeatable; \"*\": every origin): enables the policy checks; these origins are also sent")
	cmd.Flags().StringVar(&f.label, "label", "", "name of this vantage point (e.g. a CI region), recorded in the report as label; default $CORSCOPE_LABEL")
	cmd.Flags().StringVar(&f.cacheBuster, "cache-buster", cachemodel.DefaultBusterParam, "name of the cache-busting query parameter of isolate mode")
	cmd.Flags().StringVar(&f.confirmIn, "confirm-in", "", confirmFlagHelp)
	f.har.register(cmd.Flags())
	return cmd
}

func (a *app) runCheck(ctx context.Context, f *checkFlags, args []string) error {
	format := f.format
	if format == "" {
		format = "json"
		if a.stdoutTTY {
			format = "table"
		}
	}
	if !slices.Contains(report.Formats, format) {
		return usageErr("unknown --format %q: want table, json, jsonl, markdown, sarif or junit", format)
	}
	if msg := settings.OneOf(f.failOn, settings.FailOnLevels); msg != "" {
		return usageErr("--fail-on: %s", msg)
	}
	failOn, err := cachemodel.ParseFailOn(f.failOn)
	if err != nil {
		return usageErr("--fail-on: %v", err)
	}
	if err := f.validate(); err != nil {
		return err
	}
	opt, err := f.planOptions()
	if err != nil {
		return err
	}
	pol, err := f.policy()
	if err != nil {
		return err
	}
	opt.Origins = withPolicyOrigins(opt.Origins, pol)
	pcfg, err := f.probeConfig()
	if err != nil {
		return err
	}
	notes := func(targets []targetSpec) {
		f.noteTargets(targets)
		if note := f.normalisedNote(); note != "" {
			fmt.Fprint(a.stderr, note)
		}
		if note := unusedResolveNote(pcfg.Resolve, targets); note != "" {
			fmt.Fprint(a.stderr, note)
		}
	}
	// With "-" the URLs are read, validated and probed as they arrive
	// (urlFeed); the report is held until stdin ends, so a bad line still
	// leaves nothing of it written.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	var (
		targets []targetSpec
		feed    *urlFeed
		plans   runner.Source
		build   func(i int) cachemodel.TargetPlan
		stdout  io.Writer = a.stdout
		held    *heldWriter
	)
	if f.har.file == "" && !f.har.replayCredentials && slices.Contains(args, "-") {
		feed = newURLFeed(runCtx, cancelRun)
		held = &heldWriter{w: a.stdout, held: true}
		stdout = held
		build = f.planBuilder(feed.target, opt, pol)
		feed.build = build
		feed.atEnd = func(targets []targetSpec, dupNote string) {
			fmt.Fprint(a.stderr, dupNote)
			notes(targets)
			held.release()
		}
		feed.start(args, a.stdin)
		plans = feed.source()
	} else {
		var err error
		if targets, err = a.collectTargetsHAR(ctx, args, f, opt.Origins); err != nil {
			return err
		}
		notes(targets)
		build = f.planBuilder(func(i int) targetSpec { return targets[i] }, opt, pol)
		plans = planSource(len(targets), build)
	}
	eng, err := probe.New(pcfg)
	if err != nil {
		return usageErr("%v", err)
	}
	defer eng.Close()
	var run runner.Engine = eng
	if f.mode == modeIsolate {
		run = runner.Guard(eng, pcfg.Concurrency)
	}

	label, err := a.reportLabel(f.label)
	if err != nil {
		return err
	}
	ropt := report.Options{Tool: "corscope " + versionString(), Mode: f.mode, Label: label, Width: a.termWidth(), FailOn: failOn}
	if format == "table" && a.useColor(f.noColor, f.color) {
		ropt.Paint = tablePainter(a.stdout, f.palette)
	}
	w := f.har.withHAR(report.NewWriter(format, stdout, ropt))
	analyzeOpt := cachemodel.AnalyzeOptions{Curl: cachemodel.CurlOptions{Insecure: pcfg.Insecure, Resolve: f.resolve, Proxy: pcfg.Proxy}, Policy: pol}
	analyze := runner.GuardAnalyzer(func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, analyzeOpt)
	})
	if analyze, err = withConfirm(ctx, f, analyze); err != nil {
		return err
	}
	var sum cachemodel.Summary
	if err := w.Begin(); err != nil {
		return err
	}
	err = runner.StreamFrom(runCtx, run, plans, pcfg.Concurrency, analyze, runner.Hooks{OnTarget: func(t cachemodel.TargetReport) error {
		sum.Add(t)
		return w.Target(t)
	}})
	n := len(targets)
	if feed != nil {
		done, count, ferr := feed.finish()
		if ferr != nil {
			return ferr // bad input: the held report is dropped
		}
		if ctx.Err() != nil && !done {
			return interruptedErr(ctx, "reading URLs from standard input")
		}
		held.release() // the run ended before stdin did (an engine error)
		n = count
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return finishInterrupted(ctx, w, &sum, n, build, analyzeOpt)
	}
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if err := w.End(sum); err != nil {
		return err
	}
	return checkExit(sum, failOn)
}

// checkExit decides check's exit code from the run's summary. Precedence
// (usage errors, 2, are decided before anything runs): every request
// failed, 3; findings at or above --fail-on, 1 (a finding is an answer
// even when other targets have none); some target without a complete
// verdict (failed, partial failures, no 2xx, canceled), 4; otherwise 0.
func checkExit(sum cachemodel.Summary, failOn cachemodel.Severity) error {
	switch {
	case sum.Requests > 0 && sum.Failed == sum.Requests:
		return &exitError{code: exitFailed, err: fmt.Errorf("every request failed (%d of %d)", sum.Failed, sum.Requests)}
	case failOn != "" && sum.AtOrAbove(failOn) > 0:
		return &exitError{code: exitFindings}
	case sum.Unknown() > 0:
		return &exitError{code: exitUnknown, err: fmt.Errorf("no complete verdict for %d of %d targets (%s): see each target's state", sum.Unknown(), sum.Targets, unknownStates(sum))}
	}
	return nil
}

// plansBuilt counts the plans check has built (tests watch that they are
// built as probing proceeds, not all up front).
var plansBuilt atomic.Int64

// planSource builds each target's plan when the runner asks for it, so a
// run holds the plans of the targets in its window (about 20 KiB each in
// isolate mode), not of its whole input.
func planSource(n int, build func(i int) cachemodel.TargetPlan) runner.Source {
	i := 0
	return func() (cachemodel.TargetPlan, bool) {
		if i == n {
			return cachemodel.TargetPlan{}, false
		}
		p := build(i)
		i++
		return p, true
	}
}

// planBuilder builds target i's plan (isolate or observe, with its own
// origins and headers).
func (f *checkFlags) planBuilder(target func(i int) targetSpec, opt cachemodel.PlanOptions, pol cachemodel.Policy) func(i int) cachemodel.TargetPlan {
	iso := cachemodel.IsolateOptions{Param: f.cacheBuster, Rand: rand.Reader}
	return func(i int) cachemodel.TargetPlan {
		t := target(i)
		topt := t.planOptions(opt, pol, f.originsFromFlags)
		plansBuilt.Add(1)
		return edgePlan(f.edgeAddrs, func() cachemodel.TargetPlan {
			if f.mode == modeIsolate {
				return cachemodel.BuildIsolatePlan(i, t.url, topt, iso)
			}
			return cachemodel.BuildObservePlan(i, t.url, topt)
		})
	}
}

// unknownStates lists the counts of the states without a verdict.
func unknownStates(sum cachemodel.Summary) string {
	var parts []string
	for _, st := range cachemodel.TargetStates {
		if n := sum.States[st]; n > 0 && st.Unknown() {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	return strings.Join(parts, ", ")
}

// targetSpec is one URL to probe, with the per-target settings a config
// file can give it.
type targetSpec struct {
	raw     string // as given; url is set once it validates
	url     *url.URL
	origins []string // nil: the run's origins; non-nil (even empty): these instead
	headers cachemodel.Headers
	fromHAR bool // origins from --har: the run's and the browser's, even with --origin
}

// planOptions specialises the run's plan options for this target: its own
// origins (unless --origin was given: flags win) plus the policy's, and its
// extra headers.
func (t targetSpec) planOptions(opt cachemodel.PlanOptions, pol cachemodel.Policy, originsFromFlags bool) cachemodel.PlanOptions {
	if t.origins != nil && (!originsFromFlags || t.fromHAR) {
		opt.Origins = withPolicyOrigins(append([]string(nil), t.origins...), pol)
	}
	if len(t.headers) > 0 {
		opt.Headers = append(append(cachemodel.Headers(nil), opt.Headers...), t.headers...)
	}
	return opt
}

// collectTargets validates the URL arguments; "-" reads them from stdin.
// Without arguments the config file's [[targets]] are used. Duplicates are
// dropped (the first keeps its place) with a note, since probing a URL
// twice in one run would mix its cache states.
func (a *app) collectTargets(ctx context.Context, args []string, fromConfig []config.Target) ([]targetSpec, error) {
	var specs []targetSpec
	for _, arg := range args {
		if arg != "-" {
			specs = append(specs, targetSpec{raw: arg})
			continue
		}
		lines, err := readInterruptibly(ctx, "reading URLs from standard input", func() ([]string, error) { return readURLLines(a.stdin) })
		if isInterrupted(err) {
			return nil, err
		}
		if err != nil {
			return nil, usageErr("reading URLs from stdin: %v", err)
		}
		for _, l := range lines {
			specs = append(specs, targetSpec{raw: l})
		}
	}
	if len(args) == 0 {
		for _, t := range fromConfig {
			specs = append(specs, targetSpec{raw: t.URL, origins: t.Origins, headers: t.Headers})
		}
	}
	if len(specs) == 0 {
		return nil, errNoURLs()
	}
	var set urlSet
	out := specs[:0]
	for _, sp := range specs {
		u, isNew, err := set.add(sp.raw)
		if err != nil {
			return nil, err
		}
		if isNew {
			sp.url = u
			out = append(out, sp)
		}
	}
	fmt.Fprint(a.stderr, set.note())
	return out, nil
}

// errNoURLs is check's usage error for an empty target list.
func errNoURLs() error {
	return usageErr("no URLs given: pass one or more URLs, or - to read them from stdin")
}

// urlSet validates check's target URLs and drops repeats (the same URL
// once parsed), counting them for the note; the argument list and the
// streamed stdin path share it.
type urlSet struct {
	seen map[string]bool
	dups int
}

// add parses raw; isNew is false for a URL already in the set.
func (s *urlSet) add(raw string) (u *url.URL, isNew bool, err error) {
	u, err = cachemodel.ParseTargetURL(raw)
	if err != nil {
		return nil, false, usageErr("%v", err)
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	key := u.String()
	if s.seen[key] {
		s.dups++
		return u, false, nil
	}
	s.seen[key] = true
	return u, true, nil
}

// note is the stderr line about skipped repeats, or "".
func (s *urlSet) note() string {
	if s.dups == 0 {
		return ""
	}
	return fmt.Sprintf("corscope: note: skipped %d duplicate URL(s)\n", s.dups)
}

func readURLLines(r io.Reader) ([]string, error) {
	var out []string
	err := scanURLLines(r, func(line string) bool {
		out = append(out, line)
		return true
	})
	return out, err
}

// scanURLLines calls each with every URL line of r as it is read (blank
// lines and # comments skipped, lines up to 1 MiB) until each returns false
// or r ends.
func scanURLLines(r io.Reader, each func(line string) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !each(line) {
			return nil
		}
	}
	return sc.Err()
}

// withPolicyOrigins adds the policy's allowed origins to those sent: they
// are the ones that matter ("*" and "null" are not origins to send as
// configured ones; null is always sent).
func withPolicyOrigins(origins []string, pol cachemodel.Policy) []string {
	for _, a := range pol.Allow {
		if a != "*" && a != "null" && !slices.Contains(origins, a) {
			origins = append(origins, a)
		}
	}
	return origins
}

// collectURLs is collectTargets for commands that take only URLs.
func (a *app) collectURLs(ctx context.Context, args []string) ([]*url.URL, error) {
	specs, err := a.collectTargets(ctx, args, nil)
	if err != nil {
		return nil, err
	}
	urls := make([]*url.URL, len(specs))
	for i, s := range specs {
		urls[i] = s.url
	}
	return urls, nil
}

// finishInterrupted closes the report of an interrupted check: the targets
// the runner did not deliver are written as canceled (every request "not
// run"), then the summary, so the JSON stays one valid document and the
// table and Markdown end with their summary line. It returns
// exitInterrupted.
func finishInterrupted(ctx context.Context, w report.Writer, sum *cachemodel.Summary, n int, build func(int) cachemodel.TargetPlan, opt cachemodel.AnalyzeOptions) error {
	// The runner delivers reports in input order, so the first
	// sum.Targets targets are the ones written.
	for i := sum.Targets; i < n; i++ {
		t := cachemodel.Analyze(build(i), nil, opt)
		t.State = cachemodel.StateCanceled
		sum.Add(t)
		if err := w.Target(t); err != nil {
			return err
		}
	}
	if err := w.End(*sum); err != nil {
		return err
	}
	return interruptedErr(ctx, fmt.Sprintf("%d of %d targets canceled", sum.States[cachemodel.StateCanceled], sum.Targets))
}
