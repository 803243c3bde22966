package cachemodel

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheckPreflight(t *testing.T) {
	const a = "https://a.example"
	ok := func(extra ...Header) Headers {
		return append(Headers{{"Access-Control-Allow-Origin", a}}, extra...)
	}
	cred := Header{"Access-Control-Allow-Credentials", "true"}
	acam := func(v string) Header { return Header{"Access-Control-Allow-Methods", v} }
	acah := func(v string) Header { return Header{"Access-Control-Allow-Headers", v} }
	req := func(m string, mode CredentialsMode, hs ...string) PreflightRequest {
		return PreflightRequest{Origin: a, Method: m, Headers: hs, Mode: mode}
	}
	cases := []struct {
		name   string
		req    PreflightRequest
		status int
		h      Headers
		want   BlockReason
		detail string
	}{
		{"simple GET needs nothing", req("GET", Anonymous), 204, ok(), ReasonNone, ""},
		{"POST safelisted", req("post", Anonymous), 200, ok(), ReasonNone, ""},
		{"PUT listed", req("PUT", Anonymous), 200, ok(acam("GET, PUT")), ReasonNone, ""},
		{"put request normalised, ACAM Put is not", req("put", Anonymous), 200, ok(acam("Put")), ReasonMethodDenied, `method "PUT" is not in ACAM "Put" (methods are case-sensitive)`},
		{"ACAM put does not allow PUT", req("PUT", Anonymous), 200, ok(acam("put")), ReasonMethodDenied, "case-sensitive"},
		{"ACAM put does not allow PUT, credentialed", req("PUT", Credentialed), 200, ok(cred, acam("put")), ReasonMethodDenied, "case-sensitive"},
		{"put request normalised matches ACAM PUT", req("put", Anonymous), 200, ok(acam("PUT")), ReasonNone, ""},
		{"safelisted get always allowed", req("get", Credentialed), 200, ok(cred, acam("put")), ReasonNone, ""},
		{"DELETE over two ACAM lines", req("DELETE", Anonymous), 200, ok(acam("PUT"), acam("DELETE")), ReasonNone, ""},
		{"PATCH is case-sensitive", req("PATCH", Anonymous), 200, ok(acam("patch")), ReasonMethodDenied, "case-sensitive"},
		{"patch is case-sensitive", req("patch", Anonymous), 200, ok(acam("PATCH")), ReasonMethodDenied, `"patch"`},
		{"PUT missing ACAM", req("PUT", Anonymous), 200, ok(), ReasonMethodDenied, "no ACAM"},
		{"PUT not listed", req("PUT", Anonymous), 200, ok(acam("GET, POST")), ReasonMethodDenied, `ACAM "GET, POST"`},
		{"method wildcard anonymous", req("PURGE", Anonymous), 200, ok(acam("*")), ReasonNone, ""},
		{"method wildcard credentialed", req("PUT", Credentialed), 200, ok(cred, acam("*")), ReasonMethodDenied, "literal"},
		{"method literal star credentialed still lists PUT", req("PUT", Credentialed), 200, ok(cred, acam("*, PUT")), ReasonNone, ""},
		{"header listed any case", req("GET", Anonymous, "X-Api-Key"), 200, ok(acah("x-api-key")), ReasonNone, ""},
		{"header not listed", req("GET", Anonymous, "x-api-key", "x-trace"), 200, ok(acah("x-trace")), ReasonHeaderDenied, `"x-api-key" is not in ACAH "x-trace"`},
		{"no ACAH", req("GET", Anonymous, "content-type"), 200, ok(), ReasonHeaderDenied, "no ACAH"},
		{"header wildcard anonymous", req("GET", Anonymous, "x-a", "x-b"), 200, ok(acah("*")), ReasonNone, ""},
		{"header wildcard credentialed", req("GET", Credentialed, "x-a"), 200, ok(cred, acah("*")), ReasonHeaderDenied, "literal"},
		{"authorization not covered by star", req("GET", Anonymous, "Authorization"), 200, ok(acah("*")), ReasonHeaderDenied, "never covers Authorization"},
		{"authorization named explicitly", req("GET", Anonymous, "authorization"), 200, ok(acah("*, Authorization")), ReasonNone, ""},
		{"authorization named, credentialed", req("GET", Credentialed, "authorization"), 200, ok(cred, acah("authorization")), ReasonNone, ""},
		{"duplicate request names once", req("GET", Anonymous, "x-a", "X-A", " "), 200, ok(acah("x-a")), ReasonNone, ""},
		{"status 404", req("PUT", Anonymous), 404, ok(acam("PUT")), ReasonPreflightStatus, "404"},
		{"status 301", req("GET", Anonymous), 301, ok(), ReasonPreflightStatus, ""},
		{"status 299 ok", req("GET", Anonymous), 299, ok(), ReasonNone, ""},
		{"status 300", req("GET", Anonymous), 300, ok(), ReasonPreflightStatus, ""},
		{"CORS check first", req("PUT", Anonymous), 500, Headers{acam("PUT")}, ReasonMissingACAO, "preflight:"},
		{"CORS check uses actual credentials mode", req("GET", Credentialed), 200, ok(), ReasonACACMissing, ""},
		{"star ACAO credentialed", req("GET", Credentialed), 200, Headers{{"Access-Control-Allow-Origin", "*"}, cred}, ReasonWildcardCreds, ""},
		{"bad ACAM", req("GET", Anonymous), 200, ok(acam("GET POST")), ReasonBadAllowList, "ACAM"},
		{"bad ACAH even if unused", req("GET", Anonymous), 200, ok(acah(`"x-a"`)), ReasonBadAllowList, "ACAH"},
		{"empty ACAM parses", req("GET", Anonymous), 200, ok(acam("")), ReasonNone, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckPreflight(c.req, c.status, c.h)
			if got.Reason != c.want || got.Allowed != (c.want == ReasonNone) {
				t.Fatalf("got %+v, want reason %q", got, c.want)
			}
			if !got.Allowed && !strings.Contains(got.Detail, c.detail) {
				t.Errorf("Detail %q does not contain %q", got.Detail, c.detail)
			}
		})
	}
}

func TestIsSafelistedHeader(t *testing.T) {
	cases := []struct {
		name, value string
		want        bool
	}{
		{"Accept", "*/*", true},
		{"accept", "text/html, application/json;q=0.9", true},
		{"Accept", "text/(html)", false},
		{"Accept", strings.Repeat("a", 128), true},
		{"Accept", strings.Repeat("a", 129), false},
		{"Accept", "a\tb", true},
		{"Accept", "a\x01b", false},
		{"Accept-Language", "en-US,en;q=0.5", true},
		{"Content-Language", "de-DE", true},
		{"Accept-Language", "en_US", false},
		{"Accept-Language", "en\"", false},
		{"Content-Type", "text/plain", true},
		{"content-type", "TEXT/Plain; charset=utf-8", true},
		{"Content-Type", "application/x-www-form-urlencoded", true},
		{"Content-Type", "multipart/form-data; boundary=x", true},
		{"Content-Type", " text/plain ", true},
		{"Content-Type", "application/json", false},
		{"Content-Type", "text/plain, application/json", false},
		{"Content-Type", `text/plain; charset="utf-8"`, false}, // '"' is an unsafe byte
		{"Content-Type", "text/plain; a=b:c", false},
		{"Content-Type", "text/", false},
		{"Content-Type", "plain", false},
		{"Content-Type", "", false},
		{"Range", "bytes=0-", true},
		{"Range", "bytes=10-20", true},
		{"Range", "bytes=20-10", false},
		{"Range", "bytes=99999999999999999999999-100000000000000000000000", true},
		{"Range", "bytes=-500", false},
		{"Range", "bytes=0-1,3-4", false},
		{"Range", "bytes = 0-1", false},
		{"Range", "Bytes=0-1", false},
		{"Range", "bytes=0-1 ", false},
		{"Range", "bytes=", false},
		{"Authorization", "Bearer x", false},
		{"X-Requested-With", "XMLHttpRequest", false},
		{"Content-Length", "0", false},
	}
	for _, c := range cases {
		if got := IsSafelistedHeader(c.name, c.value); got != c.want {
			t.Errorf("IsSafelistedHeader(%q, %q) = %v, want %v", c.name, c.value, got, c.want)
		}
	}
}

func TestNeedsPreflight(t *testing.T) {
	long := strings.Repeat("a", 120)
	manyAccept := Headers{}
	for range 9 {
		manyAccept = append(manyAccept, Header{"Accept", long}) // 9×120 > 1024
	}
	cases := []struct {
		name   string
		method string
		h      Headers
		want   bool
		unsafe []string
	}{
		{"plain GET", "GET", nil, false, []string{}},
		{"lower-case get", "get", nil, false, []string{}},
		{"PUT", "PUT", nil, true, []string{}},
		{"patch", "patch", nil, true, []string{}},
		{"OPTIONS", "OPTIONS", nil, true, []string{}},
		{"form POST", "POST", Headers{{"Content-Type", "application/x-www-form-urlencoded"}}, false, []string{}},
		{"JSON POST", "POST", Headers{{"Content-Type", "application/json"}}, true, []string{"content-type"}},
		{"custom header", "GET", Headers{{"X-Api-Key", "k"}, {"Authorization", "Bearer t"}, {"x-api-key", "k2"}}, true, []string{"authorization", "x-api-key"}},
		{"browser-supplied headers ignored", "GET", Headers{{"Origin", "https://a.example"}, {"Host", "h"},
			{"User-Agent", "corscope"}, {"Cookie", "a=b"}, {"Sec-Fetch-Mode", "cors"}, {"Proxy-Authorization", "x"},
			{"Accept-Encoding", "gzip"}, {"Accept", "*/*"}}, false, []string{}},
		{"safelisted values over 1024 bytes total", "GET", manyAccept, true, []string{"accept"}},
		{"suffix range", "GET", Headers{{"Range", "bytes=-1"}}, true, []string{"range"}},
	}
	for _, c := range cases {
		if got := NeedsPreflight(c.method, c.h); got != c.want {
			t.Errorf("%s: NeedsPreflight = %v, want %v", c.name, got, c.want)
		}
		if got := CORSUnsafeHeaderNames(c.h); !reflect.DeepEqual(got, c.unsafe) {
			t.Errorf("%s: CORSUnsafeHeaderNames = %q, want %q", c.name, got, c.unsafe)
		}
	}
}

func FuzzCheckPreflight(f *testing.F) {
	f.Add("https://a.example", "PUT", "x-a,authorization", "https://a.example", "PUT, *", "*", "true", 200, false)
	f.Add("null", "patch", "", "null", "PATCH", "", "", 204, true)
	f.Add("https://a.example", "GET", "content-type", "*", "", "Content-Type", "True", 404, false)
	f.Fuzz(func(t *testing.T, origin, method, reqHeaders, acaoV, acamV, acahV, acacV string, status int, cred bool) {
		h := Headers{{"Access-Control-Allow-Origin", acaoV}, {"Access-Control-Allow-Methods", acamV},
			{"Access-Control-Allow-Headers", acahV}, {"Access-Control-Allow-Credentials", acacV}}
		req := PreflightRequest{Origin: origin, Method: method, Headers: strings.Split(reqHeaders, ","), Mode: CredentialsMode(cred)}
		c := CheckPreflight(req, status, h)
		if c.Allowed != (c.Reason == ReasonNone) {
			t.Fatalf("Allowed and Reason disagree: %+v", c)
		}
		if !c.Allowed {
			return
		}
		// An allowed preflight passed the CORS check, had a 2xx status, and
		// allowed Authorization only by name.
		if !CheckCORS(origin, h, req.Mode).Allowed || status < 200 || status > 299 {
			t.Fatalf("allowed preflight that fails the basics: %+v", c)
		}
		for _, n := range req.Headers {
			if strings.EqualFold(strings.Trim(n, " \t"), "authorization") {
				names, _ := ParseFieldList([]string{acahV})
				if !listedIn(names, "authorization") {
					t.Fatalf("Authorization allowed without being listed in %q", acahV)
				}
			}
		}
	})
}
