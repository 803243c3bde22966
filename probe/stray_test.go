package probe

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// serveWithStray answers each request with its path in X-Req, then, 20 ms
// later (the connection idle), sends an answer nobody asked for.
func serveWithStray(wrap func(net.Conn) net.Conn) func(net.Conn) {
	return func(raw net.Conn) {
		c := wrap(raw)
		br := bufio.NewReader(c)
		for {
			lines, err := readRequestHead(br)
			if err != nil {
				return
			}
			path := strings.Fields(lines[0])[1]
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Req: "+path+"\r\nContent-Length: 0\r\n\r\n"); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Req: stray\r\nContent-Length: 0\r\n\r\n"); err != nil {
				return
			}
		}
	}
}

// Issue 11, item 2: bytes that arrive on an idle kept-alive connection
// (here a whole second answer) mean the connection is out of step; it
// must be dropped, not reused, or the next request reads them as its
// answer. Plain TCP and TLS.
func TestIdleConnectionWithStrayBytesIsNotReused(t *testing.T) {
	ca := newTestCA(t)
	cert := leaf(t, ca, []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	for _, tt := range []struct {
		name   string
		scheme string
		wrap   func(net.Conn) net.Conn
	}{
		{"http", "http", func(c net.Conn) net.Conn { return c }},
		{"https", "https", func(c net.Conn) net.Conn {
			return tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, serveWithStray(tt.wrap))
			e := newEngine(t, Config{Insecure: true, Timeout: 2 * time.Second})
			base := tt.scheme + "://" + srv.addr()
			r := mustResponse(t, runOne(t, e, get(base+"/a")))
			if v, _ := r.Headers.Get("X-Req"); v != "/a" {
				t.Fatalf("first answer X-Req %q", v)
			}
			time.Sleep(80 * time.Millisecond) // the stray arrives meanwhile
			r = mustResponse(t, runOne(t, e, get(base+"/b")))
			if v, _ := r.Headers.Get("X-Req"); v != "/b" {
				t.Errorf("second request got X-Req %q, the answer to another request", v)
			}
			if n := srv.accepted(); n != 2 {
				t.Errorf("%d connections, want 2 (the one with stray bytes dropped)", n)
			}
		})
	}
}

// A kept-alive connection with nothing on it is still reused.
func TestQuietIdleConnectionIsReused(t *testing.T) {
	srv := newRawServer(t, serveCanned("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	for range 3 {
		mustResponse(t, runOne(t, e, get(srv.url()+"/")))
		time.Sleep(20 * time.Millisecond)
	}
	if n := srv.accepted(); n != 1 {
		t.Errorf("%d connections for 3 requests, want 1", n)
	}
}

// A 204 that announces a body has doubtful framing: its connection is not
// reused, so a body the server sends only later (here once the next
// request arrived) cannot become the start of the next answer.
func TestNoContentWithLengthIsNotReused(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for n := 0; ; n++ {
			lines, err := readRequestHead(br)
			if err != nil {
				return
			}
			path := strings.Fields(lines[0])[1]
			if path == "/a" {
				_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\nX-Req: /a\r\nContent-Length: 5\r\n\r\n")
				continue
			}
			pre := ""
			if n > 0 {
				pre = "hello" // the 204's body, late
			}
			_, _ = io.WriteString(c, pre+"HTTP/1.1 200 OK\r\nX-Req: "+path+"\r\nContent-Length: 0\r\n\r\n")
		}
	})
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	if r := mustResponse(t, runOne(t, e, get(srv.url()+"/a"))); r.Status != 204 {
		t.Fatalf("status %d", r.Status)
	}
	r := mustResponse(t, runOne(t, e, get(srv.url()+"/b")))
	if v, _ := r.Headers.Get("X-Req"); r.Status != 200 || v != "/b" {
		t.Errorf("second request: %d X-Req %q", r.Status, v)
	}
}

// The stray-bytes check costs a system call; it runs once per reuse of a
// connection (when it leaves the pool), not also when it is put back.
func TestIdleCheckOncePerReuse(t *testing.T) {
	srv := newRawServer(t, serveCanned("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	mustResponse(t, runOne(t, e, get(srv.url()+"/")))
	before := idleChecks.Load()
	const n = 10
	for range n {
		mustResponse(t, runOne(t, e, get(srv.url()+"/")))
	}
	if got := idleChecks.Load() - before; got != n {
		t.Errorf("%d idle checks for %d requests on a kept-alive connection, want %d", got, n, n)
	}
	if c := srv.accepted(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
}
