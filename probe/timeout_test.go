package probe

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// silent accepts, reads the request and then never answers.
func silent(c net.Conn) {
	_, _ = readRequestHead(bufio.NewReader(c))
	_, _ = io.Copy(io.Discard, c) // until the client (or cleanup) closes
}

// trickle answers with s one byte every gap, until s ends or the client
// leaves.
func trickle(s string, gap time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
			return
		}
		trickleBytes(c, s, gap)
	}
}

func TestTimeouts(t *testing.T) {
	const timeout = 300 * time.Millisecond
	const margin = 400 * time.Millisecond
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name    string
		handler func(net.Conn)
		tls     bool
		msg     string
	}{
		{"accepts and never answers", silent, false, "timed out after 300ms waiting for the response"},
		{"trickles the status line", trickle("HTTP/1.1 200 OK\r\nX-Slow: "+long(1000), 20*time.Millisecond), false,
			"timed out after 300ms reading the response headers"},
		{"never completes the TLS handshake", silent, true, "timed out after 300ms during the TLS handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, tt.handler)
			e := newEngine(t, Config{Timeout: timeout})
			url := srv.url() + "/"
			if tt.tls {
				url = "https://" + srv.addr() + "/"
			}
			began := time.Now()
			o := runOne(t, e, get(url))
			elapsed := time.Since(began)
			wantErrKind(t, o, cachemodel.ErrTimeout, tt.msg)
			if elapsed < timeout || elapsed > timeout+margin {
				t.Errorf("observation after %v, want between %v and %v", elapsed, timeout, timeout+margin)
			}
			if o.Timing.Total < timeout {
				t.Errorf("Total = %v, want >= timeout", o.Timing.Total)
			}
		})
	}
}

// Once the headers are in, a body that trickles past the timeout still
// yields the response, marked truncated.
func TestTrickledBodyKeepsHeaders(t *testing.T) {
	const timeout = 300 * time.Millisecond
	resp := "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 1000\r\n\r\n" + string(make([]byte, 1000))
	// Headers at full speed, then the body one byte at a time.
	srv := newRawServer(t, func(c net.Conn) {
		if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
			return
		}
		head := len(resp) - 1000
		if _, err := io.WriteString(c, resp[:head]); err != nil {
			return
		}
		trickleBytes(c, resp[head:], 20*time.Millisecond)
	})
	e := newEngine(t, Config{Timeout: timeout})
	began := time.Now()
	r := mustResponse(t, runOne(t, e, get(srv.url()+"/")))
	if d := time.Since(began); d > timeout+400*time.Millisecond {
		t.Errorf("took %v", d)
	}
	if !r.BodyTruncated || r.BodyBytes == 0 || r.BodyBytes >= 1000 {
		t.Errorf("body = %d bytes truncated %v, want a partial, truncated body", r.BodyBytes, r.BodyTruncated)
	}
	if v, _ := r.Headers.Get("Access-Control-Allow-Origin"); v != "*" {
		t.Errorf("headers lost: %q", r.Headers)
	}
}

func trickleBytes(c net.Conn, s string, gap time.Duration) {
	for i := 0; i < len(s); i++ {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
		time.Sleep(gap)
	}
}

// Cancelling the run aborts requests in flight at once (not at the
// timeout) and still reports every step.
func TestCancelStopsInFlightRequests(t *testing.T) {
	var hungUp atomic.Int32
	srv := newRawServer(t, func(c net.Conn) {
		silent(c)
		hungUp.Add(1) // the probe closed its side
	})
	e := newEngine(t, Config{Timeout: 10 * time.Second, Concurrency: 2})
	plans := []cachemodel.TargetPlan{
		plan(0, get(srv.url()+"/a"), get(srv.url()+"/a2"), get(srv.url()+"/a3")),
		plan(1, get(srv.url()+"/b"), get(srv.url()+"/b2")),
		plan(2, get(srv.url()+"/c")),
		plan(3, get(srv.url()+"/d")),
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(150*time.Millisecond, cancel)
	began := time.Now()
	obs, err := run(t, ctx, e, plans...)
	elapsed := time.Since(began)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if elapsed > time.Second {
		t.Errorf("Run took %v after cancel at 150ms", elapsed)
	}
	if len(obs) != 7 {
		t.Fatalf("got %d observations, want one per step (7)", len(obs))
	}
	seen := map[[2]int]bool{}
	inFlight := 0
	for _, o := range obs {
		key := [2]int{o.Target, o.Step}
		if seen[key] {
			t.Errorf("step %v reported twice", key)
		}
		seen[key] = true
		wantErrKind(t, o, cachemodel.ErrCanceled, "")
		if !o.Start.IsZero() {
			inFlight++
		}
	}
	if inFlight != 2 {
		t.Errorf("%d steps had started, want 2 (the concurrency)", inFlight)
	}
	deadline := time.Now().Add(2 * time.Second)
	for hungUp.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if hungUp.Load() != 2 {
		t.Errorf("server saw %d connections closed by the probe, want 2", hungUp.Load())
	}
}

// A context cancelled before Run still yields one observation per step.
func TestRunWithCancelledContext(t *testing.T) {
	e := newEngine(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	obs, err := run(t, ctx, e, plan(7, get("http://127.0.0.1:1/"), get("http://127.0.0.1:1/")), plan(8, get("http://127.0.0.1:1/")))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if len(obs) != 3 {
		t.Fatalf("got %d observations, want 3", len(obs))
	}
	for _, o := range obs {
		wantErrKind(t, o, cachemodel.ErrCanceled, "not started")
	}
	if obs[0].Target != 7 || obs[0].Step != 0 || obs[1].Step != 1 || obs[2].Target != 8 {
		t.Errorf("observations mislabelled: %+v", obs)
	}
}
