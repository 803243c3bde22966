// Package config reads corscope's TOML configuration file: probe settings,
// the origins to send, the allow-list policy, targets, purge providers,
// theme, colour and key bindings.
//
// Default (with settings.Defaults for the probe, which the flags share) is
// the single source of default values; a file only overrides
// what it sets. Every problem in a file is reported as one line that starts
// with the file name and, where the key can be found, its line and column.
package config

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/settings"
	"github.com/corscope/corscope/purge"
	"github.com/corscope/corscope/themes"
)

// Config is a validated configuration. Values are normalised: origins in
// their serialised form, URLs parsed and re-serialised, durations and
// sizes in Go units.
type Config struct {
	Theme   string   // built-in theme name or a key of Themes
	Color   string   // ColorAuto, ColorAlways or ColorNever
	Origins []string // origins sent to every target (besides no-Origin and same-origin)
	Probe   Probe
	Policy  Policy
	Targets []Target
	Purge   []Purge
	// Keys maps TUI action names to the keys that trigger them; only
	// actions the file rebinds are present. Check with ValidateKeys.
	Keys   map[string][]string
	Themes map[string]themes.Custom // custom themes by name

	// Source is the file this configuration was read from ("" for the
	// built-in defaults).
	Source string

	pos *positions // where keys were written, for checks made after parsing
}

// Probe holds the probe engine's settings.
type Probe struct {
	Timeout     time.Duration // per request
	Concurrency int           // targets probed at once
	// HostConcurrency bounds the requests in flight to one host.
	HostConcurrency int
	Rate            float64 // requests per second to each host; 0 means unlimited
	Rounds          int     // repetitions of each target's variant set
	BodyLimit       int64   // bytes of body read before the connection is dropped
	// UserAgent is sent on every request; "" means "corscope/<version>".
	UserAgent       string
	Headers         cachemodel.Headers // extra request headers for every target
	Proxy           string             // http:// or socks5:// proxy URL; "" for none
	Resolve         []Resolve          // fixed addresses, like curl --resolve
	Edges           []string           // edge addresses probed side by side (--edge): IP (the URL's port) or IP:port
	Insecure        bool               // skip TLS certificate verification
	FollowRedirects int                // redirects to follow; 0 reports the redirect itself
	Mode            string             // ModeIsolate or ModeObserve
	CacheBuster     string             // query parameter isolate mode adds to keep experiments apart
	Preflight       bool               // also send a CORS preflight (OPTIONS) per variant
	RequestMethod   string             // method of the simulated cross-origin request
	RequestHeaders  []string           // non-safelisted request headers it carries (lower-case)
}

// Resolve pins Host:Port to an IP address (String gives it back as
// HOST:PORT:ADDRESS).
type Resolve = settings.Pin

// Policy says which origins may read responses and what fails a check run.
type Policy struct {
	Allow  []string // origins that should be allowed; others should be blocked
	FailOn string   // lowest finding severity that makes `check` exit non-zero, or "none"
}

// Target is one URL to probe.
type Target struct {
	URL     string             // absolute http(s) URL, normalised
	Origins []string           // if set, used instead of Config.Origins
	Headers cachemodel.Headers // added to Probe.Headers for this target
}

// Purge is one purge provider and the hosts it serves. purge defines the
// type (and its Matches and ExpandURL); config produces it from the file.
type Purge = purge.Settings

// Values of the enumerated settings.
const (
	ColorAuto   = "auto"
	ColorAlways = "always"
	ColorNever  = "never"

	ModeIsolate = settings.ModeIsolate
	ModeObserve = settings.ModeObserve

	PurgeCloudflare = purge.ProviderCloudflare
	PurgeFastly     = purge.ProviderFastly
	PurgeHTTP       = purge.ProviderHTTP
	PurgeCloudFront = purge.ProviderCloudFront

	FailOnNone = "none"
)

// FailOnLevels are the accepted values of policy.fail_on, most verbose
// first.
var FailOnLevels = settings.FailOnLevels

// Provider defaults; purge holds them.
const (
	DefaultCloudflareAPI   = purge.DefaultCloudflareAPI
	DefaultCloudflareBatch = purge.DefaultCloudflareBatch
	DefaultFastlyAPI       = purge.DefaultFastlyAPI
	DefaultHTTPPurgeMethod = purge.DefaultHTTPPurgeMethod
	DefaultCloudFrontAPI   = purge.DefaultCloudFrontAPI
	DefaultCloudFrontBatch = purge.DefaultCloudFrontBatch
	MaxCloudFrontBatch     = purge.MaxCloudFrontBatch
)

// Default returns the built-in configuration; Parse starts from it. The
// probe's defaults come from settings.Defaults, which the flags use too.
func Default() Config {
	def := settings.Defaults() // the probe's defaults, shared with the flags
	return Config{
		Theme: themes.NameDefault,
		Color: ColorAuto,
		Probe: Probe{
			Timeout:         def.Timeout,
			Concurrency:     def.Concurrency,
			HostConcurrency: def.HostConcurrency,
			Rounds:          def.Rounds,
			BodyLimit:       def.BodyLimit,
			Mode:            def.Mode,
			CacheBuster:     def.CacheBuster,
			RequestMethod:   def.RequestMethod,
		},
		Policy: Policy{FailOn: "high"},
	}
}

// Palette resolves a theme by name: a built-in or one of the file's
// [themes] tables. An empty name means c.Theme.
func (c Config) Palette(name string) (themes.Palette, error) {
	if name == "" {
		name = c.Theme
	}
	if custom, ok := c.Themes[name]; ok {
		return custom.Resolve()
	}
	if p, ok := themes.Builtin(name); ok {
		return p, nil
	}
	return themes.Palette{}, fmt.Errorf("unknown theme %q; %s", name, c.themeChoices())
}

// ThemeNames lists the themes a user can pick: built-ins in cycling order,
// then custom themes by name.
func (c Config) ThemeNames() []string {
	names := themes.Names()
	custom := make([]string, 0, len(c.Themes))
	for n := range c.Themes {
		custom = append(custom, n)
	}
	sort.Strings(custom)
	return append(names, custom...)
}

func (c Config) themeChoices() string {
	s := "built-ins are " + strings.Join(themes.Names(), ", ")
	if len(c.Themes) > 0 {
		s += "; custom: " + strings.Join(c.ThemeNames()[len(themes.Names()):], ", ")
	}
	return s
}
