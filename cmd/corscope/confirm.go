package main

import (
	"context"

	"github.com/corscope/corscope/internal/browserconfirm"
	"github.com/corscope/corscope/internal/runner"
)

// confirmFlagHelp is --confirm-in's help, shared by check and tui.
const confirmFlagHelp = "also fetch each target in this headless browser (chromium or firefox) from a page served locally as each --origin, and show its answer beside corscope's verdict"

// withConfirm wraps analyze with --confirm-in: after each target is
// analysed, the browser fetches it from every configured origin. Without
// the flag analyze is returned as it is; a missing browser is a usage
// error (exit 2).
func withConfirm(ctx context.Context, f *checkFlags, analyze runner.Analyzer) (runner.Analyzer, error) {
	if f.confirmIn == "" {
		return analyze, nil
	}
	if _, err := browserconfirm.ParseKind(f.confirmIn); err != nil {
		return nil, usageErr("--confirm-in: %v", err)
	}
	// The browser resolves and connects on its own: with --resolve or
	// --proxy it would not reach the server corscope probed, and its
	// answer would be compared with the wrong response.
	if len(f.resolve) > 0 || f.proxy != "" {
		return nil, usageErr("--confirm-in cannot be combined with --resolve or --proxy: the browser would not reach the server corscope probed")
	}
	c, err := browserconfirm.New(ctx, f.confirmIn)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	c.ExtraHeaders = len(f.headers) > 0
	for _, t := range f.configTargets {
		c.ExtraHeaders = c.ExtraHeaders || len(t.Headers) > 0
	}
	return c.Analyzer(analyze), nil
}
