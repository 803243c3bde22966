package cachemodel

import (
	"strings"
	"testing"
)

func TestParseOrigin(t *testing.T) {
	ok := map[string]string{
		"https://app.example.com":      "https://app.example.com",
		"HTTPS://App.Example.COM":      "https://app.example.com",
		"https://app.example.com:443":  "https://app.example.com",
		"http://app.example.com:80":    "http://app.example.com",
		"https://app.example.com:8443": "https://app.example.com:8443",
		"http://[::1]:8080":            "http://[::1]:8080",
		"http://127.0.0.1":             "http://127.0.0.1",
		"null":                         "null",
	}
	for in, want := range ok {
		got, err := ParseOrigin(in)
		if err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                        "empty origin",
		"app.example.com":         "not an origin",
		"https://a.example/path":  "has a path",
		"https://a.example/":      "trailing slash",
		"https://a.example?x=1":   "query",
		"https://a.example#f":     "fragment",
		"https://u:p@a.example":   "userinfo",
		"ftp://a.example":         "scheme must be http or https",
		"https://a.example:99999": "out of range",
		"Null":                    "not an origin",
		"https://a.example:":      "empty port",
	}
	for in, want := range bad {
		_, err := ParseOrigin(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOrigin(%q) error = %v; want it to mention %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseOrigin(%q) error is not one line: %q", in, err)
		}
	}
}

func TestParseTargetURL(t *testing.T) {
	u, err := ParseTargetURL(" https://Cdn.Example.com/a.js?v=1#frag ")
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "https://Cdn.Example.com/a.js?v=1" {
		t.Errorf("got %q", u.String())
	}
	if o := OriginOf(u); o != "https://cdn.example.com" {
		t.Errorf("OriginOf = %q", o)
	}
	u, _ = ParseTargetURL("http://[::1]:8080")
	if u.Path != "/" || OriginOf(u) != "http://[::1]:8080" {
		t.Errorf("ipv6: %q %q", u.String(), OriginOf(u))
	}
	bad := map[string]string{
		"":                      "empty URL",
		"example.com/a.js":      "no scheme; did you mean https://example.com/a.js",
		"not a url":             "no scheme (want http:// or https://)",
		"ftp://example.com/":    "scheme must be http or https",
		"https://":              "no host",
		"https://u:p@x.example": "credentials in URLs",
		"http://x.example:0/":   "out of range",
		"http://[::1/":          "bad URL",
	}
	for in, want := range bad {
		_, err := ParseTargetURL(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTargetURL(%q) error = %v; want it to mention %q", in, err, want)
		}
	}
	// A "did you mean" is only offered when it is itself a URL we take.
	for _, in := range []string{"not a url", "a b/c", "example.com:99999/x"} {
		if _, err := ParseTargetURL(in); err == nil || strings.Contains(err.Error(), "did you mean") {
			t.Errorf("ParseTargetURL(%q) error = %v; want no suggestion that fails too", in, err)
		}
	}
}

// Issue 11, item 8: origins typed the way browsers normalise them are sent
// the way browsers serialise them.
func TestOriginsSerialisedAsBrowsersDo(t *testing.T) {
	for in, want := range map[string]string{
		"https://app.example.com:0443":  "https://app.example.com",
		"https://app.example.com:08443": "https://app.example.com:8443",
		"https://1.2.3":                 "https://1.2.0.3",
		"http://0x7f.0.0.1":             "http://127.0.0.1",
		"http://0x7f.0.0.1:080":         "http://127.0.0.1",
		"http://2130706433:8080":        "http://127.0.0.1:8080",
	} {
		got, err := ParseOrigin(in)
		if err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"https://1.2.3.256", "http://09.0.0.1"} {
		if got, err := ParseOrigin(in); err == nil {
			t.Errorf("ParseOrigin(%q) = %q: a browser rejects this host", in, got)
		}
	}
	for in, want := range map[string][2]string{
		"http://[fe80::1%25eth0]:8080/x": {"http://[fe80::1]:8080", "http://[fe80::1%25eth0]:8080/x"},
		"https://1.2.3:0443/a":           {"https://1.2.0.3", "https://1.2.0.3:443/a"},
		"http://0x7f.0.0.1:018691/":      {"http://127.0.0.1:18691", "http://127.0.0.1:18691/"},
	} {
		u, err := ParseTargetURL(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := OriginOf(u); got != want[0] {
			t.Errorf("OriginOf(%s) = %q, want %q", in, got, want[0])
		}
		if u.String() != want[1] {
			t.Errorf("ParseTargetURL(%s) = %s, want %s", in, u, want[1])
		}
	}
}
