package probe

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzFramedBlocks holds the one-pass framing (headScan.framed: the usual
// response skips fasthttp's header parse) to what fasthttp's parse of the
// same block concludes: for every block framed claims, fasthttp accepts
// it, ends it at the same byte, reads the same status and Content-Length
// and keeps the connection open. Blocks framed does not claim go through
// fasthttp in the engine, so they need no agreement.
func FuzzFramedBlocks(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nVary: Origin\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nX-A: b c\t\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 012\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 599 X\r\nContent-Length:3\r\nA:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n",
		"HTTP/1.1 200\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\nServer: x\r\nContent-Type: text/plain\r\nContent-Length: 99999999999\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		buf := []byte(data)
		if _, err := checkStatusLine(buf); err != nil {
			return
		}
		var s headScan
		s.start()
		s.index = true
		end, err := s.feed(buf)
		if err != nil || end == 0 {
			return
		}
		head, err := s.head(buf[:end])
		if err != nil || !s.framed(buf[:end], head) {
			return
		}
		var h fasthttp.ResponseHeader
		h.DisableNormalizing()
		br := bufio.NewReader(bytes.NewReader(append(buf[:end:end], "body"...)))
		if err := h.Read(br); err != nil {
			t.Fatalf("framed a block fasthttp refuses (%v): %q", err, buf[:end])
		}
		if consumed := end + len("body") - br.Buffered(); consumed != end {
			t.Fatalf("fasthttp ends the block at %d, framed at %d: %q", consumed, end, buf[:end])
		}
		if h.StatusCode() != head.status || h.ContentLength() != s.contentLength || h.ConnectionClose() {
			t.Fatalf("fasthttp: status %d, length %d, close %v; framed: %d, %d, keep-alive: %q",
				h.StatusCode(), h.ContentLength(), h.ConnectionClose(), head.status, s.contentLength, buf[:end])
		}
	})
}
