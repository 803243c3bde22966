package cachemodel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzURLInput: target URLs and origins from the command line, config
// files and stdin never make the parsers panic; errors are one line; what
// is accepted is ASCII, as sent on the wire, and parsing it again gives it
// back unchanged.
func FuzzURLInput(f *testing.F) {
	for _, s := range []string{
		"https://cdn.example.com/app.js?v=1#top", "http://[::1]:8080/x", "https://bücher.example/straße?q=ü",
		"example.com/a.js", "//example.com/", "https://user:pw@a.example/", "https://a.example:99999/",
		"https://\u202eevil.example/", "http://a b/", "https://a.example/p?q=a b&r=<x>", "null",
		"https://a.example", "https://A.Example:443", "http://[fe80::1%25eth0]:1/", "https://xn--bcher-kva.example",
		"https://a.example/", "https://a.example?x", "https://a.example#f", "", " ", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u, err := ParseTargetURL(s); err != nil {
			oneLineError(t, err)
		} else {
			out := u.String()
			if !isASCII(out) {
				t.Fatalf("ParseTargetURL(%q) = %q: not ASCII", s, out)
			}
			again, err := ParseTargetURL(out)
			if err != nil || again.String() != out {
				t.Fatalf("%q -> %q -> %v %v", s, out, again, err)
			}
		}
		if o, err := ParseOrigin(s); err != nil {
			oneLineError(t, err)
		} else {
			// An origin is "null" or scheme "://" host [":" port]: ASCII,
			// lower-case scheme, and nothing after the authority (no path,
			// query, fragment, userinfo or space).
			scheme, rest, ok := strings.Cut(o, "://")
			if o != "null" && (!ok || (scheme != "http" && scheme != "https") || rest == "" ||
				strings.ContainsAny(rest, "/?#@ \\") || !isASCII(o)) {
				t.Fatalf("ParseOrigin(%q) = %q: not an origin", s, o)
			}
			if again, err := ParseOrigin(o); err != nil || again != o {
				t.Fatalf("%q -> %q -> %q %v", s, o, again, err)
			}
		}
	})
}

func oneLineError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
		t.Fatalf("error %q is not one valid line", msg)
	}
}
