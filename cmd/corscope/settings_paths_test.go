package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corscope/corscope/probe"
)

// A setting has one rule whichever way it is given: the same bad value on
// the command line, in the configuration file and (where the engine checks
// it too) in probe.Config fails with the same words, each path naming
// where the value came from (--flag, file:line:col and key, or the
// engine's field). Before settings.Probe.Validate the three disagreed:
// --concurrency 2000 and --rounds 50 passed while the file refused them, a
// 100-character cache buster passed in the file, a resolve port "+443"
// passed in the file while the engine refused it, and so on.
func TestSettingRuleIsTheSameOnEveryPath(t *testing.T) {
	long := strings.Repeat("b", 100)
	cases := []struct {
		name  string
		flags []string // flags for check
		toml  string   // the [probe] line
		key   string   // the key the file's error names
		probe *probe.Config
		field string // the engine's name for it
		msg   string // the rule's words
	}{
		{"concurrency above the limit", []string{"--concurrency", "2000"}, `concurrency = 2000`, "probe.concurrency",
			nil, "", "2000 is more than 1024"},
		{"host concurrency above the limit", []string{"--host-concurrency", "4096"}, `host_concurrency = 4096`, "probe.host_concurrency",
			nil, "", "4096 is more than 1024"},
		{"rounds above the limit", []string{"--rounds", "50"}, `rounds = 50`, "probe.rounds",
			nil, "", "50 is more than 20"},
		{"long cache buster", []string{"--cache-buster", long}, `cache_buster = "` + long + `"`, "probe.cache_buster",
			nil, "", fmt.Sprintf("%q is not a query parameter name: want 1 to 64 letters, digits or - _ . ~", long)},
		{"resolve port with a sign", []string{"--resolve", "a.example:+443:127.0.0.1"}, `resolve = ["a.example:+443:127.0.0.1"]`, "probe.resolve[0]",
			nil, "", `"a.example:+443:127.0.0.1" is not HOST:PORT:ADDRESS: port "+443" is not a number between 1 and 65535`},
		{"resolve address with a zone", []string{"--resolve", "a.example:443:[fe80::1%eth0]"}, `resolve = ["a.example:443:[fe80::1%eth0]"]`, "probe.resolve[0]",
			nil, "", `"a.example:443:[fe80::1%eth0]" is not HOST:PORT:ADDRESS: address "fe80::1%eth0" has an IPv6 zone; give the address alone`},
		{"proxy port out of range", []string{"--proxy", "http://proxy.local:99999"}, `proxy = "http://proxy.local:99999"`, "probe.proxy",
			&probe.Config{Proxy: "http://proxy.local:99999"}, "proxy",
			`"http://proxy.local:99999" is not a proxy URL: port "99999" is not a number between 1 and 65535 (want http://host:port or socks5://host:port, with user:pass@ before host if the proxy needs a login)`},
		{"NaN rate", []string{"--rate", "NaN"}, `rate = nan`, "probe.rate",
			&probe.Config{Rate: math.NaN()}, "rate", "NaN is not a number of requests per second"},
		{"negative rate", []string{"--rate", "-1"}, `rate = -1.0`, "probe.rate",
			&probe.Config{Rate: -1}, "rate", "-1 is negative; 0 means unlimited"},
		{"zero timeout", []string{"--timeout", "0s"}, `timeout = "0s"`, "probe.timeout",
			nil, "", `0s is zero; want a duration like "10s"`},
		{"body limit with a sign", []string{"--body-limit", "+5"}, `body_limit = "+5"`, "probe.body_limit",
			nil, "", `"+5" is not a size; want bytes or a size like "64KiB"`},
		{"body limit too large", []string{"--body-limit", "2GiB"}, `body_limit = "2GiB"`, "probe.body_limit",
			nil, "", "2GiB is more than 1GiB"},
		{"Host header", []string{"-H", "Host: cdn.example.com"}, `headers = ["Host: cdn.example.com"]`, "probe.headers[0]",
			nil, "", "Host cannot be set: the URL's host is sent; pin an address with --resolve HOST:PORT:ADDRESS (probe.resolve in the configuration) instead"},
		{"header value with a control character", []string{"-H", "Authorization: Bearer s3cret\x1b[0m"}, `headers = ["Authorization: Bearer s3cret\u001b[0m"]`, "probe.headers[0]",
			nil, "", "header Authorization has a control character in its value"},
		{"header name with a space", []string{"-H", "X Trace: 1"}, `headers = ["X Trace: 1"]`, "probe.headers[0]",
			nil, "", `"X Trace" is not a valid header name`},
		{"edge host name", []string{"--edge", "edge.example.com"}, `edges = ["edge.example.com"]`, "probe.edges[0]",
			nil, "", `"edge.example.com" is not an edge: host names are not edges (a name may resolve to another edge each run); want an IP address, or IP:port`},
		{"follow too many", []string{"--follow", "21"}, `follow_redirects = 21`, "probe.follow_redirects",
			nil, "", "21 is more than 20"},
		{"request method", []string{"--request-method", "GE T"}, `request_method = "GE T"`, "probe.request_method",
			nil, "", `"GE T" is not an HTTP method; want a method name like GET`},
		{"request header name", []string{"--request-headers", "X Y"}, `request_headers = ["X Y"]`, "probe.request_headers[0]",
			nil, "", `"X Y" is not a header name`},
		{"mode", []string{"--mode", "isolated"}, `mode = "isolated"`, "probe.mode",
			nil, "", `"isolated" is not one of isolate, observe (did you mean "isolate"?)`},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Flags.
			args := append(append([]string{"check", "--format", "json"}, c.flags...), "http://127.0.0.1:1/")
			code, out, errs := runCLI(t, "", args...)
			flag := c.flags[0]
			if want := "corscope: " + flag + ": " + c.msg + "\n"; code != exitUsage || out != "" || errs != want {
				t.Errorf("flags %q: exit %d, stderr\n%q\nwant exit 2 and\n%q", c.flags, code, errs, want)
			}
			// The configuration file: file:line:col, key, then the same words.
			path := filepath.Join(dir, fmt.Sprintf("c%d.toml", i))
			if err := os.WriteFile(path, []byte("[probe]\n"+c.toml+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errs = runCLI(t, "", "config", "check", path)
			if want := "corscope: " + path + ":2:1: " + c.key + ": " + c.msg + "\n"; code != exitUsage || errs != want {
				t.Errorf("config %s: exit %d, stderr\n%q\nwant exit 2 and\n%q", c.toml, code, errs, want)
			}
			// The engine, where it checks the setting too.
			if c.probe != nil {
				e, err := probe.New(*c.probe)
				if err == nil {
					e.Close()
					t.Fatalf("probe.New accepted %+v", *c.probe)
				}
				if want := "probe: " + c.field + ": " + c.msg; err.Error() != want {
					t.Errorf("probe.New: %q\nwant %q", err, want)
				}
			}
		})
	}
}

// Values one path took and another refused are now taken by all.
func TestSettingAcceptedOnEveryPath(t *testing.T) {
	cases := []struct {
		name  string
		flags []string
		toml  string
		probe probe.Config
	}{
		// A URL's host can be an IPv6 literal; curl pins it as [::1].
		{"resolve an IPv6 host", []string{"--resolve", "[::1]:443:127.0.0.1"}, `resolve = ["[::1]:443:127.0.0.1"]`,
			probe.Config{Resolve: map[string]string{"[::1]:443": "127.0.0.1"}}},
		// socks5h: the proxy resolves names (the engine always asks it to).
		{"socks5h proxy", []string{"--proxy", "socks5h://127.0.0.1:1"}, `proxy = "socks5h://127.0.0.1:1"`,
			probe.Config{Proxy: "socks5h://127.0.0.1:1"}},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Port 1 refuses: every request fails (exit 3), but nothing about
			// the settings (exit 2).
			args := append(append([]string{"check", "--format", "json", "--mode", "observe", "--rounds", "1", "--timeout", "2s"}, c.flags...), "http://127.0.0.1:1/")
			if code, _, errs := runCLI(t, "", args...); code != exitFailed {
				t.Errorf("flags %q: exit %d, stderr %q; want exit 3 (requests failed)", c.flags, code, errs)
			}
			path := filepath.Join(dir, fmt.Sprintf("c%d.toml", i))
			if err := os.WriteFile(path, []byte("[probe]\n"+c.toml+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errs := runCLI(t, "", "config", "check", path); code != 0 || !strings.Contains(out, c.toml) {
				t.Errorf("config %s: exit %d, stderr %q; stdout does not show it:\n%s", c.toml, code, errs, out)
			}
			e, err := probe.New(c.probe)
			if err != nil {
				t.Fatalf("probe.New: %v", err)
			}
			e.Close()
		})
	}
}

// The policy's settings too: --fail-on and policy.fail_on refuse a typo in
// the same words, and "*" (every origin) is allowed in the file as on the
// command line (the file used to refuse it as "not an origin").
func TestPolicyRuleIsTheSameOnEveryPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.toml")
	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const typo = `"hihg" is not one of info, low, medium, high, none (did you mean "high"?)`
	if code, _, errs := runCLI(t, "", "check", "--fail-on", "hihg", "http://127.0.0.1:1/"); code != exitUsage || errs != "corscope: --fail-on: "+typo+"\n" {
		t.Errorf("--fail-on hihg: exit %d, stderr %q", code, errs)
	}
	write("[policy]\nfail_on = \"hihg\"\n")
	if code, _, errs := runCLI(t, "", "config", "check", path); code != exitUsage || errs != "corscope: "+path+":2:1: policy.fail_on: "+typo+"\n" {
		t.Errorf("fail_on = hihg: exit %d, stderr %q", code, errs)
	}
	write("[policy]\nallow = [\"*\"]\n")
	if code, out, errs := runCLI(t, "", "config", "check", path); code != 0 || !strings.Contains(out, `allow = ["*"]`) {
		t.Errorf(`allow = ["*"]: exit %d, stderr %q, stdout:\n%s`, code, errs, out)
	}
	// The file's "*" reaches the policy as the flag's does: every origin
	// allowed, so nothing is reported as wrongly allowed.
	code, _, errs := runCLI(t, "", "--config", path, "check", "--format", "json", "--mode", "observe", "--rounds", "1", "--timeout", "2s", "http://127.0.0.1:1/")
	if code != exitFailed {
		t.Errorf(`check with allow = ["*"]: exit %d, stderr %q; want 3 (port 1 refuses)`, code, errs)
	}
}
