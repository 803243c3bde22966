package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/demo"
)

func (a *app) newDemoCmd() *cobra.Command {
	var checkOnly, noColor bool
	var format, theme string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run corscope against a built-in local CDN (no network needed)",
		Long: `demo starts, inside this process and on 127.0.0.1 only, a small origin with
several CORS behaviours (a correct Vary: Origin setup, the missing-Vary bug, a
response without ACAO when there is no Origin, * with credentials,
reflect-anything, null allowed, ...), a caching proxy in front of it that
behaves like a CDN (CF-Cache-Status, Age, Origin in the key for one path), and
a purge endpoint shaped like Cloudflare's purge_cache API. Then it opens the
interactive view on those URLs; --check prints the check report instead (with
check's exit codes: 5 when stdout is closed or full, 130 when interrupted).
Everything stops when corscope exits.`,
		Example: `  corscope demo
  corscope demo --check
  corscope demo --check --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			if _, err := checkTheme(cfg, theme); err != nil {
				return err
			}
			env, err := demo.Start(cmd.Context())
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			defer env.Close()
			if checkOnly || !a.stdoutTTY {
				return a.runDemoCheck(cmd, env, format, noColor)
			}
			return a.demoInteractive(cmd, env)
		},
	}
	cmd.Flags().BoolVar(&checkOnly, "check", false, "print the check report instead of opening the interactive view")
	cmd.Flags().StringVar(&format, "format", "", "report format with --check: table, json, jsonl, markdown, sarif or junit (default table on a terminal, json otherwise)")
	cmd.Flags().StringVar(&theme, "theme", "", "colour theme of the view (default from the configuration, else \"default\"); t cycles")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")
	return cmd
}

// runDemoCheck runs `corscope check` on the demo's URLs, exactly as a user
// would type it, so the demo shows the real command's output.
func (a *app) runDemoCheck(cmd *cobra.Command, env *demo.Env, format string, noColor bool) error {
	args := []string{"check", "--rounds", "2", "--fail-on", "none"}
	if noColor {
		args = append(args, "--no-color")
	}
	if format != "" {
		args = append(args, "--format", format)
	}
	for _, o := range env.Origins {
		args = append(args, "--origin", o)
	}
	args = append(args, env.Targets...)
	if a.stdoutTTY {
		fmt.Fprintf(a.stderr, "corscope demo: origin %s, CDN %s\n\n", env.OriginURL, env.CDNURL)
	}
	sub := *a
	if code := sub.run(cmd.Context(), args); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// demoTokenEnv names the variable the demo's [[purge]] entry reads its
// token from, as a user's config names CLOUDFLARE_API_TOKEN.
const demoTokenEnv = "CORSCOPE_DEMO_PURGE_TOKEN"

// demoPurgeEntry points the cloudflare provider at the demo's purge API
// for the demo CDN's host.
func demoPurgeEntry(env *demo.Env) config.Purge {
	host := "127.0.0.1"
	if u, err := url.Parse(env.CDNURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return config.Purge{
		Provider: config.PurgeCloudflare, Hosts: []string{host}, TokenEnv: demoTokenEnv,
		APIBase: env.PurgeAPIBase, ZoneID: env.ZoneID, BatchSize: config.DefaultCloudflareBatch,
	}
}

// demoView prepares the demo's interactive view: the demo's origins and
// purge endpoint on default settings, with the user's keys and theme; an
// app whose environment also holds the demo's token (an overlay of this
// process only: nothing is exported, so no child process inherits it);
// and an audit log in a temporary directory, so the demo's purges stay
// out of the user's. cleanup removes that directory.
func (a *app) demoView(user config.Config, env *demo.Env) (*app, *tuiFlags, config.Config, func(), error) {
	look := config.Default()
	look.Origins = env.Origins
	look.Theme, look.Color, look.Themes, look.Keys = user.Theme, user.Color, user.Themes, user.Keys
	look.Purge = []config.Purge{demoPurgeEntry(env)}

	dir, err := os.MkdirTemp("", "corscope-demo-")
	if err != nil {
		return nil, nil, look, nil, fmt.Errorf("demo: %w", err)
	}
	f := newTUIFlags()
	f.title = "demo"
	f.auditLog = filepath.Join(dir, "purge.log")

	da := *a
	getenv := a.getenv
	token := env.Token
	da.getenv = func(name string) string {
		if name == demoTokenEnv {
			return token
		}
		return getenv(name)
	}
	return &da, f, look, func() { _ = os.RemoveAll(dir) }, nil
}

// demoFirstVisit plays a browser on the second demo origin loading
// no-vary.json before corscope looks, as happens in production: the CDN
// stores that response, with that origin's ACAO and no Vary, for every
// later request. The view then opens on a flagged poisoned cell (the other
// origin gets a grant that is not its own) that a purge clears.
func demoFirstVisit(ctx context.Context, env *demo.Env) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.CDNURL+demoPoisonedPath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Origin", env.Origins[len(env.Origins)-1])
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("demo: first visit: %w", err)
	}
	return resp.Body.Close()
}

// demoPoisonedPath is the path the demo's first visit poisons.
const demoPoisonedPath = "/cors/no-vary.json"
