// Package browserconfirm asks a real headless browser (check --confirm-in)
// what it does with a target: it serves a page as each origin the user
// gave, on loopback, with the browser's host mapping and a throwaway
// profile (and, for https origins, a certificate made here and accepted
// for that page's host only), fetch()es the real target URL from it in both
// credentials modes, and puts the browser's own answer beside corscope's
// verdict for the same Origin variant.
//
// Only the pages' hosts are mapped to the local server: the target is
// fetched from the network as any page would fetch it. The profile is new
// for every run (no cookies of the user's), the browser's whole process
// group is killed after each run, and each run is bounded in time; an
// answer that did not come in time is "unknown", never "allowed".
package browserconfirm

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/browser"
)

// ErrNotInstalled is returned by New when the browser is not installed.
var ErrNotInstalled = browser.ErrNotInstalled

// DefaultTimeout bounds one browser run (start, every page, every fetch).
const DefaultTimeout = 30 * time.Second

// fetchTimeout bounds one fetch() inside the page.
const fetchTimeout = 10 * time.Second

// Confirmer runs one browser kind for the targets of a run, one target at a
// time.
type Confirmer struct {
	Kind    browser.Kind
	Bin     string
	Version string
	// Timeout bounds each browser run; 0 means DefaultTimeout.
	Timeout time.Duration
	// ExtraHeaders is set when corscope's requests carried headers of the
	// user's (-H): the browser sends none, so the answers are shown but not
	// compared.
	ExtraHeaders bool

	ctx context.Context
	mu  sync.Mutex // one browser at a time: they are heavy
}

// ParseKind accepts "chromium" or "firefox" ("chrome" and "firefox-esr"
// too).
func ParseKind(s string) (browser.Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "chromium", "chrome":
		return browser.Chromium, nil
	case "firefox", "firefox-esr":
		return browser.Firefox, nil
	}
	return "", fmt.Errorf("unknown browser %q: want chromium or firefox", s)
}

// New finds the browser and its version. ctx bounds every later run
// (cancel it to stop a browser mid-run). The error wraps ErrNotInstalled
// when the browser is missing.
func New(ctx context.Context, kind string) (*Confirmer, error) {
	k, err := ParseKind(kind)
	if err != nil {
		return nil, err
	}
	bin, err := browser.Find(k)
	if err != nil {
		if errors.Is(err, browser.ErrNotInstalled) {
			return nil, fmt.Errorf("--confirm-in %s: no %s browser installed (looked for %s); install it (Debian: apt-get install --no-install-recommends %s) or leave out --confirm-in: %w",
				k, k, strings.Join(browser.Binaries[k], ", "), debPackage(k), ErrNotInstalled)
		}
		return nil, err
	}
	full, _, err := browser.Version(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("--confirm-in %s: %w", k, err)
	}
	return &Confirmer{Kind: k, Bin: bin, Version: full, ctx: ctx}, nil
}

func debPackage(k browser.Kind) string {
	if k == browser.Firefox {
		return "firefox-esr"
	}
	return "chromium"
}

func (c *Confirmer) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Analyzer wraps an analyzer (runner.Analyzer): after next has analysed a
// target, the browser fetches it from each configured origin and the
// answers are added to the report.
func (c *Confirmer) Analyzer(next func(cachemodel.TargetPlan, []cachemodel.Observation) cachemodel.TargetReport) func(cachemodel.TargetPlan, []cachemodel.Observation) cachemodel.TargetReport {
	return func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		tr := next(p, obs)
		c.Confirm(&tr)
		return tr
	}
}

// Confirm runs the browser for one analysed target and adds its answers
// (BrowserConfirm on the variant of each configured origin) and, where the
// browser decided otherwise, a browser-disagrees finding.
func (c *Confirmer) Confirm(tr *cachemodel.TargetReport) {
	target, err := url.Parse(tr.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
		return
	}
	own := target.Scheme + "://" + target.Host
	// The variant each origin's answer goes beside: the last one of that
	// origin that asked the real URL (observe mode), else the last one of
	// that origin (isolate mode: a cache-busted key, not compared).
	pick := map[string]int{}
	var origins []string
	for i, v := range tr.Variants {
		if v.Kind != cachemodel.KindConfigured || v.Preflight || v.Origin == nil || *v.Origin == own {
			continue
		}
		o := *v.Origin
		j, seen := pick[o]
		if !seen {
			origins = append(origins, o)
			pick[o] = i
			continue
		}
		if v.Request.URL == tr.URL || tr.Variants[j].Request.URL != tr.URL {
			pick[o] = i
		}
	}
	if len(origins) == 0 {
		return
	}
	c.mu.Lock()
	res := c.run(tr.URL, origins)
	c.mu.Unlock()
	for _, o := range origins {
		v := &tr.Variants[pick[o]]
		bc := res.byOrigin[o]
		bc.Browser, bc.Version, bc.URL, bc.Origin = string(c.Kind), c.Version, tr.URL, o
		if bc.Note == "" {
			bc.Note = res.note
		}
		bc.NotCompared = c.notCompared(tr.URL, *v)
		v.BrowserConfirm = &bc
		cachemodel.CompareBrowser(v)
	}
	if f := cachemodel.BrowserDisagreement(tr.Variants); f != nil {
		tr.Findings = append(tr.Findings, *f)
	}
}

// notCompared says why corscope's verdict on v cannot be set against the
// browser's answer ("" when it can).
func (c *Confirmer) notCompared(target string, v cachemodel.VariantResult) string {
	switch {
	case v.Request.URL != target:
		return "corscope's verdict is for a cache-busted copy (isolate mode); the browser fetched the real URL: use --mode observe to compare"
	case v.Error != nil:
		return "corscope's request failed"
	case v.Method != "GET":
		return "corscope sent " + v.Method + "; the browser sends GET"
	case c.ExtraHeaders:
		return "corscope's requests carried -H headers the browser does not send"
	case v.Response != nil && v.Response.Status >= 300 && v.Response.Status < 400 && len(v.Response.Redirects) == 0:
		return "the response is a redirect, which the browser follows and corscope did not (--follow)"
	}
	return ""
}
