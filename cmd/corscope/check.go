package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/internal/runner"
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
	rate           float64
	bodyLimit      string
	maxHeaderBytes string
	resolve        []string
	insecure       bool
	proxy          string
	follow         int
}

func (f *probeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.origins, "origin", "o", nil, "origin to send as an Origin variant (repeatable), e.g. https://app.example.com")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "extra request header 'Name: value' sent with every request (repeatable)")
	fl.StringVar(&f.method, "method", "GET", "method of the simple (non-preflight) requests")
	fl.StringVar(&f.userAgent, "user-agent", "corscope/"+versionString(), "User-Agent header")
	fl.BoolVar(&f.preflight, "preflight", false, "also send a CORS preflight (OPTIONS) per Origin variant")
	fl.StringVar(&f.requestMethod, "request-method", "GET", "Access-Control-Request-Method of preflights")
	fl.StringSliceVar(&f.requestHeaders, "request-headers", nil, "Access-Control-Request-Headers of preflights (comma-separated or repeatable)")
	fl.IntVar(&f.rounds, "rounds", 2, "observe: repeat the whole variant set N times, in order, to see MISS then HIT; isolate: send each variant N times (at least 2) on its own key")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "timeout per request")
	fl.IntVar(&f.concurrency, "concurrency", 16, "targets probed at once (each target's requests stay in order)")
	fl.Float64Var(&f.rate, "rate", 0, "max requests per second per host; 0 = unlimited (be polite to real CDNs)")
	fl.StringVar(&f.bodyLimit, "body-limit", "64KiB", "read at most this much of each body, then hang up")
	fl.StringVar(&f.maxHeaderBytes, "max-header-bytes", "256KiB", "largest response header block accepted (Chrome refuses larger ones)")
	fl.StringArrayVar(&f.resolve, "resolve", nil, "host:port:addr pins a host to an address, keeping Host and SNI (repeatable)")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify TLS certificates")
	fl.StringVar(&f.proxy, "proxy", "", "send requests through an http:// or socks5:// proxy")
	fl.IntVar(&f.follow, "follow", 0, "follow up to N redirects (default 0: a 3xx is shown as it is)")
}

// planOptions validates the request-shaping flags.
func (f *probeFlags) planOptions() (cachemodel.PlanOptions, error) {
	opt := cachemodel.PlanOptions{
		Rounds: f.rounds, Method: strings.ToUpper(f.method), UserAgent: f.userAgent,
		Preflight: f.preflight, RequestMethod: strings.ToUpper(f.requestMethod), RequestHeaders: f.requestHeaders,
	}
	if f.rounds < 1 || f.rounds > 100 {
		return opt, usageErr("--rounds %d out of range: want 1 to 100", f.rounds)
	}
	for _, m := range []string{opt.Method, opt.RequestMethod} {
		if !isMethodToken(m) {
			return opt, usageErr("bad method %q: want a method name like GET", m)
		}
	}
	if hasControl(f.userAgent) {
		// A line break would fail every request; other controls would be
		// sent to the server and echoed into reports.
		return opt, usageErr("--user-agent %q has control characters", f.userAgent)
	}
	for _, o := range f.origins {
		norm, err := cachemodel.ParseOrigin(o)
		if err != nil {
			return opt, usageErr("--origin: %v", err)
		}
		opt.Origins = append(opt.Origins, norm)
	}
	for _, h := range f.headers {
		hdr, err := parseHeaderFlag(h)
		if err != nil {
			return opt, usageErr("-H: %v", err)
		}
		opt.Headers = append(opt.Headers, hdr)
	}
	for _, h := range f.requestHeaders {
		if !isMethodToken(strings.TrimSpace(h)) {
			return opt, usageErr("--request-headers: %q is not a header name", h)
		}
	}
	return opt, nil
}

// probeConfig validates the transport flags.
func (f *probeFlags) probeConfig() (probe.Config, error) {
	cfg := probe.Config{
		Timeout: f.timeout, Concurrency: f.concurrency, Rate: f.rate,
		Insecure: f.insecure, Proxy: f.proxy, FollowRedirects: f.follow,
	}
	if f.timeout <= 0 {
		return cfg, usageErr("--timeout %s must be positive", f.timeout)
	}
	if f.concurrency < 1 || f.concurrency > 4096 {
		return cfg, usageErr("--concurrency %d out of range: want 1 to 4096", f.concurrency)
	}
	if f.rate < 0 {
		return cfg, usageErr("--rate %g must not be negative", f.rate)
	}
	if f.follow < 0 || f.follow > 20 {
		return cfg, usageErr("--follow %d out of range: want 0 to 20", f.follow)
	}
	var err error
	if cfg.BodyLimit, err = parseSize(f.bodyLimit); err != nil {
		return cfg, usageErr("--body-limit: %v", err)
	}
	// As in the config file: 0 would silently mean the default.
	if cfg.BodyLimit < 1 || cfg.BodyLimit > 1<<30 {
		return cfg, usageErr("--body-limit %s out of range: want 1 byte to 1GiB", f.bodyLimit)
	}
	mh, err := parseSize(f.maxHeaderBytes)
	if err != nil {
		return cfg, usageErr("--max-header-bytes: %v", err)
	}
	if mh < 4096 || mh > 64<<20 {
		return cfg, usageErr("--max-header-bytes %s out of range: want 4KiB to 64MiB", f.maxHeaderBytes)
	}
	cfg.MaxHeaderBytes = int(mh)
	for _, r := range f.resolve {
		hp, addr, err := probe.ParseResolve(r)
		if err != nil {
			return cfg, usageErr("--resolve: %v", err)
		}
		if cfg.Resolve == nil {
			cfg.Resolve = map[string]string{}
		}
		cfg.Resolve[hp] = addr
	}
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

	// From the configuration file (see applyCheckConfig).
	configTargets    []config.Target
	originsFromFlags bool
	color            string
	palette          themes.Palette
}

// Probe modes of check.
const (
	modeObserve = "observe"
	modeIsolate = "isolate"
)

// policy validates --allow: origins (or "null"), or "*" when every origin
// should be allowed.
func (f *checkFlags) policy() (cachemodel.Policy, error) {
	var p cachemodel.Policy
	for _, a := range f.allow {
		if a == "*" {
			p.Allow = append(p.Allow, a)
			continue
		}
		norm, err := cachemodel.ParseOrigin(a)
		if err != nil {
			return p, usageErr("--allow: %v", err)
		}
		p.Allow = append(p.Allow, norm)
	}
	return p, nil
}

// validBusterParam: the parameter must need no escaping, so the URL shown
// and the URL sent are the same.
func validBusterParam(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c == '-' || c == '_' || c == '.' || c == '~' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
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
error, 3 every request failed.`,
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
	cmd.Flags().StringVar(&f.format, "format", "", "output format: table, json or markdown (default table on a terminal, json otherwise)")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above: info, low, medium, high, none")
	cmd.Flags().BoolVar(&f.noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")
	cmd.Flags().StringVar(&f.mode, "mode", modeIsolate, "isolate: experiments on fresh cache keys plus generated origins; observe: the real URL, plain variants only")
	cmd.Flags().StringArrayVar(&f.allow, "allow", nil, "origin that should be allowed, all others blocked (repeatable; \"*\": every origin): enables the policy checks; these origins are also sent")
	cmd.Flags().StringVar(&f.cacheBuster, "cache-buster", cachemodel.DefaultBusterParam, "name of the cache-busting query parameter of isolate mode")
	cmd.Flags().StringVar(&f.confirmIn, "confirm-in", "", confirmFlagHelp)
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
	if format != "table" && format != "json" && format != "markdown" {
		return usageErr("unknown --format %q: want table, json or markdown", format)
	}
	failOn, err := cachemodel.ParseFailOn(f.failOn)
	if err != nil {
		return usageErr("--fail-on: %v", err)
	}
	if f.mode != modeObserve && f.mode != modeIsolate {
		return usageErr("unknown --mode %q: want isolate or observe", f.mode)
	}
	if !validBusterParam(f.cacheBuster) {
		return usageErr("--cache-buster %q: want 1 to 64 letters, digits or - _ . ~", f.cacheBuster)
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
	targets, err := a.collectTargets(args, f.configTargets)
	if err != nil {
		return err
	}
	plans := make([]cachemodel.TargetPlan, len(targets))
	iso := cachemodel.IsolateOptions{Param: f.cacheBuster, Rand: rand.Reader}
	for i, t := range targets {
		topt := t.planOptions(opt, pol, f.originsFromFlags)
		if f.mode == modeIsolate {
			plans[i] = cachemodel.BuildIsolatePlan(i, t.url, topt, iso)
		} else {
			plans[i] = cachemodel.BuildObservePlan(i, t.url, topt)
		}
	}
	eng, err := probe.New(pcfg)
	if err != nil {
		return usageErr("%v", err)
	}
	defer eng.Close()
	var run runner.Engine = eng
	var guard *runner.IsolateEngine
	if f.mode == modeIsolate {
		guard = runner.NewIsolateEngine(eng, pcfg.Concurrency)
		run = guard
	}

	ropt := report.Options{Tool: "corscope " + versionString(), Mode: f.mode, Width: a.termWidth()}
	if format == "table" && a.useColor(f.noColor, f.color) {
		ropt.Paint = tablePainter(a.stdout, f.palette)
	}
	w := report.NewWriter(format, a.stdout, ropt)
	analyzeOpt := cachemodel.AnalyzeOptions{Curl: cachemodel.CurlOptions{Insecure: pcfg.Insecure, Resolve: f.resolve, Proxy: pcfg.Proxy}, Policy: pol}
	analyze := func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		if guard != nil {
			p, obs = guard.Trim(p, obs)
		}
		return cachemodel.Analyze(p, obs, analyzeOpt)
	}
	if analyze, err = withConfirm(ctx, f, analyze); err != nil {
		return err
	}
	var sum cachemodel.Summary
	if err := w.Begin(); err != nil {
		return err
	}
	err = runner.Stream(ctx, run, plans, analyze, runner.Hooks{OnTarget: func(t cachemodel.TargetReport) error {
		sum.Add(t)
		return w.Target(t)
	}})
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if err := w.End(sum); err != nil {
		return err
	}
	switch {
	case sum.Requests > 0 && sum.Failed == sum.Requests:
		return &exitError{code: exitFailed, err: fmt.Errorf("every request failed (%d of %d)", sum.Failed, sum.Requests)}
	case failOn != "" && sum.AtOrAbove(failOn) > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}

// targetSpec is one URL to probe, with the per-target settings a config
// file can give it.
type targetSpec struct {
	raw     string // as given; url is set once it validates
	url     *url.URL
	origins []string // nil: the run's origins; non-nil (even empty): these instead
	headers cachemodel.Headers
}

// planOptions specialises the run's plan options for this target: its own
// origins (unless --origin was given: flags win) plus the policy's, and its
// extra headers.
func (t targetSpec) planOptions(opt cachemodel.PlanOptions, pol cachemodel.Policy, originsFromFlags bool) cachemodel.PlanOptions {
	if t.origins != nil && !originsFromFlags {
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
func (a *app) collectTargets(args []string, fromConfig []config.Target) ([]targetSpec, error) {
	var specs []targetSpec
	for _, arg := range args {
		if arg != "-" {
			specs = append(specs, targetSpec{raw: arg})
			continue
		}
		lines, err := readURLLines(a.stdin)
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
		return nil, usageErr("no URLs given: pass one or more URLs, or - to read them from stdin")
	}
	seen := make(map[string]bool, len(specs))
	out := specs[:0]
	dups := 0
	for _, sp := range specs {
		u, err := cachemodel.ParseTargetURL(sp.raw)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		if seen[u.String()] {
			dups++
			continue
		}
		seen[u.String()] = true
		sp.url = u
		out = append(out, sp)
	}
	if dups > 0 {
		fmt.Fprintf(a.stderr, "corscope: note: skipped %d duplicate URL(s)\n", dups)
	}
	return out, nil
}

func readURLLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
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
func (a *app) collectURLs(args []string) ([]*url.URL, error) {
	specs, err := a.collectTargets(args, nil)
	if err != nil {
		return nil, err
	}
	urls := make([]*url.URL, len(specs))
	for i, s := range specs {
		urls[i] = s.url
	}
	return urls, nil
}
