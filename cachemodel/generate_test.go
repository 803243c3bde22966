package cachemodel

import (
	"fmt"
	"strings"
	"testing"
)

func TestGenerateOrigins(t *testing.T) {
	target := mustURL("https://www.app.example.com/x.js")
	got := GenerateOrigins(target, []string{"https://app.example.com", "null", "http://127.0.0.1:8080", "https://[::1]:8443"}, "corscope-ab12")
	var lines []string
	for _, v := range got {
		lines = append(lines, fmt.Sprintf("%s %s", v.Kind, v.Origin))
	}
	want := []string{
		"gen-unrelated https://corscope-ab12.example",
		// From the target's own origin.
		"gen-suffix https://evilwww.app.example.com",
		"gen-prefix https://www.app.example.com.corscope-ab12.example",
		"gen-unescaped-dot https://wwwxapp.example.com",
		"gen-special-char https://www.app.example.com_.corscope-ab12.example",
		"gen-subdomain https://corscope-ab12.www.app.example.com",
		"gen-insecure-scheme http://www.app.example.com",
		"gen-other-port https://www.app.example.com:8443",
		// From https://app.example.com.
		"gen-suffix https://evilapp.example.com",
		"gen-prefix https://app.example.com.corscope-ab12.example",
		"gen-unescaped-dot https://appxexample.com",
		"gen-special-char https://app.example.com_.corscope-ab12.example",
		// (its subdomain corscope-ab12.app.example.com is new; www.app is the target)
		"gen-subdomain https://corscope-ab12.app.example.com",
		"gen-insecure-scheme http://app.example.com",
		"gen-other-port https://app.example.com:8443",
		// IP literals get only what makes sense for them.
		"gen-prefix http://127.0.0.1.corscope-ab12.example:8080",
		"gen-other-port http://127.0.0.1:8081",
		"gen-insecure-scheme http://[::1]:8443",
		"gen-other-port https://[::1]:8444",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, v := range got {
		if _, err := ParseOrigin(v.Origin); err != nil && v.Kind != KindGenSpecialChar {
			t.Errorf("%s is not a valid origin: %v", v.Origin, err)
		}
	}
}

func TestGenerateOriginsSkipsKnownOrigins(t *testing.T) {
	// A configured origin equal to a generated one (the insecure-scheme
	// variant here) is not sent twice, nor labelled as an attack.
	target := mustURL("https://app.example.com/")
	for _, v := range GenerateOrigins(target, []string{"http://app.example.com"}, "corscope-1") {
		if v.Origin == "http://app.example.com" || v.Origin == "https://app.example.com" || v.Origin == "null" {
			t.Errorf("generated a known origin: %+v", v)
		}
	}
	// Port 65535 has no "+1".
	got := GenerateOrigins(mustURL("https://a.example:65535/"), nil, "l")
	if last := got[len(got)-1]; last.Origin != "https://a.example:65534" {
		t.Errorf("other port of 65535: %+v", last)
	}
}
