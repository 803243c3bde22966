package purge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cftest"
)

// Distinctive test credentials: a leak anywhere is easy to grep for.
const (
	testAKID    = "AKIDSTANDIN0EXAMPLE"
	testAWSKey  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY-SECRETKEY-7f3a"
	testAWSSess = "FwoGZXIvYXdzE-SESSIONTOKEN-9c4e1d2b8a7f6e5d4c3b2a1"
	testDist    = "EDFDVBD6EXAMPLE"
)

// newCFStandIn is the shared CloudFront stand-in (internal/cftest) for
// the test account.
func newCFStandIn(t *testing.T) *cftest.Server {
	return cftest.New(t, cftest.Account{AKID: testAKID, SecretKey: testAWSKey, Dist: testDist})
}

func awsEntry(s *cftest.Server, dist string, batch int) Settings {
	return Settings{Provider: ProviderCloudFront, APIBase: s.URL, DistributionID: dist, BatchSize: batch}
}

func cfEnv(session string) func(string) string {
	return testEnv(map[string]string{EnvAWSAccessKeyID: testAKID, EnvAWSSecretAccessKey: testAWSKey, EnvAWSSessionToken: session})
}

func awsPrepare(t *testing.T, plan cachemodel.PurgePlan, e Settings, getenv func(string) string) *Job {
	t.Helper()
	job, err := Prepare(plan, Options{Providers: []Settings{e}, Getenv: getenv, UserAgent: "corscope/test"})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// assertNoAWSSecret fails when the secret key or session token shows.
func assertNoAWSSecret(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, sec := range []string{testAWSKey, testAWSSess, "SECRETKEY-7f3a", "SESSIONTOKEN-9c4e"} {
			if strings.Contains(s, sec) {
				t.Errorf("%s leaks an AWS secret: %q", what, s)
			}
		}
	}
}

func TestCloudFrontInvalidationWaitsForCompleted(t *testing.T) {
	for _, session := range []string{"", testAWSSess} {
		t.Run(fmt.Sprintf("session=%v", session != ""), func(t *testing.T) {
			s := newCFStandIn(t)
			s.Session = session
			plan := urlPlan(t, []string{
				"https://d111111abcdef8.cloudfront.net/app.js?v=2",
				"https://d111111abcdef8.cloudfront.net/a%20b/caf%C3%A9.css",
				"https://d111111abcdef8.cloudfront.net/",
			}, twoOrigins...)
			job := awsPrepare(t, plan, awsEntry(s, testDist, 0), cfEnv(session))
			if d := DescribePlan(job); !strings.Contains(d, "a path with a query string matches only when the cache policy puts the query string in the cache key") {
				t.Errorf("plan lacks the query-string note:\n%s", d)
			}
			if n := job.RequestCount(); n != 1 {
				t.Fatalf("%d requests, want 1 (one path per URL, all in one invalidation)", n)
			}
			var progress []WaitProgress
			sl := &sleepRecorder{}
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: sl.sleep, OnWait: func(p WaitProgress) { progress = append(progress, p) }})
			s.Check()
			if err != nil {
				t.Fatal(err)
			}
			c := s.Created()
			if len(c) != 1 {
				t.Fatalf("%d CreateInvalidation calls, want 1", len(c))
			}
			want := []string{"/app.js?v=2", "/a%20b/caf%C3%A9.css", "/"}
			if strings.Join(c[0].Paths, " ") != strings.Join(want, " ") {
				t.Errorf("paths %q, want %q (one per URL, not per Origin)", c[0].Paths, want)
			}
			// The dry run shows the very body that was sent.
			if !bytes.Equal(c[0].Body, job.Batches[0].Requests[0].Body) {
				t.Errorf("sent body\n%s\ndiffers from the dry run's\n%s", c[0].Body, job.Batches[0].Requests[0].Body)
			}
			if got := strings.Join(s.Log(), ", "); got != "create I0000000000001, get I0000000000001 InProgress, get I0000000000001 InProgress, get I0000000000001 Completed" {
				t.Errorf("stand-in saw %s", got)
			}
			if len(res.Invalidations) != 1 || !res.Invalidations[0].Complete || res.Invalidations[0].Polls != 3 {
				t.Fatalf("invalidations %+v, want one Completed after 3 polls", res.Invalidations)
			}
			if len(progress) != 3 || progress[0].Line() != "waiting for CloudFront invalidation I0000000000001: InProgress (0 s)" || !progress[2].Done || progress[2].Status != "Completed" {
				t.Errorf("progress %+v", progress)
			}
			if w := sl.waits(); len(w) != 2 || w[0] != 2*time.Second || w[1] != 3*time.Second {
				t.Errorf("poll backoff %v, want [2s 3s]", w)
			}
			r := res.Requests[0]
			if !r.OK || r.Status != 201 || len(r.IDs) != 1 || r.IDs[0] != "I0000000000001" {
				t.Errorf("result %+v", r)
			}
			// Every copy of every URL is covered by the one request.
			for _, tgt := range plan.Targets {
				for _, v := range tgt.Variants {
					if len(res.Covering(Item{URL: tgt.URL, Variant: v})) != 1 {
						t.Errorf("%s %s not covered", tgt.URL, v.Label())
					}
				}
			}
			assertNoAWSSecret(t, "renderings", everyRendering(t, job, res, err)...)
		})
	}
}

func TestCloudFrontCallerReferenceUniquePerRequest(t *testing.T) {
	s := newCFStandIn(t)
	plan := urlPlan(t, []string{"https://cdn.example.org/1.js", "https://cdn.example.org/2.js", "https://cdn.example.org/3.js"})
	job := awsPrepare(t, plan, awsEntry(s, testDist, 2), cfEnv(""))
	if _, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep}); err != nil {
		t.Fatal(err)
	}
	s.Check()
	c := s.Created()
	if len(c) != 2 || len(c[0].Paths) != 2 || len(c[1].Paths) != 1 {
		t.Fatalf("creates %+v, want batches of 2 and 1", c)
	}
	if c[0].CallerRef == c[1].CallerRef {
		t.Errorf("two invalidations share CallerReference %q", c[0].CallerRef)
	}
}

func TestCloudFrontThrottlingRetried(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer func(w http.ResponseWriter)
	}{
		{"400 Throttling", func(w http.ResponseWriter) { cftest.Error(w, 400, "Throttling", "Rate exceeded") }},
		{"429", func(w http.ResponseWriter) { cftest.Error(w, 429, "TooManyRequests", "slow down") }},
		{"503", func(w http.ResponseWriter) { cftest.Error(w, 503, "ServiceUnavailable", "try again") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newCFStandIn(t)
			s.Create = func(n int, w http.ResponseWriter) bool {
				if n < 2 {
					c.answer(w)
					return true
				}
				return false
			}
			job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, testDist, 0), cfEnv(""))
			sl := &sleepRecorder{}
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: sl.sleep})
			s.Check()
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests[0].Attempts != 3 {
				t.Errorf("%d attempts, want 3", res.Requests[0].Attempts)
			}
			cr := s.Created()
			if len(cr) != 3 || cr[0].CallerRef != cr[2].CallerRef {
				t.Errorf("retries must resend the same CallerReference: %+v", cr)
			}
			if w := sl.waits(); len(w) < 2 || w[0] != 10*time.Millisecond || w[1] != 20*time.Millisecond {
				t.Errorf("backoff %v, want 10ms then 20ms first", w)
			}
		})
	}
	t.Run("bounded", func(t *testing.T) {
		s := newCFStandIn(t)
		s.Create = func(int, http.ResponseWriter) bool { return false }
		s.Create = func(_ int, w http.ResponseWriter) bool {
			cftest.Error(w, 400, "Throttling", "Rate exceeded")
			return true
		}
		job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, testDist, 0), cfEnv(""))
		res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep})
		if !errors.Is(err, ErrAPI) || len(s.Created()) != 4 || res.Requests[0].Attempts != 4 {
			t.Fatalf("err %v, %d sends; want ErrAPI after 4", err, len(s.Created()))
		}
		if !strings.Contains(err.Error(), "gave up after 4 attempts: HTTP 400 Throttling: throttled") {
			t.Errorf("error %q", err)
		}
	})
}

func TestCloudFrontRefusals(t *testing.T) {
	for _, c := range []struct {
		name, dist string
		answer     func(w http.ResponseWriter)
		want       string
	}{
		{"access denied", testDist, func(w http.ResponseWriter) {
			cftest.Error(w, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudfront:CreateInvalidation")
		}, "CloudFront refused (HTTP 403 AccessDenied): the AWS credentials lack the cloudfront:CreateInvalidation permission on distribution " + testDist},
		{"no such distribution", "E0000000MISSING", nil,
			"CloudFront has no distribution E0000000MISSING (HTTP 404 NoSuchDistribution): check distribution_id and the AWS account of the credentials"},
		{"echoes the secret", testDist, func(w http.ResponseWriter) {
			cftest.Error(w, 400, "InvalidArgument", "bad key "+testAWSKey+" and "+strings.ReplaceAll(testAWSKey, "/", "%2F"))
		}, "CloudFront refused the CreateInvalidation (HTTP 400 InvalidArgument): bad key [REDACTED] and [REDACTED]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newCFStandIn(t)
			if c.answer != nil {
				s.Create = func(_ int, w http.ResponseWriter) bool { c.answer(w); return true }
			}
			audit := filepath.Join(t.TempDir(), "purge.log")
			log, err := OpenAudit(audit)
			if err != nil {
				t.Fatal(err)
			}
			job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, c.dist, 0), cfEnv(testAWSSess))
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep, Audit: log})
			_ = log.Append(AuditEntries(job, res))
			_ = log.Close()
			if !errors.Is(err, ErrAPI) {
				t.Fatalf("err %v, want ErrAPI (exit 3)", err)
			}
			if len(s.Created()) != 1 || res.Requests[0].Attempts != 1 {
				t.Errorf("a refusal must not be retried: %d sends", len(s.Created()))
			}
			if res.Requests[0].Message != c.want {
				t.Errorf("message\n %q\nwant\n %q", res.Requests[0].Message, c.want)
			}
			if len(res.Invalidations) != 0 || len(s.Log()) != 0 {
				t.Errorf("waited for a refused invalidation: %v", s.Log())
			}
			data, _ := os.ReadFile(audit)
			assertNoAWSSecret(t, "renderings", append(everyRendering(t, job, res, err), string(data))...)
		})
	}
}

func TestCloudFrontWaitBounded(t *testing.T) {
	s := newCFStandIn(t)
	s.Status = func(string, int) string { return "InProgress" }
	job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, testDist, 0), cfEnv(""))
	now := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
		return ctx.Err()
	}
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: sleep, Now: clock, Wait: time.Minute})
	if !errors.Is(err, ErrPending) || errors.Is(err, ErrAPI) {
		t.Fatalf("err %v, want ErrPending", err)
	}
	inv := res.Invalidations[0]
	if inv.Complete || inv.Status != "InProgress" || inv.Waited != time.Minute {
		t.Errorf("%+v", inv)
	}
	if !strings.Contains(err.Error(), "invalidation I0000000000001 still InProgress after 1m0s (--wait)") {
		t.Errorf("error %q", err)
	}
}

func TestCloudFrontStatusUnreadable(t *testing.T) {
	s := newCFStandIn(t)
	s.Get = func(_ int, w http.ResponseWriter) bool {
		cftest.Error(w, 403, "AccessDenied", "not authorized to perform: cloudfront:GetInvalidation")
		return true
	}
	job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, testDist, 0), cfEnv(""))
	_, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep})
	if !errors.Is(err, ErrPending) || !strings.Contains(err.Error(), "cloudfront:GetInvalidation") {
		t.Fatalf("err %v, want ErrPending naming cloudfront:GetInvalidation", err)
	}
}

func TestCloudFrontDryRun(t *testing.T) {
	plan := urlPlan(t, []string{"https://cdn.example.org/x y.js", "https://cdn.example.org/ok.js"}, "https://app.example.com")
	job, err := Prepare(plan, Options{Providers: []Settings{{Provider: ProviderCloudFront, DistributionID: testDist, APIBase: DefaultCloudFrontAPI, BatchSize: 1000}},
		Getenv: cfEnv(testAWSSess)})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteDryRun(&out, job); err != nil {
		t.Fatal(err)
	}
	dry := out.String()
	if strings.Contains(dry, "query string matches only when") {
		t.Error("a query-string note without a query string")
	}
	for _, want := range []string{
		"(one invalidation path per URL removes every Origin variant) with 1 request",
		"POST https://cloudfront.amazonaws.com/2020-05-31/distribution/" + testDist + "/invalidation\n",
		"Authorization: AWS4-HMAC-SHA256 Credential=[REDACTED] (access key from the AWS credential chain)/YYYYMMDD/us-east-1/cloudfront/aws4_request, SignedHeaders=",
		"Signature=[REDACTED]\n",
		"Content-Type: application/xml\n",
		`<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>corscope-`,
		"<Paths><Items><Path>/x%20y.js</Path><Path>/ok.js</Path></Items><Quantity>2</Quantity></Paths></InvalidationBatch>",
	} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry)
		}
	}
	assertNoAWSSecret(t, "dry run", dry)
	if strings.Contains(dry, testAKID) {
		t.Errorf("dry run shows the access key ID")
	}
}

func TestCloudFrontPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://d.example/":                      "/",
		"https://d.example/a/b.js?v=1&x=y":        "/a/b.js?v=1&x=y",
		"https://d.example/caf%C3%A9/x%20y.css":   "/caf%C3%A9/x%20y.css",
		"https://d.example/café/x y.css":          "/caf%C3%A9/x%20y.css",
		"https://d.example/a|b^c{d}.js":           "/a%7Cb%5Ec%7Bd%7D.js",
		"https://d.example/a.js?q=%ZZ":            "/a.js?q=%25ZZ",
		"https://d.example/~user/(1)!$&'+,;=:@.x": "/~user/(1)!$&'+,;=:@.x",
	} {
		u, err := cachemodel.ParseTargetURL(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got, why := cloudFrontPath(u)
		if got != want || why != "" {
			t.Errorf("%s: path %q (%s), want %q", in, got, why, want)
		}
		if cftest.UnsafePath.MatchString(got) {
			t.Errorf("%s: %q fails the stand-in's encoding check", in, got)
		}
	}
	u, _ := cachemodel.ParseTargetURL("https://d.example/a*b.js")
	if _, why := cloudFrontPath(u); !strings.Contains(why, "wildcard") {
		t.Errorf("a * must be refused: %q", why)
	}
}

func TestCloudFrontNoCredentials(t *testing.T) {
	// The SDK's chain must not reach for an instance role on this machine.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	s := newCFStandIn(t)
	job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, testDist, 0), testEnv(nil))
	_, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "no AWS credentials found") {
		t.Fatalf("err %v, want ErrConfig: no AWS credentials", err)
	}
	if len(s.Created()) != 0 {
		t.Error("sent without credentials")
	}
}

func TestCloudFrontSharedCredentialsFile(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[corscope-test]\naws_access_key_id = "+testAKID+"\naws_secret_access_key = "+testAWSKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "corscope-test")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	s := newCFStandIn(t)
	job := awsPrepare(t, urlPlan(t, []string{"https://cdn.example.org/a.js"}), awsEntry(s, testDist, 0), testEnv(nil))
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep})
	s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Created()) != 1 || !res.Invalidations[0].Complete {
		t.Fatalf("want one completed invalidation signed with the profile's key")
	}
	js, _ := json.Marshal(res)
	assertNoAWSSecret(t, "result", string(js))
}

func TestCloudFrontStillCachedReason(t *testing.T) {
	plan := urlPlan(t, []string{"https://cdn.example.org/a.js"}, "https://app.example.com")
	job, err := Prepare(plan, Options{Providers: []Settings{{Provider: ProviderCloudFront, DistributionID: testDist, APIBase: DefaultCloudFrontAPI}}})
	if err != nil {
		t.Fatal(err)
	}
	b := job.Batches[0]
	res := Result{Requests: []RequestResult{{Request: b.Requests[0], OK: true}}}
	it := Item{URL: plan.Targets[0].URL, Variant: plan.Targets[0].Variants[1]}
	got := stillCachedReason(job, res, b, it, cachemodel.VariantResult{})
	if !strings.Contains(got, "CloudFront reported the invalidation Completed") || strings.Contains(got, "Origin-keyed purge") {
		t.Errorf("reason %q", got)
	}
}
