package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/themes"
)

// TestParseErrors pins the exact message of every error class. Each input
// is a small file named config.toml; the line:col prefix is part of the
// contract ("a typo in the config gets a message pointing at the line").
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// TOML syntax: file, line and column from the parser.
		{"syntax: missing value", "[probe]\ntimeout = \n",
			`config.toml:2:11: expected value but found '\n' instead`},
		{"syntax: duplicate key", "theme = \"dark\"\ntheme = \"light\"\n",
			`config.toml:2:1: Key 'theme' has already been defined.`},
		{"syntax: after a byte order mark", "\xef\xbb\xbf[probe\n",
			`config.toml:1:7: expected '.' or ']' to end table name, but got '\n' instead`},
		{"syntax: bad value in array of tables", "[[targets]]\nurl = \"https://a.example\"\n\n[[targets]]\nurl = https://b.example\n",
			`config.toml:5:7: expected value but found "https" instead`},
		{"syntax: unclosed table", "color = \"auto\"\n[probe\n",
			`config.toml:2:7: expected '.' or ']' to end table name, but got '\n' instead`},

		// Unknown keys, with suggestions for near misses.
		{"unknown key in table", "[probe]\ntimout = \"1s\"\n",
			`config.toml:2:1: unknown key "probe.timout" (did you mean "probe.timeout"?)`},
		{"unknown key wrong case", "[probe]\nTimeout = \"1s\"\n",
			`config.toml:2:1: unknown key "probe.Timeout" (did you mean "probe.timeout"?)`},
		{"unknown key no suggestion", "\n\nfrobnicate = true\n",
			`config.toml:3:1: unknown key "frobnicate"`},
		{"unknown table reported once", "[probee]\ntimeout = \"1s\"\nrounds = 3\n",
			`config.toml:1:1: unknown key "probee" (did you mean "probe"?)`},
		{"unknown dotted key", "probee.timeout = \"1s\"\n",
			`config.toml:1:1: unknown key "probee.timeout" (did you mean "probe.timeout"?)`},
		{"unknown key in second array entry", "[[targets]]\nurl = \"https://a.example\"\n[[targets]]\n  urll = \"https://b.example\"\n",
			`config.toml:4:3: unknown key "targets[1].urll" (did you mean "targets[1].url"?)`},
		{"several unknown keys", "thme = \"dark\"\n[policy]\nfail = \"high\"\n",
			"config.toml:1:1: unknown key \"thme\" (did you mean \"theme\"?)\n" +
				`config.toml:3:1: unknown key "policy.fail"`},

		// Type mismatches found while decoding.
		{"type: string for integer", "[probe]\nconcurrency = \"16\"\n",
			`config.toml:2:1: probe.concurrency: value has type string; want integer`},
		{"type: string for list", "origins = \"https://app.example.com\"\n",
			`config.toml:1:1: origins: value has type string; want array`},
		{"type: scalar for table", "probe = 5\n",
			`config.toml:1:1: probe: value has type integer; want table`},
		{"type: string for bool", "[probe]\ninsecure = \"yes\"\n",
			`config.toml:2:1: probe.insecure: value has type string; want boolean`},
		{"type: in array entry", "[[targets]]\nurl = 5\n",
			`config.toml:2:1: targets[0].url: value has type integer; want string`},

		// Top level values.
		{"bad color", "color = \"yes\"\n",
			`config.toml:1:1: color: "yes" is not one of auto, always, never`},
		{"color typo", "color = \"allways\"\n",
			`config.toml:1:1: color: "allways" is not one of auto, always, never (did you mean "always"?)`},
		{"origin with path", "origins = [\n  \"https://app.example.com\",\n  \"https://admin.example.com/login\",\n]\n",
			`config.toml:1:1: origins[1]: "https://admin.example.com/login" is not an origin: it has a path (/login); an origin is scheme://host[:port]`},
		{"origin with trailing slash", "origins = [\"https://app.example.com/\"]\n",
			`config.toml:1:1: origins[0]: "https://app.example.com/" is not an origin: it has a trailing slash; browsers send https://app.example.com`},
		{"unknown theme", "theme = \"drak\"\n",
			`config.toml:1:1: theme: unknown theme "drak" (did you mean "dark"?); built-ins are default, dark, light, high-contrast, mono`},
		{"unknown theme lists custom ones", "theme = \"solarized\"\n[themes.mine]\nbase = \"dark\"\n",
			`config.toml:1:1: theme: unknown theme "solarized"; built-ins are default, dark, light, high-contrast, mono; custom: mine`},

		// [probe]
		{"negative timeout", "[probe]\ntimeout = \"-5s\"\n",
			`config.toml:2:1: probe.timeout: -5s is negative; want a duration like "10s"`},
		{"zero timeout", "[probe]\ntimeout = \"0s\"\n",
			`config.toml:2:1: probe.timeout: 0s is zero; want a duration like "10s"`},
		{"unparsable timeout", "[probe]\ntimeout = \"ten seconds\"\n",
			`config.toml:2:1: probe.timeout: "ten seconds" is not a duration; want a duration like "10s"`},
		{"timeout without unit", "[probe]\ntimeout = 10\n",
			`config.toml:2:1: probe.timeout: 10 has no unit; want a duration like "10s"`},
		{"timeout wrong type", "[probe]\ntimeout = true\n",
			`config.toml:2:1: probe.timeout: value has type boolean; want a duration like "10s"`},
		{"concurrency zero", "[probe]\nconcurrency = 0\n",
			`config.toml:2:1: probe.concurrency: 0 is less than 1`},
		{"concurrency huge", "[probe]\nconcurrency = 16000\n",
			`config.toml:2:1: probe.concurrency: 16000 is more than 1024`},
		{"host concurrency zero", "[probe]\nhost_concurrency = 0\n",
			`config.toml:2:1: probe.host_concurrency: 0 is less than 1`},
		{"host concurrency huge", "[probe]\nhost_concurrency = 5000\n",
			`config.toml:2:1: probe.host_concurrency: 5000 is more than 1024`},
		{"rounds zero", "[probe]\nrounds = 0\n",
			`config.toml:2:1: probe.rounds: 0 is less than 1`},
		{"negative rate", "[probe]\nrate = -1\n",
			`config.toml:2:1: probe.rate: -1 is negative; 0 means unlimited`},
		{"nan rate", "[probe]\nrate = nan\n",
			`config.toml:2:1: probe.rate: NaN is not a number of requests per second`},
		{"negative redirects", "[probe]\nfollow_redirects = -1\n",
			`config.toml:2:1: probe.follow_redirects: -1 is negative`},
		{"too many redirects", "[probe]\nfollow_redirects = 21\n",
			`config.toml:2:1: probe.follow_redirects: 21 is more than 20`},
		{"bad size", "[probe]\nbody_limit = \"lots\"\n",
			`config.toml:2:1: probe.body_limit: "lots" is not a size; want bytes or a size like "64KiB"`},
		{"bad size unit", "[probe]\nbody_limit = \"64 KiBs\"\n",
			`config.toml:2:1: probe.body_limit: "64 KiBs" is not a size; want bytes or a size like "64KiB"`},
		{"zero size", "[probe]\nbody_limit = 0\n",
			`config.toml:2:1: probe.body_limit: 0 is less than 1`},
		{"huge size", "[probe]\nbody_limit = \"2GiB\"\n",
			`config.toml:2:1: probe.body_limit: 2GiB is more than 1GiB`},
		{"overflowing size", "[probe]\nbody_limit = \"99999999999999999GiB\"\n",
			`config.toml:2:1: probe.body_limit: "99999999999999999GiB" is too large; want bytes or a size like "64KiB"`},
		{"header without colon", "[probe]\nheaders = [\"X-Debug: 1\", \"X-Trace 1\"]\n",
			`config.toml:2:1: probe.headers[1]: "X-Trace …" has no colon; want "Name: value"`},
		{"header bad name", "[probe]\nheaders = [\"X Trace: 1\"]\n",
			`config.toml:2:1: probe.headers[0]: "X Trace" is not a valid header name`},
		{"header control chars", "[probe]\nheaders = [\"X-A: 1\\r\\nX-B: 2\"]\n",
			`config.toml:2:1: probe.headers[0]: header X-A has a control character in its value`},
		{"header sets Origin", "[probe]\nheaders = [\"origin: https://a.example\"]\n",
			`config.toml:2:1: probe.headers[0]: Origin cannot be set: each variant sends its own; list origins with --origin (origins in the configuration) instead`},
		{"bad proxy scheme", "[probe]\nproxy = \"ftp://proxy.local:21\"\n",
			`config.toml:2:1: probe.proxy: "ftp://proxy.local:21" is not a proxy URL: unsupported scheme "ftp" (want http://host:port or socks5://host:port, with user:pass@ before host if the proxy needs a login)`},
		{"proxy without port hides password", "[probe]\nproxy = \"http://user:hunter2@proxy.local\"\n",
			`config.toml:2:1: probe.proxy: "http://user:REDACTED@proxy.local" is not a proxy URL: missing port (want http://host:port or socks5://host:port, with user:pass@ before host if the proxy needs a login)`},
		{"resolve missing address", "[probe]\nresolve = [\"cdn.example.com:443\"]\n",
			`config.toml:2:1: probe.resolve[0]: "cdn.example.com:443" is not HOST:PORT:ADDRESS: missing address`},
		{"resolve bad port", "[probe]\nresolve = [\"cdn.example.com:99999:203.0.113.7\"]\n",
			`config.toml:2:1: probe.resolve[0]: "cdn.example.com:99999:203.0.113.7" is not HOST:PORT:ADDRESS: port "99999" is not a number between 1 and 65535`},
		{"resolve bad address", "[probe]\nresolve = [\"cdn.example.com:443:origin.internal\"]\n",
			`config.toml:2:1: probe.resolve[0]: "cdn.example.com:443:origin.internal" is not HOST:PORT:ADDRESS: address "origin.internal" is not an IP address`},
		{"edge host name", "[probe]\nedges = [\"127.0.0.2\", \"edge.example.com\"]\n",
			`config.toml:2:1: probe.edges[1]: "edge.example.com" is not an edge: host names are not edges (a name may resolve to another edge each run); want an IP address, or IP:port`},
		{"edge bad port", "[probe]\nedges = [\"127.0.0.2:0\"]\n",
			`config.toml:2:1: probe.edges[0]: "127.0.0.2:0" is not an edge: port "0" is not a number between 1 and 65535; want an IP address, or IP:port`},
		{"edges with proxy", "[probe]\nproxy = \"http://proxy.local:3128\"\nedges = [\"127.0.0.2\"]\n",
			`config.toml:3:1: probe.edges: edges cannot be used with a proxy: the proxy picks the address`},
		{"unknown mode", "[probe]\nmode = \"isolated\"\n",
			`config.toml:2:1: probe.mode: "isolated" is not one of isolate, observe (did you mean "isolate"?)`},
		{"bad cache buster", "[probe]\ncache_buster = \"a b\"\n",
			`config.toml:2:1: probe.cache_buster: "a b" is not a query parameter name: want 1 to 64 letters, digits or - _ . ~`},
		{"bad method", "[probe]\nrequest_method = \"GE T\"\n",
			`config.toml:2:1: probe.request_method: "GE T" is not an HTTP method; want a method name like GET`},
		{"bad request header", "[probe]\nrequest_headers = [\"x-ok\", \"x bad\"]\n",
			`config.toml:2:1: probe.request_headers[1]: "x bad" is not a header name`},
		{"control chars in user agent", "[probe]\nuser_agent = \"a\\nb\"\n",
			`config.toml:2:1: probe.user_agent: "a\nb" has control characters`},

		// [policy]
		{"bad allow origin", "[policy]\nallow = [\"app.example.com\"]\n",
			`config.toml:2:1: policy.allow[0]: "app.example.com" is not an origin: want scheme://host[:port], e.g. https://app.example.com`},
		{"bad fail_on", "[policy]\nfail_on = \"critical\"\n",
			`config.toml:2:1: policy.fail_on: "critical" is not one of info, low, medium, high, none`},

		// [[targets]]
		{"target without url", "[[targets]]\norigins = [\"https://a.example\"]\n",
			`config.toml:1:1: targets[0].url: missing; every [[targets]] entry needs one`},
		{"target bad url", "[[targets]]\nurl = \"https://a.example/\"\n[[targets]]\nurl = \"ftp://files.example.com/x\"\n",
			`config.toml:4:1: targets[1].url: bad URL "ftp://files.example.com/x": scheme must be http or https`},
		{"target url without scheme", "[[targets]]\nurl = \"cdn.example.com/app.js\"\n",
			`config.toml:2:1: targets[0].url: bad URL "cdn.example.com/app.js": no scheme; did you mean https://cdn.example.com/app.js ?`},
		{"target origin with path", "[[targets]]\nurl = \"https://a.example/\"\norigins = [\"https://b.example/x\"]\n",
			`config.toml:3:1: targets[0].origins[0]: "https://b.example/x" is not an origin: it has a path (/x); an origin is scheme://host[:port]`},
		{"target bad header", "[[targets]]\nurl = \"https://a.example/\"\nheaders = [\"nocolon\"]\n",
			`config.toml:3:1: targets[0].headers[0]: "nocolon" has no colon; want "Name: value"`},

		// [[purge]]
		{"purge without provider", "[[purge]]\nhosts = [\"example.com\"]\n",
			`config.toml:1:1: purge[0].provider: missing; want cloudflare, fastly, http, cloudfront`},
		{"unknown provider", "[[purge]]\nprovider = \"akamai\"\n",
			`config.toml:2:1: purge[0].provider: "akamai" is not one of cloudflare, fastly, http, cloudfront`},
		{"field not for provider", "[[purge]]\nprovider = \"fastly\"\nzone_id = \"abc\"\n",
			`config.toml:3:1: purge[0].zone_id: does not apply to provider "fastly"`},
		{"http field on cloudflare", "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"abc\"\nmethod = \"PURGE\"\n",
			`config.toml:4:1: purge[0].method: does not apply to provider "cloudflare"`},
		{"token in file", "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"abc\"\ntoken = \"s3cr3t-value\"\n",
			`config.toml:4:1: purge[0].token: put the token in an environment variable and name it in token_env`},
		{"api_token in file", "[[purge]]\nprovider = \"fastly\"\napi_token = \"s3cr3t-value\"\n",
			`config.toml:3:1: purge[0].api_token: put the token in an environment variable and name it in token_env`},
		{"key in file", "[[purge]]\nprovider = \"http\"\nkey = \"s3cr3t-value\"\n",
			`config.toml:3:1: purge[0].key: put the token in an environment variable and name it in token_env`},
		{"token pasted into token_env", "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"abc\"\ntoken_env = \"Xy7kQ2mN9pL4rT8vB3cF6hJ1\"\n",
			`config.toml:4:1: purge[0].token_env: ` + TokenEnvProblem},
		{"bad token_env", "[[purge]]\nprovider = \"http\"\ntoken_env = \"PURGE TOKEN\"\n",
			`config.toml:3:1: purge[0].token_env: ` + TokenEnvProblem},
		{"cloudflare without zone", "[[purge]]\nprovider = \"cloudflare\"\n",
			`config.toml:1:1: purge[0].zone_id: missing; the cloudflare provider needs the zone's ID`},
		{"bad zone id", "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"../zones\"\n",
			`config.toml:3:1: purge[0].zone_id: "../zones" may only contain letters, digits, "-" and "_"`},
		{"bad api_base", "[[purge]]\nprovider = \"fastly\"\napi_base = \"api.fastly.com\"\n",
			`config.toml:3:1: purge[0].api_base: bad URL "api.fastly.com": no scheme; did you mean https://api.fastly.com ?`},
		{"batch too small", "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\nbatch_size = 0\n",
			`config.toml:4:1: purge[0].batch_size: 0 is less than 1`},
		{"batch too big", "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\nbatch_size = 501\n",
			`config.toml:4:1: purge[0].batch_size: 501 is more than 500`},
		{"bad host pattern", "[[purge]]\nprovider = \"http\"\nhosts = [\"ok.example\", \"https://example.com\"]\n",
			`config.toml:3:1: purge[0].hosts[1]: "https://example.com" is not a host pattern; want "example.com" or "*.example.com"`},
		{"wildcard in the middle", "[[purge]]\nprovider = \"http\"\nhosts = [\"a.*.example.com\"]\n",
			`config.toml:3:1: purge[0].hosts[0]: "a.*.example.com" is not a host pattern; want "example.com" or "*.example.com"`},
		{"bad purge method", "[[purge]]\nprovider = \"http\"\nmethod = \"PUR GE\"\n",
			`config.toml:3:1: purge[0].method: "PUR GE" is not an HTTP method`},
		{"unknown placeholder", "[[purge]]\nprovider = \"http\"\nurl_template = \"http://127.0.0.1/purge?u={URL}\"\n",
			`config.toml:3:1: purge[0].url_template: unknown placeholder "{URL}"; use {url}, {scheme}, {host}, {path}`},
		{"template not a URL", "[[purge]]\nprovider = \"http\"\nurl_template = \"/purge{path}\"\n",
			`config.toml:3:1: purge[0].url_template: "/purge{path}" does not expand to an http(s) URL`},
		{"cloudfront without distribution", "[[purge]]\nprovider = \"cloudfront\"\n",
			`config.toml:1:1: purge[0].distribution_id: missing; the cloudfront provider needs the distribution's ID (like EDFDVBD6EXAMPLE, shown in the CloudFront console)`},
		{"cloudfront lower-case id", "[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = \"edfdvbd6example\"\n",
			`config.toml:3:1: purge[0].distribution_id: "edfdvbd6example" is not a CloudFront distribution ID: want 10 to 20 capital letters and digits, like EDFDVBD6EXAMPLE`},
		{"cloudfront id with a path", "[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = \"E2QWRUHAPOMQZL/../x\"\n",
			`config.toml:3:1: purge[0].distribution_id: "E2QWRUHAPOMQZL/../x" is not a CloudFront distribution ID: want 10 to 20 capital letters and digits, like EDFDVBD6EXAMPLE`},
		{"cloudfront id too short", "[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = \"E2QW\"\n",
			`config.toml:3:1: purge[0].distribution_id: "E2QW" is not a CloudFront distribution ID: want 10 to 20 capital letters and digits, like EDFDVBD6EXAMPLE`},
		{"cloudfront takes no token_env", "[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = \"E2QWRUHAPOMQZL\"\ntoken_env = \"AWS_SECRET_ACCESS_KEY\"\n",
			`config.toml:4:1: purge[0].token_env: does not apply to provider "cloudfront"`},
		{"aws secret in file", "[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = \"E2QWRUHAPOMQZL\"\naws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n",
			`config.toml:4:1: purge[0].aws_secret_access_key: AWS credentials never go in the config file: corscope reads them from the AWS credential chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE and the shared config files)`},
		{"cloudfront batch too big", "[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = \"E2QWRUHAPOMQZL\"\nbatch_size = 3001\n",
			`config.toml:4:1: purge[0].batch_size: 3001 is more than 3000`},
		{"second purge entry", "[[purge]]\nprovider = \"http\"\n\n[[purge]]\nprovider = \"fastly\"\nmethod = \"PURGE\"\n",
			`config.toml:6:1: purge[1].method: does not apply to provider "fastly"`},

		// [keys]
		{"key binding wrong type", "[keys]\nquit = 5\n",
			`config.toml:2:1: keys.quit: want a key or a list of keys, got integer`},
		{"key list wrong type", "[keys]\nquit = [\"q\", 5]\n",
			`config.toml:2:1: keys.quit: want a key or a list of keys, got a list with integer 5`},
		{"empty key", "[keys]\nquit = [\"q\", \"\"]\n",
			`config.toml:2:1: keys.quit: empty key name`},

		// [themes]
		{"theme shadows built-in", "[themes.dark]\nhit = \"2\"\n",
			`config.toml:1:1: themes.dark: "dark" is the name of a built-in theme; choose another name`},
		{"theme slot typo", "[themes.mine]\nbase = \"dark\"\nacent = \"#ff8800\"\n",
			`config.toml:3:1: themes.mine.acent: unknown palette slot (did you mean "accent"?)`},
		{"theme bad colour", "[themes.mine]\nhit = \"green\"\n",
			`config.toml:2:1: themes.mine.hit: "green" is not a colour; want "#rrggbb" or an ANSI colour number 0-255`},
		{"theme colour out of range", "[themes.mine]\nhit = 300\n",
			`config.toml:2:1: themes.mine.hit: "300" is not a colour: ANSI numbers run from 0 to 255; want "#rrggbb" or an ANSI colour number 0-255`},
		{"theme colour wrong type", "[themes.mine]\nhit = true\n",
			`config.toml:2:1: themes.mine.hit: value has type boolean; want "#rrggbb" or an ANSI colour number 0-255`},
		{"theme bad base", "[themes.mine]\nbase = \"solarized\"\n",
			`config.toml:2:1: themes.mine.base: unknown base theme "solarized"; built-ins are default, dark, light, high-contrast, mono`},
		{"theme base wrong type", "[themes.mine]\nbase = 1\n",
			`config.toml:2:1: themes.mine.base: value has type integer; want the name of a built-in theme`},

		// Several problems come back together, in file order.
		{"errors sorted by line", "[probe]\nrounds = 0\nconcurrency = 0\n[policy]\nfail_on = \"x\"\n",
			"config.toml:2:1: probe.rounds: 0 is less than 1\n" +
				"config.toml:3:1: probe.concurrency: 0 is less than 1\n" +
				`config.toml:5:1: policy.fail_on: "x" is not one of info, low, medium, high, none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "config.toml")
			if err == nil {
				t.Fatalf("no error; want\n%s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Fatalf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "config.toml" || e.Line == 0 {
				t.Fatalf("want a positioned *Error, got %#v", err)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	in := `
theme = "mine"
color = "never"
origins = ["HTTPS://App.Example.com:443", "https://app.example.com", "null"]

[probe]
timeout = "1m30s"
concurrency = 4
host_concurrency = 3
rate = 2
rounds = 3
body_limit = "1 MiB"
user_agent = "probe/1"
headers = ["X-Debug:  1 ", "Accept: */*"]
proxy = "socks5://127.0.0.1:1080"
resolve = ["CDN.example.com:443:203.0.113.7", "v6.example.com:8443:[2001:db8::1]"]
insecure = true
follow_redirects = 5
mode = "observe"
cache_buster = "cb_1"
preflight = true
request_method = "PUT"
request_headers = ["X-Token", "x-token", "Content-Type"]

[policy]
allow = ["https://app.example.com"]
fail_on = "none"

[[targets]]
url = "https://cdn.example.com#frag"
origins = []

[[targets]]
url = "http://cdn.example.com/a.js?v=1"
headers = ["Cookie: a=b"]

[[purge]]
provider = "cloudflare"
zone_id = "zone-1"

[[purge]]
provider = "fastly"
hosts = ["*.Example.NET."]
soft = true

[[purge]]
provider = "http"
url_template = "http://127.0.0.1:6081{path}"

[[purge]]
provider = "cloudfront"
hosts = ["assets.example.org"]
distribution_id = "E2QWRUHAPOMQZL"

[keys]
quit = ["q", "ctrl+c", "q"]
reprobe = "r"

[themes.mine]
base = "light"
hit = 2
accent = "#FF8800"
`
	cfg, err := Parse([]byte(in), "values.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Theme:   "mine",
		Color:   "never",
		Origins: []string{"https://app.example.com", "null"},
		Probe: Probe{
			Timeout:         90 * time.Second,
			Concurrency:     4,
			HostConcurrency: 3,
			Rate:            2,
			Rounds:          3,
			BodyLimit:       1 << 20,
			UserAgent:       "probe/1",
			Headers:         cachemodel.Headers{{Name: "X-Debug", Value: "1"}, {Name: "Accept", Value: "*/*"}},
			Proxy:           "socks5://127.0.0.1:1080",
			Resolve:         []Resolve{{Host: "cdn.example.com", Port: 443, Addr: "203.0.113.7"}, {Host: "v6.example.com", Port: 8443, Addr: "2001:db8::1"}},
			Insecure:        true,
			FollowRedirects: 5,
			Mode:            "observe",
			CacheBuster:     "cb_1",
			Preflight:       true,
			RequestMethod:   "PUT",
			RequestHeaders:  []string{"x-token", "content-type"},
		},
		Policy: Policy{Allow: []string{"https://app.example.com"}, FailOn: "none"},
		Targets: []Target{
			{URL: "https://cdn.example.com/", Origins: []string{}},
			{URL: "http://cdn.example.com/a.js?v=1", Headers: cachemodel.Headers{{Name: "Cookie", Value: "a=b"}}},
		},
		Purge: []Purge{
			{Provider: "cloudflare", ZoneID: "zone-1", APIBase: DefaultCloudflareAPI, BatchSize: 30},
			{Provider: "fastly", Hosts: []string{"*.example.net"}, APIBase: DefaultFastlyAPI, Soft: true},
			{Provider: "http", Method: "PURGE", URLTemplate: "http://127.0.0.1:6081{path}"},
			{Provider: "cloudfront", Hosts: []string{"assets.example.org"}, DistributionID: "E2QWRUHAPOMQZL", APIBase: DefaultCloudFrontAPI, BatchSize: DefaultCloudFrontBatch},
		},
		Keys:   map[string][]string{"quit": {"q", "ctrl+c"}, "reprobe": {"r"}},
		Themes: map[string]themes.Custom{"mine": {Base: "light", Colors: map[string]string{"hit": "2", "accent": "#FF8800"}}},
		Source: "values.toml",
	}
	cfg.pos = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}
	p, err := cfg.Palette("")
	if err != nil {
		t.Fatal(err)
	}
	light, _ := themes.Builtin("light")
	if c, _ := p.Slot("accent"); c == light.Accent {
		t.Fatal("custom accent not applied")
	}
	if got := cfg.ThemeNames(); !reflect.DeepEqual(got, []string{"default", "dark", "light", "high-contrast", "mono", "mine"}) {
		t.Fatalf("ThemeNames = %v", got)
	}
	if _, err := cfg.Palette("nope"); err == nil || err.Error() != `unknown theme "nope"; built-ins are default, dark, light, high-contrast, mono; custom: mine` {
		t.Fatalf("Palette(nope) error = %v", err)
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"body_limit = 1", 1},
		{"body_limit = 4096", 4096},
		{`body_limit = "512"`, 512},
		{`body_limit = "512B"`, 512},
		{`body_limit = "64KiB"`, 64 << 10},
		{`body_limit = "64kib"`, 64 << 10},
		{`body_limit = "64 KB"`, 64000},
		{`body_limit = "2MB"`, 2000000},
		{`body_limit = "1GiB"`, 1 << 30},
	}
	for _, tt := range tests {
		cfg, err := Parse([]byte("[probe]\n"+tt.in+"\n"), "s.toml")
		if err != nil || cfg.Probe.BodyLimit != tt.want {
			t.Errorf("%s: got %d, %v; want %d", tt.in, cfg.Probe.BodyLimit, err, tt.want)
		}
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "\xef\xbb\xbf\n"} {
		cfg, err := Parse([]byte(in), "empty.toml")
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		want := Default()
		want.Source = "empty.toml"
		cfg.pos = nil
		if !reflect.DeepEqual(cfg, want) {
			t.Fatalf("%q: got %+v\nwant %+v", in, cfg, want)
		}
	}
}

func TestPurgeMatchesAndExpand(t *testing.T) {
	p := Purge{Hosts: []string{"*.example.com", "example.org"}}
	for host, want := range map[string]bool{
		"cdn.example.com": true, "a.b.example.com": true, "CDN.Example.com.": true,
		"example.com": false, "badexample.com": false, "example.org": true, "www.example.org": false,
	} {
		if got := p.Matches(host); got != want {
			t.Errorf("Matches(%q) = %v, want %v", host, got, want)
		}
	}
	if !(Purge{}).Matches("anything.test") {
		t.Error("no hosts should match every host")
	}
	if !(Purge{Hosts: []string{"*"}}).Matches("anything.test") {
		t.Error(`"*" should match every host`)
	}

	u, _ := cachemodel.ParseTargetURL("https://cdn.example.com:8443/a b.js?v=1&x=2")
	tests := []struct{ tmpl, want string }{
		{"", "https://cdn.example.com:8443/a%20b.js?v=1&x=2"},
		{"http://127.0.0.1:6081/purge?url={url}", "http://127.0.0.1:6081/purge?url=https%3A%2F%2Fcdn.example.com%3A8443%2Fa%2520b.js%3Fv%3D1%26x%3D2"},
		{"http://purger.local/{scheme}/{host}{path}", "http://purger.local/https/cdn.example.com:8443/a%20b.js?v=1&x=2"},
	}
	for _, tt := range tests {
		if got := (Purge{URLTemplate: tt.tmpl}).ExpandURL(u); got != tt.want {
			t.Errorf("ExpandURL(%q) = %q\nwant %q", tt.tmpl, got, tt.want)
		}
	}
}

func TestRedactedRoundTrips(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{"defaults": Default(), "example": mustParse(t, data, "config.example.toml")} {
		out := cfg.Redacted()
		back, err := Parse([]byte(out), cfg.Source)
		if err != nil {
			t.Fatalf("%s: Redacted output does not parse: %v\n%s", name, err, out)
		}
		back.pos, cfg.pos = nil, nil
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("%s: round trip changed the config\n got %+v\nwant %+v\n%s", name, back, cfg, out)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	const tokenValue = "cf-Secret-Token-Value-0123456789abcdef"
	t.Setenv("CLOUDFLARE_API_TOKEN", tokenValue)
	t.Setenv("PURGE_TOKEN", tokenValue)
	in := `
[probe]
headers = ["Authorization: Bearer hunter2-header", "X-Api-Key: hunter3", "Cookie: session=hunter4", "X-Debug: visible"]
proxy = "http://user:hunter5@proxy.local:3128"

[[targets]]
url = "https://cdn.example.com/"
headers = ["Proxy-Authorization: Basic hunter6"]

[[purge]]
provider = "cloudflare"
zone_id = "z"
token_env = "CLOUDFLARE_API_TOKEN"

[[purge]]
provider = "http"
token_env = "PURGE_TOKEN"
`
	cfg := mustParse(t, []byte(in), "secrets.toml")
	out := cfg.Redacted()
	for _, secret := range []string{tokenValue, "hunter2", "hunter3", "hunter4", "hunter5", "hunter6"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted leaks %q:\n%s", secret, out)
		}
	}
	for _, visible := range []string{`token_env = "CLOUDFLARE_API_TOKEN"`, `token_env = "PURGE_TOKEN"`, "X-Debug: visible", "Authorization: <redacted>", "proxy.local:3128"} {
		if !strings.Contains(out, visible) {
			t.Errorf("Redacted should show %q:\n%s", visible, out)
		}
	}
	// The error path must not echo a pasted token either.
	_, err := Parse([]byte("[[purge]]\nprovider = \"http\"\ntoken_env = \""+tokenValue+"\"\n"), "x.toml")
	if err == nil || strings.Contains(err.Error(), tokenValue) {
		t.Fatalf("token_env error = %v", err)
	}
	_, err = Parse([]byte("[[purge]]\nprovider = \"http\"\ntoken = \""+tokenValue+"\"\n"), "x.toml")
	if err == nil || strings.Contains(err.Error(), tokenValue) {
		t.Fatalf("token error = %v", err)
	}
}

func mustParse(t *testing.T, data []byte, name string) Config {
	t.Helper()
	cfg, err := Parse(data, name)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestTokenEnvMustBeAName is issue 11 item 12: a token pasted into
// token_env (40 upper-case hex characters, a 16-character mixed string)
// is refused without echoing it; real variable names pass.
func TestTokenEnvMustBeAName(t *testing.T) {
	for _, bad := range []string{
		"0A1B2C3D4E5F60718293A4B5C6D7E8F901234567", // 40 upper-case hex, starting with a digit
		"A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", // 40 upper-case hex, starting with a letter
		"aB3dE5fG7hJ9kL1m",                         // 16 mixed
		"Q7WX2KLM9PZR4TYV",                         // 16 capitals and digits
		"CF_9F86D081884C7D659A2FEAA0C55AD015",      // a prefix, then hex
		"cloudflare_api_token",                     // lower case
		"PURGE TOKEN",
		"",
		strings.Repeat("A", 65),
	} {
		if ValidTokenEnv(bad) {
			t.Errorf("%q accepted as a variable name", bad)
		}
		_, err := Parse([]byte("[[purge]]\nprovider = \"http\"\ntoken_env = \""+bad+"\"\n"), "x.toml")
		if err == nil || !strings.Contains(err.Error(), "token_env must name an environment variable") ||
			(bad != "" && strings.Contains(err.Error(), bad)) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, good := range []string{"CLOUDFLARE_API_TOKEN", "FASTLY_API_TOKEN", "CF_TEST_TOKEN", "PURGE_TOKEN_2", "_X", "T",
		"CORSCOPE_DEMO_PURGE_TOKEN", "CLOUDFLAREAPITOKEN", "TOKEN_2024_01"} {
		if !ValidTokenEnv(good) {
			t.Errorf("%q refused", good)
		}
	}
}
