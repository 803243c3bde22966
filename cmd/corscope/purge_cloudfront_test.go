package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/cftest"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/purge"
	"github.com/corscope/corscope/tui"
)

const (
	cfTestAKID    = "AKIDCLITEST0EXAMPLE"
	cfTestSecret  = "cliSECRETkey/aws-do-not-print-5Hq2Zr8Tn1"
	cfTestSession = "cliSESSIONtoken-aws-do-not-print-Wm4Pk7Bd3Lx"
	cfTestDist    = "E2QWRUHAPOMQZL"
)

// newCloudFrontEdge is the CloudFront API stand-in (internal/cftest) in
// front of a real cache: it answers InProgress to the first two status
// polls and, at the third, purges the invalidated paths from the cache
// (the edges finishing) and answers Completed. A verification that ran
// before Completed would find the copies still cached.
func newCloudFrontEdge(t *testing.T, cache string) *cftest.Server {
	s := cftest.New(t, cftest.Account{AKID: cfTestAKID, SecretKey: cfTestSecret, Session: cfTestSession, Dist: cfTestDist})
	s.OnCompleted = func(paths []string) {
		for _, p := range paths {
			req, _ := http.NewRequest("PURGE", cache+p, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
	return s
}

// cfInvalidation is the id the stand-in gives the first invalidation.
const cfInvalidation = "I0000000000001"

func cloudFrontEnv(t *testing.T) map[string]string {
	return map[string]string{"XDG_STATE_HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": cfTestAKID,
		"AWS_SECRET_ACCESS_KEY": cfTestSecret, "AWS_SESSION_TOKEN": cfTestSession}
}

func assertNoAWSSecrets(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, sec := range []string{cfTestSecret, cfTestSession, "cliSECRETkey", "cliSESSIONtoken"} {
			if strings.Contains(s, sec) {
				t.Errorf("%s leaks an AWS secret:\n%s", what, s)
			}
		}
	}
}

// TestPurgeCLICloudFront: corscope purge --provider cloudfront against the
// stand-in in front of a real Varnish: one path per URL, the purge waits
// through InProgress for Completed, and only then verification re-probes
// every Origin variant and finds them purged.
func TestPurgeCLICloudFront(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	cache := cachetest.Varnish(t, cachetest.Host(origin.URL))
	api := newCloudFrontEdge(t, cache)
	cfg := writeConfig(t, fmt.Sprintf("[[purge]]\nprovider = \"cloudfront\"\nhosts = [\"127.0.0.1\"]\ndistribution_id = %q\napi_base = %q\n", cfTestDist, api.URL), 0o600)
	env := cloudFrontEnv(t)
	path := "/cors/vary.json"
	primeVariants(t, cache, path)

	dry := runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--provider", "cloudfront", "--dry-run", "-o", e2eOrigins[0], "-o", e2eOrigins[1], cache+path)
	if dry.code != exitOK || !strings.Contains(dry.stdout, "<Path>"+path+"</Path>") || !strings.Contains(dry.stdout, "Signature=[REDACTED]") {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	if len(api.Created()) != 0 {
		t.Fatal("the dry run sent something")
	}

	r := runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--provider", "cloudfront", "--yes", "-o", e2eOrigins[0], "-o", e2eOrigins[1], cache+path)
	api.Check()
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if events := strings.Join(api.Log(), ", "); events != "create I0000000000001, get I0000000000001 InProgress, get I0000000000001 InProgress, get I0000000000001 Completed" {
		t.Errorf("stand-in saw %s", events)
	}
	i1 := strings.Index(r.stdout, "waiting for CloudFront invalidation "+cfInvalidation+": InProgress (")
	i2 := strings.Index(r.stdout, "waiting for CloudFront invalidation "+cfInvalidation+": Completed (")
	i3 := strings.Index(r.stdout, "verify: re-probed 3 cached copies: 3 purged, 0 still cached, 0 unknown")
	if i1 < 0 || i2 < i1 || i3 < i2 {
		t.Errorf("want InProgress, then Completed, then the verification:\n%s", r.stdout)
	}
	log, _ := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
	if !strings.Contains(string(log), `"event":"waited"`) || !strings.Contains(string(log), `"outcome":"completed"`) {
		t.Errorf("audit log lacks the completed wait:\n%s", log)
	}
	assertNoAWSSecrets(t, "purge output, dry run and audit log", r.stdout, r.stderr, dry.stdout, dry.stderr, string(log))
}

func TestPurgeCLICloudFrontErrors(t *testing.T) {
	// AccessDenied and NoSuchDistribution: one line naming what is wrong, exit 3.
	for _, c := range []struct {
		code, want string
		status     int
	}{
		{"AccessDenied", "lack the cloudfront:CreateInvalidation permission on distribution " + cfTestDist, 403},
		{"NoSuchDistribution", "CloudFront has no distribution " + cfTestDist, 404},
	} {
		api := newCloudFrontEdge(t, "http://127.0.0.1:1")
		api.Create = func(_ int, w http.ResponseWriter) bool {
			cftest.Error(w, c.status, c.code, "no "+cfTestSecret)
			return true
		}
		cfg := writeConfig(t, fmt.Sprintf("[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = %q\napi_base = %q\n", cfTestDist, api.URL), 0o600)
		env := cloudFrontEnv(t)
		r := runPurgeCLI(t, env, "", false, "purge", "--config", cfg, "--yes", "--no-verify", "http://127.0.0.1:1/a.js")
		api.Check()
		if r.code != exitFailed || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("%s: exit %d, want 3 and %q\n%s%s", c.code, r.code, c.want, r.stdout, r.stderr)
		}
		if lines := strings.Count(strings.TrimSpace(r.stderr), "\n"); lines != 0 {
			t.Errorf("%s: stderr is not one line:\n%s", c.code, r.stderr)
		}
		log, _ := os.ReadFile(filepath.Join(env["XDG_STATE_HOME"], "corscope", "purge.log"))
		assertNoAWSSecrets(t, c.code, r.stdout, r.stderr, string(log))
	}
}

// TestTUIPurgerCloudFront: the view's purger reports every status poll as
// "waiting for CloudFront invalidation <id>: InProgress (n s)" through the
// request's Progress, and re-probes only after Completed.
func TestTUIPurgerCloudFront(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	cache := cachetest.Varnish(t, cachetest.Host(origin.URL))
	api := newCloudFrontEdge(t, cache)
	eng := testEngine(t)
	path := "/cors/vary.json"
	primeVariants(t, cache, path)
	rep := observeReport(t, eng, cache+path, e2eOrigins...)
	env := cloudFrontEnv(t)
	p := &tuiPurger{
		providers: []config.Purge{{Provider: config.PurgeCloudFront, Hosts: []string{"127.0.0.1"}, DistributionID: cfTestDist, APIBase: api.URL, BatchSize: 10}},
		getenv:    envMap(env), userAgent: "corscope/test", engine: eng, pollBase: 10 * time.Millisecond,
		auditPath: func() (string, error) { return filepath.Join(env["XDG_STATE_HOME"], "purge.log"), nil },
	}
	plan, err := p.PurgePlan(context.Background(), tui.PurgeRequest{Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(plan.Lines, "\n"); !strings.Contains(text, "one invalidation path per URL removes every Origin variant") {
		t.Errorf("plan:\n%s", text)
	}
	var mu sync.Mutex
	var progress []string
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep, Progress: func(s string) {
		mu.Lock()
		progress = append(progress, s)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(out.Lines, "\n"))
	}
	if len(progress) != 3 || !strings.HasPrefix(progress[0], "waiting for CloudFront invalidation "+cfInvalidation+": InProgress (") ||
		!strings.HasPrefix(progress[2], "waiting for CloudFront invalidation "+cfInvalidation+": Completed (") {
		t.Errorf("progress %q", progress)
	}
	if !strings.Contains(strings.Join(out.Lines, "\n"), cfInvalidation+": Completed") {
		t.Errorf("outcome lines lack the completed invalidation:\n%s", strings.Join(out.Lines, "\n"))
	}
	if !strings.Contains(out.Summary, "re-probed: 5 purged, 0 still cached, 0 unknown") {
		t.Errorf("summary %q", out.Summary)
	}
	assertNoAWSSecrets(t, "TUI outcome", append(progress, append(out.Lines, out.Summary)...)...)
}

// TestTUIPurgerCloudFrontNotCompleted: an invalidation still InProgress
// when --wait runs out is not a failure and not a success: the outcome
// says unknown and nothing is re-probed.
func TestTUIPurgerCloudFrontNotCompleted(t *testing.T) {
	api := newCloudFrontEdge(t, "http://127.0.0.1:1")
	api.Status = func(string, int) string { return "InProgress" }
	env := cloudFrontEnv(t)
	p := &tuiPurger{
		providers: []config.Purge{{Provider: config.PurgeCloudFront, DistributionID: cfTestDist, APIBase: api.URL, BatchSize: 10}},
		getenv:    envMap(env), userAgent: "corscope/test", engine: testEngine(t), pollBase: 10 * time.Millisecond, wait: 50 * time.Millisecond,
		auditPath: func() (string, error) { return filepath.Join(env["XDG_STATE_HOME"], "purge.log"), nil },
	}
	rep := cachemodel.TargetReport{URL: "http://127.0.0.1:1/a.js", Variants: []cachemodel.VariantResult{{}}}
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep})
	if !errors.Is(err, tui.ErrPurgeIncomplete) || !errors.Is(err, purge.ErrPending) {
		t.Fatalf("err %v, want an incomplete purge", err)
	}
	if out.After != nil || len(out.Checks) != 0 || !strings.Contains(out.Summary, "unknown") {
		t.Errorf("outcome %+v", out)
	}
	if !strings.Contains(err.Error(), "still InProgress after 50ms (--wait)") {
		t.Errorf("err %q", err)
	}
}

// TestPurgeCLICloudFrontConfigErrors: no credentials anywhere in the AWS
// chain, or --provider cloudfront without an entry: one line, exit 2,
// nothing sent.
func TestPurgeCLICloudFrontConfigErrors(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never reach for an instance role here
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	api := newCloudFrontEdge(t, "http://127.0.0.1:1")
	cfg := writeConfig(t, fmt.Sprintf("[[purge]]\nprovider = \"cloudfront\"\ndistribution_id = %q\napi_base = %q\n", cfTestDist, api.URL), 0o600)
	r := runPurgeCLI(t, map[string]string{"XDG_STATE_HOME": t.TempDir()}, "", false, "purge", "--config", cfg, "--yes", "http://127.0.0.1:1/a.js")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no AWS credentials found") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("no credentials: exit %d, want 2 with one line\n%s%s", r.code, r.stdout, r.stderr)
	}
	if len(api.Created()) != 0 {
		t.Error("sent without credentials")
	}
	r = runPurgeCLI(t, cloudFrontEnv(t), "", false, "purge", "--provider", "cloudfront", "--yes", "http://127.0.0.1:1/a.js")
	if r.code != exitUsage || !strings.Contains(r.stderr, `--provider cloudfront needs a [[purge]] entry with provider = "cloudfront" and the distribution_id`) {
		t.Errorf("no entry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runPurgeCLI(t, cloudFrontEnv(t), "", false, "purge", "--config", cfg, "--wait", "0s", "--yes", "http://127.0.0.1:1/a.js")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--wait: 0s is zero") {
		t.Errorf("--wait 0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
