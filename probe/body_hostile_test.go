package probe

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// A body that fails after complete headers keeps the response and says
// why it stopped in BodyErr; stopping at the limit is no error.
func TestBodyErrors(t *testing.T) {
	const timeout = 300 * time.Millisecond
	head := "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n"
	tests := []struct {
		name      string
		handle    func(c net.Conn)
		kind      cachemodel.ErrorKind // "" = no body error
		msg       string
		bytes     int64
		truncated bool
	}{
		{"complete", serveOnce(head+"Content-Length: 5\r\n\r\nhello", false), "", "", 5, false},
		{"at the limit", serveOnce(head+"Content-Length: 100\r\n\r\n"+strings.Repeat("x", 100), false), "", "", 10, true},
		{"closed before the announced length", serveOnce(head+"Content-Length: 1000\r\n\r\nshort", false),
			cachemodel.ErrProtocol, "connection closed before the end of the body", 5, true},
		{"chunked without the last chunk", serveOnce(head+"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", false),
			cachemodel.ErrProtocol, "connection closed before the end of the body", 5, true},
		{"bad chunk size", serveOnce(head+"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", false),
			cachemodel.ErrProtocol, "malformed body", 0, true},
		{"trickled past the timeout", func(c net.Conn) {
			if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
				return
			}
			if _, err := io.WriteString(c, head+"Content-Length: 9\r\n\r\n"); err != nil {
				return
			}
			trickleBytes(c, "123456789", 100*time.Millisecond)
		}, cachemodel.ErrTimeout, "timed out after 300ms reading the body", 0, true},
		{"reset mid-body", func(c net.Conn) {
			if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
				return
			}
			if _, err := io.WriteString(c, head+"Content-Length: 100\r\n\r\nabc"); err != nil {
				return
			}
			time.Sleep(30 * time.Millisecond)
			_ = c.(*net.TCPConn).SetLinger(0) // Close sends RST
		}, cachemodel.ErrConnect, "connection reset by the server reading the body", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, tt.handle)
			e := newEngine(t, Config{Timeout: timeout, BodyLimit: 10})
			began := time.Now()
			o := runOne(t, e, get(srv.url()+"/"))
			if d := time.Since(began); d > timeout+400*time.Millisecond {
				t.Errorf("took %v", d)
			}
			r := mustResponse(t, o)
			if v, _ := r.Headers.Get("Access-Control-Allow-Origin"); v != "*" {
				t.Errorf("headers lost: %q", r.Headers)
			}
			if r.BodyTruncated != tt.truncated || (tt.name != "trickled past the timeout" && r.BodyBytes != tt.bytes) {
				t.Errorf("body %d bytes truncated %v, want %d %v", r.BodyBytes, r.BodyTruncated, tt.bytes, tt.truncated)
			}
			switch {
			case tt.kind == "" && r.BodyErr != nil:
				t.Errorf("unexpected body error %v", r.BodyErr)
			case tt.kind != "" && r.BodyErr == nil:
				t.Errorf("no body error, want %s", tt.kind)
			case tt.kind != "":
				if r.BodyErr.Kind != tt.kind || !strings.Contains(r.BodyErr.Message, tt.msg) {
					t.Errorf("body error %v, want %s mentioning %q", r.BodyErr, tt.kind, tt.msg)
				}
				checkOneLine(t, r.BodyErr.Message)
			}
		})
	}
}

// Followed redirects are listed, in order; a loop stops at the limit with
// the last 3xx and the whole chain.
func TestRedirectChainIsRecorded(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			lines, err := readRequestHead(br)
			if err != nil {
				return
			}
			var resp string
			switch path := strings.Fields(lines[0])[1]; path {
			case "/a":
				resp = "HTTP/1.1 301 Moved\r\nLocation: /b?x=1\r\nContent-Length: 0\r\n\r\n"
			case "/b?x=1":
				resp = "HTTP/1.1 302 Found\r\nLocation: /c#frag\r\nContent-Length: 0\r\n\r\n"
			case "/loop1":
				resp = "HTTP/1.1 302 Found\r\nLocation: /loop2\r\nContent-Length: 0\r\n\r\n"
			case "/loop2":
				resp = "HTTP/1.1 302 Found\r\nLocation: /loop1\r\nContent-Length: 0\r\n\r\n"
			default:
				resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
			}
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	})
	base := srv.url()
	tests := []struct {
		name   string
		follow int
		path   string
		status int
		chain  []string
	}{
		{"not following", 0, "/a", 301, nil},
		{"to the end", 5, "/a", 200, []string{base + "/b?x=1", base + "/c"}},
		{"loop stops at the limit", 3, "/loop1", 302, []string{base + "/loop2", base + "/loop1", base + "/loop2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, Config{FollowRedirects: tt.follow, Timeout: 2 * time.Second})
			r := mustResponse(t, runOne(t, e, get(base+tt.path)))
			if r.Status != tt.status || strings.Join(r.Redirects, " ") != strings.Join(tt.chain, " ") {
				t.Errorf("status %d chain %q, want %d %q", r.Status, r.Redirects, tt.status, tt.chain)
			}
		})
	}
}
