package probe

import (
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" = valid
	}{
		{"zero config", Config{}, ""},
		{"all set", Config{Timeout: time.Second, Concurrency: 2, Rate: 0.5, BodyLimit: 10, MaxHeaderBytes: 100,
			Resolve: map[string]string{"Example.COM:443": "[::1]"}, Proxy: "http://u:p@127.0.0.1:3128", FollowRedirects: 3}, ""},
		{"socks5", Config{Proxy: "socks5://127.0.0.1:1080"}, ""},
		{"socks5h with auth", Config{Proxy: "socks5h://me:pw@localhost:1080"}, ""},
		{"negative timeout", Config{Timeout: -time.Second}, "timeout must not be negative"},
		{"negative concurrency", Config{Concurrency: -1}, "concurrency must not be negative"},
		{"negative rate", Config{Rate: -2}, "rate: -2 is negative; 0 means unlimited"},
		{"NaN rate", Config{Rate: nan()}, "rate: NaN is not a number of requests per second"},
		{"negative body limit", Config{BodyLimit: -1}, "body limit must not be negative"},
		{"negative header cap", Config{MaxHeaderBytes: -1}, "max header bytes must not be negative"},
		{"negative redirects", Config{FollowRedirects: -1}, "follow redirects must not be negative"},
		{"several problems", Config{Timeout: -1, Concurrency: -1}, "timeout must not be negative (got -1ns); concurrency"},
		{"proxy without scheme", Config{Proxy: "127.0.0.1:3128"}, "proxy"},
		{"proxy https", Config{Proxy: "https://proxy:443"}, "https proxies are not supported"},
		{"proxy ftp", Config{Proxy: "ftp://proxy:21"}, `unsupported scheme "ftp"`},
		{"proxy without port", Config{Proxy: "http://proxy"}, "missing port"},
		{"proxy bad port", Config{Proxy: "http://proxy:99999"}, "port"},
		{"proxy with path", Config{Proxy: "http://proxy:3128/x"}, "must not have a path"},
		{"socks5 empty user", Config{Proxy: "socks5://:pw@proxy:1080"}, "user name"},
		{"resolve not host:port", Config{Resolve: map[string]string{"example.com": "127.0.0.1"}}, "not host:port"},
		{"resolve bad port", Config{Resolve: map[string]string{"example.com:0": "127.0.0.1"}}, "port"},
		{"resolve bad addr", Config{Resolve: map[string]string{"example.com:443": "localhost"}}, "not an IP address"},
		{"resolve bad host", Config{Resolve: map[string]string{"exa mple.com:443": "127.0.0.1"}}, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				e.Close()
				return
			}
			if err == nil {
				e.Close()
				t.Fatalf("New accepted %+v, want error mentioning %q", tt.cfg, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "probe: ") {
				t.Errorf("error %q, want it to start with \"probe: \" and mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestNewRedactsProxyPassword(t *testing.T) {
	_, err := New(Config{Proxy: "http://user:s3cret@proxy/path"})
	if err == nil {
		t.Fatal("want error")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the proxy password: %v", err)
	}
}

func TestNewDefaults(t *testing.T) {
	e := newEngine(t, Config{Resolve: map[string]string{"Example.COM:443": "[::1]"}})
	c := e.cfg
	if c.Timeout != DefaultTimeout || c.Concurrency != DefaultConcurrency || c.BodyLimit != DefaultBodyLimit ||
		c.MaxHeaderBytes != DefaultMaxHeaderBytes || c.FollowRedirects != 0 || c.Rate != 0 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if got := e.resolve["example.com:443"]; got != "::1" {
		t.Errorf("resolve not normalised: %v", e.resolve)
	}
	if e.limiters != nil {
		t.Errorf("Rate 0 must mean no limiter")
	}
}

func TestParseResolve(t *testing.T) {
	tests := []struct {
		spec         string
		hostport     string
		addr         string
		wantErrMatch string
	}{
		{"example.com:443:127.0.0.1", "example.com:443", "127.0.0.1", ""},
		{"Example.COM:80:10.0.0.1", "example.com:80", "10.0.0.1", ""},
		{"corscope.test:8443:[::1]", "corscope.test:8443", "::1", ""},
		{"corscope.test:8443:::1", "corscope.test:8443", "::1", ""},
		{"a.test:1:[2001:db8::1]", "a.test:1", "2001:db8::1", ""},
		{"[::1]:443:127.0.0.1", "[::1]:443", "127.0.0.1", ""},
		{"example.com", "", "", "missing port"},
		{"example.com:443", "", "", "missing address"},
		{":443:127.0.0.1", "", "", "empty host"},
		{"example.com:http:127.0.0.1", "", "", "port"},
		{"example.com:70000:127.0.0.1", "", "", "port"},
		{"example.com:443:localhost", "", "", "not an IP address"},
		{"example.com:443:", "", "", "not an IP address"},
		{"example.com:443:1.2.3.4,5.6.7.8", "", "", "only one address"},
		{"[::1:443:127.0.0.1", "", "", "unterminated"},
		{"ex ample.com:443:127.0.0.1", "", "", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			hp, addr, err := ParseResolve(tt.spec)
			if tt.wantErrMatch != "" {
				if err == nil {
					t.Fatalf("ParseResolve(%q) = %q, %q; want error", tt.spec, hp, addr)
				}
				if !strings.Contains(err.Error(), tt.wantErrMatch) {
					t.Errorf("error %q does not mention %q", err, tt.wantErrMatch)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResolve(%q): %v", tt.spec, err)
			}
			if hp != tt.hostport || addr != tt.addr {
				t.Errorf("ParseResolve(%q) = %q, %q; want %q, %q", tt.spec, hp, addr, tt.hostport, tt.addr)
			}
		})
	}
}

func nan() float64 {
	var zero float64
	return zero / zero
}

// Issue 11, item 8: a --resolve port written with a leading zero pins the
// same port a URL with that number reaches; before, "018691" was kept as
// written, never matched the URL's port and the name went to DNS.
func TestResolvePortWithLeadingZeroMatches(t *testing.T) {
	hp, addr, err := ParseResolve("corscope.test:018691:127.0.0.1")
	if err != nil || hp != "corscope.test:18691" || addr != "127.0.0.1" {
		t.Fatalf("ParseResolve = %q %q %v", hp, addr, err)
	}
	m, err := normalizeResolve(map[string]string{"Corscope.Test:08080": "127.0.0.1"})
	if err != nil || m["corscope.test:8080"] != "127.0.0.1" {
		t.Fatalf("normalizeResolve = %v %v", m, err)
	}
	srv := newRawServer(t, serveCanned("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
	p := port(t, srv.addr())
	for _, spec := range []string{"corscope.test:0" + p + ":127.0.0.1", "corscope.test:" + p + ":127.0.0.1"} {
		for _, u := range []string{"http://corscope.test:" + p + "/", "http://corscope.test:0" + p + "/"} {
			hp, addr, err := ParseResolve(spec)
			if err != nil {
				t.Fatal(err)
			}
			e := newEngine(t, Config{Resolve: map[string]string{hp: addr}, Timeout: 2 * time.Second})
			if o := runOne(t, e, get(u)); o.Err != nil {
				t.Errorf("--resolve %s, URL %s: %v (the pin was not used)", spec, u, o.Err.Message)
			}
		}
	}
}
