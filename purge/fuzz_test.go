package purge

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzProviderAnswers: whatever an API or cache answers (status, body,
// rate-limit headers), reading it never panics; a failure has a reason and
// success has none; a raw body is quoted escaped; waits are never negative.
func FuzzProviderAnswers(f *testing.F) {
	seeds := []struct {
		status     int
		body, rl   string
		retryAfter string
	}{
		{200, cfOK("x"), "", ""},
		{200, `{"success":false,"errors":[{"code":1,"message":"m","error_chain":[{"code":2,"message":"\u001b[31m"}]}]}`, "", ""},
		{429, `{}`, `"default";r=0;t=30`, "7"},
		{503, "<html>\x1b]0;x\x07</html>", "", "Wed, 21 Oct 2015 07:28:00 GMT"},
		{200, `{"status":"ok","id":"f"}`, "", ""},
		{200, `{"k1":"id1","k2":2}`, `"a";r=5;t=99999999999`, "-1"},
		{401, `{"msg":"Provided credentials are missing or invalid","detail":"\xff"}`, "", ""},
		{404, "not cached", "", ""},
		{200, `{"success":tru`, "r=;t=", "99999999999999999999"},
	}
	for _, s := range seeds {
		f.Add(s.status, s.body, s.rl, s.retryAfter)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body, ratelimit, retryAfter string) {
		h := http.Header{}
		h.Set("Ratelimit", ratelimit)
		h.Set("Retry-After", retryAfter)
		for name, read := range map[string]func(int, http.Header, []byte, []byte) reply{
			"cloudflare": interpretCloudflare, "fastly": interpretFastly, "http": interpretHTTP,
		} {
			r := read(status, h, []byte(body), []byte(body))
			if r.ok != (r.errText == "") {
				t.Fatalf("%s: ok %v with reason %q", name, r.ok, r.errText)
			}
			// Text the interpreters quote from a raw body goes through
			// snippet and is terminal-safe; messages decoded from the APIs'
			// JSON are not escaped here (callers escape what they print).
			if strings.Contains(body, "\x1b") && strings.Contains(r.errText, "\x1b") && !json.Valid([]byte(body)) {
				t.Fatalf("%s: raw ESC from a non-JSON body in %q", name, r.errText)
			}
		}
		if d, ok := rateLimitWait(h, now); ok && d < 0 {
			t.Fatalf("negative wait %v", d)
		}
		if d, ok := budgetSpent(h); ok && d <= 0 {
			t.Fatalf("spent budget with reset %v", d)
		}
	})
}
