package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// purgeToken is distinctive so any leak is easy to grep for.
const purgeToken = "cf_TOKEN-do-not-print-7Qx93Lk"

type purgeOut struct {
	code           int
	stdout, stderr string
}

// runPurgeCLI runs a command line with the given environment; tty says
// whether stdin is a terminal.
func runPurgeCLI(t *testing.T, env map[string]string, stdin string, tty bool, args ...string) purgeOut {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, stdinTTY: tty,
		getenv: func(k string) string { return env[k] }}
	code := a.run(context.Background(), args)
	r := purgeOut{code, out.String(), errb.String()}
	if strings.Contains(r.stdout+r.stderr, purgeToken) {
		t.Errorf("%v: the token leaked into the output:\n%s\n%s", args, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("%v: stack trace on stderr:\n%s", args, r.stderr)
	}
	return r
}

// purgeEnv is an environment with a state directory for the audit log
// and the token.
func purgeEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{"XDG_STATE_HOME": t.TempDir(), "CF_TEST_TOKEN": purgeToken}
}

func writeConfig(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return path
}

// fakeCloudflare records purge requests and answers with body.
type fakeCloudflare struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	auth   []string
}

func newFakeCloudflare(t *testing.T, status int, body string) *fakeCloudflare {
	t.Helper()
	f := &fakeCloudflare{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCloudflare) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func cloudflareConfig(t *testing.T, apiBase string) string {
	return writeConfig(t, `
[[purge]]
provider = "cloudflare"
hosts = ["*.example.com"]
token_env = "CF_TEST_TOKEN"
api_base = "`+apiBase+`"
zone_id = "zone42"
`, 0o600)
}

// localCloudflareConfig is cloudflareConfig for URLs on 127.0.0.1.
func localCloudflareConfig(t *testing.T, apiBase string) string {
	return writeConfig(t, `
[[purge]]
provider = "cloudflare"
hosts = ["127.0.0.1"]
token_env = "CF_TEST_TOKEN"
api_base = "`+apiBase+`"
zone_id = "zone42"
`, 0o600)
}

const cfSuccess = `{"success":true,"errors":[],"messages":[],"result":{"id":"cli-purge-id"}}`

func TestPurgeUsageErrors(t *testing.T) {
	api := newFakeCloudflare(t, 200, cfSuccess)
	cfg := cloudflareConfig(t, api.URL+"/client/v4")
	noToken := writeConfig(t, "[[purge]]\nprovider = \"cloudflare\"\nzone_id = \"z\"\ntoken_env = \"UNSET_TOKEN_VAR\"\n", 0o600)
	bad := writeConfig(t, "[[purge]]\nprovider = \"cloudflare\"\ntoken = \"abc\"\n", 0o600)
	u := "https://cdn.example.com/app.js"
	cases := []struct {
		args []string
		tty  bool
		want string
	}{
		{[]string{"purge", "--config", cfg}, false, "no URLs given"},
		{[]string{"purge", "--config", cfg, "--host", "a.example.com", "--tag", "t", u}, false, "--host and --tag cannot be combined"},
		{[]string{"purge", "--config", cfg, "--everything", u}, false, "add --yes to confirm"},
		{[]string{"purge", "--config", cfg, "--origin", "https://a.example/", u}, false, "trailing slash"},
		{[]string{"purge", "--config", cfg, "--prefix", "https://cdn.example.com/a", "--yes"}, false, "without the scheme"},
		{[]string{"purge", "--config", cfg, "--provider", "akamai", u}, false, `unknown provider "akamai"`},
		{[]string{"purge", "--config", cfg, "--yes", "https://elsewhere.org/x"}, false, "no purge provider serves elsewhere.org"},
		{[]string{"purge", "--yes", u}, false, "no purge provider configured"},
		{[]string{"purge", "--config", filepath.Join(t.TempDir(), "missing.toml"), u}, false, "no such file"},
		{[]string{"purge", "--config", bad, u}, false, "put the token in an environment variable"},
		{[]string{"purge", "--config", cfg, "--timeout", "0s", u}, false, "--timeout: 0s is zero"},
		{[]string{"purge", "--config", cfg, u}, false, "standard input is not a terminal"},
		{[]string{"purge", "--config", noToken, "--yes", u}, false, "set $UNSET_TOKEN_VAR"},
		{[]string{"purge", "--config", cfg, u}, true, "aborted: nothing was purged"}, // stdin answers nothing
	}
	for _, c := range cases {
		r := runPurgeCLI(t, purgeEnv(t), "", c.tty, c.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		last := lines[len(lines)-1]
		if r.code != exitUsage || !strings.Contains(last, c.want) || !strings.HasPrefix(last, "corscope: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and a line with %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if n := api.count(); n != 0 {
		t.Errorf("usage errors sent %d purge requests", n)
	}
}

func TestPurgeDryRunSendsNothing(t *testing.T) {
	api := newFakeCloudflare(t, 200, cfSuccess)
	env := purgeEnv(t)
	r := runPurgeCLI(t, env, "", false, "purge", "--config", cloudflareConfig(t, api.URL+"/client/v4"), "--dry-run",
		"-o", "https://app.example.com", "-o", "https://admin.example.com", "https://cdn.example.com/a.js", "https://cdn.example.com/b.css")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"POST " + api.URL + "/client/v4/zones/zone42/purge_cache",
		"Authorization: Bearer [REDACTED: $CF_TEST_TOKEN]",
		`"Origin": "https://admin.example.com"`,
		"Purge 6 cached copies of 2 URLs",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
		}
	}
	if api.count() != 0 {
		t.Error("a dry run sent requests")
	}
	if _, err := os.Stat(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log")); err == nil {
		t.Error("a dry run wrote the audit log")
	}
}

func TestPurgeCloudflareCLI(t *testing.T) {
	api := newFakeCloudflare(t, 200, cfSuccess)
	env := purgeEnv(t)
	cfg := cloudflareConfig(t, api.URL+"/client/v4")
	r := runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", "--no-verify",
		"-o", "https://app.example.com", "-o", "https://admin.example.com", "https://cdn.example.com/a.js", "https://cdn.example.com/b.css")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if api.count() != 1 || api.auth[0] != "Bearer "+purgeToken {
		t.Fatalf("requests %d, auth ok %v", api.count(), api.auth[0] == "Bearer "+purgeToken)
	}
	var body struct{ Files []json.RawMessage }
	if err := json.Unmarshal([]byte(api.bodies[0]), &body); err != nil || len(body.Files) != 6 {
		t.Errorf("body %s: want 6 files", api.bodies[0])
	}
	if !strings.Contains(r.stdout, "✓ POST "+api.URL) || !strings.Contains(r.stdout, "[6 copies] → success (id cli-purge-id)") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "verify") {
		t.Errorf("--no-verify verified:\n%s", r.stdout)
	}
	log, err := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
	if err != nil {
		t.Fatal(err)
	}
	// One line before the request went out, one with its outcome, one
	// summary for the batch.
	lines := bytes.Split(bytes.TrimSpace(log), []byte("\n"))
	var events []string
	var entry map[string]any // the last: the batch summary
	for _, l := range lines {
		entry = nil
		if err := json.Unmarshal(l, &entry); err != nil {
			t.Fatalf("audit %q: %v", log, err)
		}
		events = append(events, fmt.Sprint(entry["event"], "/", entry["outcome"]))
	}
	if strings.Join(events, " ") != "sending/<nil> result/ok batch/ok" {
		t.Errorf("audit events %v:\n%s", events, log)
	}
	if entry["provider"] != "cloudflare" || entry["outcome"] != "ok" || entry["copies"] != float64(6) || entry["account"] != "zone42" {
		t.Errorf("audit entry %v", entry)
	}
	if strings.Contains(string(log), purgeToken) {
		t.Error("the audit log holds the token")
	}

	// Confirmation on a terminal: "y" proceeds.
	r = runPurgeCLI(t, env, "y\n", true, "purge", "--config", cfg, "--no-verify", "https://cdn.example.com/a.js")
	if r.code != exitOK || !strings.Contains(r.stderr, "Proceed? [y/N]") || api.count() != 2 {
		t.Errorf("confirmed purge: exit %d, stderr %q, %d requests", r.code, r.stderr, api.count())
	}
	// --everything --yes: the one purge_everything body. With a single
	// provider configured no URL is needed, and then nothing is re-probed.
	r = runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--everything", "--yes")
	if r.code != exitOK || api.bodies[2] != `{"purge_everything":true}` || !strings.Contains(r.stdout, "PURGE EVERYTHING") ||
		!strings.Contains(r.stdout, "nothing to re-probe") {
		t.Errorf("everything: exit %d, body %q\n%s%s", r.code, api.bodies[2], r.stdout, r.stderr)
	}
}

func TestPurgeAPIFailureExits3(t *testing.T) {
	// The API refuses with HTTP 200 and success:false, and echoes the token.
	api := newFakeCloudflare(t, 200, `{"success":false,"errors":[{"code":1016,"message":"One or more cache purge errors `+purgeToken+`"}],"result":null}`)
	env := purgeEnv(t)
	// The URL is on 127.0.0.1: the fingerprint taken before the purge GETs it.
	r := runPurgeCLI(t, env, "", false, "purge", "--config", localCloudflareConfig(t, api.URL+"/client/v4"), "--yes", api.URL+"/a.js")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "code 1016: One or more cache purge errors [REDACTED]") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr %q", r.stderr)
	}
	if !strings.Contains(r.stdout, "verification skipped") {
		t.Errorf("stdout %q", r.stdout)
	}
	log, _ := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
	if !strings.Contains(string(log), `"outcome":"failed"`) || strings.Contains(string(log), purgeToken) {
		t.Errorf("audit %s", log)
	}
}

func TestPurgeWarnsAboutReadableConfig(t *testing.T) {
	api := newFakeCloudflare(t, 200, cfSuccess)
	cfg := writeConfig(t, "[[purge]]\nprovider = \"cloudflare\"\ntoken_env = \"CF_TEST_TOKEN\"\napi_base = \""+api.URL+"/client/v4\"\nzone_id = \"z\"\n", 0o644)
	r := runPurgeCLI(t, purgeEnv(t), "", false, "purge", "--config", cfg, "--dry-run", "https://cdn.example.com/a.js")
	if r.code != exitOK || !strings.Contains(r.stderr, "readable by other users") || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = runPurgeCLI(t, purgeEnv(t), "", false, "purge", "--config", cloudflareConfig(t, api.URL), "--dry-run", "https://cdn.example.com/a.js")
	if strings.Contains(r.stderr, "readable") {
		t.Errorf("0600 config warned: %q", r.stderr)
	}
}

func TestPurgeAuditFailureIsAWarning(t *testing.T) {
	api := newFakeCloudflare(t, 200, cfSuccess)
	env := map[string]string{"CF_TEST_TOKEN": purgeToken} // no XDG_STATE_HOME, no HOME
	r := runPurgeCLI(t, env, "", false, "purge", "--config", cloudflareConfig(t, api.URL+"/client/v4"), "--yes", "--no-verify", "https://cdn.example.com/a.js")
	if r.code != exitOK || !strings.Contains(r.stderr, "warning: no audit log location") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestPurgeEscapedTokenNeverShown is issue 11 item 11 through the CLI: the
// stand-in API echoes the token JSON-escaped (\u0063\u0066...), percent-
// and base64-encoded in its refusal; stdout, stderr and the audit log show
// [REDACTED] and no form of the token.
func TestPurgeEscapedTokenNeverShown(t *testing.T) {
	var esc, pct strings.Builder
	for i := 0; i < len(purgeToken); i++ {
		fmt.Fprintf(&esc, `\u%04x`, purgeToken[i])
		fmt.Fprintf(&pct, "%%%02X", purgeToken[i])
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(purgeToken))
	api := newFakeCloudflare(t, 403, `{"success":false,"errors":[{"code":10000,"message":"bad token `+esc.String()+` `+pct.String()+` `+b64+`"}],"result":null}`)
	env := purgeEnv(t)
	r := runPurgeCLI(t, env, "", false, "purge", "--config", localCloudflareConfig(t, api.URL+"/client/v4"), "--yes", api.URL+"/a.js")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	log, _ := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
	for name, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "audit log": string(log)} {
		for _, form := range []string{purgeToken, esc.String(), esc.String()[:30], pct.String()[:30], b64[4:20], "do-not-print"} {
			if strings.Contains(text, form) {
				t.Errorf("%s holds the token as %q:\n%s", name, form, text)
			}
		}
	}
	if !strings.Contains(r.stderr, "code 10000: bad token [REDACTED] [REDACTED] [REDACTED]") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestPurgeInterruptedIsAudited is issue 11 item 13 through the CLI: the
// run is cancelled (as SIGINT/SIGHUP do) while the stand-in API holds the
// purge request. The audit log has the "sending" line and an "outcome
// unknown" result, and the exit code is 130.
func TestPurgeInterruptedIsAudited(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return
		}
		_, _ = io.ReadAll(r.Body) // then the server notices the client hanging up
		cancel()
		select { // until the client gives up (bounded, so a bug cannot hang the test)
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer api.Close()
	env := purgeEnv(t)
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.run(ctx, []string{"purge", "--config", localCloudflareConfig(t, api.URL+"/client/v4"), "--yes", "--no-verify", api.URL + "/a.js"})
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d\n%s%s", code, exitInterrupted, out.String(), errb.String())
	}
	log, err := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(log)
	if !strings.Contains(text, `"event":"sending"`) || !strings.Contains(text, `"outcome":"outcome unknown"`) ||
		!strings.Contains(text, `"reason":"outcome unknown: interrupted with the request in flight; the API may have received it"`) ||
		!strings.Contains(text, `"outcome":"interrupted"`) {
		t.Errorf("audit log:\n%s", text)
	}
	if strings.Contains(text+out.String()+errb.String(), purgeToken) {
		t.Error("token leaked")
	}
	if !strings.Contains(out.String(), "outcome unknown (the API may have acted on these):\n  ? "+api.URL+"/a.js  (no Origin): outcome unknown: interrupted") {
		t.Errorf("stdout %q", out.String())
	}
	t.Logf("exit %d\n%s%s\n%s", code, out.String(), errb.String(), text)
}
