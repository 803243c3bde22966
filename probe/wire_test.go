package probe

import (
	"bufio"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// headRecorder is a raw server that records every request head and answers
// with a canned response.
type headRecorder struct {
	*rawServer
	mu    sync.Mutex
	heads [][]string
}

func newHeadRecorder(t *testing.T, resp string) *headRecorder {
	h := &headRecorder{}
	h.rawServer = newRawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			lines, err := readRequestHead(br)
			if err != nil {
				return
			}
			h.mu.Lock()
			h.heads = append(h.heads, lines)
			h.mu.Unlock()
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	})
	return h
}

func (h *headRecorder) recorded() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]string(nil), h.heads...)
}

func TestRequestGoesOutExactly(t *testing.T) {
	srv := newHeadRecorder(t, "HTTP/1.1 204 No Content\r\n\r\n")
	hostport := srv.addr()
	tests := []struct {
		name string
		step cachemodel.Step
		want []string
	}{
		{
			name: "path, query and header names untouched",
			step: get("http://"+hostport+"/a//b/../c/%2e%2E/?x=1&y=%2F&z=a+b#frag",
				"Origin", "https://a.test",
				"x-CuStOm", "One",
				"User-Agent", "corscope/test",
				"X-Dup", "1",
				"X-Dup", "2",
				"cookie", "a=1"),
			want: []string{
				"GET /a//b/../c/%2e%2E/?x=1&y=%2F&z=a+b HTTP/1.1",
				"Host: " + hostport,
				"Origin: https://a.test",
				"x-CuStOm: One",
				"User-Agent: corscope/test",
				"X-Dup: 1",
				"X-Dup: 2",
				"cookie: a=1",
			},
		},
		{
			name: "preflight without body headers",
			step: step("OPTIONS", "http://"+hostport+"?q=1",
				"Origin", "null",
				"Access-Control-Request-Method", "PUT",
				"Access-Control-Request-Headers", "x-b,x-a"),
			want: []string{
				"OPTIONS /?q=1 HTTP/1.1",
				"Host: " + hostport,
				"Origin: null",
				"Access-Control-Request-Method: PUT",
				"Access-Control-Request-Headers: x-b,x-a",
			},
		},
		{
			name: "plan supplies Host in its own position",
			step: get("http://"+hostport+"/", "Accept", "*/*", "hOsT", "override.test"),
			want: []string{"GET / HTTP/1.1", "Accept: */*", "hOsT: override.test"},
		},
		{
			name: "userinfo is not sent",
			step: get("http://user:pw@" + hostport + "/p"),
			want: []string{"GET /p HTTP/1.1", "Host: " + hostport},
		},
		{
			name: "empty header value",
			step: get("http://"+hostport+"/e", "X-Empty", ""),
			want: []string{"GET /e HTTP/1.1", "Host: " + hostport, "X-Empty: "},
		},
	}
	e := newEngine(t, Config{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runOne(t, e, tt.step)
			if r := mustResponse(t, o); r.Status != 204 {
				t.Fatalf("status %d", r.Status)
			}
			heads := srv.recorded()
			if len(heads) != i+1 {
				t.Fatalf("server saw %d requests, want %d", len(heads), i+1)
			}
			if got := heads[i]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("request head\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

func TestInvalidStepsAreObservations(t *testing.T) {
	srv := newHeadRecorder(t, "HTTP/1.1 204 No Content\r\n\r\n")
	e := newEngine(t, Config{})
	tests := []struct {
		name string
		step cachemodel.Step
		msg  string
	}{
		{"ftp scheme", get("ftp://example.test/"), `unsupported URL scheme "ftp"`},
		{"no scheme", get("example.test/x"), "unsupported URL scheme"},
		{"no host", get("http:///path"), "has no host"},
		{"bad method", step("GE T", srv.url()+"/"), "invalid request method"},
		{"header name with colon", get(srv.url()+"/", "X:Y", "1"), "invalid request header name"},
		{"header injection", get(srv.url()+"/", "X-A", "1\r\nX-Injected: 1"), "line break"},
		{"space in path", get(srv.url() + "/a b"), "whitespace"},
		{"bad port", get("http://127.0.0.1:99999/"), "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runOne(t, e, tt.step)
			wantErrKind(t, o, cachemodel.ErrOther, tt.msg)
			if o.Start.IsZero() {
				t.Errorf("Start not set")
			}
		})
	}
	if n := len(srv.recorded()); n != 0 {
		t.Errorf("invalid steps reached the server %d times", n)
	}
}

func TestResponseHeadersExactlyAsReceived(t *testing.T) {
	tests := []struct {
		name   string
		resp   string
		status int
		proto  string
		want   cachemodel.Headers
		body   int64
		// closeAfter: the server hangs up after the response (body framed by
		// the close).
		closeAfter bool
	}{
		{
			name: "duplicates, odd case and specials",
			resp: "HTTP/1.1 200 OK\r\n" +
				"access-control-allow-origin: https://a.test\r\n" +
				"Access-Control-Allow-Origin: *\r\n" +
				"X-ODD-case:   spaced value  \r\n" +
				"Vary: Origin\r\n" +
				"vary: Accept-Encoding\r\n" +
				"Set-Cookie: a=1\r\n" +
				"SET-COOKIE: b=2\r\n" +
				"Content-Type: text/plain\r\n" +
				"content-type: text/html\r\n" +
				"Server: one\r\n" +
				"Connection: keep-alive\r\n" +
				"CONTENT-length: 2\r\n" +
				"\r\nok",
			status: 200, proto: "HTTP/1.1", body: 2,
			want: cachemodel.Headers{
				{Name: "access-control-allow-origin", Value: "https://a.test"},
				{Name: "Access-Control-Allow-Origin", Value: "*"},
				{Name: "X-ODD-case", Value: "spaced value"},
				{Name: "Vary", Value: "Origin"},
				{Name: "vary", Value: "Accept-Encoding"},
				{Name: "Set-Cookie", Value: "a=1"},
				{Name: "SET-COOKIE", Value: "b=2"},
				{Name: "Content-Type", Value: "text/plain"},
				{Name: "content-type", Value: "text/html"},
				{Name: "Server", Value: "one"},
				{Name: "Connection", Value: "keep-alive"},
				{Name: "CONTENT-length", Value: "2"},
			},
		},
		{
			name:   "bare LF inside the block and empty value",
			resp:   "HTTP/1.1 404 Not Found\nX-Empty:\nX-B: b\r\nContent-Length: 0\r\n\r\n",
			status: 404, proto: "HTTP/1.1",
			want: cachemodel.Headers{{Name: "X-Empty", Value: ""}, {Name: "X-B", Value: "b"}, {Name: "Content-Length", Value: "0"}},
		},
		{
			name:   "no reason phrase, HTTP/1.0, body until close",
			resp:   "HTTP/1.0 200\r\nX-A: 1\r\n\r\nbody",
			status: 200, proto: "HTTP/1.0", body: 4, closeAfter: true,
			want: cachemodel.Headers{{Name: "X-A", Value: "1"}},
		},
		{
			name: "interim 103 is skipped",
			resp: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
				"HTTP/1.1 100 Continue\r\n\r\n" +
				"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 0\r\n\r\n",
			status: 200, proto: "HTTP/1.1",
			want: cachemodel.Headers{{Name: "X-Final", Value: "yes"}, {Name: "Content-Length", Value: "0"}},
		},
		{
			name:   "chunked body",
			resp:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
			status: 200, proto: "HTTP/1.1", body: 7,
			want: cachemodel.Headers{{Name: "Transfer-Encoding", Value: "chunked"}},
		},
	}
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			name := tt.name
			if slow {
				name += "/byte by byte"
			}
			t.Run(name, func(t *testing.T) {
				handler := serveCanned(tt.resp, slow)
				if tt.closeAfter {
					handler = serveOnce(tt.resp, slow)
				}
				srv := newRawServer(t, handler)
				r := mustResponse(t, runOne(t, e, get(srv.url()+"/")))
				if r.Status != tt.status || r.Proto != tt.proto {
					t.Errorf("status line = %s %d, want %s %d", r.Proto, r.Status, tt.proto, tt.status)
				}
				if !reflect.DeepEqual(r.Headers, tt.want) {
					t.Errorf("headers\n got: %q\nwant: %q", r.Headers, tt.want)
				}
				if r.BodyBytes != tt.body || r.BodyTruncated {
					t.Errorf("body = %d bytes (truncated %v), want %d complete", r.BodyBytes, r.BodyTruncated, tt.body)
				}
				if r.RemoteAddr != srv.addr() {
					t.Errorf("RemoteAddr = %q, want %q", r.RemoteAddr, srv.addr())
				}
			})
		}
	}
}

// Two ACAO lines must stay two entries: that is the bug browsers reject.
func TestDuplicateACAOKeptForCORSCheck(t *testing.T) {
	srv := newRawServer(t, serveCanned("HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: https://a.test\r\n"+
		"Access-Control-Allow-Origin: https://a.test\r\nContent-Length: 0\r\n\r\n", false))
	e := newEngine(t, Config{})
	r := mustResponse(t, runOne(t, e, get(srv.url()+"/", "Origin", "https://a.test")))
	if n := r.Headers.Count("Access-Control-Allow-Origin"); n != 2 {
		t.Fatalf("ACAO count = %d, want 2 (headers %q)", n, r.Headers)
	}
	if v, _ := r.Headers.Combined("access-control-allow-origin"); v != "https://a.test, https://a.test" {
		t.Errorf("combined ACAO = %q", v)
	}
}

func TestFoldedHeaderLine(t *testing.T) {
	srv := newRawServer(t, serveCanned("HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\n\tc\r\nContent-Length: 0\r\n\r\n", false))
	e := newEngine(t, Config{})
	r := mustResponse(t, runOne(t, e, get(srv.url()+"/")))
	if len(r.Headers) != 2 {
		t.Errorf("continuation lines must not become headers: %q", r.Headers)
	}
	if v, _ := r.Headers.Get("X-Fold"); v != "a b c" {
		t.Errorf("folded value = %q, want %q", v, "a b c")
	}
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name string
		resp string
		msg  string
	}{
		{"not http", "SSH-2.0-OpenSSH_9.6\r\n", `not an HTTP response (starts with "SSH-2`},
		{"binary garbage", "\x15\x03\x01\x00\x02\x02\x50", `not an HTTP response (starts with "\x15\x03`},
		{"bad status code", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line"},
		{"status without space", "HTTP/1.1200 OK\r\n\r\n", "malformed status line"},
		{"header without colon", "HTTP/1.1 200 OK\r\nX-A 1\r\n\r\n", "without a colon"},
		{"header with control char", "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n", "malformed response headers"},
		{"two content lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "malformed response headers"},
		{"bare LF terminator", "HTTP/1.1 200 OK\nX-A: 1\n\n", "bare LF"},
		{"bare LF blank line after CRLF line", "HTTP/1.1 200 OK\r\nX-A: 1\r\n\n", "bare LF"},
		{"closed mid headers", "HTTP/1.1 200 OK\r\nX-A: 1\r\n", "closed in the middle of the response headers"},
		{"empty reply", "", "empty reply"},
	}
	e := newEngine(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				if _, err := readRequestHead(br); err != nil {
					return
				}
				_, _ = io.WriteString(c, tt.resp)
				// Close right away for the truncation cases; the others are
				// detected without waiting for the close.
			})
			o := runOne(t, e, get(srv.url()+"/"))
			wantErrKind(t, o, cachemodel.ErrProtocol, tt.msg)
			if strings.ContainsAny(o.Err.Message, "\x00\x01\x02\x03\x15") {
				t.Errorf("message embeds raw bytes: %q", o.Err.Message)
			}
		})
	}
}
