package probe

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/corscope/corscope/cachemodel"
)

// The response header block is captured from the read buffer before fasthttp
// parses it: fasthttp files some headers (Content-Type, Server, Set-Cookie…)
// into dedicated fields and merges duplicates, while corscope needs the lines
// exactly as the server sent them. fasthttp still parses the same bytes for
// framing (Content-Length, chunked, keep-alive) and body streaming.

// initialReadBuffer is the read buffer a request starts with; it grows up to
// Config.MaxHeaderBytes only for the rare server with a huge header block.
const initialReadBuffer = 32 << 10

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, initialReadBuffer) }}

// freeHeaderBytes is how far a request's header buffer may grow without
// the engine's header budget: any real header block fits (Chrome refuses
// blocks over 256 KiB), so the budget only ever slows down servers that
// send megabytes of headers.
const freeHeaderBytes = 1 << 20

// DefaultHeaderBudget is the least total an engine's header budget holds.
const DefaultHeaderBudget = 256 << 20

// headerReservation is what one request takes from the header budget when
// its header block outgrows freeHeaderBytes, for the rest of its exchange:
// its buffer grows to maxHeader, the previous buffer (half that) is read
// from while it does, and the block is copied out once for the report and
// once by fasthttp's framing.
func headerReservation(maxHeader int) int64 { return 3 * int64(maxHeader) }

// headerBudget bounds, across every request of an engine, the memory of
// header blocks larger than freeHeaderBytes: --max-header-bytes × the
// concurrency would otherwise be the bound (16 × 64 MiB, plus copies).
// A request reserves its whole worst case at once (headerReservation), so
// no request waits while holding part of the budget, and waits in FIFO
// order, within its step's timeout.
type headerBudget struct {
	sem   *semaphore.Weighted
	total int64
}

// newHeaderBudget returns nil (no budget needed) when no block can outgrow
// freeHeaderBytes.
func newHeaderBudget(maxHeader int, total int64) *headerBudget {
	if maxHeader <= freeHeaderBytes {
		return nil
	}
	if total == 0 {
		total = max(DefaultHeaderBudget, 2*headerReservation(maxHeader))
	}
	return &headerBudget{sem: semaphore.NewWeighted(total), total: total}
}

// headReader finds header blocks in a connection's read buffer, growing the
// buffer when a block does not fit.
type headReader struct {
	br        *bufio.Reader
	conn      net.Conn
	max       int
	carry     *bytes.Reader // bytes moved out of an outgrown buffer
	pooled    bool
	firstByte time.Time // when the first response byte arrived

	budget   *headerBudget
	ctx      context.Context
	deadline time.Time // the step's
	held     int64     // reserved from budget
}

func newHeadReader(conn net.Conn, maxHeader int) *headReader {
	h := &headReader{conn: conn, max: maxHeader}
	if maxHeader >= initialReadBuffer {
		h.br = readerPool.Get().(*bufio.Reader)
		h.br.Reset(conn)
		h.pooled = true
	} else {
		h.br = bufio.NewReaderSize(conn, maxHeader)
	}
	return h
}

// release gives back the read buffer and any header budget held.
func (h *headReader) release() {
	h.releaseBuffer()
	if h.held > 0 {
		h.budget.sem.Release(h.held)
		h.held = 0
	}
}

func (h *headReader) releaseBuffer() {
	if h.pooled {
		h.br.Reset(nil)
		readerPool.Put(h.br)
	}
	h.br, h.pooled = nil, false // a grown reader is not pooled
}

// reserve takes this request's share of the header budget, waiting (FIFO)
// until the step's deadline at most.
func (h *headReader) reserve() error {
	n := headerReservation(h.max)
	if n > h.budget.total {
		return &kindError{kind: cachemodel.ErrTooLarge, msg: "a header block of up to " + byteSize(int64(h.max)) +
			" (MaxHeaderBytes) needs " + byteSize(n) + " of memory, more than the header budget of " + byteSize(h.budget.total)}
	}
	ctx, cancel := context.WithDeadline(h.ctx, h.deadline)
	defer cancel()
	if err := h.budget.sem.Acquire(ctx, n); err != nil {
		if h.ctx.Err() != nil {
			return h.ctx.Err()
		}
		return &kindError{kind: cachemodel.ErrTimeout, msg: "timed out waiting for memory to read a header block over " +
			byteSize(freeHeaderBytes) + ": other responses with huge header blocks held the header budget (" +
			byteSize(h.budget.total) + ", set by MaxHeaderBytes)"}
	}
	h.held = n
	return nil
}

// drained reports whether nothing the server sent is left unread, which is
// required before the connection can carry another request.
func (h *headReader) drained() bool {
	return h.br.Buffered() == 0 && (h.carry == nil || h.carry.Len() == 0)
}

// grow moves the buffered bytes into a reader with a bigger buffer. The old
// bytes are replayed first, then reading continues from the connection.
// Past freeHeaderBytes the request first reserves from the header budget.
func (h *headReader) grow() error {
	size := min(2*h.br.Size(), h.max)
	if size > freeHeaderBytes && h.budget != nil && h.held == 0 {
		if err := h.reserve(); err != nil {
			return err
		}
		// The reservation covers the largest buffer: take it now rather
		// than doubling, which would leave 32+16+8… MiB of garbage behind.
		// Pages not filled are never touched, so cost no memory.
		size = h.max
	}
	old, _ := h.br.Peek(h.br.Buffered())
	if h.pooled {
		old = bytes.Clone(old) // the pooled buffer is reused at once
	}
	// Otherwise the outgrown buffer is read from as it is (no copy) and
	// dropped once the new one has taken its bytes.
	h.carry = bytes.NewReader(old)
	h.releaseBuffer()
	h.br = bufio.NewReaderSize(io.MultiReader(h.carry, h.conn), size)
	return nil
}

// peekBlock returns the next header block (status line through the blank
// line) without consuming it. The slice aliases the read buffer.
func (h *headReader) peekBlock() ([]byte, phase, error) {
	scanned := 0 // bytes already searched for the terminator
	statusOK := false
	for {
		n := h.br.Buffered()
		if n > 0 {
			if h.firstByte.IsZero() {
				h.firstByte = time.Now()
			}
			buf, _ := h.br.Peek(n)
			if !statusOK {
				done, err := checkStatusLine(buf)
				if err != nil {
					return nil, phaseReadHeaders, err
				}
				statusOK = done
			}
			end, err := blockEnd(buf, max(0, scanned-3))
			if err != nil {
				return nil, phaseReadHeaders, err
			}
			if end > 0 {
				return buf[:end], phaseReadHeaders, nil
			}
			scanned = n
			if n >= h.max {
				return nil, phaseReadHeaders, &kindError{kind: cachemodel.ErrTooLarge,
					msg: "response header block is larger than " + byteSize(int64(h.max)) + " (MaxHeaderBytes)"}
			}
			if n == h.br.Size() {
				if err := h.grow(); err != nil {
					return nil, phaseReadHeaders, err
				}
				continue
			}
		}
		if _, err := h.br.Peek(n + 1); err != nil {
			if n == 0 {
				if err == io.EOF {
					return nil, phaseAwaitHeaders, errEmptyReply
				}
				return nil, phaseAwaitHeaders, err
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, phaseReadHeaders, err
		}
	}
}

// blockEnd returns the length of the header block in buf (through the blank
// line ending it), or 0 if the block is not complete yet. The blank line
// must be CRLF after a CRLF line: fasthttp, which frames the body, insists
// on a CRLFCRLF terminator, and a block the two parsers would cut at
// different places must never be accepted. Bare LF inside lines is fine.
func blockEnd(buf []byte, from int) (int, error) {
	for i := from; i < len(buf); i++ {
		if buf[i] != '\n' || i+1 >= len(buf) {
			continue
		}
		switch {
		case buf[i+1] == '\n':
			return 0, errBareLF
		case buf[i+1] == '\r':
			if i+2 >= len(buf) {
				return 0, nil
			}
			if buf[i+2] != '\n' {
				continue
			}
			if i == 0 || buf[i-1] != '\r' {
				return 0, errBareLF
			}
			return i + 3, nil
		}
	}
	return 0, nil
}

var errBareLF = protoErr("response header block ends with a bare LF line; only CRLF CRLF is supported")

// checkStatusLine rejects a non-HTTP reply as soon as its first bytes or its
// first line are in, instead of waiting for a header block that never ends.
// done reports that the whole status line was seen and is valid.
func checkStatusLine(buf []byte) (done bool, err error) {
	const prefix = "HTTP/"
	if m := min(len(buf), len(prefix)); string(buf[:m]) != prefix[:m] {
		return false, protoErr("not an HTTP response (starts with %q)", snippet(buf))
	}
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		return false, nil
	}
	if _, _, err := parseStatusLine(buf[:nl]); err != nil {
		return false, err
	}
	return true, nil
}

// parseStatusLine reads "HTTP/x.y NNN reason".
func parseStatusLine(line []byte) (proto string, status int, err error) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	bad := func() (string, int, error) {
		return "", 0, protoErr("malformed status line %q", snippet(line))
	}
	if len(line) < 12 || !isDigit(line[5]) || line[6] != '.' || !isDigit(line[7]) || line[8] != ' ' {
		return bad()
	}
	code := line[9:12]
	if !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) || (len(line) > 12 && line[12] != ' ') {
		return bad()
	}
	status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	if status < 100 {
		return bad()
	}
	switch string(line[:8]) { // the common versions without an allocation
	case "HTTP/1.1":
		return "HTTP/1.1", status, nil
	case "HTTP/1.0":
		return "HTTP/1.0", status, nil
	}
	return string(line[:8]), status, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parsedHead is a header block copied out of the read buffer.
type parsedHead struct {
	proto   string
	status  int
	headers cachemodel.Headers
}

// parseHead copies the status line and header lines out of a complete block,
// keeping order, name case and duplicates. Obsolete line folding is joined
// with a single space (RFC 9112 §5.2); whitespace around values and trailing
// whitespace before the colon are not part of the field.
//
// The block is copied into one string and names and values are cut out of
// it, so a response costs one allocation for its text instead of two per
// header line.
func parseHead(block []byte) (parsedHead, error) {
	var p parsedHead
	nl := bytes.IndexByte(block, '\n')
	var err error
	if p.proto, p.status, err = parseStatusLine(block[:nl]); err != nil {
		return p, err
	}
	text := string(block[nl+1:])
	p.headers = make(cachemodel.Headers, 0, strings.Count(text, "\n"))
	// Continuation lines are collected and joined to the last header once
	// it is complete: appending them one by one would be quadratic, and a
	// 1 MiB block holds 200,000 of them.
	var cont []string
	unfold := func() {
		if len(cont) > 0 {
			last := &p.headers[len(p.headers)-1]
			if last.Value != "" {
				cont = append([]string{last.Value}, cont...)
			}
			last.Value = strings.Join(cont, " ")
			cont = cont[:0]
		}
	}
	for rest := text; len(rest) > 0; {
		i := strings.IndexByte(rest, '\n')
		line := rest[:i]
		rest = rest[i+1:]
		line = strings.TrimSuffix(line, "\r")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(p.headers) == 0 {
				return p, protoErr("header block starts with a continuation line %q", snippet([]byte(line)))
			}
			if v := strings.Trim(line, " \t"); len(v) > 0 {
				cont = append(cont, v)
			}
			continue
		}
		unfold()
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return p, protoErr("header line without a colon %q", snippet([]byte(line)))
		}
		name := strings.TrimRight(line[:colon], " \t")
		if len(name) == 0 {
			return p, protoErr("header line with an empty name %q", snippet([]byte(line)))
		}
		p.headers = append(p.headers, cachemodel.Header{
			Name:  name,
			Value: strings.Trim(line[colon+1:], " \t"),
		})
	}
	unfold()
	if len(p.headers) == 0 {
		p.headers = nil // as before the preallocation: no header lines, no slice
	}
	return p, nil
}

// snippet bounds server bytes quoted into messages.
func snippet(b []byte) []byte {
	const n = 48
	if len(b) > n {
		return b[:n]
	}
	return b
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
