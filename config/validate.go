package config

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/purge"
	"github.com/corscope/corscope/themes"

	"github.com/corscope/corscope/internal/settings"
	"github.com/corscope/corscope/internal/suggest"
)

// Limits of the [[purge]] settings; the probe's live in internal/settings.
const (
	maxBatchSize = 500 // Cloudflare Enterprise's per-request URL limit
)

// validator converts the raw file into a Config, collecting every problem.
type validator struct {
	file string
	pos  *positions
	errs []*Error
}

func (v *validator) fail(key, format string, args ...any) {
	v.errs = append(v.errs, errorAt(v.file, v.pos, key, fmt.Sprintf(format, args...)))
}

func (v *validator) build(raw rawFile) Config {
	cfg := Default()
	cfg.Color = v.oneOf("color", raw.Color, []string{ColorAuto, ColorAlways, ColorNever})
	cfg.Origins = nilIfEmpty(v.origins("origins", raw.Origins))
	cfg.Probe = v.probe(raw.Probe)
	cfg.Policy = Policy{
		Allow:  nilIfEmpty(v.originList("policy.allow", raw.Policy.Allow, settings.ParseAllowed)),
		FailOn: v.oneOf("policy.fail_on", raw.Policy.FailOn, FailOnLevels),
	}
	for i, t := range raw.Targets {
		cfg.Targets = append(cfg.Targets, v.target(fmt.Sprintf("targets[%d]", i), t))
	}
	for i, p := range raw.Purge {
		cfg.Purge = append(cfg.Purge, v.purge(fmt.Sprintf("purge[%d]", i), p))
	}
	cfg.Keys = v.keys(raw.Keys)
	cfg.Themes = v.themes(raw.Themes)
	cfg.Theme = raw.Theme
	if _, builtin := themes.Builtin(raw.Theme); !builtin {
		if _, custom := raw.Themes[raw.Theme]; !custom {
			msg := fmt.Sprintf("unknown theme %q", raw.Theme)
			if s := suggest.Closest(raw.Theme, cfg.ThemeNames()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.fail("theme", "%s; %s", msg, cfg.themeChoices())
		}
	}
	return cfg
}

func (v *validator) oneOf(key, value string, allowed []string) string {
	if msg := settings.OneOf(value, allowed); msg != "" {
		v.fail(key, "%s", msg)
	}
	return value
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// origins validates and normalises a list of origins, dropping repeats. A
// present but empty list stays non-nil: for a target it means "no
// configured origins", unlike an absent list, which inherits.
func (v *validator) origins(key string, in []string) []string {
	return v.originList(key, in, cachemodel.ParseOrigin)
}

// originList is origins with its own parser (policy.allow also takes "*").
func (v *validator) originList(key string, in []string, parse func(string) (string, error)) []string {
	if in == nil {
		return nil
	}
	out := []string{}
	for i, o := range in {
		norm, err := parse(o)
		if err != nil {
			v.fail(fmt.Sprintf("%s[%d]", key, i), "%v", err)
			continue
		}
		if !slices.Contains(out, norm) {
			out = append(out, norm)
		}
	}
	return out
}

// probe checks the [probe] table with the rules the flags use too
// (settings.Probe.Validate); each problem points at its key.
func (v *validator) probe(r rawProbe) Probe {
	def := settings.Defaults()
	in := settings.Probe{
		Timeout:         v.duration("probe.timeout", r.Timeout, def.Timeout),
		Concurrency:     r.Concurrency,
		HostConcurrency: r.HostConcurrency,
		Rate:            r.Rate,
		Rounds:          r.Rounds,
		BodyLimit:       v.size("probe.body_limit", r.BodyLimit, def.BodyLimit),
		MaxHeaderBytes:  def.MaxHeaderBytes, // not a key of the file
		UserAgent:       r.UserAgent,
		Headers:         r.Headers,
		Proxy:           r.Proxy,
		Resolve:         r.Resolve,
		Edges:           r.Edges,
		FollowRedirects: r.FollowRedirects,
		Mode:            r.Mode,
		CacheBuster:     r.CacheBuster,
		Method:          def.Method, // not a key of the file
		RequestMethod:   r.RequestMethod,
		RequestHeaders:  r.RequestHeaders,
	}
	valid, errs := in.Validate()
	for _, e := range errs {
		key := "probe." + string(e.Name)
		if e.Index >= 0 {
			key = fmt.Sprintf("%s[%d]", key, e.Index)
		}
		v.fail(key, "%s", e.Msg)
	}
	return Probe{
		Timeout:         in.Timeout,
		Concurrency:     in.Concurrency,
		HostConcurrency: in.HostConcurrency,
		Rate:            in.Rate,
		Rounds:          in.Rounds,
		BodyLimit:       in.BodyLimit,
		UserAgent:       in.UserAgent,
		Headers:         valid.Headers,
		Proxy:           in.Proxy,
		Resolve:         valid.Resolve,
		Edges:           valid.Edges,
		Insecure:        r.Insecure,
		FollowRedirects: in.FollowRedirects,
		Mode:            in.Mode,
		CacheBuster:     in.CacheBuster,
		Preflight:       r.Preflight,
		RequestMethod:   in.RequestMethod,
		RequestHeaders:  valid.RequestHeaders,
	}
}

func (v *validator) intRange(key string, n, lo, hi int) int {
	if msg := settings.IntRange(n, lo, hi); msg != "" {
		v.fail(key, "%s", msg)
	}
	return n
}

// duration reads a duration written as a string; when it cannot, it
// reports why and returns def, which settings.Probe.Validate accepts (one
// complaint per value).
func (v *validator) duration(key string, val any, def time.Duration) time.Duration {
	switch x := val.(type) {
	case string:
		d, err := settings.ParseDuration(x)
		if err != nil {
			v.fail(key, "%v", err)
			return def
		}
		return d
	case int64:
		v.fail(key, "%d has no unit; %s", x, settings.WantDuration)
	default:
		v.fail(key, "value has type %s; %s", tomlType(val), settings.WantDuration)
	}
	return def
}

// size reads a byte count: an integer, or a string settings.ParseSize
// reads. When it cannot, it reports why and returns def.
func (v *validator) size(key string, val any, def int64) int64 {
	switch x := val.(type) {
	case int64:
		return x
	case string:
		n, err := settings.ParseSize(x)
		if err != nil {
			v.fail(key, "%v", err)
			return def
		}
		return n
	}
	v.fail(key, "value has type %s; %s", tomlType(val), settings.WantSize)
	return def
}

// headers parses "Name: value" lines (settings.ParseHeader).
func (v *validator) headers(key string, lines []string) cachemodel.Headers {
	var out cachemodel.Headers
	for i, line := range lines {
		h, err := settings.ParseHeader(line)
		if err != nil {
			v.fail(fmt.Sprintf("%s[%d]", key, i), "%v", err)
			continue
		}
		out = append(out, h)
	}
	return out
}

func (v *validator) target(key string, r rawTarget) Target {
	var t Target
	if r.URL == nil {
		v.fail(key+".url", "missing; every [[targets]] entry needs one")
	} else if u, err := cachemodel.ParseTargetURL(*r.URL); err != nil {
		v.fail(key+".url", "%v", err)
	} else {
		t.URL = u.String()
	}
	t.Origins = v.origins(key+".origins", r.Origins)
	t.Headers = v.headers(key+".headers", r.Headers)
	return t
}

var (
	// cloudFrontIDRE is a distribution ID: AWS issues 13 or 14 capital
	// letters and digits (E2QWRUHAPOMQZL, EDFDVBD6EXAMPLE); a little slack
	// either way, never lower case, space or punctuation.
	cloudFrontIDRE = regexp.MustCompile(`^[A-Z0-9]{10,20}$`)
	idRE           = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	hostPatRE      = regexp.MustCompile(`^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$`)
)

func (v *validator) purge(key string, r rawPurge) Purge {
	var p Purge
	set := setFields(r)
	purgeSchema := schema.children["purge"]
	for _, name := range set {
		if purgeSchema.children[name].secret {
			if r.Provider != nil && *r.Provider == PurgeCloudFront || strings.Contains(name, "access_key") || strings.Contains(name, "session_token") {
				v.fail(key+"."+name, "AWS credentials never go in the config file: corscope reads them from the AWS credential chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE and the shared config files)")
				continue
			}
			v.fail(key+"."+name, "put the token in an environment variable and name it in token_env")
		}
	}
	providers := []string{PurgeCloudflare, PurgeFastly, PurgeHTTP, PurgeCloudFront}
	if r.Provider == nil {
		v.fail(key+".provider", "missing; want %s", strings.Join(providers, ", "))
		return p
	}
	p.Provider = v.oneOf(key+".provider", *r.Provider, providers)
	allowed, ok := purgeFields[p.Provider]
	if !ok {
		return p
	}
	for _, name := range set {
		if !slices.Contains(allowed, name) && !purgeSchema.children[name].secret {
			v.fail(key+"."+name, "does not apply to provider %q", p.Provider)
		}
	}

	if r.Hosts != nil {
		for i, h := range *r.Hosts {
			h = strings.ToLower(strings.TrimSuffix(h, "."))
			if !hostPatRE.MatchString(h) {
				v.fail(fmt.Sprintf("%s.hosts[%d]", key, i), "%q is not a host pattern; want \"example.com\" or \"*.example.com\"", (*r.Hosts)[i])
				continue
			}
			p.Hosts = append(p.Hosts, h)
		}
	}
	if r.TokenEnv != nil {
		if name := *r.TokenEnv; ValidTokenEnv(name) {
			p.TokenEnv = name
		} else {
			// Never echo it: it may be the credential itself.
			v.fail(key+".token_env", "%s", TokenEnvProblem)
		}
	}
	apiBase := func(def string) string {
		if r.APIBase == nil {
			return def
		}
		u, err := cachemodel.ParseTargetURL(*r.APIBase)
		if err != nil {
			v.fail(key+".api_base", "%v", err)
			return ""
		}
		return strings.TrimSuffix(u.String(), "/")
	}
	id := func(field string, val *string, required string) string {
		switch {
		case val == nil && required != "":
			v.fail(key+"."+field, "missing; %s", required)
		case val == nil:
		case !idRE.MatchString(*val):
			v.fail(key+"."+field, "%q may only contain letters, digits, \"-\" and \"_\"", *val)
		default:
			return *val
		}
		return ""
	}
	switch p.Provider {
	case PurgeCloudflare:
		p.APIBase = apiBase(DefaultCloudflareAPI)
		p.ZoneID = id("zone_id", r.ZoneID, "the cloudflare provider needs the zone's ID")
		p.BatchSize = DefaultCloudflareBatch
		if r.BatchSize != nil {
			p.BatchSize = v.intRange(key+".batch_size", *r.BatchSize, 1, maxBatchSize)
		}
		p.Soft = r.Soft != nil && *r.Soft
	case PurgeFastly:
		p.APIBase = apiBase(DefaultFastlyAPI)
		p.ServiceID = id("service_id", r.ServiceID, "")
		p.Soft = r.Soft != nil && *r.Soft
	case PurgeCloudFront:
		p.APIBase = apiBase(DefaultCloudFrontAPI)
		p.BatchSize = DefaultCloudFrontBatch
		if r.BatchSize != nil {
			p.BatchSize = v.intRange(key+".batch_size", *r.BatchSize, 1, MaxCloudFrontBatch)
		}
		switch {
		case r.DistributionID == nil:
			v.fail(key+".distribution_id", "missing; the cloudfront provider needs the distribution's ID (like EDFDVBD6EXAMPLE, shown in the CloudFront console)")
		case !cloudFrontIDRE.MatchString(*r.DistributionID):
			// An ID is not secret, but the value may be anything: quote it
			// escaped and short.
			v.fail(key+".distribution_id", "%q is not a CloudFront distribution ID: want 10 to 20 capital letters and digits, like EDFDVBD6EXAMPLE", shortQuote(*r.DistributionID))
		default:
			p.DistributionID = *r.DistributionID
		}
	case PurgeHTTP:
		p.Method = DefaultHTTPPurgeMethod
		if r.Method != nil {
			p.Method = *r.Method
			if !settings.IsToken(p.Method) {
				v.fail(key+".method", "%q is not an HTTP method", p.Method)
			}
		}
		if r.URLTemplate != nil {
			p.URLTemplate = v.urlTemplate(key+".url_template", *r.URLTemplate)
		}
	}
	return p
}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

func (v *validator) urlTemplate(key, tmpl string) string {
	for _, ph := range placeholderRE.FindAllString(tmpl, -1) {
		if !slices.Contains(purge.URLPlaceholders, ph) {
			v.fail(key, "unknown placeholder %q; use %s", ph, strings.Join(purge.URLPlaceholders, ", "))
			return ""
		}
	}
	sample, _ := url.Parse("https://cdn.example.com/app.js?v=1")
	expanded := Purge{URLTemplate: tmpl}.ExpandURL(sample)
	if _, err := cachemodel.ParseTargetURL(expanded); err != nil || tmpl == "" {
		v.fail(key, "%q does not expand to an http(s) URL", redactURL(tmpl))
		return ""
	}
	return tmpl
}

// setFields lists the TOML names of the purge fields present in the file.
func setFields(r rawPurge) []string {
	var out []string
	rv, rt := reflect.ValueOf(r), reflect.TypeOf(r)
	for i := range rt.NumField() {
		if !rv.Field(i).IsNil() {
			out = append(out, tomlName(rt, rt.Field(i).Name))
		}
	}
	return out
}

func tomlName(t reflect.Type, field string) string {
	f, ok := t.FieldByName(field)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

// TokenEnvProblem is the whole error for a token_env that is not a
// variable name. It never includes the value: a value that is not a name
// may well be the token itself, pasted in the wrong place.
const TokenEnvProblem = "token_env must name an environment variable, like CLOUDFLARE_API_TOKEN (capital letters, digits and _, at most 64; value not shown); put the token itself in that variable"

// tokenEnvRE is an environment variable name as shells and people write
// them: capitals, digits and underscores, not starting with a digit.
var tokenEnvRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

// ValidTokenEnv says whether name is an acceptable token_env: a variable
// name that does not look like a credential. Tokens can be all capitals
// and digits too (40 upper-case hex characters), so a name part (between
// underscores) of 12 or more characters that holds 2 digits or more, or
// one of 16 or more hex digits, counts as a token.
func ValidTokenEnv(name string) bool {
	if !tokenEnvRE.MatchString(name) {
		return false
	}
	for _, part := range strings.Split(name, "_") {
		digits, hex := 0, true
		for _, c := range part {
			if c >= '0' && c <= '9' {
				digits++
			} else if c < 'A' || c > 'F' {
				hex = false
			}
		}
		if len(part) >= 12 && digits >= 2 || len(part) >= 16 && hex {
			return false
		}
	}
	return true
}

func (v *validator) keys(raw map[string]any) map[string][]string {
	if raw == nil {
		return nil
	}
	out := map[string][]string{}
	for action, val := range raw {
		k := "keys." + quoteKey(action)
		var list []string
		switch x := val.(type) {
		case string:
			list = []string{x}
		case []any:
			for _, item := range x {
				s, ok := item.(string)
				if !ok {
					v.fail(k, "want a key or a list of keys, got a list with %s %v", tomlType(item), item)
					list = nil
					break
				}
				list = append(list, s)
			}
		default:
			v.fail(k, "want a key or a list of keys, got %s", tomlType(val))
			continue
		}
		keys := []string{} // an empty list unbinds the action; keep it (nil would vanish from Redacted)
		for _, s := range list {
			if s == "" {
				v.fail(k, "empty key name")
				continue
			}
			if !slices.Contains(keys, s) {
				keys = append(keys, s)
			}
		}
		out[action] = keys
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (v *validator) themes(raw map[string]map[string]any) map[string]themes.Custom {
	if raw == nil {
		return nil
	}
	out := map[string]themes.Custom{}
	for name, table := range raw {
		k := "themes." + quoteKey(name)
		if _, builtin := themes.Builtin(name); builtin {
			v.fail(k, "%q is the name of a built-in theme; choose another name", name)
			continue
		}
		c := themes.Custom{Colors: map[string]string{}}
		ok := true
		for slot, val := range table {
			s, isString := val.(string)
			n, isInt := val.(int64)
			switch {
			case slot == "base" && isString:
				c.Base = s
			case slot == "base":
				ok = false
				v.fail(k+".base", "value has type %s; want the name of a built-in theme", tomlType(val))
			case isString:
				c.Colors[slot] = s
			case isInt:
				c.Colors[slot] = strconv.FormatInt(n, 10)
			default:
				ok = false
				v.fail(k+"."+quoteKey(slot), "value has type %s; want \"#rrggbb\" or an ANSI colour number 0-255", tomlType(val))
			}
		}
		if !ok {
			continue
		}
		if _, err := c.Resolve(); err != nil {
			if se, isSlot := err.(*themes.SlotError); isSlot {
				v.fail(k+"."+quoteKey(se.Slot), "%s", se.Reason)
			} else {
				v.fail(k, "%v", err)
			}
			continue
		}
		out[name] = c
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func quoteKey(s string) string {
	_, plain := render([]seg{{name: s, index: -1}})
	return plain
}

// shortQuote shortens a value quoted in an error to 40 characters (%q then
// escapes what remains).
func shortQuote(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
