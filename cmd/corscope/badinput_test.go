package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/internal/hostile"
)

// Bad input: every flag and config key with wrong types and out-of-range
// values, malformed URLs and origins, empty and huge URL lists. Each is
// either handled correctly or refused with exit 2 and one clear line.

// wantUsageError asserts exit 2, nothing on stdout and exactly one
// terminal-safe "corscope: " line mentioning want.
func wantUsageError(t *testing.T, args []string, stdin, want string) {
	t.Helper()
	code, out, errs := runCLI(t, stdin, args...)
	if code != exitUsage {
		t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errs)
	}
	if out != "" {
		t.Errorf("%q: wrote to stdout: %.200q", args, out)
	}
	if !strings.HasPrefix(errs, "corscope: ") || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, want) {
		t.Errorf("%q: stderr %q, want one line mentioning %q", args, errs, want)
	}
	if err := hostile.CheckTerminal([]byte(errs)); err != nil {
		t.Errorf("%q: stderr: %v", args, err)
	}
}

func TestBadCheckFlags(t *testing.T) {
	u := "http://127.0.0.1:1/"
	cases := []struct {
		flags []string
		want  string
	}{
		// Wrong types: pflag's parse errors, one line, exit 2.
		{[]string{"--rounds", "two"}, `invalid argument "two" for "--rounds"`},
		{[]string{"--rounds", "99999999999999999999"}, `invalid argument "99999999999999999999" for "--rounds"`},
		{[]string{"--concurrency", "1.5"}, `invalid argument "1.5" for "--concurrency"`},
		{[]string{"--rate", "fast"}, `invalid argument "fast" for "--rate"`},
		{[]string{"--rate", "1e309"}, `invalid argument "1e309" for "--rate"`},
		{[]string{"--timeout", "10"}, `invalid argument "10" for "--timeout"`},
		{[]string{"--timeout", "9999999h"}, `invalid argument "9999999h" for "--timeout"`},
		{[]string{"--follow", "yes"}, `invalid argument "yes" for "--follow"`},
		{[]string{"--insecure=maybe"}, `invalid argument "maybe" for "-k, --insecure"`},
		{[]string{"--preflight=2"}, `invalid argument "2" for "--preflight"`},
		{[]string{"--no-color=x"}, `invalid argument "x" for "--no-color"`},
		// Out of range.
		{[]string{"--rounds", "0"}, `--rounds: 0 is less than 1`},
		{[]string{"--rounds", "101"}, `--rounds: 101 is more than 20`},
		{[]string{"--rounds", "-3"}, `--rounds: -3 is less than 1`},
		{[]string{"--concurrency", "0"}, `--concurrency: 0 is less than 1`},
		{[]string{"--concurrency", "5000"}, `--concurrency: 5000 is more than 1024`},
		{[]string{"--host-concurrency", "0"}, `--host-concurrency: 0 is less than 1`},
		{[]string{"--host-concurrency", "5000"}, `--host-concurrency: 5000 is more than 1024`},
		{[]string{"--rate", "-1"}, `--rate: -1 is negative; 0 means unlimited`},
		{[]string{"--rate", "NaN"}, `--rate: NaN is not a number of requests per second`},
		{[]string{"--rate", "Inf"}, `--rate: +Inf is not a number of requests per second`},
		{[]string{"--timeout", "0s"}, `--timeout: 0s is zero; want a duration like "10s"`},
		{[]string{"--timeout", "-1s"}, `--timeout: -1s is negative; want a duration like "10s"`},
		{[]string{"--follow", "-1"}, `--follow: -1 is negative`},
		{[]string{"--follow", "21"}, `--follow: 21 is more than 20`},
		{[]string{"--body-limit", "0"}, `--body-limit: 0 is less than 1`},
		{[]string{"--body-limit", "2GiB"}, `--body-limit: 2GiB is more than 1GiB`},
		{[]string{"--body-limit", "-5"}, `"-5" is not a size`},
		{[]string{"--body-limit", "1.5MiB"}, `"1.5MiB" is not a size`},
		{[]string{"--body-limit", "99999999999GiB"}, "is too large"},
		{[]string{"--max-header-bytes", "100"}, `--max-header-bytes: 100 is less than 4KiB`},
		{[]string{"--max-header-bytes", "1GiB"}, `--max-header-bytes: 1GiB is more than 64MiB`},
		{[]string{"--max-header-bytes", "big"}, `"big" is not a size`},
		// Enumerations.
		{[]string{"--format", "yaml"}, `unknown --format "yaml": want table, json, jsonl, markdown, sarif or junit`},
		{[]string{"--mode", "stealth"}, `--mode: "stealth" is not one of isolate, observe`},
		{[]string{"--fail-on", "critical"}, `--fail-on: "critical" is not one of info, low, medium, high, none`},
		{[]string{"--cache-buster", "a b"}, `--cache-buster: "a b" is not a query parameter name: want 1 to 64 letters, digits or - _ . ~`},
		{[]string{"--cache-buster", ""}, `--cache-buster: "" is not a query parameter name: want 1 to 64 letters, digits or - _ . ~`},
		{[]string{"--cache-buster", strings.Repeat("x", 65)}, "--cache-buster"},
		// Methods and headers.
		{[]string{"--method", ""}, `--method: "" is not an HTTP method; want a method name like GET`},
		{[]string{"--method", "GET /"}, `--method: "GET /" is not an HTTP method; want a method name like GET`},
		{[]string{"--request-method", "P\x00ST"}, `--request-method: "P\x00ST" is not an HTTP method; want a method name like GET`},
		{[]string{"--request-headers", "x-a,x b"}, `--request-headers: "x b" is not a header name`},
		{[]string{"--user-agent", "ua\r\nX-Injected: 1"}, `--user-agent: "ua\r\nX-Injected: 1" has control characters`},
		{[]string{"--user-agent", "ua\x1b[31m"}, `--user-agent: "ua\x1b[31m" has control characters`},
		{[]string{"-H", "NoColon"}, `-H: "NoColon" has no colon; want "Name: value"`},
		{[]string{"-H", "X A: b"}, `"X A" is not a valid header name`},
		{[]string{"-H", ": b"}, `"" is not a valid header name`},
		{[]string{"-H", "X-A: a\x1b[2Jb"}, "header X-A has a control character in its value"},
		{[]string{"-H", "X-A: a\nb"}, "header X-A has a control character in its value"},
		{[]string{"-H", "Host: x"}, `-H: Host cannot be set: the URL's host is sent; pin an address with --resolve HOST:PORT:ADDRESS (probe.resolve in the configuration) instead`},
		{[]string{"-H", "origin: https://x.example"}, `-H: Origin cannot be set: each variant sends its own; list origins with --origin (origins in the configuration) instead`},
		// Origins: path, query, fragment, userinfo, scheme, port.
		{[]string{"-o", "https://a.example/app"}, `"https://a.example/app" is not an origin: it has a path (/app)`},
		{[]string{"-o", "https://a.example/"}, "trailing slash; browsers send https://a.example"},
		{[]string{"-o", "https://a.example?x=1"}, "it has a query"},
		{[]string{"-o", "https://a.example#top"}, "it has a fragment"},
		{[]string{"-o", "https://me:pw@a.example"}, "it has userinfo"},
		{[]string{"-o", "a.example"}, "want scheme://host[:port]"},
		{[]string{"-o", "ftp://a.example"}, "scheme must be http or https"},
		{[]string{"-o", "https://a.example:0"}, `port "0" out of range`},
		{[]string{"-o", "https://a.example:70000"}, `port "70000" out of range`},
		{[]string{"-o", ""}, "empty origin"},
		{[]string{"-o", "https://\u202eevil.example"}, `not a valid internationalised domain name`},
		{[]string{"-o", "https://a\x1b[31m.example"}, `"https://a\x1b[31m.example" is not an origin`},
		// cachemodel quotes input that is not plain text; stderr escapes the rest.
		{[]string{"-o", "https://a.example/\u202e\u009b[31mX"}, `it has a path ("/\u202e\u009b[31mX")`},
		{[]string{"-o", "https://a.example/#\u2028\u009b[2J"}, `trailing slash; browsers send "https://a.example/#\u2028\u009b[2J"`},
		{[]string{"//a.example/\u009b[2J\xff"}, `no scheme; did you mean "https://a.example/\u009b[2J\xff" ?`},
		{[]string{"--allow", "https://a.example/x"}, "--allow: "},
		// Transport.
		{[]string{"--resolve", "a.example:443"}, `--resolve: "a.example:443" is not HOST:PORT:ADDRESS: missing address`},
		{[]string{"--resolve", "a.example:443:not-an-ip"}, `address "not-an-ip" is not an IP address`},
		{[]string{"--resolve", "a.example:0:127.0.0.1"}, `port "0" is not a number between 1 and 65535`},
		{[]string{"--resolve", "[::1:443:127.0.0.1"}, "unterminated [ipv6] host"},
		{[]string{"--proxy", "127.0.0.1:8080"}, "proxy"},
		{[]string{"--proxy", "https://p.example:8443"}, "https proxies are not supported"},
		{[]string{"--proxy", "http://p.example:8080/path"}, "must not have a path"},
		{[]string{"--proxy", "http://user:hunter2@:8080"}, "proxy"},
		// Unknown flags.
		{[]string{"--colour"}, "unknown flag: --colour"},
	}
	for _, c := range cases {
		wantUsageError(t, append(append([]string{"check"}, c.flags...), u), "", c.want)
	}
	// A flag missing its argument at the end of the line.
	wantUsageError(t, []string{"check", u, "--timeout"}, "", "flag needs an argument: --timeout")
	wantUsageError(t, []string{"check", u, "-o"}, "", "flag needs an argument: 'o' in -o")
	// A proxy password never appears in its error.
	_, _, errs := runCLI(t, "", "check", "--proxy", "http://user:hunter2@:8080", u)
	if strings.Contains(errs, "hunter2") {
		t.Errorf("proxy password in %q", errs)
	}
}

func TestBadURLs(t *testing.T) {
	cases := []struct {
		urls []string
		want string
	}{
		{[]string{"example.com/a.js"}, "no scheme; did you mean https://example.com/a.js ?"},
		{[]string{"//example.com/a.js"}, "no scheme; did you mean https://example.com/a.js ?"},
		{[]string{"localhost:8080/x"}, "scheme must be http or https"},
		{[]string{"ftp://example.com/"}, "scheme must be http or https"},
		{[]string{"mailto:x@example.com"}, "scheme must be http or https"},
		{[]string{"http://"}, "no host"},
		{[]string{"https://:443/"}, "no host"},
		{[]string{"http://a b/"}, `invalid character " " in host name`},
		{[]string{"http://[::1/"}, "missing ']' in host"},
		{[]string{"http://[::1]:99999/"}, `port "99999" out of range`},
		{[]string{"http://example.com:/"}, "empty port"},
		{[]string{"http://exa\x1bmple.com/"}, `"http://exa\x1bmple.com/": net/url: invalid control character in URL`},
		{[]string{"https://user:pw@example.com/"}, "credentials in URLs are not supported"},
		{[]string{"https://\u202eevil.example/"}, "not a valid internationalised domain name"},
		{[]string{"http://127.0.0.1:1/ok", "bad"}, `bad URL "bad"`},
	}
	for _, c := range cases {
		wantUsageError(t, append([]string{"check"}, c.urls...), "", c.want)
	}
}

func TestEmptyURLLists(t *testing.T) {
	const want = "no URLs given: pass one or more URLs, or - to read them from stdin"
	wantUsageError(t, []string{"check"}, "", want)
	wantUsageError(t, []string{"check", "-"}, "", want)
	wantUsageError(t, []string{"check", "-"}, "\n# only comments\n   \n\t\n", want)
	wantUsageError(t, []string{"purge", "--dry-run", "--provider", "http"}, "", want)
	// A line longer than the scanner's 1 MiB buffer is refused, not a crash.
	wantUsageError(t, []string{"check", "-"}, "http://127.0.0.1:1/"+strings.Repeat("a", 1<<20)+"\n", "reading URLs from stdin")
	// A bad line on stdin names itself.
	wantUsageError(t, []string{"check", "-"}, "http://127.0.0.1:1/ok\nnot a url\n", `bad URL "not a url"`)
}

func TestBadPurgeFlags(t *testing.T) {
	u := "http://127.0.0.1:1/"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "0s"}, "--timeout: 0s is zero"},
		{[]string{"--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"--verify-delay", "-1s"}, "--verify-delay -1s must not be negative"},
		{[]string{"--provider", "akamai", "--yes"}, `unknown provider "akamai"`},
		{[]string{"--everything"}, "add --yes to confirm"},
		{[]string{"--host", "a.example", "--tag", "t"}, "--host and --tag cannot be combined"},
		{[]string{"--origin", "https://a.example/x", "--dry-run"}, "it has a path"},
		{[]string{"--provider", "http"}, "refusing to purge without confirmation"},
		{[]string{"--yes=perhaps"}, `invalid argument "perhaps" for "-y, --yes"`},
	}
	for _, c := range cases {
		wantUsageError(t, append(append([]string{"purge"}, c.args...), u), "", c.want)
	}
}

func TestBadCommands(t *testing.T) {
	wantUsageError(t, []string{"chekc", "http://127.0.0.1:1/"}, "", `unknown command "chekc" (did you mean "check"?)`)
	wantUsageError(t, []string{"prge", "http://127.0.0.1:1/"}, "", `unknown command "prge" (did you mean "purge"?)`)
	wantUsageError(t, []string{"version", "extra"}, "", `unknown command "extra"`)
	wantUsageError(t, []string{"config", "check", "a", "b"}, "", "accepts at most 1 arg(s)")
	wantUsageError(t, []string{"--config", "/nonexistent/corscope.toml", "check", "http://127.0.0.1:1/"}, "", "/nonexistent/corscope.toml: no such file")
	dir := t.TempDir()
	wantUsageError(t, []string{"config", "init", filepath.Join(dir, "no", "such", "\x00dir", "c.toml")}, "", "")
}

// configKeyCases writes one bad value per key: wrong types first, then
// values out of range. want is the key and the start of its complaint.
var configKeyCases = []struct {
	toml string
	want string
}{
	// Wrong types.
	{`theme = 1`, `theme: value has type integer; want string`},
	{`color = true`, `color: value has type boolean; want string`},
	{`origins = "https://a.example"`, `origins: value has type string; want array`},
	{`origins = [1]`, `origins: value has type integer; want string`},
	{"[probe]\ntimeout = 10", `probe.timeout: 10 has no unit`},
	{"[probe]\ntimeout = true", `probe.timeout: value has type boolean`},
	{"[probe]\nconcurrency = \"16\"", `probe.concurrency: value has type string; want integer`},
	{"[probe]\nrate = \"fast\"", `probe.rate: value has type string; want float`},
	{"[probe]\nrounds = 2.5", `probe.rounds: value has type float; want integer`},
	{"[probe]\nbody_limit = true", `probe.body_limit: value has type boolean`},
	{"[probe]\nuser_agent = 5", `probe.user_agent: value has type integer; want string`},
	{"[probe]\nheaders = \"X-A: 1\"", `probe.headers: value has type string; want array`},
	{"[probe]\nproxy = 8080", `probe.proxy: value has type integer; want string`},
	{"[probe]\nresolve = \"a:1:127.0.0.1\"", `probe.resolve: value has type string; want array`},
	{"[probe]\ninsecure = \"yes\"", `probe.insecure: value has type string; want boolean`},
	{"[probe]\nfollow_redirects = \"3\"", `probe.follow_redirects: value has type string; want integer`},
	{"[probe]\nmode = 1", `probe.mode: value has type integer; want string`},
	{"[probe]\ncache_buster = []", `probe.cache_buster: value has type array; want string`},
	{"[probe]\npreflight = 1", `probe.preflight: value has type integer; want boolean`},
	{"[probe]\nrequest_method = false", `probe.request_method: value has type boolean; want string`},
	{"[probe]\nrequest_headers = \"x-a\"", `probe.request_headers: value has type string; want array`},
	{"[policy]\nallow = \"https://a.example\"", `policy.allow: value has type string; want array`},
	{"[policy]\nfail_on = 3", `policy.fail_on: value has type integer; want string`},
	{"[[targets]]\nurl = 5", `targets[0].url: value has type integer; want string`},
	{"[[targets]]\nurl = \"https://a.example/\"\norigins = \"x\"", `targets[0].origins: value has type string; want array`},
	{"[[targets]]\nurl = \"https://a.example/\"\nheaders = 1", `targets[0].headers: value has type integer; want array`},
	{"[[purge]]\nprovider = 1", `purge[0].provider: value has type integer; want string`},
	{"[[purge]]\nprovider = \"http\"\nhosts = \"a.example\"", `purge[0].hosts: value has type string; want array`},
	{"[[purge]]\nprovider = \"http\"\ntoken_env = 1", `purge[0].token_env: value has type integer; want string`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = 5", `purge[0].zone_id: value has type integer; want string`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\nbatch_size = \"30\"", `purge[0].batch_size: value has type string; want integer`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\nsoft = \"no\"", `purge[0].soft: value has type string; want boolean`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\napi_base = 1", `purge[0].api_base: value has type integer; want string`},
	{"[[purge]]\nprovider = \"fastly\"\nservice_id = []", `purge[0].service_id: value has type array; want string`},
	{"[[purge]]\nprovider = \"http\"\nmethod = 1", `purge[0].method: value has type integer; want string`},
	{"[[purge]]\nprovider = \"http\"\nurl_template = true", `purge[0].url_template: value has type boolean; want string`},
	{"[keys]\nquit = 1", `keys.quit: want a key or a list of keys, got integer`},
	{"[themes.mine]\naccent = true", `themes.mine.accent: value has type boolean`},
	{"probe = 1", `probe: value has type integer; want table`},
	// Out of range and invalid values.
	{`color = "sometimes"`, `color: "sometimes" is not one of auto, always, never`},
	{`theme = "nope"`, `theme: unknown theme "nope"`},
	{"[probe]\ntimeout = \"0s\"", `probe.timeout: 0s is zero; want a duration like "10s"`},
	{"[probe]\ntimeout = \"-1s\"", `probe.timeout: -1s is negative; want a duration like "10s"`},
	{"[probe]\nconcurrency = 0", `probe.concurrency: 0 is less than 1`},
	{"[probe]\nconcurrency = 1025", `probe.concurrency: 1025 is more than 1024`},
	{"[probe]\nrate = -1.0", `probe.rate: -1 is negative`},
	{"[probe]\nrate = nan", `probe.rate: NaN is not a number of requests per second`},
	{"[probe]\nrate = inf", `probe.rate: +Inf is not a number of requests per second`},
	{"[probe]\nrounds = 0", `probe.rounds: 0 is less than 1`},
	{"[probe]\nrounds = 21", `probe.rounds: 21 is more than 20`},
	{"[probe]\nbody_limit = 0", `probe.body_limit: 0 is less than 1`},
	{"[probe]\nbody_limit = \"2GiB\"", `probe.body_limit: 2GiB is more than 1GiB`},
	{"[probe]\nbody_limit = -1", `probe.body_limit: -1 is less than 1`},
	{"[probe]\nfollow_redirects = -1", `probe.follow_redirects: -1 is negative`},
	{"[probe]\nfollow_redirects = 21", `probe.follow_redirects: 21 is more than 20`},
	{"[probe]\nuser_agent = \"a\\u001bb\"", `probe.user_agent: "a\x1bb" has control characters`},
	{"[probe]\nheaders = [\"X-A 1\"]", `probe.headers[0]: "X-A …" has no colon; want "Name: value"`},
	{"[probe]\nheaders = [\"Origin: https://a.example\"]", `probe.headers[0]: Origin cannot be set: each variant sends its own; list origins with --origin (origins in the configuration) instead`},
	{"[probe]\nproxy = \"ftp://p:21\"", `probe.proxy: "ftp://p:21" is not a proxy URL`},
	{"[probe]\nresolve = [\"a.example:99999:127.0.0.1\"]", `probe.resolve[0]: "a.example:99999:127.0.0.1" is not HOST:PORT:ADDRESS: port "99999" is not a number between 1 and 65535`},
	{"[probe]\nmode = \"stealth\"", `probe.mode: "stealth" is not one of isolate, observe`},
	{"[probe]\ncache_buster = \"a b\"", `probe.cache_buster: "a b" is not a query parameter name`},
	{"[probe]\nrequest_method = \"G T\"", `probe.request_method: "G T" is not an HTTP method`},
	{"[probe]\nrequest_headers = [\"x y\"]", `probe.request_headers[0]: "x y" is not a header name`},
	{`origins = ["https://a.example/path"]`, `origins[0]: "https://a.example/path" is not an origin: it has a path`},
	{`origins = ["https://a.example?q"]`, `origins[0]: "https://a.example?q" is not an origin: it has a query`},
	{`origins = ["https://a.example#f"]`, `origins[0]: "https://a.example#f" is not an origin: it has a fragment`},
	{`origins = ["https://u@a.example"]`, `origins[0]: "https://REDACTED@a.example" is not an origin: it has userinfo`},
	{"[policy]\nallow = [\"a.example\"]", `policy.allow[0]: "a.example" is not an origin`},
	{"[policy]\nfail_on = \"critical\"", `policy.fail_on: "critical" is not one of info, low, medium, high, none`},
	{"[[targets]]\nurl = \"example.com/x\"", `targets[0].url: bad URL "example.com/x": no scheme`},
	{"[[targets]]\norigins = []", `targets[0].url: missing`},
	{"[[purge]]\nprovider = \"akamai\"", `purge[0].provider: "akamai" is not one of cloudflare, fastly, http`},
	{"[[purge]]\nprovider = \"cloudflare\"", `purge[0].zone_id: missing`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\nbatch_size = 0", `purge[0].batch_size: 0 is less than 1`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\nbatch_size = 501", `purge[0].batch_size: 501 is more than 500`},
	{"[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\napi_base = \"api.example\"", `purge[0].api_base: bad URL "api.example": no scheme`},
	{"[[purge]]\nprovider = \"http\"\nhosts = [\"a.*.example\"]", `purge[0].hosts[0]: "a.*.example" is not a host pattern`},
	{"[[purge]]\nprovider = \"http\"\nurl_template = \"{nope}\"", `purge[0].url_template: unknown placeholder "{nope}"`},
	{"[[purge]]\nprovider = \"http\"\nmethod = \"P URGE\"", `purge[0].method: "P URGE" is not an HTTP method`},
	{"[themes.mine]\naccent = 300", `themes.mine.accent`},
}

func TestBadConfigKeys(t *testing.T) {
	dir := t.TempDir()
	for i, c := range configKeyCases {
		path := filepath.Join(dir, fmt.Sprintf("c%d.toml", i))
		writeFile(t, path, c.toml+"\n")
		for _, args := range [][]string{
			{"config", "check", path},
			{"--config", path, "check", "--format", "json", "http://127.0.0.1:1/"},
		} {
			code, out, errs := runCLI(t, "", args...)
			if code != exitUsage || out != "" {
				t.Errorf("%q with %q: exit %d stdout %.100q", c.toml, args[0:2], code, out)
			}
			// file:line:col: key: message, on one line.
			if !strings.HasPrefix(errs, "corscope: "+path+":") || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("%q with %q: stderr %q, want one line with %q", c.toml, args[0:2], errs, c.want)
			}
			if err := hostile.CheckTerminal([]byte(errs)); err != nil {
				t.Errorf("%q: %v", c.toml, err)
			}
		}
	}
}

// Several problems in one file: each on its own line, in file order.
func TestConfigErrorsOneLineEach(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	writeFile(t, path, "[probe]\nrounds = 0\nconcurrency = 0\nuser_agent = \"\\u001b]0;x\\u0007\"\n[policy]\nfail_on = \"x\"\n")
	code, _, errs := runCLI(t, "", "config", "check", path)
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if code != exitUsage || len(lines) != 4 {
		t.Fatalf("exit %d, %d lines: %q", code, len(lines), errs)
	}
	for i, want := range []string{":2:1: probe.rounds", ":3:1: probe.concurrency", ":4:1: probe.user_agent", ":6:1: policy.fail_on"} {
		if !strings.HasPrefix(lines[i], "corscope: "+path+want) {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	if err := hostile.CheckTerminal([]byte(errs)); err != nil {
		t.Error(err)
	}
	// Hundreds of problems are cut after a screenful.
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "[[targets]]\nurl = \"bad%d\"\n", i)
	}
	writeFile(t, path, b.String())
	_, _, errs = runCLI(t, "", "config", "check", path)
	if n := strings.Count(errs, "\n"); n != maxErrorLines+1 || !strings.Contains(errs, "... and 170 more") {
		t.Errorf("%d lines, tail %q", n, errs[max(0, len(errs)-80):])
	}
}

// echoServer answers every request with ACAO echoing Origin and records
// the Host headers it sees.
func echoServer(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var hosts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Vary", "Origin")
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), hosts...)
	}
}

// IDNs are sent as browsers send them: punycode in the URL, Host and
// Origin (decision documented in the README).
func TestIDNTargetsAndOrigins(t *testing.T) {
	srv, hosts := echoServer(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--format", "json",
		"--resolve", fmt.Sprintf("xn--bcher-kva.example:%d:127.0.0.1", port),
		"-o", "https://Bücher.example", fmt.Sprintf("http://bücher.example:%d/straße?q=ü", port))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	wantURL := fmt.Sprintf("http://xn--bcher-kva.example:%d/stra%%C3%%9Fe?q=%%C3%%BC", port)
	if got := rep.Targets[0].URL; got != wantURL {
		t.Errorf("URL %q, want %q", got, wantURL)
	}
	if o := rep.Targets[0].Variants[1].Origin; o == nil || *o != "https://xn--bcher-kva.example" {
		t.Errorf("origin %v", o)
	}
	for _, h := range hosts() {
		if h != fmt.Sprintf("xn--bcher-kva.example:%d", port) {
			t.Errorf("Host %q", h)
		}
	}
}

// IPv6 literals work as targets, origins and --resolve addresses.
func TestIPv6Literals(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, args := range [][]string{
		{fmt.Sprintf("http://[::1]:%d/v6", port)},
		{fmt.Sprintf("http://[0:0:0:0:0:0:0:1]:%d/v6", port)},
		{"--resolve", fmt.Sprintf("v6.example:%d:[::1]", port), fmt.Sprintf("http://v6.example:%d/v6", port)},
	} {
		all := append([]string{"check", "--mode", "observe", "--rounds", "1", "--format", "json", "-o", "http://[::1]:8080"}, args...)
		code, out, errs := runCLI(t, "", all...)
		if code != exitOK {
			t.Errorf("%q: exit %d: %s", args, code, errs)
			continue
		}
		rep := decodeReport(t, out)
		for _, v := range rep.Targets[0].Variants {
			if v.Error != nil || v.Response.RemoteAddr != ln.Addr().String() {
				t.Errorf("%q: %s: %+v from %v", args, v.Label, v.Error, v.Response)
			}
		}
	}
}

// Duplicates are probed once, including spellings of the same URL that
// differ only in what is never sent (a fragment).
func TestDuplicateURLs(t *testing.T) {
	srv, _ := echoServer(t)
	in := srv.URL + "/a\n" + srv.URL + "/a#top\n" + srv.URL + "/b\n" + srv.URL + "/a\n"
	code, out, errs := runCLI(t, in, "check", "--mode", "observe", "--rounds", "1", "--format", "json", "-", srv.URL+"/b")
	if code != exitOK || !strings.Contains(errs, "skipped 3 duplicate URL(s)") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if rep := decodeReport(t, out); len(rep.Targets) != 2 {
		t.Errorf("%d targets, want 2", len(rep.Targets))
	}
}

// 10,000 URLs on stdin are all probed, in bounded time and memory.
func TestTenThousandURLsOnStdin(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	}))
	defer srv.Close()
	const n = 10000
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, "%s/item/%d\n", srv.URL, i)
	}
	began := time.Now()
	code, out, errs := runCLI(t, in.String(), "check", "--mode", "observe", "--rounds", "1", "--format", "table",
		"--concurrency", "64", "-")
	elapsed := time.Since(began)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := strings.Count(out, "▸ "+srv.URL+"/item/"); got != n {
		t.Errorf("%d targets in the table, want %d", got, n)
	}
	// Observe mode, no --origin: no Origin, same-origin and null.
	if requests.Load() != 3*n || !strings.Contains(out, fmt.Sprintf("%d targets · %d requests · 0 failed", n, 3*n)) {
		t.Errorf("server saw %d requests; summary: %q", requests.Load(), out[max(0, len(out)-120):])
	}
	t.Logf("10,000 URLs: %v, %d KiB of table", elapsed, len(out)>>10)
	if elapsed > 60*time.Second {
		t.Errorf("took %v", elapsed)
	}
}

// An unknown --theme is a usage error with a suggestion on every command
// that takes the flag, with or without a terminal (without one, the root
// command runs check, which never draws a theme: the typo must not wait
// for the first terminal to surface).
func TestUnknownThemeSaysWhichOneWasMeant(t *testing.T) {
	u := "http://127.0.0.1:1/"
	wantUsageError(t, []string{"--theme", "darc", u}, "", `unknown --theme "darc" (did you mean "dark"?)`)
	wantUsageError(t, []string{"tui", "--theme", "hi-contrast", u}, "", `(did you mean "high-contrast"?)`)
	wantUsageError(t, []string{"demo", "--theme", "lihgt"}, "", `unknown --theme "lihgt" (did you mean "light"?)`)
	wantUsageError(t, []string{"demo", "--check", "--theme", "zzzzzzzzzz"}, "", `unknown --theme "zzzzzzzzzz": want one of default, dark`)
}

// demo takes the view's --theme and --no-color like the root command.
func TestDemoTakesThemeAndNoColor(t *testing.T) {
	code, out, errs := runCLI(t, "", "demo", "--check", "--theme", "mono", "--no-color", "--format", "markdown")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "no-vary.json") || strings.Contains(out, "\x1b[") {
		t.Errorf("want the plain demo report, got %.300q", out)
	}
}

// TestConfigCheckNeverEchoesTokenEnv is issue 11 item 12: a token pasted
// into token_env is refused by `config check` and `purge`, and neither
// prints it.
func TestConfigCheckNeverEchoesTokenEnv(t *testing.T) {
	for _, tok := range []string{"A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", "aB3dE5fG7hJ9kL1m", "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"} {
		path := filepath.Join(t.TempDir(), "c.toml")
		writeFile(t, path, "[[purge]]\nprovider = \"http\"\nhosts = [\"127.0.0.1\"]\ntoken_env = \""+tok+"\"\n")
		for _, args := range [][]string{{"config", "check", path}, {"purge", "--config", path, "--yes", "http://127.0.0.1:1/x"}} {
			code, out, errs := runCLI(t, "", args...)
			if code != exitUsage || strings.Contains(out+errs, tok) || strings.Contains(out+errs, tok[:10]) ||
				!strings.Contains(errs, "token_env must name an environment variable") || !strings.Contains(errs, "value not shown") {
				t.Errorf("%v: exit %d\nstdout %q\nstderr %q", args[:2], code, out, errs)
			}
		}
	}
}
