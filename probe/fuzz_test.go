package probe

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// FuzzResponse feeds arbitrary server bytes to one exchange (the probe's
// whole read path: status line check, header block framing, the exact
// header copy, fasthttp's parse, body streaming) over an in-memory pipe.
// Whatever comes back, there is no panic and no hang; a response has sane
// headers and a bounded body; a failure classifies to a one-line message
// with every server byte escaped.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200\r\nX-Fold: a\r\n b\r\n\tc\r\n\r\nbody until close",
		"HTTP/1.1 200 OK\r\nX-A: \x9b31m\xff\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Allow-Origin: *\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX-Title: \x1b]0;PWNED\x07\r\n\r\n",
		"HTTP/1.1 2OO OK\r\n\r\n",
		"HTTP/1.1 200 OK\nX-A: 1\n\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nraw",
		"SSH-2.0-OpenSSH_9.6\r\n",
		"HTTP/1.1 200 OK\r\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		e, err := New(Config{Timeout: 2 * time.Second, BodyLimit: 64, MaxHeaderBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		req, err := newRequest("GET", "http://fuzz.test/", nil, proxySpec{})
		if err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		served := make(chan struct{})
		go func() {
			defer close(served)
			defer server.Close()
			if _, err := io.ReadFull(server, make([]byte, len(req.wire))); err != nil {
				return
			}
			_, _ = io.WriteString(server, data)
		}()
		pc := &pconn{conn: client, raw: client, remote: "pipe"}
		ctx := context.Background()
		began := time.Now()
		res, _, ph, err := newWorker(e, nil).exchange(ctx, began.Add(2*time.Second), pc, req.poolKey(), req)
		e.Close() // a pooled connection is closed here, ending the writer
		client.Close()
		<-served
		if d := time.Since(began); d > 3*time.Second {
			t.Fatalf("exchange took %v", d)
		}
		if err != nil {
			pe := classify(ctx, ph, 2*time.Second, err)
			if pe.Message == "" {
				t.Fatalf("empty message for %v", err)
			}
			checkOneLine(t, pe.Message)
			return
		}
		if res == nil || res.Status < 100 || res.Status > 999 {
			t.Fatalf("response %+v", res)
		}
		for _, h := range res.Headers {
			if h.Name == "" || strings.ContainsAny(h.Name, ":\r\n") || strings.ContainsAny(h.Value, "\r\n") {
				t.Fatalf("bad header %q", h)
			}
			if h.Value != strings.Trim(h.Value, " \t") {
				t.Fatalf("value keeps surrounding whitespace: %q", h.Value)
			}
		}
		if res.BodyBytes < 0 || res.BodyBytes > 64 {
			t.Fatalf("read %d body bytes with a 64-byte limit", res.BodyBytes)
		}
		if res.BodyErr != nil {
			if !res.BodyTruncated {
				t.Fatalf("body error %v without truncation", res.BodyErr)
			}
			checkOneLine(t, res.BodyErr.Message)
		}
		_ = cachemodel.Observation{Response: res}
	})
}

// FuzzParseResolve: --resolve entries never panic, errors are one line,
// and an accepted entry reads back the same.
func FuzzParseResolve(f *testing.F) {
	for _, s := range []string{"a.example:443:127.0.0.1", "[::1]:80:[::1]", "A.Example:8080:2001:db8::1", ":1:1.2.3.4", "a:0:1.1.1.1", "a:1:x", "a:1:[1.2.3.4", "\x1b:1:1.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		hp, addr, err := ParseResolve(spec)
		if err != nil {
			checkOneLine(t, strings.ReplaceAll(err.Error(), spec, ""))
			return
		}
		host, port, err := net.SplitHostPort(hp)
		if err != nil || host != strings.ToLower(host) || !validHostname(host) {
			t.Fatalf("accepted %q as %q", spec, hp)
		}
		if _, err := parsePort(port); err != nil {
			t.Fatalf("accepted port %q", port)
		}
		if a := net.ParseIP(addr); a == nil {
			t.Fatalf("accepted address %q", addr)
		}
		again := hp + ":" + addr
		if strings.Contains(addr, ":") {
			again = hp + ":[" + addr + "]"
		}
		hp2, addr2, err := ParseResolve(again)
		if err != nil || hp2 != hp || addr2 != addr {
			t.Fatalf("%q -> %q %q -> %q %q %v", spec, hp, addr, hp2, addr2, err)
		}
	})
}
