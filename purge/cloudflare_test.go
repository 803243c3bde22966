package purge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

const testZone = "023e105f4ecef8ad9ca31a8372d0c353"

func cfEntry(api *fakeAPI) Settings {
	return Settings{Provider: ProviderCloudflare, APIBase: api.URL + "/client/v4", ZoneID: testZone,
		BatchSize: DefaultCloudflareBatch, TokenEnv: "CF_TEST_TOKEN"}
}

func cfPrepare(t *testing.T, plan cachemodel.PurgePlan, e Settings) *Job {
	t.Helper()
	job, err := Prepare(plan, Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"CF_TEST_TOKEN": testToken})})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

var twoURLs = []string{"https://cdn.example.com/app.js", "https://cdn.example.com/font.woff2?v=3"}
var twoOrigins = []string{"https://app.example.com", "https://admin.example.com:8443"}

// checkCloudflareRequest asserts what Cloudflare documents for every purge
// request: POST, the zone's path, a bearer token and a JSON body.
func checkCloudflareRequest(t *testing.T, s seen, action string) {
	t.Helper()
	if s.Method != http.MethodPost {
		t.Errorf("method %s, want POST", s.Method)
	}
	if want := "/client/v4/zones/" + testZone + "/" + action; s.Path != want {
		t.Errorf("path %s, want %s", s.Path, want)
	}
	if got := s.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization %q, want the bearer token", got)
	}
	if s.Header.Get("X-Auth-Key") != "" || s.Header.Get("X-Auth-Email") != "" {
		t.Error("legacy auth headers must not be mixed with a token")
	}
	if ct := s.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !json.Valid(s.Body) {
		t.Errorf("body is not JSON: %s", s.Body)
	}
}

// TestCloudflareFilesPerVariant is the acceptance case: 2 URLs × 3
// variants make exactly 6 files entries, the plain URL for the no-Origin
// copy and {"url", "headers": {"Origin"}} for the others.
func TestCloudflareFilesPerVariant(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, cfOK("purge-id-1")) })
	job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), cfEntry(api))
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	got := api.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	checkCloudflareRequest(t, got[0], "purge_cache")

	var body map[string][]json.RawMessage
	if err := json.Unmarshal(got[0].Body, &body); err != nil || len(body) != 1 {
		t.Fatalf("body %s: want exactly one key, files", got[0].Body)
	}
	files := body["files"]
	if len(files) != 6 {
		t.Fatalf("%d files entries, want 6: %s", len(files), got[0].Body)
	}
	i := 0
	for _, u := range twoURLs {
		var plain string
		if err := json.Unmarshal(files[i], &plain); err != nil || plain != u {
			t.Errorf("files[%d] = %s, want the plain URL %q for the no-Origin copy", i, files[i], u)
		}
		i++
		for _, o := range twoOrigins {
			// Decode into raw maps: the key names and their case matter.
			var entry map[string]json.RawMessage
			var headers map[string]string
			var gotURL string
			if err := json.Unmarshal(files[i], &entry); err != nil || len(entry) != 2 {
				t.Fatalf("files[%d] = %s, want {url, headers}", i, files[i])
			}
			_ = json.Unmarshal(entry["url"], &gotURL)
			_ = json.Unmarshal(entry["headers"], &headers)
			if gotURL != u || !reflect.DeepEqual(headers, map[string]string{"Origin": o}) {
				t.Errorf("files[%d] = %s, want url %q and exactly headers.Origin %q", i, files[i], u, o)
			}
			i++
		}
	}
	if !strings.Contains(string(got[0].Body), `"headers":{"Origin":"https://app.example.com"}`) {
		t.Errorf("Origin must be spelled exactly so: %s", got[0].Body)
	}
	if len(res.Requests) != 1 || !res.Requests[0].OK || res.Requests[0].IDs[0] != "purge-id-1" || len(res.Requests[0].Request.Covers) != 6 {
		t.Errorf("result %+v", res.Requests)
	}
	assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
}

func TestCloudflareBatches(t *testing.T) {
	for _, c := range []struct {
		batch int
		sizes []int
	}{{4, []int{4, 2}}, {1, []int{1, 1, 1, 1, 1, 1}}, {6, []int{6}}, {500, []int{6}}} {
		t.Run(fmt.Sprint(c.batch), func(t *testing.T) {
			api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, cfOK(fmt.Sprint("id", n))) })
			e := cfEntry(api)
			e.BatchSize = c.batch
			job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), e)
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			covered := 0
			for i, s := range api.requests() {
				var body struct{ Files []json.RawMessage }
				_ = json.Unmarshal(s.Body, &body)
				sizes = append(sizes, len(body.Files))
				if len(res.Requests[i].Request.Covers) != len(body.Files) {
					t.Errorf("request %d covers %d copies but sends %d", i, len(res.Requests[i].Request.Covers), len(body.Files))
				}
				covered += len(body.Files)
			}
			if !reflect.DeepEqual(sizes, c.sizes) || covered != 6 {
				t.Errorf("batch %d: sizes %v, want %v", c.batch, sizes, c.sizes)
			}
		})
	}
}

func TestCloudflareSelectorsAndSoft(t *testing.T) {
	manyTags := make([]string, 150)
	for i := range manyTags {
		manyTags[i] = fmt.Sprintf("tag-%d", i)
	}
	cases := []struct {
		name   string
		plan   func(t *testing.T) cachemodel.PurgePlan
		soft   bool
		action string
		bodies []string
	}{
		{"everything", func(t *testing.T) cachemodel.PurgePlan {
			return scopePlan(t, cachemodel.PurgeEverything, nil, "https://cdn.example.com/x")
		}, false, "purge_cache", []string{`{"purge_everything":true}`}},
		{"hosts", func(t *testing.T) cachemodel.PurgePlan {
			return scopePlan(t, cachemodel.PurgeHosts, []string{"cdn.example.com", "img.example.com"})
		}, false, "purge_cache", []string{`{"hosts":["cdn.example.com","img.example.com"]}`}},
		{"prefixes", func(t *testing.T) cachemodel.PurgePlan {
			return scopePlan(t, cachemodel.PurgePrefixes, []string{"cdn.example.com/assets/"})
		}, false, "purge_cache", []string{`{"prefixes":["cdn.example.com/assets/"]}`}},
		{"tags batched by 100", func(t *testing.T) cachemodel.PurgePlan {
			return scopePlan(t, cachemodel.PurgeTags, manyTags, "https://cdn.example.com/x")
		}, false, "purge_cache", nil},
		{"soft files", func(t *testing.T) cachemodel.PurgePlan {
			return urlPlan(t, twoURLs[:1])
		}, true, "invalidate_cache", []string{`{"files":["https://cdn.example.com/app.js"]}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, cfOK("x")) })
			e := cfEntry(api)
			e.Soft = c.soft
			job := cfPrepare(t, c.plan(t), e)
			if _, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry}); err != nil {
				t.Fatal(err)
			}
			got := api.requests()
			for _, s := range got {
				checkCloudflareRequest(t, s, c.action)
			}
			if c.bodies == nil { // the tags case
				if len(got) != 2 {
					t.Fatalf("%d requests, want 2 (100 + 50 tags)", len(got))
				}
				var b1, b2 struct{ Tags []string }
				_ = json.Unmarshal(got[0].Body, &b1)
				_ = json.Unmarshal(got[1].Body, &b2)
				if len(b1.Tags) != 100 || len(b2.Tags) != 50 || b2.Tags[49] != "tag-149" {
					t.Errorf("tag batches %d + %d", len(b1.Tags), len(b2.Tags))
				}
				return
			}
			if len(got) != len(c.bodies) {
				t.Fatalf("%d requests, want %d", len(got), len(c.bodies))
			}
			for i, want := range c.bodies {
				if string(got[i].Body) != want {
					t.Errorf("body %s, want %s", got[i].Body, want)
				}
			}
		})
	}
}

func TestCloudflareSkipsNullOrigin(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, cfOK("x")) })
	job := cfPrepare(t, urlPlan(t, twoURLs[:1], "https://app.example.com", "null"), cfEntry(api))
	b := job.Batches[0]
	if len(b.Skipped) != 1 || b.Skipped[0].Variant.Origin != "null" || !strings.Contains(b.Skipped[0].Reason, "--prefix") {
		t.Fatalf("skipped %+v", b.Skipped)
	}
	if len(b.Requests) != 1 || len(b.Requests[0].Covers) != 2 {
		t.Errorf("requests %+v", b.Requests)
	}
	// null is listed apart, never among the copies the purge reaches.
	d := DescribePlan(job)
	if !strings.Contains(d, "not purged (this provider cannot target them):\n      https://cdn.example.com/app.js null: ") ||
		!strings.Contains(d, "2 cached copies of 1 URL (each Origin variant separately) with 1 request; 1 more cannot be targeted by this provider") {
		t.Errorf("describe does not show the skip apart:\n%s", d)
	}
	if !strings.Contains(d, "    https://cdn.example.com/app.js  (no Origin), https://app.example.com\n") {
		t.Errorf("describe lists null among the purged copies:\n%s", d)
	}
}

// TestCloudflareAnswers drives every kind of answer the API gives.
func TestCloudflareAnswers(t *testing.T) {
	type step func(w http.ResponseWriter)
	ok := func(w http.ResponseWriter) { writeJSON(w, 200, cfOK("good-id")) }
	status := func(code int, body string, hdr ...string) step {
		return func(w http.ResponseWriter) {
			for i := 0; i+1 < len(hdr); i += 2 {
				w.Header().Set(hdr[i], hdr[i+1])
			}
			writeJSON(w, code, body)
		}
	}
	cases := []struct {
		name      string
		steps     []step // answer n uses steps[min(n, len-1)]
		wantOK    bool
		attempts  int
		waits     []time.Duration
		errHas    []string
		sleepSlow bool
	}{
		{name: "success", steps: []step{ok}, wantOK: true, attempts: 1},
		{name: "200 with success false", steps: []step{status(200, `{"success":false,"errors":[{"code":1016,"message":"One or more cache purge errors"},{"code":1014,"message":"\"files\", \"tags\", or \"hosts\" must be an array"}],"messages":[],"result":null}`)},
			attempts: 1, errHas: []string{"success:false", "code 1016: One or more cache purge errors", "code 1014"}},
		{name: "400 with error chain", steps: []step{status(400, `{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"result":null}`)},
			attempts: 1, errHas: []string{"HTTP 400", "code 6003: Invalid request headers (code 6111: Invalid format for Authorization header)"}},
		{name: "403 auth", steps: []step{status(403, `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}`)},
			attempts: 1, errHas: []string{"code 10000: Authentication error"}},
		{name: "429 Retry-After then success", steps: []step{status(429, `{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}]}`, "Retry-After", "2"), ok},
			wantOK: true, attempts: 2, waits: []time.Duration{2 * time.Second}},
		{name: "429 Ratelimit header then success", steps: []step{status(429, `{}`, "Ratelimit", `"default";r=0;t=7`), ok},
			wantOK: true, attempts: 2, waits: []time.Duration{7 * time.Second}},
		{name: "429 with no hint backs off", steps: []step{status(429, `{}`), status(429, `{}`), ok},
			wantOK: true, attempts: 3, waits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}},
		{name: "429 asking too long", steps: []step{status(429, `{}`, "Retry-After", "600")},
			attempts: 1, errHas: []string{"429", "asked to wait 10m0s", "try again later"}},
		{name: "5xx burst then success", steps: []step{status(503, `<html>unavailable</html>`), status(502, ``), ok},
			wantOK: true, attempts: 3, waits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}},
		{name: "5xx forever", steps: []step{status(500, `{"success":false,"errors":[{"code":10001,"message":"internal"}]}`)},
			attempts: 4, waits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}, errHas: []string{"gave up after 4 attempts", "HTTP 500"}},
		{name: "malformed JSON", steps: []step{status(200, `{"success":tru`)},
			attempts: 1, errHas: []string{"malformed response", "HTTP 200"}},
		{name: "HTML instead of JSON", steps: []step{status(200, "<html>\x1b[31mlogin</html>")},
			attempts: 1, errHas: []string{"malformed response", `\x1b`}},
		{name: "JSON without envelope", steps: []step{status(200, `{"result":{"id":"x"}}`)},
			attempts: 1, errHas: []string{"malformed response"}},
		{name: "server echoes the token", steps: []step{status(400, `{"success":false,"errors":[{"code":6003,"message":"bad token `+testToken+`"}]}`)},
			attempts: 1, errHas: []string{"bad token [REDACTED]"}},
		{name: "slow answer times out", sleepSlow: true, attempts: 2, errHas: []string{"timeout"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			release := make(chan struct{})
			api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if c.sleepSlow {
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				c.steps[min(n, len(c.steps)-1)](w)
			})
			defer close(release)
			job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), cfEntry(api))
			var rec sleepRecorder
			retry := fastRetry
			timeout := 5 * time.Second
			if c.sleepSlow {
				retry.Attempts, timeout = 2, 50*time.Millisecond
			}
			start := time.Now()
			res, err := Execute(context.Background(), job, ExecOptions{Retry: retry, Sleep: rec.sleep, Timeout: timeout})
			if c.sleepSlow && time.Since(start) > 2*time.Second {
				t.Errorf("a slow API held the purge %s", time.Since(start))
			}
			if len(res.Requests) != 1 {
				t.Fatalf("results %+v", res.Requests)
			}
			rr := res.Requests[0]
			if rr.OK != c.wantOK || (err == nil) != c.wantOK {
				t.Fatalf("ok %v err %v, want ok %v", rr.OK, err, c.wantOK)
			}
			if !c.wantOK && !errors.Is(err, ErrAPI) {
				t.Errorf("error %v does not wrap ErrAPI", err)
			}
			if rr.Attempts != c.attempts || len(api.requests()) != c.attempts {
				t.Errorf("attempts %d (server saw %d), want %d", rr.Attempts, len(api.requests()), c.attempts)
			}
			if !c.sleepSlow && !reflect.DeepEqual(rec.waits(), c.waits) {
				t.Errorf("waits %v, want %v", rec.waits(), c.waits)
			}
			for _, want := range c.errHas {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want it to mention %q", err, want)
				}
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
		})
	}
}

func TestCloudflareRateLimitBudgetPauses(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Ratelimit", `"default";r=0;t=3`)
		writeJSON(w, 200, cfOK("x"))
	})
	e := cfEntry(api)
	e.BatchSize = 3
	job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), e) // 2 requests
	var rec sleepRecorder
	if _, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: rec.sleep}); err != nil {
		t.Fatal(err)
	}
	// One pause between the two requests, none after the last.
	if w := rec.waits(); !reflect.DeepEqual(w, []time.Duration{3 * time.Second}) {
		t.Errorf("waits %v, want one 3s pause", w)
	}
}

func TestCloudflareNeedsToken(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, cfOK("x")) })
	e := cfEntry(api)
	e.TokenEnv = ""
	job, err := Prepare(urlPlan(t, twoURLs), Options{Providers: []Settings{e}, Getenv: testEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.CheckTokens(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "$CLOUDFLARE_API_TOKEN") {
		t.Errorf("CheckTokens: %v", err)
	}
	var dry strings.Builder
	_ = WriteDryRun(&dry, job)
	if !strings.Contains(dry.String(), "Authorization: Bearer [REDACTED: $CLOUDFLARE_API_TOKEN is not set]") {
		t.Errorf("dry run:\n%s", dry.String())
	}
	_, err = Execute(context.Background(), job, ExecOptions{})
	if !errors.Is(err, ErrConfig) || len(api.requests()) != 0 {
		t.Errorf("Execute without a token: err %v, %d requests sent", err, len(api.requests()))
	}
}

func TestCloudflareDryRun(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { t.Error("a dry run sent a request") })
	job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), cfEntry(api))
	var dry strings.Builder
	if err := WriteDryRun(&dry, job); err != nil {
		t.Fatal(err)
	}
	out := dry.String()
	for _, want := range []string{
		"# dry run: nothing is sent",
		"POST " + api.URL + "/client/v4/zones/" + testZone + "/purge_cache",
		"Authorization: Bearer [REDACTED: $CF_TEST_TOKEN]",
		"Content-Type: application/json",
		`"url": "https://cdn.example.com/app.js"`,
		`"Origin": "https://admin.example.com:8443"`,
		"Purge 6 cached copies of 2 URLs",
		"cloudflare zone " + testZone,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	assertNoToken(t, "dry run", out)
}
