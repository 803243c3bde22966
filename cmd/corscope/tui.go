package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/internal/suggest"
	"github.com/corscope/corscope/probe"
	"github.com/corscope/corscope/tui"
)

// rootTUI registers on root every flag `corscope tui` takes and returns
// what runs for `corscope [flags] URL...` without a subcommand.
func (a *app) rootTUI(root *cobra.Command) func(*cobra.Command, []string) error {
	f := &tuiFlags{flags: root}
	f.register(root)
	return func(cmd *cobra.Command, args []string) error {
		cfg, err := a.loadConfig(cmd)
		if err != nil {
			return err
		}
		if len(args) == 0 && len(cfg.Targets) == 0 && f.har.file == "" {
			return cmd.Help()
		}
		return a.runTUI(cmd.Context(), f, cmd, cfg, args)
	}
}

// demoInteractive opens the interactive view on a running demo.
func (a *app) demoInteractive(cmd *cobra.Command, env *demo.Env) error {
	cfg, err := a.loadConfig(cmd)
	if err != nil {
		return err
	}
	da, f, look, cleanup, err := a.demoView(cfg, env)
	if err != nil {
		return err
	}
	f.theme, _ = cmd.Flags().GetString("theme")
	f.noColor, _ = cmd.Flags().GetBool("no-color")
	defer cleanup()
	if err := demoFirstVisit(cmd.Context(), env); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	return da.runTUI(cmd.Context(), f, nil, look, env.Targets)
}

// tuiFlags are check's flags (probe settings, mode, policy, cache buster)
// plus what only the interactive view needs. The view starts in observe
// mode, whatever the configuration says for check: it shows the real URL
// as users get it, and x runs the isolate experiments for one target.
type tuiFlags struct {
	checkFlags
	theme string
	title string // not a flag: "demo" when the demo opens it
	// auditLog, not a flag, replaces the purge audit log's location (the
	// demo keeps its purges out of the user's log).
	auditLog string
	flags    *cobra.Command // the command the flags live on
}

// newTUIFlags returns the flags with their defaults, registered on a
// command of their own (the root command cannot carry them).
func newTUIFlags() *tuiFlags {
	f := &tuiFlags{flags: &cobra.Command{Use: "tui"}}
	f.register(f.flags)
	return f
}

func (f *tuiFlags) register(cmd *cobra.Command) {
	f.probeFlags.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", modeObserve, "starting mode: observe (the real URL, plain variants) or isolate (experiments on fresh cache keys); m switches, x runs isolate for one target")
	fl.StringArrayVar(&f.allow, "allow", nil, "origin that should be allowed, all others blocked (repeatable; \"*\": every origin): enables the policy checks")
	fl.StringVar(&f.cacheBuster, "cache-buster", cachemodel.DefaultBusterParam, "name of the cache-busting query parameter of isolate mode")
	fl.StringVar(&f.theme, "theme", "", "colour theme (default from the configuration, else \"default\"); t cycles")
	fl.BoolVar(&f.noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")
	fl.StringVar(&f.confirmIn, "confirm-in", "", confirmFlagHelp)
	f.har.register(fl)
}

func (a *app) newTUICmd() *cobra.Command {
	f := &tuiFlags{}
	cmd := &cobra.Command{
		Use:   "tui [flags] URL... | -",
		Short: "Open the interactive view (what `corscope URL...` does on a terminal)",
		Long: `tui probes the URLs like check and shows, live, one column per Origin variant:
status, cache status, Age, ACAO, ACAC, Vary, Cache-Control, the browser's
verdict and every other header that differs. A CORS answer the cache stored
for another request is marked ⚠. Re-probe (r, R), compare with the previous
run (d), open a variant's raw headers and curl (enter, y), run the isolate
experiments (x) or switch mode (m), export (e); ? lists every key.

It starts in observe mode: the real URL, the plain variants, as users get it.
--confirm-in chromium|firefox adds a real headless browser's answer per
origin to the variant's detail view (see check --help).
Without a terminal on stdout it behaves like check.`,
		Example: `  corscope tui -o https://app.example.com -o https://admin.example.com https://cdn.example.com/app.js
  corscope https://cdn.example.com/app.js
  corscope tui --mode isolate --theme high-contrast -o https://app.example.com https://cdn.example.com/font.woff2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			return a.runTUI(cmd.Context(), f, cmd, cfg, args)
		},
	}
	f.register(cmd)
	f.flags = cmd
	return cmd
}

// runTUI opens the interactive view, or runs check when stdout is not a
// terminal (a pipe, a CI log). cmd holds the parsed flags (nil: none were
// given); the configuration fills whatever they leave unset.
func (a *app) runTUI(ctx context.Context, f *tuiFlags, cmd *cobra.Command, cfg config.Config, args []string) error {
	fs := f.flags.Flags()
	if cmd != nil {
		fs = cmd.Flags()
	}
	f.applyCheckConfig(fs, cfg)
	if f.failOn == "" { // check's own flag, which this command lacks
		f.failOn = cfg.Policy.FailOn
	}
	if !a.stdoutTTY {
		// Exactly check, its default mode included; a wrong --theme is
		// still an error, so a typo does not wait for the first terminal.
		if _, err := checkTheme(cfg, f.theme); err != nil {
			return err
		}
		return a.runCheck(ctx, &f.checkFlags, args)
	}
	opt, closeEngine, err := a.tuiOptions(ctx, f, fs, cfg, args)
	if err != nil {
		return err
	}
	defer closeEngine()
	return runProgram(ctx, tui.New(opt), a.stdout)
}

// tuiOptions builds the interactive view from the parsed flags and the
// configuration: the probe engine (closed by the returned func), the plan
// builder per mode, themes, keys, and the purger on the config's [[purge]]
// entries.
func (a *app) tuiOptions(ctx context.Context, f *tuiFlags, fs *pflag.FlagSet, cfg config.Config, args []string) (tui.Options, func(), error) {
	var none tui.Options
	if !fs.Changed("mode") {
		f.mode = modeObserve
	}
	if err := f.validate(); err != nil {
		return none, nil, err
	}
	themeName := f.theme
	if themeName == "" {
		themeName = cfg.Theme
	}
	themeList, err := checkTheme(cfg, themeName)
	if err != nil {
		return none, nil, err
	}
	keys, err := tuiKeys(cfg)
	if err != nil {
		return none, nil, err
	}
	opt, err := f.planOptions()
	if err != nil {
		return none, nil, err
	}
	pol, err := f.policy()
	if err != nil {
		return none, nil, err
	}
	opt.Origins = withPolicyOrigins(opt.Origins, pol)
	pcfg, err := f.probeConfig()
	if err != nil {
		return none, nil, err
	}
	edges := f.edgeAddrs
	targets, err := a.collectTargetsHAR(ctx, args, &f.checkFlags, opt.Origins)
	if err != nil {
		return none, nil, err
	}
	eng, err := probe.New(pcfg)
	if err != nil {
		return none, nil, usageErr("%v", err)
	}

	specs := map[string]targetSpec{}
	tuiOpt := tui.Options{
		Origins:      opt.Origins,
		Engine:       runner.Guard(eng, pcfg.Concurrency),
		Timeout:      cmp.Or(pcfg.Timeout, probe.DefaultTimeout),
		Modes:        []tui.Mode{tui.ModeObserve, tui.ModeIsolate},
		Mode:         tui.Mode(f.mode),
		Title:        f.title,
		Themes:       themeList,
		Theme:        themeName,
		Renderer:     a.tuiRenderer(f.noColor, cfg.Color),
		Keys:         &keys,
		Clipboard:    a.stdout,
		ClipboardEnv: a.getenv,
		Tool:         "corscope " + versionString(),
		Context:      ctx,
		Analyze: analyzeWith(cachemodel.AnalyzeOptions{
			Curl:   cachemodel.CurlOptions{Insecure: pcfg.Insecure, Resolve: f.resolve, Proxy: pcfg.Proxy},
			Policy: pol,
		}),
	}
	if tuiOpt.Analyze, err = withConfirm(ctx, &f.checkFlags, tuiOpt.Analyze); err != nil {
		eng.Close()
		return none, nil, err
	}
	for _, t := range targets {
		specs[t.url.String()] = t
		tuiOpt.URLs = append(tuiOpt.URLs, t.url)
	}
	iso := cachemodel.IsolateOptions{Param: f.cacheBuster, Rand: rand.Reader}
	base := opt.Origins
	tuiOpt.Plan = func(req tui.PlanRequest) (cachemodel.TargetPlan, error) {
		po := opt
		// A target from the configuration may have origins and headers of
		// its own; origins added with o in the view go to every target.
		if spec, ok := specs[req.URL.String()]; ok {
			po = spec.planOptions(opt, pol, f.originsFromFlags)
		}
		for _, o := range req.Origins {
			if !slices.Contains(base, o) && !slices.Contains(po.Origins, o) {
				po.Origins = append(append([]string(nil), po.Origins...), o)
			}
		}
		return edgePlan(edges, func() cachemodel.TargetPlan {
			if req.Mode == tui.ModeIsolate {
				return cachemodel.BuildIsolatePlan(req.Index, req.URL, po, iso)
			}
			return cachemodel.BuildObservePlan(req.Index, req.URL, po)
		}), nil
	}
	purger := a.newTUIPurger(f, cfg, eng, func(rawURL string) cachemodel.PlanOptions {
		if spec, ok := specs[rawURL]; ok {
			return spec.planOptions(opt, pol, f.originsFromFlags)
		}
		return opt
	}, cachemodel.AnalyzeOptions{
		Curl:   cachemodel.CurlOptions{Insecure: pcfg.Insecure, Resolve: f.resolve, Proxy: pcfg.Proxy},
		Policy: pol,
	})
	purger.edges = edges
	tuiOpt.Purger = purger
	return tuiOpt, func() { eng.Close() }, nil
}

// newTUIPurger is the view's purge action on the configuration's [[purge]]
// entries; without any, p says how to add one. Verification re-probes go
// through eng, like the view's own probes.
func (a *app) newTUIPurger(f *tuiFlags, cfg config.Config, eng runner.Engine,
	probeOpts func(string) cachemodel.PlanOptions, aopt cachemodel.AnalyzeOptions) *tuiPurger {
	p := &tuiPurger{
		providers: cfg.Purge, getenv: a.getenv, userAgent: "corscope/" + versionString(),
		engine: eng, probe: probeOpts, analyze: aopt,
	}
	if f.auditLog != "" {
		path := f.auditLog
		p.auditPath = func() (string, error) { return path, nil }
	}
	return p
}

// tuiRenderer decides colour before the program owns the terminal: the
// profile (NO_COLOR, --no-color, color = "never") and the background (for
// adaptive themes) are read once, here.
func (a *app) tuiRenderer(noColor bool, setting string) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(a.stdout)
	if noColor || a.getenv("NO_COLOR") != "" || setting == config.ColorNever {
		r.SetColorProfile(termenv.Ascii)
	}
	r.SetHasDarkBackground(r.HasDarkBackground())
	return r
}

// checkTheme returns the themes t cycles through, or a usage error when
// name (empty: the configuration's or the default) is none of them, with
// the closest name as a suggestion.
func checkTheme(cfg config.Config, name string) ([]tui.Theme, error) {
	themeList, err := tuiThemes(cfg)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if name == "" {
		name = cfg.Theme
	}
	if name == "" || slices.ContainsFunc(themeList, func(t tui.Theme) bool { return t.Name == name }) {
		return themeList, nil
	}
	hint := ""
	if c := suggest.Closest(name, cfg.ThemeNames()); c != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	return nil, usageErr("unknown --theme %q%s: want one of %s", name, hint, strings.Join(cfg.ThemeNames(), ", "))
}

// tuiThemes is every theme t cycles through: the built-ins, then the
// configuration's own.
func tuiThemes(cfg config.Config) ([]tui.Theme, error) {
	var out []tui.Theme
	for _, name := range cfg.ThemeNames() {
		p, err := cfg.Palette(name)
		if err != nil {
			return nil, err
		}
		out = append(out, tui.Theme{Name: name, Palette: p})
	}
	return out, nil
}

// tuiKeys is the default key map with the configuration's [keys] applied.
func tuiKeys(cfg config.Config) (tui.KeyMap, error) {
	km := tui.DefaultKeyMap()
	if len(cfg.Keys) == 0 {
		return km, nil
	}
	if err := cfg.ValidateKeys(tui.ActionNames()); err != nil {
		return km, usageErr("%v", err)
	}
	if err := km.Rebind(cfg.Keys); err != nil {
		return km, usageErr("%s: [keys]: %v", cfg.Source, err)
	}
	return km, nil
}

// runProgram runs a model full screen. An interrupt or a cancelled context
// is a normal way out, not an error.
func runProgram(ctx context.Context, model tea.Model, out io.Writer) error {
	p := tea.NewProgram(model, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out))
	_, err := p.Run()
	if err != nil && (errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrInterrupted)) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("interactive view: %w", err)
	}
	return nil
}

// analyzeWith is the TUI's analysis: cachemodel.Analyze behind the isolate
// guard (the TUI's engine is runner.Guard's).
func analyzeWith(opt cachemodel.AnalyzeOptions) runner.Analyzer {
	return runner.GuardAnalyzer(func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, opt)
	})
}
