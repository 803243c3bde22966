package purge

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jsonEscapeAll writes every character of s as a \uXXXX escape, as some
// JSON encoders do for non-ASCII and a hostile or odd API may for all.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// tokenEncodings are the forms of the token an API might echo.
func tokenEncodings(tok string) map[string]string {
	half := len(tok) / 2
	var pct, html strings.Builder
	for i := 0; i < len(tok); i++ {
		fmt.Fprintf(&pct, "%%%02X", tok[i])
		fmt.Fprintf(&html, "&#x%x;", tok[i])
	}
	return map[string]string{
		"raw":         tok,
		"json \\u":    jsonEscapeAll(tok),
		"json mixed":  tok[:half] + jsonEscapeAll(tok[half:]),
		"percent":     url.QueryEscape(tok),
		"all percent": pct.String(),
		"html":        html.String(),
		"base64":      base64.StdEncoding.EncodeToString([]byte("Bearer " + tok)),
		"base64url":   base64.RawURLEncoding.EncodeToString([]byte(tok)),
		"hex":         hex.EncodeToString([]byte(tok)),
	}
}

// leaks reports which encodings of tok appear in s.
func leaks(tok, s string) []string {
	var out []string
	for name, form := range tokenEncodings(tok) {
		probe := form
		if strings.HasPrefix(name, "base64") {
			probe = form[len(form)/2-6 : len(form)/2+6] // a stretch from the token's middle
		}
		if strings.Contains(s, probe) {
			out = append(out, name)
		}
	}
	return out
}

func TestScrubDecodesEncodings(t *testing.T) {
	s := readSecret("T", testEnv(map[string]string{"T": testToken}))
	pct := ""
	for i := 0; i < len(testToken); i++ {
		pct += fmt.Sprintf("%%%02X", testToken[i])
	}
	html := ""
	for _, r := range testToken {
		html += fmt.Sprintf("&#%d;", r)
	}
	for name, form := range map[string]string{
		"raw": testToken, "json \\u": jsonEscapeAll(testToken), "json mixed": testToken[:5] + jsonEscapeAll(testToken[5:]),
		"percent": pct, "html": html, "hex": hex.EncodeToString([]byte(testToken)),
		"base64 0": base64.StdEncoding.EncodeToString([]byte(testToken)),
		"base64 1": base64.StdEncoding.EncodeToString([]byte("x" + testToken)),
		"base64 2": base64.URLEncoding.EncodeToString([]byte("Bearer " + testToken)),
	} {
		text := `{"message":"bad token ` + form + `","code":1}`
		got := s.scrub(text)
		if l := leaks(testToken, got); len(l) > 0 || !strings.Contains(got, Redacted) {
			t.Errorf("%s: %q → %q (leaks %v)", name, text, got, l)
		}
		if !strings.HasPrefix(got, `{"message":"bad token `) || !strings.HasSuffix(got, `","code":1}`) {
			t.Errorf("%s: redacted more than the token: %q", name, got)
		}
		// What decodes the text decodes the token too.
		var m struct{ Message string }
		if json.Unmarshal([]byte(text), &m) == nil && strings.Contains(s.scrub(m.Message), testToken) {
			t.Errorf("%s: the decoded message keeps the token", name)
		}
	}
	// Ordinary text is left alone.
	for _, text := range []string{`{"success":true}`, `a\u00e9 %zz &#; \q`, ""} {
		if got := s.scrub(text); got != text {
			t.Errorf("%q changed to %q", text, got)
		}
	}
}

// TestEscapedTokenEchoNeverShown is issue 11 item 11: the stand-in
// Cloudflare API echoes the token JSON-escaped (\u0074\u006f...), URL-
// and base64-encoded, in its error message, a malformed answer and an id.
// Nothing of it reaches a result, an error or the audit log.
func TestEscapedTokenEchoNeverShown(t *testing.T) {
	enc := tokenEncodings(testToken)
	echo := strings.Join([]string{enc["json \\u"], enc["json mixed"], enc["all percent"], enc["base64"], enc["html"]}, " ")
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { // refusal with the token in the message
			writeJSON(w, 400, `{"success":false,"errors":[{"code":6003,"message":"bad token `+echo+`"}]}`)
		},
		func(w http.ResponseWriter) { // not JSON: quoted as is
			writeJSON(w, 200, `<html>token `+echo+`</html>`)
		},
		func(w http.ResponseWriter) { // 5xx: quoted when giving up
			writeJSON(w, 502, `bad gateway for `+echo)
		},
		func(w http.ResponseWriter) { // success, id echoes the token escaped
			writeJSON(w, 200, `{"success":true,"errors":[],"messages":[],"result":{"id":"`+jsonEscapeAll(testToken)+`"}}`)
		},
	}
	for i, answer := range answers {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			api := newFakeAPI(t, func(_ int, w http.ResponseWriter, _ *http.Request) { answer(w) })
			job := cfPrepare(t, urlPlan(t, twoURLs[:1], twoOrigins[0]), cfEntry(api))
			var rec sleepRecorder
			res, err := Execute(context.Background(), job, ExecOptions{Retry: RetryPolicy{Attempts: 1}, Sleep: rec.sleep, Timeout: 5 * time.Second})
			if len(res.Requests) != 1 {
				t.Fatalf("results %+v", res.Requests)
			}
			rr := res.Requests[0]
			texts := []string{rr.Message, strings.Join(rr.IDs, " ")}
			if err != nil {
				texts = append(texts, err.Error())
			}
			path := filepath.Join(t.TempDir(), "purge.log")
			if err := AppendAudit(path, AuditEntries(job, res)); err != nil {
				t.Fatal(err)
			}
			log, _ := os.ReadFile(path)
			texts = append(texts, string(log))
			for _, s := range texts {
				if l := leaks(testToken, s); len(l) > 0 {
					t.Errorf("token (%v) in %q", l, s)
				}
			}
			if i == 3 && (!rr.OK || len(rr.IDs) != 1 || rr.IDs[0] != Redacted) {
				t.Errorf("success with an echoed id: ok %v ids %q", rr.OK, rr.IDs)
			}
			if i != 3 && (rr.OK || !strings.Contains(rr.Message, Redacted)) {
				t.Errorf("message %q", rr.Message)
			}
		})
	}
}

// TestAnswerParsedBeforeRedaction: a token that happens to spell part of
// the API's JSON must not turn a success into "malformed". Redaction
// applies to what is shown, after the answer was read.
func TestAnswerParsedBeforeRedaction(t *testing.T) {
	const tok = `"success":true`
	api := newFakeAPI(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, `{"success":true,"errors":[],"messages":[],"result":{"id":"abc123"}}`)
	})
	job, err := Prepare(urlPlan(t, twoURLs[:1]), Options{Providers: []Settings{cfEntry(api)}, Getenv: testEnv(map[string]string{"CF_TEST_TOKEN": tok})})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), job, ExecOptions{Retry: RetryPolicy{Attempts: 1}, Timeout: 5 * time.Second})
	if err != nil || !res.Requests[0].OK || res.Requests[0].IDs[0] != "abc123" {
		t.Fatalf("a successful purge reported as %v: %+v", err, res.Requests)
	}
}

// TestShortTokenRefused: a token shorter than MinTokenLen is refused
// before anything is sent, without showing it.
func TestShortTokenRefused(t *testing.T) {
	api := newFakeAPI(t, func(_ int, w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, cfOK("x")) })
	for _, tok := range []string{"t", "true", "1234567"} {
		job, err := Prepare(urlPlan(t, twoURLs[:1]), Options{Providers: []Settings{cfEntry(api)}, Getenv: testEnv(map[string]string{"CF_TEST_TOKEN": tok})})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Execute(context.Background(), job, ExecOptions{})
		if err == nil || !strings.Contains(err.Error(), "the token in $CF_TEST_TOKEN is shorter than 8 characters (value not shown)") || strings.Contains(err.Error(), "\""+tok) {
			t.Errorf("%q: %v", tok, err)
		}
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests sent with a short token", n)
	}
}
