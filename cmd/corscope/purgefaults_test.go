package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// purgeFaultRun runs `purge --yes --no-verify` against api and returns the
// output and the audit log, checking that the token is in none of them.
func purgeFaultRun(t *testing.T, env map[string]string, cfg string, args ...string) (purgeOut, string) {
	t.Helper()
	all := append([]string{"purge", "--config", cfg, "--yes", "--no-verify"}, args...)
	r := runPurgeCLI(t, env, "", false, all...) // fails the test if the token is on stdout or stderr
	log, _ := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
	if strings.Contains(string(log), purgeToken) {
		t.Errorf("the audit log holds the token:\n%s", log)
	}
	return r, string(log)
}

// 401 and 403 are told apart: a wrong token or a missing permission, with
// the variable the token came from.
func TestPurgeAuthFailuresSayWhich(t *testing.T) {
	cases := []struct {
		status int
		body   string
		env    bool
		want   string
	}{
		{401, `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}`, true,
			"hint: cloudflare zone zone42 answered 401: the token in $CF_TEST_TOKEN is wrong (mistyped, expired or revoked)"},
		{403, `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}`, true,
			"hint: cloudflare zone zone42 answered 403: the token in $CF_TEST_TOKEN was recognised but lacks the Cache Purge permission on this zone"},
		{400, `{"success":false,"errors":[{"code":1012,"message":"bad request ` + purgeToken + `"}]}`, true, ""},
	}
	for _, c := range cases {
		api := newFakeCloudflare(t, c.status, c.body)
		env := purgeEnv(t)
		r, log := purgeFaultRun(t, env, cloudflareConfig(t, api.URL+"/client/v4"), "https://cdn.example.com/a.js")
		if r.code != exitFailed || api.count() != 1 {
			t.Errorf("%d: exit %d, %d requests (auth failures are not retried)", c.status, r.code, api.count())
		}
		if c.want != "" && !strings.Contains(r.stdout, c.want) {
			t.Errorf("%d: stdout lacks %q:\n%s", c.status, c.want, r.stdout)
		}
		if c.want == "" && strings.Contains(r.stdout, "hint:") {
			t.Errorf("%d: a hint for a non-auth failure:\n%s", c.status, r.stdout)
		}
		if !strings.Contains(log, `"outcome":"failed"`) {
			t.Errorf("%d: audit %s", c.status, log)
		}
	}
}

// A Fastly service that demands a token nobody set says so.
func TestPurgeFastlyWantsAToken(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"msg":"Provided credentials are missing or invalid"}`)
	}))
	defer api.Close()
	cfg := writeConfig(t, "[[purge]]\nprovider = \"fastly\"\napi_base = \""+api.URL+"\"\n", 0o600)
	r, _ := purgeFaultRun(t, purgeEnv(t), cfg, "https://static.example.net/a.js")
	if r.code != exitFailed || !strings.Contains(r.stdout, "hint: fastly answered 401: it wants a token, and $FASTLY_API_TOKEN is not set") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
}

// A batch failing half-way: the output lists exactly which copies were
// purged and which were not, and why.
func TestPurgePartialBatchListsCopies(t *testing.T) {
	var n atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 2 {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"success":false,"errors":[{"code":1012,"message":"\u001b]0;x\u0007 refused"}]}`)
			return
		}
		_, _ = io.WriteString(w, cfSuccess)
	}))
	defer api.Close()
	cfg := writeConfig(t, `
[[purge]]
provider = "cloudflare"
token_env = "CF_TEST_TOKEN"
api_base = "`+api.URL+`/client/v4"
zone_id = "zone42"
batch_size = 2
`, 0o600)
	env := purgeEnv(t)
	r, log := purgeFaultRun(t, env, cfg, "-o", "https://app.example.com",
		"https://cdn.example.com/1.js", "https://cdn.example.com/2.js", "https://cdn.example.com/3.js")
	if r.code != exitFailed {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := []string{
		"purged 4 of 6 cached copies; not purged:",
		"  ✗ https://cdn.example.com/2.js  (no Origin): Cloudflare API refused the purge (HTTP 400, success:false): code 1012: \\x1b]0;x\\x07 refused",
		"  ✗ https://cdn.example.com/2.js  https://app.example.com: Cloudflare API refused",
		"purged:\n  ✓ https://cdn.example.com/1.js  (no Origin)\n  ✓ https://cdn.example.com/1.js  https://app.example.com\n" +
			"  ✓ https://cdn.example.com/3.js  (no Origin)\n  ✓ https://cdn.example.com/3.js  https://app.example.com\n",
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
		t.Errorf("raw control bytes in the output")
	}
	if !strings.Contains(log, `"outcome":"partial"`) {
		t.Errorf("audit %s", log)
	}
}
