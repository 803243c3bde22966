package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const proxyPassword = "S3cretPw-9f2c"

// authProxy is a loopback HTTP proxy that demands the password and answers
// every proxied request itself (it never connects anywhere). It counts
// requests that carried the right credentials.
func authProxy(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var ok atomic.Int64
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+proxyPassword))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != want {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		ok.Add(1)
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.Header().Set("Vary", "Origin")
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &ok
}

func assertNoPassword(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, proxyPassword) || strings.Contains(out, "S3cret") {
		t.Errorf("%s: the password is in the output:\n%s", what, out)
	}
}

// TestProxyPasswordNeverPrinted: the proxy's password from --proxy or the
// config file is sent to the proxy but appears in no report format (the
// curl reproducers carry user:REDACTED@) and not in config check.
func TestProxyPasswordNeverPrinted(t *testing.T) {
	proxy, authed := authProxy(t)
	proxyURL := strings.Replace(proxy.URL, "http://", "http://alice:"+proxyPassword+"@", 1)
	redacted := strings.Replace(proxy.URL, "http://", "http://alice:REDACTED@", 1)
	target := "http://127.0.0.1:9/a.js" // never contacted: the proxy answers
	cfg := writeConfig(t, fmt.Sprintf("[probe]\nproxy = %q\n", proxyURL), 0o600)

	for _, src := range []struct {
		name string
		args []string
	}{
		{"flag", []string{"--proxy", proxyURL}},
		{"config", []string{"--config", cfg}},
	} {
		for _, format := range []string{"json", "table", "markdown"} {
			before := authed.Load()
			args := append([]string{"check", "--mode", "observe", "--rounds", "1", "--format", format, "-o", "https://app.example.com"}, src.args...)
			code, out, errs := runCLI(t, "", append(args, target)...)
			what := src.name + " " + format
			assertNoPassword(t, what, out+errs)
			if code != exitOK {
				t.Fatalf("%s: exit %d, stderr %s", what, code, errs)
			}
			if authed.Load()-before != 4 {
				t.Fatalf("%s: %d requests reached the proxy with its password, want 4", what, authed.Load()-before)
			}
			if format == "json" {
				rep := decodeReport(t, out)
				for _, v := range rep.Targets[0].Variants {
					if !strings.Contains(v.Curl, "--proxy "+redacted+" ") {
						t.Fatalf("%s: curl reproducer %q lacks --proxy %s", what, v.Curl, redacted)
					}
				}
			}
		}
	}
	code, out, errs := runCLI(t, "", "config", "check", cfg)
	assertNoPassword(t, "config check", out+errs)
	if code != exitOK || !strings.Contains(out, redacted) {
		t.Fatalf("config check: exit %d, stdout:\n%s", code, out)
	}
}

// TestURLPasswordsNotEchoedInErrors: every place a URL is typed or
// configured rejects or reports it without its password.
func TestURLPasswordsNotEchoedInErrors(t *testing.T) {
	bad := "http://bob:" + proxyPassword + "@127.0.0.1:1/a.js"
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"argument", "", []string{"check", bad}},
		{"argument, bad port", "", []string{"check", "http://bob:" + proxyPassword + "@127.0.0.1:x/"}},
		{"stdin", bad + "\n", []string{"check", "-"}},
		{"origin", "", []string{"check", "-o", "https://bob:" + proxyPassword + "@app.example.com", "http://127.0.0.1:1/"}},
		{"--proxy without port", "", []string{"check", "--proxy", "http://bob:" + proxyPassword + "@127.0.0.1", "http://127.0.0.1:1/"}},
		{"--proxy bad port", "", []string{"check", "--proxy", "http://bob:" + proxyPassword + "@127.0.0.1:x", "http://127.0.0.1:1/"}},
		{"--proxy with a space", "", []string{"check", "--proxy", "http://bob:S3cret " + proxyPassword + "@127.0.0.1:1", "http://127.0.0.1:1/"}},
		{"purge argument", "", []string{"purge", "--provider", "http", "--yes", bad}},
	}
	for _, body := range []struct{ name, toml string }{
		{"config url", fmt.Sprintf("[[targets]]\nurl = %q\n", bad)},
		{"config proxy", fmt.Sprintf("[probe]\nproxy = %q\n", "http://bob:"+proxyPassword+"@127.0.0.1")},
		{"config api_base", fmt.Sprintf("[[purge]]\nprovider = \"cloudflare\"\nhosts = [\"*.example.com\"]\nzone_id = \"z\"\napi_base = %q\n", "https://bob:"+proxyPassword+"@127.0.0.1:1/client/v4")},
		{"config url_template", fmt.Sprintf("[[purge]]\nprovider = \"http\"\nhosts = [\"*.example.com\"]\nurl_template = %q\n", "http://bob:"+proxyPassword+"@127.0.0.1:1/purge{path}")},
	} {
		cfg := writeConfig(t, body.toml, 0o600)
		cases = append(cases,
			struct {
				name  string
				stdin string
				args  []string
			}{body.name + " (check)", "", []string{"--config", cfg, "check"}},
			struct {
				name  string
				stdin string
				args  []string
			}{body.name + " (config check)", "", []string{"config", "check", cfg}})
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, c.stdin, c.args...)
		assertNoPassword(t, c.name, out+errs)
		if code != exitUsage || !strings.Contains(errs, "REDACTED@") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and a redacted URL", c.name, code, errs)
		}
	}
}
