package probe

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// streamServer answers each request with a gigantic body generated on the
// fly (never allocated) and counts the bytes it managed to write.
type streamServer struct {
	*rawServer
	written atomic.Int64
	done    chan struct{} // one value per finished connection
}

const oneGiB = 1 << 30

func newStreamServer(t *testing.T, framing string) *streamServer {
	s := &streamServer{done: make(chan struct{}, 16)}
	chunk := make([]byte, 32<<10)
	s.rawServer = newRawServer(t, func(c net.Conn) {
		defer func() { s.done <- struct{}{} }()
		if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
			return
		}
		// Bound the handler even if the client never hung up.
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		// Pin the server's own send buffer (Linux autotunes it up to 4 MiB),
		// so the count measures what the probe let through, not what the
		// server's kernel queued locally.
		_ = c.(*net.TCPConn).SetWriteBuffer(32 << 10)
		var head string
		switch framing {
		case "length":
			head = fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", oneGiB)
		case "chunked":
			head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		case "close":
			head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
		}
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		chunkHead := []byte(fmt.Sprintf("%x\r\n", len(chunk)))
		for sent := 0; sent < oneGiB; sent += len(chunk) {
			if framing == "chunked" {
				if _, err := c.Write(chunkHead); err != nil {
					return
				}
			}
			n, err := c.Write(chunk)
			s.written.Add(int64(n))
			if err != nil {
				return
			}
			if framing == "chunked" {
				if _, err := c.Write([]byte("\r\n")); err != nil {
					return
				}
			}
		}
	})
	return s
}

func (s *streamServer) waitConn(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		t.Fatal("server kept writing: the probe did not hang up")
	}
}

// A 1 GiB body must cost about as much as a small one: the probe reads
// BodyLimit bytes and hangs up.
func TestHugeBodyIsCutShort(t *testing.T) {
	for _, framing := range []string{"length", "chunked", "close"} {
		t.Run(framing, func(t *testing.T) {
			srv := newStreamServer(t, framing)
			e := newEngine(t, Config{Timeout: 5 * time.Second})
			began := time.Now()
			obs, err := run(t, t.Context(), e, plan(0, get(srv.url()+"/big"), get(srv.url()+"/big")))
			elapsed := time.Since(began)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range obs {
				r := mustResponse(t, o)
				if r.BodyBytes != DefaultBodyLimit || !r.BodyTruncated {
					t.Errorf("step %d: body = %d bytes, truncated %v; want %d, true", i, r.BodyBytes, r.BodyTruncated, DefaultBodyLimit)
				}
				if o.Timing.Connect == 0 {
					t.Errorf("step %d reused a connection that still had a body in flight", i)
				}
			}
			srv.waitConn(t)
			srv.waitConn(t)
			written := srv.written.Load()
			t.Logf("%s: two 1 GiB responses probed in %v; server wrote %d KiB in total before the probe hung up",
				framing, elapsed, written>>10)
			if elapsed > 700*time.Millisecond {
				t.Errorf("probing took %v, want well under a second", elapsed)
			}
			if written > 2*(512<<10) {
				t.Errorf("server wrote %d KiB for two requests, want a few hundred KiB each at most", written>>10)
			}
			if srv.accepted() != 2 {
				t.Errorf("server accepted %d connections, want 2", srv.accepted())
			}
		})
	}
}

func TestBodyLimitBoundary(t *testing.T) {
	body := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name      string
		resp      string
		bytes     int64
		truncated bool
	}{
		{"length at limit", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + body(10), 10, false},
		{"length one over", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + body(11), 10, true},
		{"chunked at limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nxxxx\r\n6\r\nxxxxxx\r\n0\r\n\r\n", 10, false},
		{"chunked over", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n" + body(11) + "\r\n0\r\n\r\n", 10, true},
		{"empty", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, false},
		{"304 without body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\n\r\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, serveCanned(tt.resp, false))
			e := newEngine(t, Config{BodyLimit: 10, Timeout: 2 * time.Second})
			obs, err := run(t, t.Context(), e, plan(0, get(srv.url()+"/"), get(srv.url()+"/")))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range obs {
				r := mustResponse(t, o)
				if r.BodyBytes != tt.bytes || r.BodyTruncated != tt.truncated {
					t.Errorf("step %d: body = %d, truncated %v; want %d, %v", o.Step, r.BodyBytes, r.BodyTruncated, tt.bytes, tt.truncated)
				}
			}
			// A complete body leaves the connection reusable; a cut one doesn't.
			wantConns := 1
			if tt.truncated {
				wantConns = 2
			}
			if got := srv.accepted(); got != wantConns {
				t.Errorf("server accepted %d connections, want %d", got, wantConns)
			}
		})
	}
}

// HEAD responses announce a length but carry no body; the probe must not
// wait for one.
func TestHeadDoesNotWaitForBody(t *testing.T) {
	srv := newRawServer(t, serveCanned("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", false))
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	began := time.Now()
	obs, err := run(t, t.Context(), e, plan(0, step("HEAD", srv.url()+"/"), step("HEAD", srv.url()+"/")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if r := mustResponse(t, o); r.BodyBytes != 0 || r.BodyTruncated {
			t.Errorf("HEAD body = %d truncated %v", r.BodyBytes, r.BodyTruncated)
		}
	}
	if time.Since(began) > time.Second {
		t.Errorf("HEAD waited for a body")
	}
	if srv.accepted() != 1 {
		t.Errorf("HEAD connection not reused: %d connections", srv.accepted())
	}
}

func headerBlock(n int, valueLen int) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "X-Pad-%05d: %s\r\n", i, strings.Repeat("v", valueLen))
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

func TestHeaderBlockSize(t *testing.T) {
	big := headerBlock(2000, 90) // ~ 210 KiB
	tests := []struct {
		name      string
		maxHeader int
		resp      string
		wantCount int    // headers expected on success
		tooLarge  string // expected message part on failure
	}{
		{"200 KiB block under the default cap", 0, big, 2001, ""},
		{"200 KiB block over a 64 KiB cap", 64 << 10, big, 0, "larger than 64 KiB"},
		{"small cap below the initial buffer, fits", 1000, headerBlock(5, 10), 6, ""},
		{"small cap below the initial buffer, too big", 1000, headerBlock(50, 10), 0, "larger than 1000 bytes"},
		{"block exactly at the cap", len(headerBlock(3, 10)), headerBlock(3, 10), 4, ""},
		{"block one byte over the cap", len(headerBlock(3, 10)) - 1, headerBlock(3, 10), 0, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, serveCanned(tt.resp, false))
			e := newEngine(t, Config{MaxHeaderBytes: tt.maxHeader, Timeout: 2 * time.Second})
			o := runOne(t, e, get(srv.url()+"/"))
			if tt.tooLarge != "" {
				wantErrKind(t, o, cachemodel.ErrTooLarge, tt.tooLarge)
				return
			}
			r := mustResponse(t, o)
			if len(r.Headers) != tt.wantCount {
				t.Fatalf("got %d headers, want %d", len(r.Headers), tt.wantCount)
			}
			if last := r.Headers[len(r.Headers)-2]; tt.wantCount > 2 && !strings.HasPrefix(last.Name, "X-Pad-") {
				t.Errorf("headers out of order near the end: %q", last)
			}
		})
	}
}

// A server that sends header lines forever must be cut off at the cap
// without the probe reading (or buffering) much more.
func TestEndlessHeadersAreCutOff(t *testing.T) {
	var written atomic.Int64
	done := make(chan struct{}, 1)
	srv := newRawServer(t, func(c net.Conn) {
		defer func() { done <- struct{}{} }()
		if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
			return
		}
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_ = c.(*net.TCPConn).SetWriteBuffer(32 << 10) // count what reached the probe, see newStreamServer
		line := []byte("X-Forever: " + strings.Repeat("z", 1000) + "\r\n")
		n, _ := io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		written.Add(int64(n))
		for i := 0; i < 1<<20; i++ {
			n, err := c.Write(line)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	e := newEngine(t, Config{MaxHeaderBytes: 256 << 10, Timeout: 5 * time.Second})
	began := time.Now()
	o := runOne(t, e, get(srv.url()+"/"))
	wantErrKind(t, o, cachemodel.ErrTooLarge, "larger than 256 KiB (MaxHeaderBytes)")
	if d := time.Since(began); d > time.Second {
		t.Errorf("took %v to give up", d)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("server still writing: connection not dropped")
	}
	if w := written.Load(); w > 256<<10+512<<10 {
		t.Errorf("server wrote %d KiB before the probe hung up", w>>10)
	}
}

// After the read buffer grew for a big header block, the body is still read
// correctly and the connection stays reusable.
func TestGrownBufferKeepsBodyAndConnection(t *testing.T) {
	resp := strings.TrimSuffix(headerBlock(1500, 100), "Content-Length: 0\r\n\r\n") + "Content-Length: 5\r\n\r\nhello"
	srv := newRawServer(t, serveCanned(resp, false))
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	obs, err := run(t, t.Context(), e, plan(0, get(srv.url()+"/"), get(srv.url()+"/")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		r := mustResponse(t, o)
		if len(r.Headers) != 1501 || r.BodyBytes != 5 || r.BodyTruncated {
			t.Errorf("step %d: %d headers, body %d/%v", o.Step, len(r.Headers), r.BodyBytes, r.BodyTruncated)
		}
	}
	if srv.accepted() != 1 {
		t.Errorf("%d connections, want 1", srv.accepted())
	}
}
