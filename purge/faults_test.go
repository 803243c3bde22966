package purge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Purge faults the provider tests leave out: 401 versus 403 (never
// retried, status kept so callers can say which), bodies cut off or never
// finished, huge error pages, a batch that fails half-way (exactly which
// copies were covered by which outcome), and cancellation while waiting
// for Retry-After. Every rendering is grepped for the token.

func TestAuthFailuresAreNotRetriedAndKeepTheStatus(t *testing.T) {
	cases := []struct {
		name     string
		provider string
		status   int
		body     string
		want     string
	}{
		{"cloudflare 401", ProviderCloudflare, 401, `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}`,
			"HTTP 401, success:false): code 10000: Authentication error"},
		{"cloudflare 403", ProviderCloudflare, 403, `{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}]}`,
			"HTTP 403, success:false): code 9109: Unauthorized to access requested resource"},
		{"fastly 401", ProviderFastly, 401, `{"msg":"Provided credentials are missing or invalid"}`,
			"Fastly API refused the purge (HTTP 401): Provided credentials are missing or invalid"},
		{"fastly 403", ProviderFastly, 403, `{"msg":"Forbidden","detail":"token lacks purge_select"}`,
			"Fastly API refused the purge (HTTP 403): Forbidden: token lacks purge_select"},
		{"http 401", ProviderHTTP, 401, "auth required", "401 not allowed"},
		{"http 403", ProviderHTTP, 403, "<h1>Forbidden</h1>", "403 not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, c.status, c.body) })
			e := Settings{Provider: c.provider, APIBase: api.URL, ZoneID: "zone1", BatchSize: 30, TokenEnv: "TOK"}
			if c.provider == ProviderHTTP {
				e = Settings{Provider: c.provider, Method: "PURGE", URLTemplate: api.URL + "/purge{path}", TokenEnv: "TOK"}
			}
			job, err := Prepare(urlPlan(t, []string{"https://cdn.example.com/a.js"}, "https://app.example.com"),
				Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"TOK": testToken})})
			if err != nil {
				t.Fatal(err)
			}
			var rec sleepRecorder
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: rec.sleep})
			if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want ErrAPI mentioning %q", err, c.want)
			}
			for _, rr := range res.Requests {
				if rr.OK || rr.Status != c.status || rr.Attempts != 1 {
					t.Errorf("result ok %v status %d attempts %d: want a failure with status %d, not retried", rr.OK, rr.Status, rr.Attempts, c.status)
				}
			}
			if len(rec.waits()) != 0 || len(api.requests()) != len(res.Requests) {
				t.Errorf("an auth failure was retried: waits %v, %d requests", rec.waits(), len(api.requests()))
			}
			assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
		})
	}
}

// rawAPI is a TCP server on 127.0.0.1 that answers every connection with
// handle, for responses net/http would refuse to write.
func rawAPI(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 64)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(buf); err != nil { // the request (small, one read)
					return
				}
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(conns)
		for c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func TestBrokenResponseBodies(t *testing.T) {
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	cases := []struct {
		name    string
		handle  func(c net.Conn)
		timeout time.Duration
		want    []string
	}{
		{"body cut off before its length", func(c net.Conn) {
			_, _ = fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"success\":tr")
		}, 5 * time.Second, []string{"gave up after 4 attempts", "unexpected EOF"}},
		{"chunked body never finished", func(c net.Conn) {
			_, _ = fmt.Fprint(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"suc\r\n")
			<-stall
		}, 100 * time.Millisecond, []string{"gave up after 4 attempts", "no answer within 100ms (timeout)"}},
		{"headers, then nothing", func(c net.Conn) {
			_, _ = fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
			<-stall
		}, 100 * time.Millisecond, []string{"gave up after 4 attempts", "timeout"}},
		{"not HTTP at all", func(c net.Conn) {
			_, _ = fmt.Fprint(c, "\x1b]0;PWNED\x07 hello from "+testToken+"\r\n\r\n")
		}, 5 * time.Second, []string{"gave up after 4 attempts", "malformed HTTP status code"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := rawAPI(t, c.handle)
			e := Settings{Provider: ProviderCloudflare, APIBase: base + "/client/v4", ZoneID: "z", BatchSize: 30, TokenEnv: "TOK"}
			job, err := Prepare(urlPlan(t, []string{"https://cdn.example.com/a.js"}), Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"TOK": testToken})})
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Timeout: c.timeout})
			if d := time.Since(began); d > 4*c.timeout+2*time.Second {
				t.Errorf("took %v", d)
			}
			if !errors.Is(err, ErrAPI) {
				t.Fatalf("err %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
			msg := res.Requests[0].Message
			if strings.ContainsAny(msg, "\x1b\x07\n") {
				t.Errorf("message carries raw control bytes: %q", msg)
			}
			assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
		})
	}
}

// A 10 MiB error page is read up to a bound and quoted as a short,
// escaped snippet.
func TestHugeErrorPageIsBounded(t *testing.T) {
	page := "<html>\x1b[2J" + strings.Repeat("overloaded ", 1<<20) + "</html>"
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		_, _ = w.Write([]byte(page))
	})
	job := cfPrepare(t, urlPlan(t, twoURLs), cfEntry(api))
	var rec sleepRecorder
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: rec.sleep})
	if !errors.Is(err, ErrAPI) || res.Requests[0].Attempts != 4 {
		t.Fatalf("err %v, attempts %d", err, res.Requests[0].Attempts)
	}
	msg := res.Requests[0].Message
	if len(msg) > 400 || !strings.Contains(msg, `HTTP 503: <html>\x1b[2Joverloaded`) || !strings.Contains(msg, "…") {
		t.Errorf("message (%d bytes) %q", len(msg), msg[:min(len(msg), 300)])
	}
}

// A batch that fails half-way: every copy is covered by exactly one
// request, and the result says which copies went with the failed one.
func TestPartialBatchFailure(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			writeJSON(w, 400, `{"success":false,"errors":[{"code":1012,"message":"Request must contain one of \"purge_everything\", \"files\""}]}`)
			return
		}
		writeJSON(w, 200, cfOK(fmt.Sprintf("id-%d", n)))
	})
	e := cfEntry(api)
	e.BatchSize = 2
	urls := []string{"https://cdn.example.com/1.js", "https://cdn.example.com/2.js", "https://cdn.example.com/3.js"}
	plan := urlPlan(t, urls, "https://app.example.com") // 3 URLs × 2 variants = 6 copies, 3 requests
	job := cfPrepare(t, plan, e)
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
	if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "1 of 3 requests failed") {
		t.Fatalf("err %v", err)
	}
	if len(res.Requests) != 3 || !res.Requests[0].OK || res.Requests[1].OK || !res.Requests[2].OK {
		t.Fatalf("results %+v", res.Requests)
	}
	purged, failed := map[string]bool{}, map[string]bool{}
	for _, target := range plan.Targets {
		for _, v := range target.Variants {
			cover := res.Covering(Item{URL: target.URL, Variant: v})
			if len(cover) != 1 {
				t.Fatalf("%s %s covered by %d requests", target.URL, v.Label(), len(cover))
			}
			key := target.URL + " " + v.Label()
			if cover[0].OK {
				purged[key] = true
			} else {
				failed[key] = true
			}
		}
	}
	// Batches of two in plan order: 1.js both variants, then 2.js, then 3.js.
	wantFailed := map[string]bool{urls[1] + " (no Origin)": true, urls[1] + " https://app.example.com": true}
	if fmt.Sprint(failed) != fmt.Sprint(wantFailed) || len(purged) != 4 {
		t.Errorf("failed %v, purged %v", failed, purged)
	}
	a := AuditEntries(job, res)[0]
	if a.Outcome != "partial" || a.Failed != 1 || a.Copies != 6 || len(a.IDs) != 2 || len(a.Errors) != 1 || !strings.Contains(a.Errors[0], "code 1012") {
		t.Errorf("audit %+v", a)
	}
	assertNoToken(t, "renderings", everyRendering(t, job, res, err)...)
}

// A second provider failing does not hide that the first one purged.
func TestPartialFailureAcrossProviders(t *testing.T) {
	cf := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, cfOK("cf")) })
	cache := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(405) })
	entries := []Settings{
		{Provider: ProviderCloudflare, Hosts: []string{"cdn.example.com"}, APIBase: cf.URL, ZoneID: "z", BatchSize: 30, TokenEnv: "TOK"},
		{Provider: ProviderHTTP, Hosts: []string{"origin.example.org"}, Method: "PURGE", URLTemplate: cache.URL + "/purge{path}"},
	}
	plan := urlPlan(t, []string{"https://cdn.example.com/a.js", "https://origin.example.org/b.js"})
	job, err := Prepare(plan, Options{Providers: entries, Getenv: testEnv(map[string]string{"TOK": testToken})})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry})
	if !errors.Is(err, ErrAPI) || len(res.Requests) != 2 || !res.Requests[0].OK || res.Requests[1].OK {
		t.Fatalf("err %v, results %+v", err, res.Requests)
	}
	audit := AuditEntries(job, res)
	if len(audit) != 2 || audit[0].Outcome != "ok" || audit[1].Outcome != "failed" {
		t.Errorf("audit %+v", audit)
	}
}

// Cancelling while a 429's Retry-After is being honoured ends at once,
// sends nothing more, and leaves the unsent requests out of the result.
func TestCancelDuringRetryAfter(t *testing.T) {
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, 429, `{"success":false,"errors":[{"code":971,"message":"Please wait"}]}`)
	})
	e := cfEntry(api)
	e.BatchSize = 2
	job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), e) // 6 copies, 3 requests
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	began := time.Now()
	res, err := Execute(ctx, job, ExecOptions{Retry: fastRetry}) // the real sleep, honouring ctx
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("cancel took %v to take effect", d)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("err %v", err)
	}
	if len(res.Requests) != 1 || res.Requests[0].OK || len(api.requests()) != 1 {
		t.Errorf("results %+v, server saw %d", res.Requests, len(api.requests()))
	}
	if a := AuditEntries(job, res)[0]; a.Outcome != "failed" || a.Requests != 1 {
		t.Errorf("audit %+v", a)
	}
}

// TestProviderMessagesAreTerminalSafe: text a provider puts in its JSON
// (here decoded ESC, BEL, CR and LF) reaches every result and rendering
// escaped.
func TestProviderMessagesAreTerminalSafe(t *testing.T) {
	for _, c := range []struct {
		provider string
		body     string
	}{
		{ProviderCloudflare, `{"success":false,"errors":[{"code":1,"message":"bad \u001b]52;c;cHduZWQ=\u0007 thing\nX"}],"messages":[],"result":null}`},
		{ProviderFastly, `{"msg":"nope \u001b[2J","detail":"line\rover"}`},
	} {
		t.Run(c.provider, func(t *testing.T) {
			api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 400, c.body) })
			e := Settings{Provider: c.provider, APIBase: api.URL, ZoneID: "zone1", BatchSize: 30, TokenEnv: "TOK"}
			job, err := Prepare(urlPlan(t, []string{"https://cdn.example.com/a.js"}, "https://app.example.com"),
				Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"TOK": testToken})})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Execute(context.Background(), job, ExecOptions{Retry: fastRetry, Sleep: (&sleepRecorder{}).sleep})
			if !errors.Is(err, ErrAPI) {
				t.Fatalf("want ErrAPI, got %v", err)
			}
			texts := everyRendering(t, job, res, err)
			for _, rr := range res.Requests {
				texts = append(texts, rr.Message, fmt.Sprint(rr.Err))
			}
			for _, s := range texts {
				if strings.ContainsAny(s, "\x1b\x07\r") {
					t.Errorf("server control bytes reached a result: %q", s)
				}
			}
			if !strings.Contains(texts[len(texts)-2], `\x1b`) {
				t.Errorf("the escape should stay visible as \\x1b: %q", texts[len(texts)-2])
			}
		})
	}
}
