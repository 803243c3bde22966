package purge

import (
	"fmt"
	"net/url"
	"strings"
)

// Default environment variables for provider tokens, used when a [[purge]]
// entry names none.
const (
	DefaultCloudflareTokenEnv = "CLOUDFLARE_API_TOKEN"
	DefaultFastlyTokenEnv     = "FASTLY_API_TOKEN"
)

// Redacted replaces a credential wherever one would be shown.
const Redacted = "[REDACTED]"

// secret is a credential read from an environment variable. The value lives
// only inside a closure, so printing a secret, or any struct holding one,
// with any fmt verb (%v, %+v, %#v, %s, %q) shows no part of it; a panic
// value or a debugger dump of a Job prints a function pointer at most.
type secret struct {
	env   string
	value func() string // nil when the variable is unset or empty
}

func readSecret(env string, getenv func(string) string) *secret {
	s := &secret{env: env}
	if v := strings.TrimSpace(getenv(env)); v != "" {
		s.value = func() string { return v }
	}
	return s
}

func (s *secret) present() bool { return s != nil && s.value != nil }

// String never shows the value.
func (s *secret) String() string {
	if s == nil {
		return "<none>"
	}
	return Redacted
}

// Format makes every fmt verb print String.
func (s *secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalJSON keeps the value out of JSON too.
func (s *secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// placeholder is what a dry run shows instead of the value.
func (s *secret) placeholder() string {
	if !s.present() {
		return "[REDACTED: $" + s.env + " is not set]"
	}
	return "[REDACTED: $" + s.env + "]"
}

// scrub removes the value (raw, query-escaped or path-escaped) from text
// that might echo it: server messages, transport errors.
func (s *secret) scrub(text string) string {
	if !s.present() {
		return text
	}
	v := s.value()
	for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
		if form != "" {
			text = strings.ReplaceAll(text, form, Redacted)
		}
	}
	return text
}

// scrubAll applies every secret's scrub.
func scrubAll(text string, secrets []*secret) string {
	for _, s := range secrets {
		text = s.scrub(text)
	}
	return text
}
