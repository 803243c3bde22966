package purge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corscope/corscope/cachemodel"
)

// TestMain fails the package when a test leaves goroutines behind (idle
// transport connections, unstopped timers, servers).
func TestMain(m *testing.M) {
	// Tests talk to 127.0.0.1 only: the AWS credential chain must never
	// reach for an instance role at 169.254.169.254.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	goleak.VerifyTestMain(m)
}

// testToken is distinctive so a leak anywhere is easy to grep for.
const testToken = "tok_Zx9-SECRET-4f1c2b7a9e"

func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func urlPlan(t *testing.T, urls []string, origins ...string) cachemodel.PurgePlan {
	t.Helper()
	var us []*url.URL
	for _, r := range urls {
		u, err := cachemodel.ParseTargetURL(r)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	p, err := cachemodel.BuildPurgePlan(cachemodel.PurgeURLs, nil, us, origins)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func scopePlan(t *testing.T, scope cachemodel.PurgeScope, values []string, urls ...string) cachemodel.PurgePlan {
	t.Helper()
	var us []*url.URL
	for _, r := range urls {
		u, err := cachemodel.ParseTargetURL(r)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	p, err := cachemodel.BuildPurgePlan(scope, values, us, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// seen is one request a fake API received.
type seen struct {
	Method string
	Path   string // escaped path and query, exactly as on the wire
	Header http.Header
	Body   []byte
}

// fakeAPI is a scripted HTTP server on 127.0.0.1: answer is called with the
// 0-based request number.
type fakeAPI struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []seen
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func newFakeAPI(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.seen)
		f.seen = append(f.seen, seen{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		f.answer(n, w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func cfOK(id string) string {
	return `{"success":true,"errors":[],"messages":[],"result":{"id":"` + id + `"}}`
}

// sleepRecorder replaces real waits: it records each and returns at once.
type sleepRecorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// fastRetry keeps test backoffs tiny and countable.
var fastRetry = RetryPolicy{Attempts: 4, Base: 10 * time.Millisecond, Max: 40 * time.Millisecond, MaxWait: 2 * time.Minute}

// assertNoToken fails when the token appears in any of the texts.
func assertNoToken(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, testToken) || strings.Contains(s, "SECRET-4f1c") {
			t.Errorf("%s leaks the token: %q", what, s)
		}
	}
}

// everyRendering collects every way a job and its result can be shown.
func everyRendering(t *testing.T, job *Job, res Result, err error) []string {
	t.Helper()
	var dry strings.Builder
	if e := WriteDryRun(&dry, job); e != nil {
		t.Fatal(e)
	}
	audit, _ := json.Marshal(AuditEntries(job, res))
	out := []string{
		DescribePlan(job), dry.String(), string(audit),
		fmt.Sprintf("%v %+v %#v", job, job, job),
		fmt.Sprintf("%v %+v %#v", res, res, res),
	}
	for _, b := range job.Batches {
		out = append(out, fmt.Sprintf("%v %+v %#v", *b, *b, *b))
		for _, r := range b.Requests {
			out = append(out, fmt.Sprintf("%v %+v %#v", *r, *r, *r))
		}
	}
	if err != nil {
		out = append(out, err.Error(), fmt.Sprintf("%+v %#v", err, err))
	}
	for _, q := range res.Requests {
		out = append(out, q.Message)
		if q.Err != nil {
			out = append(out, q.Err.Error())
		}
	}
	return out
}
