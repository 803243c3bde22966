package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/themes"
)

// loadConfig finds and loads the configuration for this invocation:
// --config, else $CORSCOPE_CONFIG, else the XDG default (absent is fine).
func (a *app) loadConfig(cmd *cobra.Command) (config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	return a.loadConfigAt(path)
}

// loadConfigAt loads the file at path ("": $CORSCOPE_CONFIG, else the
// XDG default) and warns on stderr when it is readable by others.
func (a *app) loadConfigAt(path string) (config.Config, error) {
	cfg, err := config.Discover(path, a.getenv)
	if err != nil {
		return cfg, usageErr("%v", err)
	}
	if w := cfg.PermissionWarning(); w != "" {
		fmt.Fprintf(a.stderr, "corscope: %s\n", oneLine(w))
	}
	return cfg, nil
}

// unsetIn reports whether a flag exists on fs but was not given on the
// command line: only those take their value from the configuration.
func unsetIn(fs *pflag.FlagSet) func(name string) bool {
	return func(name string) bool { return fs.Lookup(name) != nil && !fs.Changed(name) }
}

// applyConfig fills every probe flag the user did not set on the command
// line from the configuration: flags override the file.
func (f *probeFlags) applyConfig(fs *pflag.FlagSet, c config.Config) {
	unset := unsetIn(fs)
	p := c.Probe
	if unset("origin") {
		f.origins = append([]string(nil), c.Origins...)
	}
	if unset("header") {
		f.headers = nil
		for _, h := range p.Headers {
			f.headers = append(f.headers, h.Name+": "+h.Value)
		}
	}
	if unset("user-agent") && p.UserAgent != "" {
		f.userAgent = p.UserAgent
	}
	if unset("preflight") {
		f.preflight = p.Preflight
	}
	if unset("request-method") && p.RequestMethod != "" {
		f.requestMethod = p.RequestMethod
	}
	if unset("request-headers") {
		f.requestHeaders = append([]string(nil), p.RequestHeaders...)
	}
	if unset("rounds") {
		f.rounds = p.Rounds
	}
	if unset("timeout") {
		f.timeout = p.Timeout
	}
	if unset("concurrency") {
		f.concurrency = p.Concurrency
	}
	if unset("host-concurrency") {
		f.hostConc = p.HostConcurrency
	}
	if unset("rate") {
		f.rate = p.Rate
	}
	if unset("body-limit") {
		f.bodyLimit = strconv.FormatInt(p.BodyLimit, 10)
	}
	if unset("resolve") {
		f.resolve = nil
		for _, r := range p.Resolve {
			f.resolve = append(f.resolve, r.String())
		}
	}
	if unset("edge") {
		f.edges = append([]string(nil), p.Edges...)
	}
	if unset("insecure") {
		f.insecure = p.Insecure
	}
	if unset("proxy") {
		f.proxy = p.Proxy
	}
	if unset("follow") {
		f.follow = p.FollowRedirects
	}
}

// applyCheckConfig applies the file to check's flags: the probe settings,
// then mode, cache buster, policy, targets, theme and colour.
func (f *checkFlags) applyCheckConfig(fs *pflag.FlagSet, c config.Config) {
	f.originsFromFlags = fs.Changed("origin")
	f.probeFlags.applyConfig(fs, c)
	unset := unsetIn(fs)
	if unset("mode") && c.Probe.Mode != "" {
		f.mode = c.Probe.Mode
	}
	if unset("cache-buster") && c.Probe.CacheBuster != "" {
		f.cacheBuster = c.Probe.CacheBuster
	}
	if unset("allow") {
		f.allow = append([]string(nil), c.Policy.Allow...)
	}
	if unset("fail-on") && c.Policy.FailOn != "" {
		f.failOn = c.Policy.FailOn
	}
	f.configTargets = c.Targets
	f.color = c.Color
	if p, err := c.Palette(""); err == nil {
		f.palette = p
	} else {
		f.palette, _ = themes.Builtin(themes.NameDefault)
	}
}

func (a *app) newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check or create the configuration file",
		Long: `corscope reads its configuration from --config FILE, else $CORSCOPE_CONFIG,
else $XDG_CONFIG_HOME/corscope/config.toml (~/.config/corscope/config.toml).
Flags override the file. config.example.toml documents every key.`,
		Example: `  corscope config init
  corscope config check
  corscope --config ./corscope.toml check https://cdn.example.com/app.js`,
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file and print the effective configuration (secrets redacted)",
		Example: `  corscope config check
  corscope config check ./corscope.toml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("config")
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := a.loadConfigAt(path)
			if err != nil {
				return err
			}
			src := cfg.Source
			if src == "" {
				src = "built-in defaults (no configuration file found)"
			}
			// The effective configuration first: "ok" is said only once
			// it has been written.
			if _, err := fmt.Fprint(a.stdout, cfg.Redacted()); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "corscope: %s: ok\n", src)
			return nil
		},
	}
	var force bool
	initCmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter configuration file",
		Long: `init writes a commented starter file to FILE, or to the default location
($XDG_CONFIG_HOME/corscope/config.toml). It never replaces an existing file
unless --force is given.`,
		Example: `  corscope config init
  corscope config init ./corscope.toml --force`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var path string
			if len(args) == 1 {
				path = args[0]
			} else {
				p, _, err := config.Locate("", func(k string) string {
					if k == config.EnvConfig {
						return "" // init writes to the XDG location, not to wherever the variable points
					}
					return a.getenv(k)
				})
				if err != nil {
					return usageErr("%v", err)
				}
				path = p
			}
			if err := config.WriteStarter(path, force); err != nil {
				return usageErr("%v", err)
			}
			_, err := fmt.Fprintf(a.stdout, "wrote %s\n", path)
			return err
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	cmd.AddCommand(check, initCmd)
	return cmd
}
