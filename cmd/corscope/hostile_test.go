package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/hostile"
)

// Hostile-server suite: `check` against every misbehaving server of
// internal/hostile, in JSON, table and Markdown. Every request must end
// within its timeout plus a small margin, fail (or succeed) the way the
// case expects with a one-line message, memory must stay bounded, no
// goroutine may outlive the run, and nothing the server sent may reach a
// terminal unescaped.

const (
	hostileTimeout = 300 * time.Millisecond
	// hostileMargin covers scheduling on a loaded 2-core CI machine; a
	// request that honoured its deadline ends well inside it.
	hostileMargin = 400 * time.Millisecond
)

// hostileRun is one `check` run against a hostile server.
type hostileRun struct {
	code     int
	stdout   string
	stderr   string
	elapsed  time.Duration
	requests int
	alloc    uint64 // bytes allocated during the run
	retained int64  // growth of the live heap across the run (after GC)
}

func runHostile(t *testing.T, format string, rounds int, url string, extra ...string) hostileRun {
	t.Helper()
	args := []string{"check", "--mode", "observe", "--rounds", fmt.Sprint(rounds),
		"-o", "https://app.example.com", "--timeout", hostileTimeout.String(), "--follow", "3",
		"--fail-on", "none", "--format", format}
	args = append(append(args, extra...), url)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	began := time.Now()
	code, out, errs := runCLI(t, "", args...)
	r := hostileRun{code: code, stdout: out, stderr: errs, elapsed: time.Since(began)}
	runtime.GC()
	runtime.ReadMemStats(&after)
	r.alloc = after.TotalAlloc - before.TotalAlloc
	r.retained = int64(after.HeapInuse) - int64(before.HeapInuse)
	// Observe mode: no Origin, the --origin, the URL's own origin, null.
	r.requests = 4 * rounds
	return r
}

// check asserts what holds for every case and format: bounded time and
// memory, no crash, one-line stderr, terminal-safe text.
func (r hostileRun) check(t *testing.T, format string, spec hostile.Spec) {
	t.Helper()
	if limit := time.Duration(r.requests) * (hostileTimeout + hostileMargin); r.elapsed > limit {
		t.Errorf("%s: run took %v for %d requests, want under %v", format, r.elapsed, r.requests, limit)
	}
	// The largest legitimate cost is the 10,000-header case: 4 responses
	// of ~190 KiB kept whole, written out as JSON.
	if r.alloc > 256<<20 {
		t.Errorf("%s: run allocated %d MiB", format, r.alloc>>20)
	}
	if r.retained > 16<<20 {
		t.Errorf("%s: live heap grew by %d MiB across the run", format, r.retained>>20)
	}
	wantCode := exitOK
	switch {
	case spec.Expect.Kind != "":
		wantCode = exitFailed
	case spec.Expect.Status < 200 || spec.Expect.Status > 299:
		// A redirect loop's last answer is a 3xx: no verdict (state non-2xx).
		wantCode = exitUnknown
	}
	if r.code != wantCode {
		t.Errorf("%s: exit %d, want %d (stderr %q)", format, r.code, wantCode, r.stderr)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") || strings.Count(r.stderr, "\n") > 1 {
		t.Errorf("%s: stderr %q", format, r.stderr)
	}
	if err := hostile.CheckTerminal([]byte(r.stderr)); err != nil {
		t.Errorf("%s: stderr: %v", format, err)
	}
	if err := hostile.CheckTerminal([]byte(r.stdout)); err != nil {
		t.Errorf("%s: stdout is not terminal-safe: %v", format, err)
	}
}

// checkJSON decodes the report and checks each variant against the case.
func checkJSON(t *testing.T, r hostileRun, spec hostile.Spec) cachemodel.Report {
	t.Helper()
	if bytes.IndexByte([]byte(r.stdout), 0x1b) >= 0 {
		t.Errorf("JSON output holds a raw ESC")
	}
	var rep cachemodel.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("JSON output does not decode: %v", err)
	}
	if len(rep.Targets) != 1 || len(rep.Targets[0].Variants) != r.requests {
		t.Fatalf("want 1 target with %d variants, got %+v", r.requests, rep.Summary)
	}
	want := spec.Expect
	for i, v := range rep.Targets[0].Variants {
		where := fmt.Sprintf("variant %d (%s)", i, v.Label)
		if d := time.Duration(v.Timing.TotalMS * float64(time.Millisecond)); d > hostileTimeout+hostileMargin {
			t.Errorf("%s: took %v, over the timeout plus margin", where, d)
		}
		if want.Kind != "" {
			if v.Error == nil || v.Response != nil {
				t.Errorf("%s: want a %s error, got response %+v", where, want.Kind, v.Response)
				continue
			}
			if v.Error.Kind != want.Kind || !strings.Contains(v.Error.Message, want.Message) {
				t.Errorf("%s: error %s %q, want %s mentioning %q", where, v.Error.Kind, v.Error.Message, want.Kind, want.Message)
			}
			checkMessage(t, where, v.Error.Message)
			continue
		}
		if v.Error != nil || v.Response == nil {
			t.Errorf("%s: want a response, got error %+v", where, v.Error)
			continue
		}
		if v.Response.Status != want.Status || v.Response.BodyTruncated != want.BodyTruncated {
			t.Errorf("%s: status %d truncated %v, want %d %v", where, v.Response.Status, v.Response.BodyTruncated, want.Status, want.BodyTruncated)
		}
		if be := v.Response.BodyError; be != nil {
			t.Errorf("%s: unexpected body error %+v", where, be)
		}
	}
	return rep
}

// checkMessage: an error message is one printable line.
func checkMessage(t *testing.T, where, msg string) {
	t.Helper()
	if msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("%s: message %q is not one line", where, msg)
	}
	if err := hostile.CheckTerminal([]byte(msg)); err != nil {
		t.Errorf("%s: message %q: %v", where, msg, err)
	}
}

func TestHostileServers(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	for _, spec := range hostile.Cases() {
		t.Run(string(spec.Case), func(t *testing.T) {
			srv := hostile.Start(t, spec.Case)
			rounds := 1
			if spec.Case == hostile.BadStatusLine || spec.Case == hostile.BadHeaderLine {
				rounds = 2 // 8 connections: every malformed line once
			}
			jr := runHostile(t, "json", rounds, srv.URL)
			jr.check(t, "json", spec)
			rep := checkJSON(t, jr, spec)
			tr := runHostile(t, "table", rounds, srv.URL)
			tr.check(t, "table", spec)
			var mr hostileRun
			if spec.Case != hostile.Silent && spec.Case != hostile.Slowloris {
				// Markdown adds nothing for servers that send no text.
				mr = runHostile(t, "markdown", rounds, srv.URL)
				mr.check(t, "markdown", spec)
			}
			checkCase(t, spec.Case, srv, rep, tr.stdout, mr.stdout)
			srv.Close()
			goleak.VerifyNone(t, ignore)
		})
	}
}

// checkCase holds what is particular to each case.
func checkCase(t *testing.T, c hostile.Case, srv *hostile.Server, rep cachemodel.Report, table, markdown string) {
	t.Helper()
	variants := rep.Targets[0].Variants
	header := func(v cachemodel.VariantResult, name string) string {
		if v.Response == nil {
			return ""
		}
		s, _ := v.Response.Headers.Get(name)
		return s
	}
	contains := func(what, out string, wants ...string) {
		t.Helper()
		// The table wraps long notes onto indented lines; undo that.
		flat := strings.ReplaceAll(out, "\n      ", " ")
		for _, w := range wants {
			if !strings.Contains(flat, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, out)
			}
		}
	}
	switch c {
	case hostile.ControlHeaders:
		// The parser refuses C0 controls in values; the message quotes
		// them, escaped.
		contains("table", table, `\x1b]0;PWNED-TITLE\a`)
		contains("markdown", markdown, `\x1b\]0;PWNED-TITLE\a`) // Markdown escapes "]" too
	case hostile.C1Headers:
		for name, want := range hostile.C1Values {
			got := header(variants[0], name)
			if name == "X-C1-Raw" {
				want = "\uFFFD31mRAW" // JSON strings are UTF-8: an invalid byte becomes U+FFFD
			}
			if got != want {
				t.Errorf("JSON %s = %q, want %q", name, got, want)
			}
		}
		if acao := variants[1].CORS.ACAO; acao == nil || *acao != "\u009b31mhttps://app.example.com" || *variants[1].CORS.Allowed {
			t.Errorf("ACAO behind a C1 CSI must decode exactly and fail the CORS check: %+v", variants[1].CORS)
		}
		contains("table", table, `\u009b31m`)
		contains("markdown", markdown, `\u009b31mhttps://app.example.com`)
	case hostile.CRHeader:
		contains("table", table, `first\rX-Injected`)
	case hostile.NonUTF8Headers:
		if got := header(variants[0], "X-Latin1"); got != "caf\uFFFD" {
			t.Errorf("X-Latin1 = %q", got)
		}
		contains("table", table, `\xe9vil.example`)
		contains("markdown", markdown, `https://\xe9vil.example`)
	case hostile.HugeHeaderBlock:
		contains("table", table, "larger than 256 KiB")
	case hostile.ManyHeaders:
		for _, v := range variants {
			if v.Response == nil {
				continue // reported by checkJSON
			}
			if n := len(v.Response.Headers); n != 10002 {
				t.Errorf("%s: %d headers, want all 10,002", v.Label, n)
			}
		}
	case hostile.Slowloris, hostile.Silent:
		for _, v := range variants {
			if d := time.Duration(v.Timing.TotalMS * float64(time.Millisecond)); d < hostileTimeout {
				t.Errorf("%s: gave up after %v, before the timeout", v.Label, d)
			}
		}
		contains("table", table, "timed out after 300ms")
	case hostile.ResetMidHeaders:
		contains("table", table, "connection reset by the server")
	case hostile.BadStatusLine:
		seen := map[string]bool{}
		for _, v := range variants {
			if v.Error != nil {
				seen[v.Error.Message] = true
			}
		}
		if len(seen) < len(hostile.BadStatusLines)-1 {
			t.Errorf("only %d distinct messages for %d malformed status lines: %v", len(seen), len(hostile.BadStatusLines), seen)
		}
		contains("table", table, "malformed status line")
	case hostile.BadHeaderLine:
		contains("table", table, "header line without a colon", "empty name", "continuation line")
	case hostile.EndlessChunked, hostile.GzipBomb:
		for _, v := range variants {
			if v.Response == nil {
				continue
			}
			if v.Response.BodyBytes != 64<<10 {
				t.Errorf("%s: read %d body bytes, want the 64 KiB limit", v.Label, v.Response.BodyBytes)
			}
		}
		if c == hostile.GzipBomb {
			// Never inflated: corscope sends no Accept-Encoding and reads
			// raw bytes, so the limit counts wire bytes.
			if ce := header(variants[0], "Content-Encoding"); ce != "gzip" {
				t.Errorf("Content-Encoding %q", ce)
			}
		}
	case hostile.RedirectLoop:
		base := strings.TrimSuffix(srv.URL, "/hostile")
		want := []string{base + "/hostile/a", base + "/hostile/b", base + "/hostile/a"}
		for _, v := range variants {
			if v.Response == nil {
				continue
			}
			if got := v.Response.Redirects; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s: redirects %q, want %q", v.Label, got, want)
			}
		}
		contains("table", table, "redirect loop")
		contains("markdown", markdown, "redirect loop")
	case hostile.NotHTTP:
		contains("table", table, `not an HTTP response (starts with "SSH-2.0-OpenSSH_9.6\r\n")`)
	case hostile.TLSExpired:
		contains("table", table, "certificate has expired")
	case hostile.TLSSelfSigned:
		contains("table", table, "(self-signed)")
	case hostile.TLSWrongHost:
		contains("table", table, `wrong host: certificate is not valid for "127.0.0.1" (it covers "other.test")`)
	}
}

// With --insecure the bad certificates are accepted and the answer read.
func TestHostileTLSInsecure(t *testing.T) {
	for _, c := range []hostile.Case{hostile.TLSExpired, hostile.TLSSelfSigned, hostile.TLSWrongHost} {
		srv := hostile.Start(t, c)
		r := runHostile(t, "json", 1, srv.URL, "--insecure")
		rep := decodeReport(t, r.stdout)
		for _, v := range rep.Targets[0].Variants {
			if v.Error != nil || v.Response.Status != 200 {
				t.Errorf("%s -k: %s: %+v %+v", c, v.Label, v.Error, v.Response)
			}
		}
		if !strings.Contains(rep.Targets[0].Variants[0].Curl, " -k ") {
			t.Errorf("%s: curl reproducer lacks -k: %s", c, rep.Targets[0].Variants[0].Curl)
		}
	}
}

// An IPv6 loopback target: the URL, the Host header, the remote address
// and the same-origin variant all carry the bracketed literal.
func TestHostileIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	ln.Close()
	ignore := goleak.IgnoreCurrent()
	srv := hostile.StartWith(t, hostile.C1Headers, hostile.Options{Network: "tcp6"})
	if !strings.HasPrefix(srv.URL, "http://[::1]:") {
		t.Fatalf("URL %s", srv.URL)
	}
	spec, _ := hostile.Lookup(hostile.C1Headers)
	jr := runHostile(t, "json", 1, srv.URL)
	jr.check(t, "json", spec)
	rep := checkJSON(t, jr, spec)
	for _, v := range rep.Targets[0].Variants {
		if v.Response.RemoteAddr != srv.Addr {
			t.Errorf("%s: remote %q, want %q", v.Label, v.Response.RemoteAddr, srv.Addr)
		}
	}
	if same := rep.Targets[0].Variants[2]; same.Origin == nil || *same.Origin != "http://"+srv.Addr {
		t.Errorf("same-origin variant %+v", same.Origin)
	}
	tr := runHostile(t, "table", 1, srv.URL)
	tr.check(t, "table", spec)
	if !strings.Contains(tr.stdout, "▸ http://[::1]:") {
		t.Errorf("table heading:\n%s", tr.stdout)
	}
	srv.Close()
	goleak.VerifyNone(t, ignore)
}

// Isolate mode analyses every response several times (experiments, the
// generated-origins guard, findings): headers built to make that work
// grow faster than their size must still be cheap.
func TestHostileHeadersInIsolateMode(t *testing.T) {
	for _, c := range []hostile.Case{hostile.RepeatedHeaders, hostile.LongLists, hostile.ManyHeaders} {
		srv := hostile.Start(t, c)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		began := time.Now()
		code, out, errs := runCLI(t, "", "check", "-o", "https://app.example.com", "--timeout", "5s", "--fail-on", "none", "--format", "table", srv.URL)
		elapsed := time.Since(began)
		runtime.ReadMemStats(&after)
		t.Logf("%s: %v, %d MiB allocated", c, elapsed, (after.TotalAlloc-before.TotalAlloc)>>20)
		if code != exitOK || !strings.Contains(out, "0 failed") {
			t.Errorf("%s: exit %d: %s\n%s", c, code, errs, out)
		}
		if elapsed > 8*time.Second {
			t.Errorf("%s: isolate mode took %v", c, elapsed)
		}
		// Linear work stays in the hundreds of MiB allocated (then
		// collected); a quadratic path allocates tens of GiB.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
			t.Errorf("%s: allocated %d MiB", c, alloc>>20)
		}
		if err := hostile.CheckTerminal([]byte(out)); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}
