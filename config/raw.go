package config

import (
	"reflect"
	"sort"
	"strings"
)

// rawFile mirrors the file's layout. Values whose TOML type varies
// (durations, sizes, key lists, colours) are `any` and are checked by hand
// so the messages can name the key and the value. Scalars are pre-filled
// from Default, so a key that is absent keeps its default.
type rawFile struct {
	Theme   string                    `toml:"theme"`
	Color   string                    `toml:"color"`
	Origins []string                  `toml:"origins"`
	Probe   rawProbe                  `toml:"probe"`
	Policy  rawPolicy                 `toml:"policy"`
	Targets []rawTarget               `toml:"targets"`
	Purge   []rawPurge                `toml:"purge"`
	Keys    map[string]any            `toml:"keys"`
	Themes  map[string]map[string]any `toml:"themes"`
}

type rawProbe struct {
	Timeout         any      `toml:"timeout"`
	Concurrency     int      `toml:"concurrency"`
	HostConcurrency int      `toml:"host_concurrency"`
	Rate            float64  `toml:"rate"`
	Rounds          int      `toml:"rounds"`
	BodyLimit       any      `toml:"body_limit"`
	UserAgent       string   `toml:"user_agent"`
	Headers         []string `toml:"headers"`
	Proxy           string   `toml:"proxy"`
	Resolve         []string `toml:"resolve"`
	Edges           []string `toml:"edges"`
	Insecure        bool     `toml:"insecure"`
	FollowRedirects int      `toml:"follow_redirects"`
	Mode            string   `toml:"mode"`
	CacheBuster     string   `toml:"cache_buster"`
	Preflight       bool     `toml:"preflight"`
	RequestMethod   string   `toml:"request_method"`
	RequestHeaders  []string `toml:"request_headers"`
}

type rawPolicy struct {
	Allow  []string `toml:"allow"`
	FailOn string   `toml:"fail_on"`
}

type rawTarget struct {
	URL     *string  `toml:"url"`
	Origins []string `toml:"origins"`
	Headers []string `toml:"headers"`
}

// rawPurge uses pointers so that "set" can be told from "zero": a field
// that does not apply to the provider is an error even when it is empty.
// Fields tagged reject:"secret" exist only so a token written into the
// file gets a pointed message instead of "unknown key".
type rawPurge struct {
	Provider    *string   `toml:"provider"`
	Hosts       *[]string `toml:"hosts"`
	TokenEnv    *string   `toml:"token_env"`
	APIBase     *string   `toml:"api_base"`
	ZoneID      *string   `toml:"zone_id"`
	BatchSize   *int      `toml:"batch_size"`
	Soft        *bool     `toml:"soft"`
	ServiceID   *string   `toml:"service_id"`
	Method      *string   `toml:"method"`
	URLTemplate *string   `toml:"url_template"`
	// DistributionID is the CloudFront distribution (cloudfront).
	DistributionID *string `toml:"distribution_id"`

	Token    any `toml:"token" reject:"secret"`
	APIToken any `toml:"api_token" reject:"secret"`
	APIKey   any `toml:"api_key" reject:"secret"`
	Key      any `toml:"key" reject:"secret"`
	Secret   any `toml:"secret" reject:"secret"`
	Password any `toml:"password" reject:"secret"`
	// AWS credentials come only from the AWS credential chain.
	AccessKeyID        any `toml:"access_key_id" reject:"secret"`
	AWSAccessKeyID     any `toml:"aws_access_key_id" reject:"secret"`
	SecretAccessKey    any `toml:"secret_access_key" reject:"secret"`
	AWSSecretAccessKey any `toml:"aws_secret_access_key" reject:"secret"`
	SessionToken       any `toml:"session_token" reject:"secret"`
	AWSSessionToken    any `toml:"aws_session_token" reject:"secret"`
}

// purgeFields lists, per provider, the keys a [[purge]] entry may set.
var purgeFields = map[string][]string{
	PurgeCloudflare: {"provider", "hosts", "token_env", "api_base", "zone_id", "batch_size", "soft"},
	PurgeFastly:     {"provider", "hosts", "token_env", "api_base", "service_id", "soft"},
	PurgeHTTP:       {"provider", "hosts", "token_env", "method", "url_template"},
	// No token_env: CloudFront credentials come from the AWS credential
	// chain (environment, shared config and credentials files, SSO, ...).
	PurgeCloudFront: {"provider", "hosts", "api_base", "distribution_id", "batch_size"},
}

func rawFromDefaults(d Config) rawFile {
	return rawFile{
		Theme: d.Theme,
		Color: d.Color,
		Probe: rawProbe{
			Timeout:         d.Probe.Timeout.String(),
			Concurrency:     d.Probe.Concurrency,
			HostConcurrency: d.Probe.HostConcurrency,
			Rate:            d.Probe.Rate,
			Rounds:          d.Probe.Rounds,
			BodyLimit:       d.Probe.BodyLimit,
			UserAgent:       d.Probe.UserAgent,
			Insecure:        d.Probe.Insecure,
			FollowRedirects: d.Probe.FollowRedirects,
			Mode:            d.Probe.Mode,
			CacheBuster:     d.Probe.CacheBuster,
			Preflight:       d.Probe.Preflight,
			RequestMethod:   d.Probe.RequestMethod,
		},
		Policy: rawPolicy{FailOn: d.Policy.FailOn},
	}
}

// schemaNode is the tree of keys the file may contain, derived from
// rawFile by reflection so it cannot drift from what is decoded.
type schemaNode struct {
	children map[string]*schemaNode
	wildcard *schemaNode // any name (map keys)
	secret   bool        // accepted only to be rejected with advice
}

var schema = buildSchema(reflect.TypeOf(rawFile{}))

func buildSchema(t reflect.Type) *schemaNode {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.String {
		t = t.Elem()
	}
	n := &schemaNode{}
	switch t.Kind() {
	case reflect.Struct:
		n.children = map[string]*schemaNode{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			child := buildSchema(f.Type)
			child.secret = f.Tag.Get("reject") == "secret"
			n.children[name] = child
		}
	case reflect.Map:
		n.wildcard = buildSchema(t.Elem())
	}
	return n
}

func (n *schemaNode) child(name string) *schemaNode {
	if c, ok := n.children[name]; ok {
		return c
	}
	return n.wildcard
}

// names returns the node's fixed children, sorted, without rejected ones.
func (n *schemaNode) names() []string {
	var out []string
	for name, c := range n.children {
		if !c.secret {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// schemaLeaves lists every documented key path, with "*" for map keys:
// "probe.timeout", "purge.zone_id", "themes.*.*".
func schemaLeaves() []string {
	var out []string
	var walk func(prefix string, n *schemaNode)
	walk = func(prefix string, n *schemaNode) {
		if n.children == nil && n.wildcard == nil {
			out = append(out, prefix)
			return
		}
		for _, name := range n.names() {
			walk(join(prefix, name), n.children[name])
		}
		if n.wildcard != nil {
			walk(join(prefix, "*"), n.wildcard)
		}
	}
	walk("", schema)
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
