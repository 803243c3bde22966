package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/har"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/internal/termsafe"
)

// harFlags take targets from a browser's HAR capture (check --har, tui
// --har).
type harFlags struct {
	file              string
	replayCredentials bool
	// captures: what the browser recorded, by target URL, once loaded.
	captures map[string]*cachemodel.HARCapture
}

func (h *harFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&h.file, "har", "", "take targets from a HAR file exported from the browser's network panel: each request with an Origin header or a failure, with the origins seen; the report shows what the browser got beside what corscope sees now")
	fs.BoolVar(&h.replayCredentials, "har-replay-credentials", false, "with --har, send each target's Cookie and Authorization headers from the HAR again (never printed); off by default")
}

// collectTargetsHAR is collectTargets plus, with --har, the capture's
// targets after the URL arguments' (the config's targets are not used
// then, as with URL arguments). Each HAR target is probed with the origins
// the browser sent (or, for a failed request recorded without one, its
// Referer's origin) plus the run's origins.
func (a *app) collectTargetsHAR(ctx context.Context, args []string, f *checkFlags, runOrigins []string) ([]targetSpec, error) {
	h := &f.har
	if h.file == "" {
		if h.replayCredentials {
			return nil, usageErr("--har-replay-credentials needs --har FILE")
		}
		return a.collectTargets(ctx, args, f.configTargets)
	}
	c, err := har.Read(h.file, har.Options{ReplayCredentials: h.replayCredentials})
	if err != nil {
		return nil, usageErr("--har %s: %v", termsafe.String(h.file), err)
	}
	if len(c.Targets) == 0 {
		return nil, usageErr("--har %s: none of its %d entries is an http(s) request with an Origin header or a failure", termsafe.String(h.file), c.Entries)
	}
	var specs []targetSpec
	seen := map[string]bool{}
	if len(args) > 0 {
		if specs, err = a.collectTargets(ctx, args, nil); err != nil {
			return nil, err
		}
		for _, s := range specs {
			seen[s.url.String()] = true
		}
	}
	h.captures = map[string]*cachemodel.HARCapture{}
	creds := 0
	for i := range c.Targets {
		t := &c.Targets[i]
		key := t.URL.String()
		h.captures[key] = &t.Capture
		if seen[key] {
			continue
		}
		seen[key] = true
		origins := append([]string(nil), runOrigins...)
		for _, o := range t.Origins {
			if !slices.Contains(origins, o) {
				origins = append(origins, o)
			}
		}
		if len(t.Credentials) > 0 {
			creds++
		}
		specs = append(specs, targetSpec{raw: key, url: t.URL, origins: origins, headers: t.Credentials, fromHAR: true})
	}
	var skipped []string
	for _, s := range []struct {
		n    int
		what string
	}{{c.Plain, "without Origin and not failed"}, {c.Scheme, "not http(s)"}, {c.BadURL, "with a URL corscope refuses"}, {c.BadOrigins, "with an Origin header that is not an origin"}, {c.OverTargets, fmt.Sprintf("beyond %d URLs", har.MaxTargets)}} {
		if s.n > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", s.n, s.what))
		}
	}
	note := fmt.Sprintf("corscope: note: --har: %d targets from %d entries", len(c.Targets), c.Entries)
	if len(skipped) > 0 {
		note += " (skipped " + strings.Join(skipped, ", ") + ")"
	}
	switch {
	case h.replayCredentials:
		note += fmt.Sprintf("; replaying the HAR's Cookie/Authorization headers for %d targets", creds)
	case c.Credentials > 0:
		entries := "entries"
		if c.Credentials == 1 {
			entries = "entry"
		}
		note += fmt.Sprintf("; Cookie or Authorization headers of %d %s not sent (--har-replay-credentials sends them)", c.Credentials, entries)
	}
	fmt.Fprintln(a.stderr, note)
	return specs, nil
}

// harWriter adds the browser's observations to each target written.
type harWriter struct {
	report.Writer
	captures map[string]*cachemodel.HARCapture
}

func (w harWriter) Target(t cachemodel.TargetReport) error {
	if c := w.captures[t.URL]; c != nil {
		t.HAR = c
	}
	return w.Writer.Target(t)
}

// withHAR wraps w when --har gave captures.
func (h *harFlags) withHAR(w report.Writer) report.Writer {
	if len(h.captures) == 0 {
		return w
	}
	return harWriter{Writer: w, captures: h.captures}
}
