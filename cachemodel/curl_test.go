package cachemodel

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// curlTestBase is what every command starts with.
const curlTestBase = "curl -sS -D - -o /dev/null"

func TestCurlCommand(t *testing.T) {
	std := Headers{{"User-Agent", "corscope"}, {"Accept", "*/*"}}
	with := func(extra ...Header) Headers { return append(std.Clone(), extra...) }
	cases := []struct {
		name   string
		method string
		url    string
		h      Headers
		opt    CurlOptions
		want   string
	}{
		{"plain GET", "GET", "https://x.example/a", with(Header{"Origin", "https://a.example"}), CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' -H 'Origin: https://a.example' https://x.example/a"},
		{"empty method is GET, query quoted", "", "https://x.example/a?b=1&c", std, CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' 'https://x.example/a?b=1&c'"},
		{"preflight", "OPTIONS", "https://x.example/", with(Header{"Access-Control-Request-Method", "PUT"}), CurlOptions{},
			curlTestBase + " -X OPTIONS -H 'User-Agent: corscope' -H 'Accept: */*' -H 'Access-Control-Request-Method: PUT' https://x.example/"},
		{"HEAD uses -I", "HEAD", "https://x.example/", std, CurlOptions{},
			curlTestBase + " -I -H 'User-Agent: corscope' -H 'Accept: */*' https://x.example/"},
		{"odd method quoted", "GET;rm", "https://x.example/", std, CurlOptions{},
			curlTestBase + " -X 'GET;rm' -H 'User-Agent: corscope' -H 'Accept: */*' https://x.example/"},
		{"curl defaults removed when absent", "GET", "https://x.example/", nil, CurlOptions{},
			curlTestBase + " -H User-Agent: -H Accept: https://x.example/"},
		{"options", "GET", "https://x.example/", std,
			CurlOptions{Insecure: true, MaxTime: 2500 * time.Millisecond, Resolve: []string{"x.example:443:127.0.0.1", "y:80:[::1]"}, Proxy: "http://127.0.0.1:8080"},
			curlTestBase + " -k --max-time 2.5 --resolve x.example:443:127.0.0.1 --resolve 'y:80:[::1]' --proxy http://127.0.0.1:8080 -H 'User-Agent: corscope' -H 'Accept: */*' https://x.example/"},
		{"single quote in value", "GET", "https://x.example/", with(Header{"X-Note", "it's"}), CurlOptions{},
			curlTestBase + ` -H 'User-Agent: corscope' -H 'Accept: */*' -H 'X-Note: it'\''s' https://x.example/`},
		{"shell metacharacters stay literal", "GET", "https://x.example/", with(Header{"X-A", "$(id) `id` ; | & > *"}), CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' -H 'X-A: $(id) `id` ; | & > *' https://x.example/"},
		{"CRLF injection stays one line", "GET", "https://x.example/", with(Header{"X-A", "v\r\nX-Injected: 1"}), CurlOptions{},
			curlTestBase + ` -H 'User-Agent: corscope' -H 'Accept: */*' -H $'X-A: v\r\nX-Injected: 1' https://x.example/`},
		{"escape and quote in ANSI-C", "GET", "https://x.example/", with(Header{"X-A", "\x1b[2J'\\1"}), CurlOptions{},
			curlTestBase + ` -H 'User-Agent: corscope' -H 'Accept: */*' -H $'X-A: \x1b[2J\'\\1' https://x.example/`},
		{"bidi override escaped", "GET", "https://x.example/", with(Header{"X-A", "a\u202eb"}), CurlOptions{},
			curlTestBase + ` -H 'User-Agent: corscope' -H 'Accept: */*' -H $'X-A: a\xe2\x80\xaeb' https://x.example/`},
		{"non-ASCII letters kept", "GET", "https://x.example/", with(Header{"X-A", "Grüße"}), CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' -H 'X-A: Grüße' https://x.example/"},
		{"empty value sent, not removed", "GET", "https://x.example/", with(Header{"X-Empty", ""}), CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' -H 'X-Empty;' https://x.example/"},
		{"duplicate headers in order", "GET", "https://x.example/", Headers{{"Accept", "a"}, {"User-Agent", "u"}, {"accept", "b"}}, CurlOptions{},
			curlTestBase + " -H 'Accept: a' -H 'User-Agent: u' -H 'accept: b' https://x.example/"},
		{"brackets need -g", "GET", "https://x.example/?a[]=1", std, CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' -g 'https://x.example/?a[]=1'"},
		{"dot segments kept", "GET", "https://x.example/a/../b", std, CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' --path-as-is https://x.example/a/../b"},
		{"URL that looks like an option", "GET", "-K/etc/passwd", std, CurlOptions{},
			curlTestBase + " -H 'User-Agent: corscope' -H 'Accept: */*' --url -K/etc/passwd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CurlCommand(c.method, c.url, c.h, c.opt)
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestCurlCommandShellRoundTrip runs the commands through bash with curl
// replaced by a function that prints its arguments, proving the quoting
// hands curl exactly the intended words.
func TestCurlCommandShellRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed; quoting is still covered by TestCurlCommand")
	}
	values := []string{
		"plain", "it's", `back\slash`, "\x1b]52;c;aGk=\x07", "a\r\nb", "tab\there", "$HOME `x` $(y)",
		"\u202eevil", "\xff\xfe", "\u009b31m", "x\x7f", "'", "''", `\x41`, "*", "~", "=ls", "Grüße",
	}
	for _, v := range values {
		cmd := CurlCommand("PUT", "https://x.example/"+v, Headers{{"X-V", v}}, CurlOptions{})
		if strings.ContainsAny(cmd, "\r\n\x1b\x07") {
			t.Fatalf("command is not one safe line: %q", cmd)
		}
		out, err := exec.Command(bash, "--norc", "--noprofile", "-c",
			`curl() { printf '%s\0' "$@"; }; `+cmd).Output()
		if err != nil {
			t.Fatalf("bash failed on %q: %v", cmd, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		want := []string{"-sS", "-D", "-", "-o", "/dev/null", "-X", "PUT", "-H", "X-V: " + v,
			"-H", "User-Agent:", "-H", "Accept:"}
		u := "https://x.example/" + v
		if strings.ContainsAny(u, "[]{}") {
			want = append(want, "-g")
		}
		want = append(want, u)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("value %q: bash saw %q\ncommand: %s", v, got, cmd)
		}
	}
}

func TestRedactHeaders(t *testing.T) {
	h := Headers{{"authorization", "Bearer s3cret"}, {"Cookie", "sid=1"}, {"Origin", "https://a.example"}, {"X-Api-Key", "k"}}
	got := RedactHeaders(h)
	want := Headers{{"authorization", "REDACTED"}, {"Cookie", "REDACTED"}, {"Origin", "https://a.example"}, {"X-Api-Key", "k"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("default redaction: %q", got)
	}
	if h[0].Value != "Bearer s3cret" {
		t.Fatal("RedactHeaders modified its input")
	}
	got = RedactHeaders(h, "x-api-key")
	want = Headers{{"authorization", "Bearer s3cret"}, {"Cookie", "sid=1"}, {"Origin", "https://a.example"}, {"X-Api-Key", "REDACTED"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("named redaction: %q", got)
	}
	if RedactHeaders(nil) != nil {
		t.Fatal("nil in, nil out")
	}
}

func FuzzCurlCommand(f *testing.F) {
	f.Add("OPTIONS", "https://x.example/", "Origin", "https://a.example")
	f.Add("GET", "-x", "X-A", "\x1b[2J\r\n'")
	f.Add("G\u202eT", "https://x/[1]", "", "\xc2\x9b")
	f.Fuzz(func(t *testing.T, method, url, name, value string) {
		cmd := CurlCommand(method, url, Headers{{name, value}}, CurlOptions{Proxy: value, Resolve: []string{name}})
		if !utf8.ValidString(cmd) {
			t.Fatalf("invalid UTF-8: %q", cmd)
		}
		for _, r := range cmd {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("unsafe rune %U in %q", r, cmd)
			}
		}
	})
}
