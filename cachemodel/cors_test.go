package cachemodel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func corsTestACAO(v ...string) Headers {
	var h Headers
	for _, s := range v {
		h = append(h, Header{"Access-Control-Allow-Origin", s})
	}
	return h
}

func TestCheckCORS(t *testing.T) {
	const a = "https://a.example"
	cases := []struct {
		name   string
		origin string
		h      Headers
		mode   CredentialsMode
		want   BlockReason
		detail string // substring expected in Detail when blocked
	}{
		{"exact match", a, corsTestACAO(a), Anonymous, ReasonNone, ""},
		{"wildcard anonymous", a, corsTestACAO("*"), Anonymous, ReasonNone, ""},
		{"missing", a, Headers{{"Vary", "Origin"}}, Anonymous, ReasonMissingACAO, `"https://a.example"`},
		{"missing credentialed", a, nil, Credentialed, ReasonMissingACAO, ""},
		{"trailing slash", a, corsTestACAO(a + "/"), Anonymous, ReasonACAOMismatch, `ACAO "https://a.example/" does not match Origin "https://a.example" (trailing slash)`},
		{"case", a, corsTestACAO("https://A.example"), Anonymous, ReasonACAOMismatch, "letter case"},
		{"explicit default port", a, corsTestACAO(a + ":443"), Anonymous, ReasonACAOMismatch, "port differs"},
		{"other port", "https://a.example:8443", corsTestACAO(a), Anonymous, ReasonACAOMismatch, "port differs"},
		{"scheme", a, corsTestACAO("http://a.example"), Anonymous, ReasonACAOMismatch, "scheme differs"},
		{"path", a, corsTestACAO(a + "/app"), Anonymous, ReasonACAOMismatch, "path"},
		{"other origin", a, corsTestACAO("https://b.example"), Anonymous, ReasonACAOMismatch, `"https://b.example"`},
		{"empty ACAO", a, corsTestACAO(""), Anonymous, ReasonACAOMismatch, `ACAO ""`},
		{"duplicate same value", a, corsTestACAO(a, a), Anonymous, ReasonDuplicateACAO, `"https://a.example, https://a.example"`},
		{"duplicate wildcard", a, corsTestACAO("*", "*"), Anonymous, ReasonDuplicateACAO, "2 ACAO lines"},
		{"duplicate mixed", a, corsTestACAO(a, "*"), Anonymous, ReasonDuplicateACAO, ""},
		{"comma list in one line", a, corsTestACAO(a + ", https://b.example"), Anonymous, ReasonACAOMismatch, ""},
		{"wildcard credentialed", a, append(corsTestACAO("*"), Header{"Access-Control-Allow-Credentials", "true"}), Credentialed, ReasonWildcardCreds, ""},
		{"credentialed ok", a, append(corsTestACAO(a), Header{"access-control-allow-credentials", "true"}), Credentialed, ReasonNone, ""},
		{"credentialed no ACAC", a, corsTestACAO(a), Credentialed, ReasonACACMissing, ""},
		{"ACAC True", a, append(corsTestACAO(a), Header{"Access-Control-Allow-Credentials", "True"}), Credentialed, ReasonACACNotTrue, `ACAC "True"`},
		{"ACAC 1", a, append(corsTestACAO(a), Header{"Access-Control-Allow-Credentials", "1"}), Credentialed, ReasonACACNotTrue, ""},
		{"ACAC false", a, append(corsTestACAO(a), Header{"Access-Control-Allow-Credentials", "false"}), Credentialed, ReasonACACNotTrue, ""},
		{"ACAC duplicated", a, append(corsTestACAO(a), Header{"Access-Control-Allow-Credentials", "true"}, Header{"Access-Control-Allow-Credentials", "true"}), Credentialed, ReasonACACNotTrue, `"true, true"`},
		{"ACAC ignored when anonymous", a, append(corsTestACAO(a), Header{"Access-Control-Allow-Credentials", "nope"}), Anonymous, ReasonNone, ""},
		{"OWS trimmed like any HTTP parser", a, append(corsTestACAO(" "+a+"\t"), Header{"Access-Control-Allow-Credentials", " true "}), Credentialed, ReasonNone, ""},
		{"null allowed by null", "null", corsTestACAO("null"), Anonymous, ReasonNone, ""},
		{"null credentialed", "null", append(corsTestACAO("null"), Header{"Access-Control-Allow-Credentials", "true"}), Credentialed, ReasonNone, ""},
		{"null case-sensitive", "null", corsTestACAO("Null"), Anonymous, ReasonACAOMismatch, ""},
		{"null origin vs real ACAO", "null", corsTestACAO(a), Anonymous, ReasonACAOMismatch, ""},
		{"control bytes quoted", a, corsTestACAO("\x1b[2Jhttps://evil"), Anonymous, ReasonACAOMismatch, `\x1b[2J`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckCORS(c.origin, c.h, c.mode)
			if got.Reason != c.want || got.Allowed != (c.want == ReasonNone) {
				t.Fatalf("got %+v, want reason %q", got, c.want)
			}
			if got.Allowed && got.Detail != "" {
				t.Errorf("allowed check carries detail %q", got.Detail)
			}
			if !got.Allowed && got.Detail == "" {
				t.Errorf("blocked check has no detail")
			}
			if !strings.Contains(got.Detail, c.detail) {
				t.Errorf("Detail %q does not contain %q", got.Detail, c.detail)
			}
			if strings.ContainsAny(got.Detail, "\x1b\r\n") {
				t.Errorf("Detail leaks control bytes: %q", got.Detail)
			}
		})
	}
}

func TestCORSSummary(t *testing.T) {
	cases := []struct {
		c    CORSCheck
		want string
	}{
		{CORSCheck{Allowed: true}, "allowed"},
		{CORSCheck{Reason: ReasonACAOMismatch}, "blocked: ACAO mismatch"},
		{CORSCheck{Reason: ReasonDuplicateACAO}, "blocked: duplicate ACAO"},
		{CORSCheck{Reason: ReasonWildcardCreds}, "blocked: ACAO * with credentials"},
		{CORSCheck{Reason: ReasonHeaderDenied}, "blocked: header not allowed"},
		{CORSCheck{}, "blocked"},
		{CORSCheck{Reason: "something-new"}, "blocked: something-new"},
	}
	for _, c := range cases {
		if got := c.c.Summary(); got != c.want {
			t.Errorf("Summary(%+v) = %q, want %q", c.c, got, c.want)
		}
	}
	// Every declared reason has a human phrase, not the raw identifier.
	for _, r := range []BlockReason{ReasonMissingACAO, ReasonDuplicateACAO, ReasonACAOMismatch,
		ReasonWildcardCreds, ReasonACACMissing, ReasonACACNotTrue, ReasonPreflightStatus,
		ReasonMethodDenied, ReasonHeaderDenied, ReasonBadAllowList} {
		if s := (CORSCheck{Reason: r}).Summary(); strings.Contains(s, string(r)) {
			t.Errorf("reason %q has no phrase: %q", r, s)
		}
	}
}

func FuzzCheckCORS(f *testing.F) {
	f.Add("https://a.example", "https://a.example", "", "true", false)
	f.Add("https://a.example", "*", "*", "true", true)
	f.Add("null", "null", "", "True", true)
	f.Add("https://a.example", "https://a.example/", "x", "", false)
	f.Fuzz(func(t *testing.T, origin, v1, v2, acac string, cred bool) {
		h := Headers{{"Access-Control-Allow-Origin", v1}}
		if v2 != "" {
			h = append(h, Header{"access-control-allow-origin", v2})
		}
		if acac != "" {
			h = append(h, Header{"Access-Control-Allow-Credentials", acac})
		}
		for _, hh := range []Headers{h, h[1:], nil} {
			c := CheckCORS(origin, hh, CredentialsMode(cred))
			if c.Allowed && hh.Count("Access-Control-Allow-Origin") == 0 {
				t.Fatalf("allowed without an ACAO line: %+v", hh)
			}
			if c.Allowed != (c.Reason == ReasonNone) {
				t.Fatalf("Allowed and Reason disagree: %+v", c)
			}
			if c.Allowed && cred {
				if v, _ := corsGet(hh, "Access-Control-Allow-Credentials"); v != "true" {
					t.Fatalf("credentialed pass without ACAC true: %+v", hh)
				}
			}
			if !utf8.ValidString(c.Detail) || strings.ContainsAny(c.Detail, "\x00\x1b\r\n\x7f") {
				t.Fatalf("Detail not safe: %q", c.Detail)
			}
		}
	})
}
