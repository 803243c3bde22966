package hostile

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// Case names one way a server misbehaves.
type Case string

// The cases. Each answers every request on a connection the same way,
// except where noted.
const (
	// ControlHeaders sends C0 terminal controls in header values: CSI
	// (ESC [), OSC window-title and clipboard sequences, BEL, and an ACAO
	// wrapped in colour codes.
	ControlHeaders Case = "control-headers"
	// C1Headers sends what a lenient HTTP parser lets through yet a
	// terminal may still act on: the raw 8-bit CSI byte 0x9b, C1 controls
	// encoded as UTF-8, bidi overrides and isolates, a line separator; ACAO
	// echoes the Origin behind a UTF-8 C1 CSI.
	C1Headers Case = "c1-headers"
	// CRHeader puts a bare CR in the middle of a header value.
	CRHeader Case = "cr-header"
	// NonUTF8Headers sends Latin-1 and invalid UTF-8 bytes in header values
	// (ACAO included).
	NonUTF8Headers Case = "non-utf8-headers"
	// HugeHeaderBlock sends a header block of just over 1 MiB.
	HugeHeaderBlock Case = "huge-header-block"
	// ManyHeaders sends 10,000 short headers (about 190 KiB).
	ManyHeaders Case = "many-headers"
	// RepeatedHeaders sends, within Chrome's 256 KiB, thousands of lines
	// of each header corscope parses (Vary, ACAO, Cache-Status, X-Cache,
	// Cache-Control, Age, Set-Cookie, ...): work that grows with the line
	// count must stay linear.
	RepeatedHeaders Case = "repeated-headers"
	// LongLists sends single header values holding tens of thousands of
	// list members (Vary, Cache-Status, Cache-Control, ACAO) and one header
	// folded over 20,000 continuation lines.
	LongLists Case = "long-lists"
	// Slowloris sends the status line, then one header line a byte at a
	// time, Options.TrickleGap apart (one second by default), forever.
	Slowloris Case = "slowloris"
	// Silent accepts, reads the request and never answers.
	Silent Case = "silent"
	// ResetMidHeaders sends half a header block, then resets the
	// connection (RST).
	ResetMidHeaders Case = "reset-mid-headers"
	// BadStatusLine answers each connection with a different malformed
	// status line (see BadStatusLines).
	BadStatusLine Case = "bad-status-line"
	// BadHeaderLine answers each connection with a different malformed
	// header line (see BadHeaderLines).
	BadHeaderLine Case = "bad-header-line"
	// EndlessChunked sends valid headers, then chunks forever.
	EndlessChunked Case = "endless-chunked"
	// GzipBomb sends Content-Encoding: gzip with a body that inflates to
	// 1 GiB of zeros (about 1 MiB on the wire).
	GzipBomb Case = "gzip-bomb"
	// RedirectLoop answers /…/a with a 302 to /…/b and everything else
	// with a 302 to /…/a.
	RedirectLoop Case = "redirect-loop"
	// NotHTTP greets with an SSH banner: not HTTP at all.
	NotHTTP Case = "not-http"
	// TLSExpired, TLSSelfSigned and TLSWrongHost serve a valid answer over
	// TLS with a bad certificate: expired (self-signed too, but expiry is
	// checked first), self-signed for 127.0.0.1 and ::1, and issued for
	// other.test only.
	TLSExpired    Case = "tls-expired"
	TLSSelfSigned Case = "tls-self-signed"
	TLSWrongHost  Case = "tls-wrong-host"

	// The keep-alive cases model a correct cache that honours Vary: Origin
	// (ACAO echoes the request's Origin, X-Cache MISS then HIT per target
	// and Origin, Age, an ETag per stored copy) but leave bytes on the
	// connection after an answer, unasked, once the connection has been
	// idle for Options.StrayDelay (10 ms by default). A client that reuses
	// the connection after that reads them as the start of its next
	// answer. When the next request comes sooner, nothing is sent: bytes
	// that arrive after a request went out cannot be told from its answer
	// by any client. Server.Strays counts what was sent, Server.Racy the
	// strays that crossed a request on its way (on a loaded machine the
	// server's idle timer can fire just as the client sends). See
	// KeepAliveCases.

	// StrayResponse sends every answer a second time.
	StrayResponse Case = "stray-response"
	// NoContentBody answers with 204 No Content, then sends a body anyway.
	NoContentBody Case = "no-content-body"
	// HeadBody answers HEAD with the GET body after the header block (GET
	// is answered correctly).
	HeadBody Case = "head-body"
	// ShortContentLength announces a Content-Length one byte short of the
	// body; the last byte comes late.
	ShortContentLength Case = "short-content-length"
)

// Expect is what corscope's probe engine should make of every request to a
// case's server, given a timeout of a few seconds at most and, for
// RedirectLoop, at least one redirect to follow.
type Expect struct {
	// Kind is the error kind; "" means a response is expected.
	Kind cachemodel.ErrorKind
	// Message is part of the error message (Kind != "").
	Message string
	// Status is the expected response status (Kind == "").
	Status int
	// BodyTruncated: the probe stopped reading the body early.
	BodyTruncated bool
}

// Spec describes a case.
type Spec struct {
	Case    Case
	Summary string // what the server does, in a few words
	Expect  Expect
	TLS     bool

	serve func(*conn)
	cert  certKind
}

// Cases lists every case, in a stable order.
func Cases() []Spec {
	out := make([]Spec, 0, len(order))
	for _, c := range order {
		out = append(out, specs[c])
	}
	return out
}

// KeepAliveCases lists the keep-alive cases (StrayResponse and the rest).
// They are not in Cases: whether a client escapes them depends on how long
// it leaves a connection idle before reusing it (at least StrayDelay), so
// they have a suite of their own.
func KeepAliveCases() []Spec {
	out := make([]Spec, 0, len(keepAliveOrder))
	for _, c := range keepAliveOrder {
		out = append(out, specs[c])
	}
	return out
}

var keepAliveOrder = []Case{StrayResponse, NoContentBody, HeadBody, ShortContentLength}

// Lookup returns a case's spec.
func Lookup(c Case) (Spec, bool) {
	s, ok := specs[c]
	return s, ok
}

var order = []Case{
	ControlHeaders, C1Headers, CRHeader, NonUTF8Headers, HugeHeaderBlock, ManyHeaders, RepeatedHeaders, LongLists,
	Slowloris, Silent, ResetMidHeaders, BadStatusLine, BadHeaderLine, EndlessChunked,
	GzipBomb, RedirectLoop, NotHTTP, TLSExpired, TLSSelfSigned, TLSWrongHost,
}

var specs = map[Case]Spec{}

func init() {
	add := func(s Spec) {
		s.TLS = s.cert != certNone
		specs[s.Case] = s
	}
	add(Spec{Case: ControlHeaders, Summary: "ESC, CSI, OSC and BEL in header values",
		Expect: Expect{Kind: cachemodel.ErrProtocol, Message: "malformed response headers"},
		serve:  answerAll(ControlHeadersResponse)})
	add(Spec{Case: C1Headers, Summary: "C1 controls, bidi overrides and a line separator in header values",
		Expect: Expect{Status: 200}, serve: serveC1})
	add(Spec{Case: CRHeader, Summary: "a bare CR inside a header value",
		Expect: Expect{Kind: cachemodel.ErrProtocol, Message: "malformed response headers"},
		serve:  answerAll("HTTP/1.1 200 OK\r\nX-Split: first\rX-Injected: yes\r\nContent-Length: 0\r\n\r\n")})
	add(Spec{Case: NonUTF8Headers, Summary: "Latin-1 and invalid UTF-8 bytes in header values",
		Expect: Expect{Status: 200},
		serve: answerAll("HTTP/1.1 200 OK\r\nX-Latin1: caf\xe9\r\nX-Bytes: \xff\xfe\xc0\xaf\r\n" +
			"Access-Control-Allow-Origin: https://\xe9vil.example\r\nContent-Length: 0\r\n\r\n")})
	add(Spec{Case: HugeHeaderBlock, Summary: "a header block of just over 1 MiB",
		Expect: Expect{Kind: cachemodel.ErrTooLarge, Message: "response header block is larger than"},
		serve:  answerAll(headerBlock(1100, 1000))})
	add(Spec{Case: ManyHeaders, Summary: "10,000 headers",
		Expect: Expect{Status: 200}, serve: answerAll(headerBlock(10000, 4))})
	add(Spec{Case: RepeatedHeaders, Summary: "thousands of repeats of every parsed header",
		Expect: Expect{Status: 200}, serve: answerAll(repeatedHeaders())})
	add(Spec{Case: LongLists, Summary: "list values with tens of thousands of members, a header folded 20,000 times",
		Expect: Expect{Status: 200}, serve: answerAll(longLists())})
	add(Spec{Case: Slowloris, Summary: "a header line trickled one byte per second",
		Expect: Expect{Kind: cachemodel.ErrTimeout, Message: "reading the response headers"}, serve: serveSlowloris})
	add(Spec{Case: Silent, Summary: "accepts and never answers",
		Expect: Expect{Kind: cachemodel.ErrTimeout, Message: "waiting for the response"}, serve: serveSilent})
	add(Spec{Case: ResetMidHeaders, Summary: "resets the connection in the middle of the headers",
		Expect: Expect{Kind: cachemodel.ErrConnect, Message: "connection reset by the server"}, serve: serveReset})
	add(Spec{Case: BadStatusLine, Summary: "malformed status lines",
		Expect: Expect{Kind: cachemodel.ErrProtocol}, serve: serveNth(BadStatusLines)})
	add(Spec{Case: BadHeaderLine, Summary: "malformed header lines",
		Expect: Expect{Kind: cachemodel.ErrProtocol}, serve: serveNth(BadHeaderLines)})
	add(Spec{Case: EndlessChunked, Summary: "a chunked body that never ends",
		Expect: Expect{Status: 200, BodyTruncated: true}, serve: serveEndlessChunked})
	add(Spec{Case: GzipBomb, Summary: "a gzip body inflating to 1 GiB",
		Expect: Expect{Status: 200, BodyTruncated: true}, serve: serveGzipBomb})
	add(Spec{Case: RedirectLoop, Summary: "redirects /a -> /b -> /a forever",
		Expect: Expect{Status: 302}, serve: serveRedirectLoop})
	add(Spec{Case: NotHTTP, Summary: "an SSH banner instead of HTTP",
		Expect: Expect{Kind: cachemodel.ErrProtocol, Message: "not an HTTP response"}, serve: serveNotHTTP})
	add(Spec{Case: TLSExpired, Summary: "TLS with an expired certificate",
		Expect: Expect{Kind: cachemodel.ErrTLS, Message: "certificate has expired"},
		serve:  answerAll(okResponse), cert: certExpired})
	add(Spec{Case: TLSSelfSigned, Summary: "TLS with a self-signed certificate",
		Expect: Expect{Kind: cachemodel.ErrTLS, Message: "self-signed"},
		serve:  answerAll(okResponse), cert: certSelfSigned})
	add(Spec{Case: TLSWrongHost, Summary: "TLS with a certificate for another host",
		Expect: Expect{Kind: cachemodel.ErrTLS, Message: "wrong host"},
		serve:  answerAll(okResponse), cert: certWrongHost})
	add(Spec{Case: StrayResponse, Summary: "a correct Vary: Origin cache that sends each answer twice, the copy late",
		Expect: Expect{Status: 200}, serve: serveStray(StrayResponse)})
	add(Spec{Case: NoContentBody, Summary: "a 204 followed, late, by a body",
		Expect: Expect{Status: 204}, serve: serveStray(NoContentBody)})
	add(Spec{Case: HeadBody, Summary: "HEAD answered with a body, sent late",
		Expect: Expect{Status: 200}, serve: serveStray(HeadBody)})
	add(Spec{Case: ShortContentLength, Summary: "Content-Length one byte short; the last byte comes late",
		Expect: Expect{Status: 200}, serve: serveStray(ShortContentLength)})
}

const okResponse = "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 2\r\n\r\nok"

// ControlHeadersResponse is the ControlHeaders answer.
const ControlHeadersResponse = "HTTP/1.1 200 OK\r\n" +
	"X-Title: \x1b]0;PWNED-TITLE\x07\r\n" +
	"X-Clipboard: \x1b]52;c;UFdORUQ=\x07\r\n" +
	"X-Csi: \x1b[2J\x1b[99;99H\x1b[8mhidden\r\n" +
	"X-Bell: ding\x07\r\n" +
	"Access-Control-Allow-Origin: \x1b[31m*\x1b[0m\r\n" +
	"Content-Length: 2\r\n\r\nok"

// C1Values are the header values C1Headers sends, by name.
var C1Values = map[string]string{
	"X-C1-Raw":  "\x9b31mRAW",
	"X-C1-Utf8": "\u009b31mUTF8",
	"X-Osc-C1":  "\u009d0;PWNED-TITLE\u009c",
	"X-Bidi":    "\u202eEVIL\u202c",
	"X-Isolate": "\u2066ISO\u2069",
	"X-LineSep": "line\u2028break\u2029para",
}

// BadStatusLines are the status lines BadStatusLine sends, one per
// connection, in turn.
var BadStatusLines = []string{
	"HTTP/1.1 2OO OK\r\n\r\n",
	"HTTP/1.1 99999999999999999999 Big\r\n\r\n",
	"HTTP/1.1 20 OK\r\n\r\n",
	"HTTP/1.1200 OK\r\n\r\n",
	"HTTP/x.y 200 OK\r\n\r\n",
	"HTTP/1.1 -200 OK\r\n\r\n",
	"HTTP/1.1 200\x1b]0;PWNED\x07\r\n\r\n",
}

// BadHeaderLines are the answers BadHeaderLine sends, one per connection,
// in turn.
var BadHeaderLines = []string{
	"HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\n: empty name\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\n continuation first\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX-Esc\x1b[31m: v\r\nContent-Length: 0\r\n\r\n",
}

// answerAll answers every request on the connection with resp.
func answerAll(resp string) func(*conn) {
	return func(c *conn) {
		for !c.stopped() {
			if _, err := c.readRequest(); err != nil {
				return
			}
			if c.writeString(resp) != nil {
				return
			}
		}
	}
}

// serveNth answers connection n with answers[n-1] (cycling), then hangs up.
func serveNth(answers []string) func(*conn) {
	return func(c *conn) {
		if _, err := c.readRequest(); err != nil {
			return
		}
		_ = c.writeString(answers[(c.n-1)%len(answers)])
	}
}

func serveC1(c *conn) {
	for !c.stopped() {
		r, err := c.readRequest()
		if err != nil {
			return
		}
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		for _, name := range []string{"X-C1-Raw", "X-C1-Utf8", "X-Osc-C1", "X-Bidi", "X-Isolate", "X-LineSep"} {
			fmt.Fprintf(&b, "%s: %s\r\n", name, C1Values[name])
		}
		if o := r.header("Origin"); o != "" {
			fmt.Fprintf(&b, "Access-Control-Allow-Origin: \u009b31m%s\r\nVary: Origin\r\n", o)
		}
		b.WriteString("Cache-Control: public, max-age=60\r\nContent-Length: 2\r\n\r\n{}")
		if c.writeString(b.String()) != nil {
			return
		}
	}
}

func serveSilent(c *conn) {
	if _, err := c.readRequest(); err != nil {
		return
	}
	c.drain()
}

func serveSlowloris(c *conn) {
	if _, err := c.readRequest(); err != nil {
		return
	}
	if c.writeString("HTTP/1.1 200 OK\r\nX-Slow: ") != nil {
		return
	}
	for c.sleep(c.s.opt.TrickleGap) {
		if c.writeString("z") != nil {
			return
		}
	}
}

func serveReset(c *conn) {
	if _, err := c.readRequest(); err != nil {
		return
	}
	if c.writeString("HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nX-Half: ") != nil {
		return
	}
	// Give the bytes a moment to leave, then abort: SO_LINGER 0 makes
	// Close send RST instead of FIN.
	c.sleep(20 * time.Millisecond)
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}

func serveEndlessChunked(c *conn) {
	if _, err := c.readRequest(); err != nil {
		return
	}
	if c.writeString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nAccess-Control-Allow-Origin: *\r\n\r\n") != nil {
		return
	}
	chunk := "4000\r\n" + strings.Repeat("x", 0x4000) + "\r\n"
	for !c.stopped() {
		if c.writeString(chunk) != nil {
			return
		}
	}
}

// gzipMember is one gzip member inflating to 1 MiB of zeros (about 1 KiB);
// concatenated members are one valid gzip stream. New makes it before the
// server listens, so a slow first compression (under -race) never delays
// an answer.
var gzipMember = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	return buf.Bytes()
})

// GzipBombMembers is how many members the GzipBomb body holds: 1024 × 1 MiB
// inflate to 1 GiB.
const GzipBombMembers = 1024

func serveGzipBomb(c *conn) {
	m := gzipMember()
	for !c.stopped() {
		if _, err := c.readRequest(); err != nil {
			return
		}
		head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"+
			"Access-Control-Allow-Origin: *\r\nContent-Length: %d\r\n\r\n", GzipBombMembers*len(m))
		if c.writeString(head) != nil {
			return
		}
		for range GzipBombMembers {
			if _, err := c.Write(m); err != nil {
				return
			}
		}
	}
}

func serveRedirectLoop(c *conn) {
	for !c.stopped() {
		r, err := c.readRequest()
		if err != nil {
			return
		}
		next := "/hostile/a"
		if strings.HasSuffix(r.path(), "/a") {
			next = "/hostile/b"
		}
		if c.writeString("HTTP/1.1 302 Found\r\nLocation: "+next+"\r\nContent-Length: 0\r\n\r\n") != nil {
			return
		}
	}
}

func serveNotHTTP(c *conn) {
	// SSH servers speak first.
	if c.writeString("SSH-2.0-OpenSSH_9.6\r\n") != nil {
		return
	}
	c.drain()
}

// repeatedHeaders cycles through the headers corscope parses until the
// block is just under 250 KiB.
func repeatedHeaders() string {
	lines := []string{
		"Vary: Origin\r\n", "Access-Control-Allow-Origin: *\r\n", "Cache-Status: edge; hit\r\n",
		"X-Cache: HIT\r\n", "Cache-Control: public, max-age=60\r\n", "Age: 5\r\n", "Set-Cookie: a=b\r\n",
		"Access-Control-Allow-Headers: x\r\n", "Access-Control-Allow-Credentials: true\r\n", "ETag: \"x\"\r\n",
	}
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n")
	for i := 0; b.Len() < 250<<10; i++ {
		b.WriteString(lines[i%len(lines)])
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// longLists packs huge lists into single values.
func longLists() string {
	return "HTTP/1.1 200 OK\r\n" +
		"Vary: " + strings.Repeat("a,", 20000) + "Origin\r\n" +
		"Cache-Status: " + strings.Repeat("e; fwd=miss, ", 4000) + "final; hit\r\n" +
		"Cache-Control: " + strings.Repeat("x, ", 10000) + "max-age=60\r\n" +
		"Access-Control-Allow-Origin: " + strings.Repeat("*, ", 5000) + "*\r\n" +
		"X-Folded: a\r\n" + strings.Repeat(" b\r\n", 20000) +
		"Content-Length: 0\r\n\r\n"
}

// headerBlock is a 200 answer with n padding headers of valueLen bytes.
func headerBlock(n, valueLen int) string {
	var b strings.Builder
	b.Grow(n * (valueLen + 16))
	b.WriteString("HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n")
	v := strings.Repeat("v", valueLen)
	for i := range n {
		fmt.Fprintf(&b, "X-Pad-%05d: %s\r\n", i, v)
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// strayBody is the body of the keep-alive cases.
const strayBody = `{"ok":true}`

// serveStray answers like a correct cache keyed on the request target and
// Origin (Vary: Origin), then misbehaves as c says.
func serveStray(c Case) func(*conn) {
	return func(cn *conn) {
		for !cn.stopped() {
			r, err := cn.readRequest()
			if err != nil {
				return
			}
			origin := r.header("Origin")
			hit, etag, age := cn.s.cacheLookup(r.target + "\x00" + origin)
			var b strings.Builder
			status := "200 OK"
			if c == NoContentBody {
				status = "204 No Content"
			}
			fmt.Fprintf(&b, "HTTP/1.1 %s\r\n", status)
			if origin != "" {
				fmt.Fprintf(&b, "Access-Control-Allow-Origin: %s\r\n", origin)
			}
			b.WriteString("Vary: Origin\r\nCache-Control: public, max-age=60\r\n")
			if hit {
				fmt.Fprintf(&b, "X-Cache: HIT\r\nAge: %d\r\n", age)
			} else {
				b.WriteString("X-Cache: MISS\r\n")
			}
			fmt.Fprintf(&b, "ETag: %q\r\n", etag)
			body, late := strayBody, ""
			switch c {
			case NoContentBody:
				body, late = "", strayBody
			case HeadBody:
				if r.method == "HEAD" {
					body, late = "", strayBody
				}
			case ShortContentLength:
				body, late = strayBody[:len(strayBody)-1], strayBody[len(strayBody)-1:]
			}
			switch {
			case c == NoContentBody:
				// 204 has no body and no Content-Length.
			case r.method == "HEAD":
				// The length of the GET body, as a HEAD answer should say.
				fmt.Fprintf(&b, "Content-Length: %d\r\n", len(strayBody))
			default:
				fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
			}
			b.WriteString("\r\n")
			b.WriteString(body)
			answer := b.String()
			if c == StrayResponse {
				late = answer
			}
			if cn.writeString(answer) != nil {
				return
			}
			if late != "" && cn.idleFor(cn.s.opt.StrayDelay) {
				if cn.writeString(late) != nil {
					return
				}
				cn.s.strays.Add(1)
				if cn.requestWithin(time.Millisecond) {
					// The next request was on its way as the stray bytes
					// went out: no client could have kept them apart.
					cn.s.racy.Add(1)
				}
			}
		}
	}
}
