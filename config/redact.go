package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/corscope/corscope/cachemodel"
)

// Redacted renders the effective configuration as TOML, for
// `corscope config check`. It holds no secrets: purge credentials only
// ever appear as the names in token_env (the environment is never read),
// values of credential-like headers are replaced, and a proxy password is
// masked. Without such values the output parses back to the same Config.
func (c Config) Redacted() string {
	out := outFile{
		Theme:   c.Theme,
		Color:   c.Color,
		Origins: nonNil(c.Origins),
		Probe: rawProbe{
			Timeout:         c.Probe.Timeout.String(),
			Concurrency:     c.Probe.Concurrency,
			HostConcurrency: c.Probe.HostConcurrency,
			Rate:            c.Probe.Rate,
			Rounds:          c.Probe.Rounds,
			BodyLimit:       formatSize(c.Probe.BodyLimit),
			UserAgent:       c.Probe.UserAgent,
			Headers:         redactHeaders(c.Probe.Headers),
			Proxy:           redactURL(c.Probe.Proxy),
			Resolve:         []string{},
			Edges:           nonNil(c.Probe.Edges),
			Insecure:        c.Probe.Insecure,
			FollowRedirects: c.Probe.FollowRedirects,
			Mode:            c.Probe.Mode,
			CacheBuster:     c.Probe.CacheBuster,
			Preflight:       c.Probe.Preflight,
			RequestMethod:   c.Probe.RequestMethod,
			RequestHeaders:  nonNil(c.Probe.RequestHeaders),
		},
		Policy: rawPolicy{Allow: nonNil(c.Policy.Allow), FailOn: c.Policy.FailOn},
		Keys:   c.Keys,
	}
	for _, r := range c.Probe.Resolve {
		out.Probe.Resolve = append(out.Probe.Resolve, r.String())
	}
	for _, t := range c.Targets {
		ot := outTarget{URL: t.URL, Headers: redactHeaders(t.Headers)}
		if t.Origins != nil { // an empty list means "none", absent means "inherit"
			ot.Origins = &t.Origins
		}
		out.Targets = append(out.Targets, ot)
	}
	for _, p := range c.Purge {
		out.Purge = append(out.Purge, outPurge{
			Provider: p.Provider, Hosts: p.Hosts, TokenEnv: p.TokenEnv, APIBase: p.APIBase,
			ZoneID: p.ZoneID, BatchSize: p.BatchSize, Soft: p.Soft, ServiceID: p.ServiceID,
			Method: p.Method, URLTemplate: p.URLTemplate, DistributionID: p.DistributionID,
		})
	}
	if len(c.Themes) > 0 {
		out.Themes = map[string]map[string]string{}
		for name, t := range c.Themes {
			table := map[string]string{}
			if t.Base != "" {
				table["base"] = t.Base
			}
			for slot, col := range t.Colors {
				table[slot] = col
			}
			out.Themes[name] = table
		}
	}

	var b bytes.Buffer
	source := c.Source
	if source == "" {
		source = "built-in defaults"
	}
	fmt.Fprintf(&b, "# Effective corscope configuration (from %s).\n", source)
	b.WriteString("# Secrets are never shown: token_env holds variable names, not tokens.\n\n")
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(out); err != nil {
		// Only plain strings, numbers and lists go in; this cannot fail.
		return b.String() + "# cannot render: " + err.Error() + "\n"
	}
	return b.String()
}

type outFile struct {
	Theme   string                       `toml:"theme"`
	Color   string                       `toml:"color"`
	Origins []string                     `toml:"origins"`
	Probe   rawProbe                     `toml:"probe"` // Timeout and BodyLimit hold strings here
	Policy  rawPolicy                    `toml:"policy"`
	Targets []outTarget                  `toml:"targets,omitempty"`
	Purge   []outPurge                   `toml:"purge,omitempty"`
	Keys    map[string][]string          `toml:"keys,omitempty"`
	Themes  map[string]map[string]string `toml:"themes,omitempty"`
}

type outTarget struct {
	URL     string    `toml:"url"`
	Origins *[]string `toml:"origins,omitempty"`
	Headers []string  `toml:"headers,omitempty"`
}

// outPurge omits zero fields, which is exactly the fields that do not
// apply to the provider (Parse fills in every default that does).
type outPurge struct {
	Provider    string   `toml:"provider"`
	Hosts       []string `toml:"hosts,omitempty"`
	TokenEnv    string   `toml:"token_env,omitempty"`
	APIBase     string   `toml:"api_base,omitempty"`
	ZoneID      string   `toml:"zone_id,omitempty"`
	BatchSize   int      `toml:"batch_size,omitzero"`
	Soft        bool     `toml:"soft,omitempty"`
	ServiceID   string   `toml:"service_id,omitempty"`
	Method      string   `toml:"method,omitempty"`
	URLTemplate string   `toml:"url_template,omitempty"`
	// DistributionID: cloudfront.
	DistributionID string `toml:"distribution_id,omitempty"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// formatSize writes a byte count with the largest binary unit that divides
// it exactly, so it reads back to the same number.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d", n)
}

// sensitiveHeaderWords mark header names whose values are credentials.
var sensitiveHeaderWords = []string{"auth", "token", "key", "secret", "cookie", "session", "password", "signature", "credential"}

const redactedValue = "<redacted>"

func redactHeaders(h cachemodel.Headers) []string {
	out := []string{}
	for _, f := range h {
		value := f.Value
		lower := strings.ToLower(f.Name)
		for _, w := range sensitiveHeaderWords {
			if strings.Contains(lower, w) {
				value = redactedValue
				break
			}
		}
		out = append(out, f.Name+": "+value)
	}
	return out
}

// redactURL masks the password of a URL with userinfo.
func redactURL(s string) string { return cachemodel.RedactURL(s) }
