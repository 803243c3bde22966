package cachemodel

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:S3cret@proxy:3128":       "http://user:REDACTED@proxy:3128",
		"socks5://user:S3cret@proxy:1080/":    "socks5://user:REDACTED@proxy:1080/",
		"https://TOKEN@host/a":                "https://REDACTED@host/a",
		"http://user:@host":                   "http://user:REDACTED@host",
		"http://user:p@ss:w@rd@host:1/x@y":    "http://user:REDACTED@host:1/x@y",
		"http://user:pa ss@host:x":            "http://user:REDACTED@host:x",
		"user:S3cret@proxy:3128":              "user:REDACTED@proxy:3128",
		"http://host/path@x":                  "http://host/path@x",
		"http://host?q=a@b":                   "http://host?q=a@b",
		"http://host":                         "http://host",
		"":                                    "",
		"http://u:S3cret@[::1]:8080/{path}?a": "http://u:REDACTED@[::1]:8080/{path}?a",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactCredentials(t *testing.T) {
	for in, want := range map[string]string{
		`bad URL "http://u:S3cret@h:x": invalid port ":x" after host`:           `bad URL "http://u:REDACTED@h:x": invalid port ":x" after host`,
		`bad URL "http://u:S3 cr\"et@h": credentials in URLs are not supported`: `bad URL "http://u:REDACTED@h": credentials in URLs are not supported`,
		`proxy http://a:S3cret@p:1 and https://TOKEN@q/x failed`:                `proxy http://a:REDACTED@p:1 and https://REDACTED@q/x failed`,
		`"https://u@app.example.com" is not an origin: it has userinfo (user@)`: `"https://REDACTED@app.example.com" is not an origin: it has userinfo (user@)`,
		`GET http://host/a@b: 404`:                                              `GET http://host/a@b: 404`,
		`no url here, mail me@example.com`:                                      `no url here, mail me@example.com`,
		`'http://u:S3cret@h/'`:                                                  `'http://u:REDACTED@h/'`,
		"line one http://u:S3cret@h\nline two http://h/ ok":                     "line one http://u:REDACTED@h\nline two http://h/ ok",
	} {
		if got := RedactCredentials(in); got != want {
			t.Errorf("RedactCredentials(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestCurlCommandHidesProxyPassword(t *testing.T) {
	cmd := CurlCommand("GET", "http://127.0.0.1:8080/a.js", nil, CurlOptions{Proxy: "http://alice:S3cretPw@127.0.0.1:3128"})
	if strings.Contains(cmd, "S3cretPw") || !strings.Contains(cmd, "--proxy http://alice:REDACTED@127.0.0.1:3128") {
		t.Fatalf("curl command %q", cmd)
	}
}

func TestTargetAndOriginErrorsHidePasswords(t *testing.T) {
	for _, s := range []string{
		"http://u:S3cretPw@127.0.0.1/", "http://u:S3cretPw@127.0.0.1:x/", "ftp://u:S3cretPw@h/", "u:S3cretPw@h",
		"http://u:S3cret Pw@h/", "http://S3cretPw@127.0.0.1/",
	} {
		if _, err := ParseTargetURL(s); err == nil || strings.Contains(err.Error(), "S3cret") {
			t.Errorf("ParseTargetURL(%q) error %v", s, err)
		}
		if _, err := ParseOrigin(s); err == nil || strings.Contains(err.Error(), "S3cret") {
			t.Errorf("ParseOrigin(%q) error %v", s, err)
		}
	}
}
