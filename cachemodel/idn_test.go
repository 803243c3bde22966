package cachemodel

import (
	"strings"
	"testing"
)

func TestIDNHostsArePunycoded(t *testing.T) {
	urls := []struct{ in, want, err string }{
		{"https://bücher.example/straße?q=ü", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC", ""},
		{"https://BÜCHER.example:8443/", "https://xn--bcher-kva.example:8443/", ""},
		{"http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/", ""},
		{"https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/", ""},
		{"https://under_score.example/", "https://under_score.example/", ""},
		{"https://[::1]:8443/x", "https://[::1]:8443/x", ""},
		{"https://a.example/p?q=a b&r=<x>&s='y'&t=%20", "https://a.example/p?q=a%20b&r=%3Cx%3E&s=%27y%27&t=%20", ""},
		{"https://\u202eevil.example/", "", "not a valid internationalised domain name"},
		{"https://a\u200db.example/", "", "not a valid internationalised domain name"},
	}
	for _, tt := range urls {
		u, err := ParseTargetURL(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseTargetURL(%q) = %v, %v; want error %q", tt.in, u, err, tt.err)
			}
		case err != nil:
			t.Errorf("ParseTargetURL(%q): %v", tt.in, err)
		case u.String() != tt.want:
			t.Errorf("ParseTargetURL(%q) = %q, want %q", tt.in, u.String(), tt.want)
		}
	}
	origins := []struct{ in, want string }{
		{"https://bücher.example", "https://xn--bcher-kva.example"},
		{"https://Bücher.example:443", "https://xn--bcher-kva.example"},
		{"http://例え.テスト:8080", "http://xn--r8jz45g.xn--zckzah:8080"},
	}
	for _, tt := range origins {
		if got, err := ParseOrigin(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseOrigin("https://\u202eevil.example"); err == nil || strings.ContainsRune(err.Error(), '\u202e') {
		t.Errorf("bidi origin: %v (the message must quote the host escaped)", err)
	}
}

func TestHostCharacters(t *testing.T) {
	for _, bad := range []string{"http://%25/", "http://a*b.example/", "http://a!b/", "http://a$b/"} {
		if u, err := ParseTargetURL(bad); err == nil || !strings.Contains(err.Error(), "not allowed in a host name") {
			t.Errorf("ParseTargetURL(%q) = %v, %v", bad, u, err)
		}
	}
	for _, ok := range []string{"http://my_host.internal/", "http://127.0.0.1:8080/", "http://[fe80::1%25eth0]:1/", "http://example.com./"} {
		if _, err := ParseTargetURL(ok); err != nil {
			t.Errorf("ParseTargetURL(%q): %v", ok, err)
		}
	}
	if _, err := ParseOrigin("http://[fe80::1%25eth0]"); err == nil || !strings.Contains(err.Error(), "IPv6 zone") {
		t.Errorf("zone in an origin: %v", err)
	}
}
