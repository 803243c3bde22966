package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/corscope/corscope/cachemodel"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=..."; the
// module version is used otherwise.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "corscope [flags] URL...",
		Short: "Debug CORS behind caches and CDNs",
		Long: `corscope sends a URL the same request with several Origin headers (none, your
origins, the URL's own origin, null), shows what each variant got back from the
cache (HIT/MISS, Age, Access-Control-Allow-Origin, Vary) and whether a browser
would accept it, so a cache that serves one origin's CORS headers to another
stands out.`,
		Example: `  corscope demo
  corscope -o https://app.example.com -o https://admin.example.com https://cdn.example.com/app.js
  corscope check --origin https://app.example.com https://cdn.example.com/app.js`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "configuration file (default $CORSCOPE_CONFIG, else $XDG_CONFIG_HOME/corscope/config.toml)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErr("%v (see --help)", err)
	})
	// Every command, in one list: adding one means adding it here.
	root.AddCommand(
		a.newCheckCmd(),
		a.newTUICmd(),
		a.newViewCmd(),
		a.newPurgeCmd(),
		a.newConfigCmd(),
		a.newDemoCmd(),
		a.newVersionCmd(),
	)
	// `corscope [flags] URL...` is the interactive view (tui's flags).
	root.Args = cobra.ArbitraryArgs
	run := a.rootTUI(root)
	root.SuggestionsMinimumDistance = 2 // cobra's default, which only its own lookup applies
	root.RunE = func(cmd *cobra.Command, args []string) error {
		// A mistyped command would otherwise be read as a URL and get
		// a hint about schemes.
		if len(args) > 0 && looksLikeCommand(args[0]) {
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				return usageErr("unknown command %q (did you mean %q?)", args[0], s[0])
			}
		}
		return run(cmd, args)
	}
	return root
}

// looksLikeCommand: a bare word, nothing a URL or host name would have.
func looksLikeCommand(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

func (a *app) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print corscope's version and the browsers its CORS verdicts were checked against",
		Example: "  corscope version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.stdout, "corscope %s\nCORS verdicts checked against %s\n",
				versionString(), strings.Join(cachemodel.MeasuredBrowsers, ", "))
			return err
		},
	}
}
