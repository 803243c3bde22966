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

func fastlyEntry(api *fakeAPI, service string, soft bool) Settings {
	return Settings{Provider: ProviderFastly, APIBase: api.URL, ServiceID: service, Soft: soft, TokenEnv: "FASTLY_TEST_TOKEN"}
}

func fastlyPrepare(t *testing.T, plan cachemodel.PurgePlan, e Settings, token string) *Job {
	t.Helper()
	job, err := Prepare(plan, Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"FASTLY_TEST_TOKEN": token})})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func fastlyOK(n int, w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, fmt.Sprintf(`{"status":"ok","id":"fastly-id-%d"}`, n))
}

func TestFastlyURLPurge(t *testing.T) {
	for _, c := range []struct {
		name  string
		token string
		soft  bool
	}{{"with token", testToken, false}, {"without token", "", false}, {"soft", testToken, true}} {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t, fastlyOK)
			plan := urlPlan(t, []string{"https://static.example.net/app.js?v=2", "http://static.example.net:8080/a%20b.css"}, twoOrigins...)
			job := fastlyPrepare(t, plan, fastlyEntry(api, "", c.soft), c.token)
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
			if err != nil {
				t.Fatal(err)
			}
			got := api.requests()
			wantPaths := []string{"/purge/static.example.net/app.js?v=2", "/purge/static.example.net:8080/a%20b.css"}
			if len(got) != 2 {
				t.Fatalf("%d requests, want one per URL", len(got))
			}
			for i, s := range got {
				if s.Method != http.MethodPost || s.Path != wantPaths[i] {
					t.Errorf("request %d: %s %s, want POST %s", i, s.Method, s.Path, wantPaths[i])
				}
				key, hasKey := s.Header["Fastly-Key"]
				if c.token != "" && (!hasKey || key[0] != testToken) {
					t.Errorf("Fastly-Key %q, want the token", key)
				}
				if c.token == "" && hasKey {
					t.Errorf("Fastly-Key sent without a token: %q", key)
				}
				if soft := s.Header.Get("Fastly-Soft-Purge"); (soft == "1") != c.soft {
					t.Errorf("Fastly-Soft-Purge %q, soft %v", soft, c.soft)
				}
				if len(s.Body) != 0 {
					t.Errorf("URL purge has a body: %s", s.Body)
				}
				// One URL purge removes every Vary variant: it covers all three copies.
				if n := len(res.Requests[i].Request.Covers); n != 3 {
					t.Errorf("request %d covers %d copies, want 3", i, n)
				}
			}
			if res.Requests[1].IDs[0] != "fastly-id-1" {
				t.Errorf("ids %+v", res.Requests[1].IDs)
			}
			assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
		})
	}
}

func TestFastlySurrogateKeysAndPurgeAll(t *testing.T) {
	keys300 := make([]string, 300)
	for i := range keys300 {
		keys300[i] = fmt.Sprintf("k%d", i)
	}
	var api *fakeAPI
	api = newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/purge") { // bulk: key -> id
			var body struct {
				SurrogateKeys []string `json:"surrogate_keys"`
			}
			reqs := api.requests()
			_ = json.Unmarshal(reqs[n].Body, &body)
			out := map[string]string{}
			for _, k := range body.SurrogateKeys {
				out[k] = "id-" + k
			}
			data, _ := json.Marshal(out)
			writeJSON(w, 200, string(data))
			return
		}
		fastlyOK(n, w, r)
	})
	e := fastlyEntry(api, "SU1Z0isxPaozGVKXdv0eY", false)

	job := fastlyPrepare(t, scopePlan(t, cachemodel.PurgeTags, []string{"product/42"}, "https://static.example.net/x"), e, testToken)
	if _, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry}); err != nil {
		t.Fatal(err)
	}
	job = fastlyPrepare(t, scopePlan(t, cachemodel.PurgeTags, keys300, "https://static.example.net/x"), e, testToken)
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	job = fastlyPrepare(t, scopePlan(t, cachemodel.PurgeEverything, nil, "https://static.example.net/x"), e, testToken)
	if _, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry}); err != nil {
		t.Fatal(err)
	}
	got := api.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 1 + 2 + 1", len(got))
	}
	if got[0].Path != "/service/SU1Z0isxPaozGVKXdv0eY/purge/product%2F42" || len(got[0].Body) != 0 {
		t.Errorf("single key: %s %s", got[0].Path, got[0].Body)
	}
	for i, n := range []int{256, 44} {
		s := got[1+i]
		var body map[string][]string
		if s.Path != "/service/SU1Z0isxPaozGVKXdv0eY/purge" || s.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(s.Body, &body) != nil || len(body) != 1 || len(body["surrogate_keys"]) != n {
			t.Errorf("bulk %d: %s %s", i, s.Path, s.Body)
		}
	}
	if ids := res.Requests[1].IDs; len(ids) != 44 || ids[0] != "id-k256" {
		t.Errorf("bulk ids %d %v", len(ids), ids[:min(3, len(ids))])
	}
	if got[3].Path != "/service/SU1Z0isxPaozGVKXdv0eY/purge_all" {
		t.Errorf("purge all: %s", got[3].Path)
	}
	for _, s := range got {
		if s.Method != http.MethodPost || s.Header.Get("Fastly-Key") != testToken {
			t.Errorf("%s %s: Fastly-Key %q", s.Method, s.Path, s.Header.Get("Fastly-Key"))
		}
	}
}

func TestFastlyRefusals(t *testing.T) {
	api := newFakeAPI(t, fastlyOK)
	cases := []struct {
		name string
		plan cachemodel.PurgePlan
		e    Settings
		want string
	}{
		{"tags need service_id", scopePlan(t, cachemodel.PurgeTags, []string{"k"}, "https://s.example.net/"), fastlyEntry(api, "", false), "needs service_id"},
		{"purge all needs service_id", scopePlan(t, cachemodel.PurgeEverything, nil, "https://s.example.net/"), fastlyEntry(api, "", false), "needs service_id"},
		{"purge all cannot be soft", scopePlan(t, cachemodel.PurgeEverything, nil, "https://s.example.net/"), fastlyEntry(api, "S", true), "cannot be soft"},
		{"no host purge", scopePlan(t, cachemodel.PurgeHosts, []string{"s.example.net"}), fastlyEntry(api, "S", false), "cannot purge by host"},
		{"no prefix purge", scopePlan(t, cachemodel.PurgePrefixes, []string{"s.example.net/a"}), fastlyEntry(api, "S", false), "cannot purge by prefix"},
	}
	for _, c := range cases {
		_, err := Prepare(c.plan, Options{Providers: []Settings{c.e}, Getenv: testEnv(nil)})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrConfig mentioning %q", c.name, err, c.want)
		}
	}
	// Key purges need the token; URL purges do not.
	job := fastlyPrepare(t, scopePlan(t, cachemodel.PurgeTags, []string{"k"}, "https://s.example.net/"), fastlyEntry(api, "S", false), "")
	if err := job.CheckTokens(); err == nil || !strings.Contains(err.Error(), "$FASTLY_TEST_TOKEN") {
		t.Errorf("tag purge without token: %v", err)
	}
	if len(api.requests()) != 0 {
		t.Error("refused purges sent requests")
	}
}

func TestFastlyAnswers(t *testing.T) {
	cases := []struct {
		name     string
		status   []int
		body     []string
		wantOK   bool
		attempts int
		errHas   string
	}{
		{"ok", []int{200}, []string{`{"status":"ok","id":"a"}`}, true, 1, ""},
		{"401", []int{401}, []string{`{"msg":"Provided credentials are missing or invalid","detail":"x"}`}, false, 1, "HTTP 401): Provided credentials are missing or invalid: x"},
		{"200 not ok", []int{200}, []string{`{"status":"error"}`}, false, 1, `status "error"`},
		{"malformed", []int{200}, []string{`ok`}, false, 1, "malformed response from the Fastly API"},
		{"empty object", []int{200}, []string{`{}`}, false, 1, "no purge id"},
		{"429 then ok", []int{429, 200}, []string{`{}`, `{"status":"ok","id":"a"}`}, true, 2, ""},
		{"503 503 ok", []int{503, 503, 200}, []string{``, ``, `{"status":"ok","id":"a"}`}, true, 3, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
				i := min(n, len(c.status)-1)
				writeJSON(w, c.status[i], c.body[i])
			})
			job := fastlyPrepare(t, urlPlan(t, []string{"https://s.example.net/a"}), fastlyEntry(api, "", false), testToken)
			var rec sleepRecorder
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: rec.sleep})
			rr := res.Requests[0]
			if rr.OK != c.wantOK || rr.Attempts != c.attempts {
				t.Errorf("ok %v attempts %d, want %v %d (err %v)", rr.OK, rr.Attempts, c.wantOK, c.attempts, err)
			}
			if c.errHas != "" && (err == nil || !strings.Contains(err.Error(), c.errHas)) {
				t.Errorf("err %v, want %q", err, c.errHas)
			}
			if w := rec.waits(); len(w) != c.attempts-1 {
				t.Errorf("waits %v", w)
			}
			assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
		})
	}
}

func TestHTTPProviderPerVariant(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Origin") {
		case "":
			w.WriteHeader(200)
		case "https://app.example.com":
			w.WriteHeader(412) // ngx_cache_purge >= 2.5: not cached
		default:
			w.WriteHeader(404)
		}
	})
	e := Settings{Provider: ProviderHTTP, Method: "PURGE", URLTemplate: api.URL + "/purge{path}", TokenEnv: "PURGE_TEST_TOKEN"}
	plan := urlPlan(t, []string{"https://www.example.org/a.json?x=1"}, twoOrigins...)
	job, err := Prepare(plan, Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"PURGE_TEST_TOKEN": testToken})})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	got := api.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want one per variant", len(got))
	}
	wantOrigins := []string{"", twoOrigins[0], twoOrigins[1]}
	for i, s := range got {
		o, has := s.Header["Origin"]
		if s.Method != "PURGE" || s.Path != "/purge/a.json?x=1" || (wantOrigins[i] == "") == has || (has && o[0] != wantOrigins[i]) {
			t.Errorf("request %d: %s %s Origin %q", i, s.Method, s.Path, o)
		}
		if s.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("request %d: no bearer token", i)
		}
	}
	wantMsgs := []string{"200 purged", "412 not cached", "404 not cached"}
	for i, rr := range res.Requests {
		if !rr.OK || rr.Message != wantMsgs[i] || rr.NotCached != (i > 0) {
			t.Errorf("result %d: %+v", i, rr)
		}
	}
	assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
}

func TestHTTPProviderRefusals(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.WriteHeader(405)
			_, _ = w.Write([]byte("Method Not Allowed\n"))
			return
		}
		w.WriteHeader(302)
	})
	e := Settings{Provider: ProviderHTTP, Method: "BAN"}
	job, err := Prepare(urlPlan(t, []string{api.URL + "/x", api.URL + "/y"}), Options{Providers: []Settings{e}})
	if err != nil {
		t.Fatal(err)
	}
	if job.Batches[0].Requests[0].Method != "BAN" || job.Batches[0].Requests[0].URL != api.URL+"/x" {
		t.Errorf("request %+v", job.Batches[0].Requests[0])
	}
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
	if !errors.Is(err, ErrAPI) || res.Failed() != 2 {
		t.Fatalf("err %v, failed %d", err, res.Failed())
	}
	if !strings.Contains(res.Requests[0].Message, "405 not allowed") || !strings.Contains(res.Requests[1].Message, "unexpected answer 302") {
		t.Errorf("messages %q / %q", res.Requests[0].Message, res.Requests[1].Message)
	}
	if _, err := Prepare(scopePlan(t, cachemodel.PurgeTags, []string{"t"}, "https://a.example/"), Options{Providers: []Settings{e}}); err == nil || !strings.Contains(err.Error(), "URLs only") {
		t.Errorf("tag purge over http: %v", err)
	}
}

func TestRetryPolicyBackoff(t *testing.T) {
	p := RetryPolicy{Base: time.Second, Max: 5 * time.Second}.withDefaults()
	var got []time.Duration
	for a := 1; a <= 5; a++ {
		got = append(got, p.backoff(a))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		hdr  map[string]string
		want time.Duration
		ok   bool
	}{
		{map[string]string{"Retry-After": "5"}, 5 * time.Second, true},
		{map[string]string{"Retry-After": "Wed, 01 Jul 2026 12:00:30 GMT"}, 30 * time.Second, true},
		{map[string]string{"Retry-After": "Wed, 01 Jul 2026 11:00:00 GMT"}, 0, true},
		{map[string]string{"Retry-After": "soon", "Ratelimit": `"default";r=0;t=9`}, 9 * time.Second, true},
		{map[string]string{"Ratelimit": `"burst";r=4;t=60, "default";r=0;t=12`}, 12 * time.Second, true},
		{map[string]string{"X-Ratelimit-Reset": "Wed, 01 Jul 2026 12:01:00 GMT"}, time.Minute, true},
		{map[string]string{"Retry-After": "-3"}, 0, false},
		{map[string]string{}, 0, false},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.hdr {
			h.Set(k, v)
		}
		d, ok := rateLimitWait(h, now)
		if d != c.want || ok != c.ok {
			t.Errorf("%v: %s %v, want %s %v", c.hdr, d, ok, c.want, c.ok)
		}
	}
	h := http.Header{"Ratelimit": {`"default";r=3;t=30`}}
	if _, spent := budgetSpent(h); spent {
		t.Error("r=3 is not spent")
	}
}
