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
// exactly as the server sent them. The lines are indexed once, as they
// arrive (headScan). The usual response (HTTP/1.1, one Content-Length, no
// Transfer-Encoding or Connection) is framed from that index; any other
// block is parsed by fasthttp too, for framing (chunked, keep-alive, its
// checks). fasthttp streams every body.

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
// (a block framed by fasthttp) once by fasthttp's parse.
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

	scan headScan // the header lines of the block being read
}

func newHeadReader(conn net.Conn, maxHeader int) *headReader {
	h := new(headReader)
	h.reset(conn, maxHeader)
	return h
}

// reset readies h (released, or new) for a response on conn. The line
// index of the last block keeps its memory.
func (h *headReader) reset(conn net.Conn, maxHeader int) {
	lines := h.scan.lines[:0]
	*h = headReader{conn: conn, max: maxHeader}
	h.scan.lines, h.scan.index = lines, true
	if maxHeader >= initialReadBuffer {
		h.br = readerPool.Get().(*bufio.Reader)
		h.br.Reset(conn)
		h.pooled = true
	} else {
		h.br = bufio.NewReaderSize(conn, maxHeader)
	}
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
// line) without consuming it. The slice aliases the read buffer. Each line
// is looked at once, as it arrives: its end is found and its name and value
// located (h.scan), so parsing the block afterwards only copies it out
// (h.scan.head).
func (h *headReader) peekBlock() ([]byte, phase, error) {
	statusOK := false
	h.scan.start()
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
			end, err := h.scan.feed(buf)
			if err != nil {
				return nil, phaseReadHeaders, err
			}
			if end > 0 {
				return buf[:end], phaseReadHeaders, nil
			}
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

// headScan indexes a header block line by line as its bytes arrive. The
// end of the block is the blank line; it must be CRLF after a CRLF line:
// fasthttp, which frames the body, insists on a CRLFCRLF terminator, and a
// block the two parsers would cut at different places must never be
// accepted. Bare LF inside lines is fine.
type headScan struct {
	// lines indexes up to maxIndexedLines header lines; a block with more,
	// or with folded lines, is copied out the long way (copyLines).
	lines   []lineSpan
	index   bool  // record lines (the engine's reader); false: validate and count only
	n       int   // header lines, not counting continuation lines
	prevNL  int   // offset of the last '\n' found, -1 before the first
	next    int   // where to look for the next '\n'
	size    int   // bytes of names and values
	folded  bool  // obsolete line folding seen
	overrun bool  // more lines than maxIndexedLines
	err     error // the first malformed line, reported once the block is complete

	// plain: every header line is a token name, a colon and a value of
	// visible ASCII, spaces and tabs, ending CRLF; no Transfer-Encoding,
	// Connection or Trailer, and exactly one Content-Length of digits
	// (contentLength). Only such a block may skip fasthttp's own parse
	// (see framed).
	plain         bool
	clSeen        int
	contentLength int
}

// maxIndexedLines bounds the line index a reader keeps (and so its
// memory: a line of a huge header block can be 4 bytes, its index entry
// is 40).
const maxIndexedLines = 256

// lineSpan locates one header line's name and value in the block; a
// continuation line has only a value.
type lineSpan struct {
	nameStart, nameEnd, valStart, valEnd int
}

func (s *headScan) start() {
	s.lines = s.lines[:0]
	s.n, s.prevNL, s.next, s.size, s.folded, s.overrun, s.err = 0, -1, 0, 0, false, false, nil
	s.plain, s.clSeen, s.contentLength = true, 0, 0
}

// feed scans the bytes of buf not seen yet (buf is the block so far, from
// its first byte). It returns the block's length once its end is in, or 0.
func (s *headScan) feed(buf []byte) (int, error) {
	for s.next < len(buf) {
		i := bytes.IndexByte(buf[s.next:], '\n')
		if i < 0 {
			s.next = len(buf)
			return 0, nil
		}
		nl := s.next + i
		s.next = nl + 1
		prev := s.prevNL
		s.prevNL = nl
		if prev < 0 {
			continue // the status line, checked by checkStatusLine
		}
		switch {
		case nl == prev+1:
			return 0, errBareLF
		case nl == prev+2 && buf[prev+1] == '\r':
			if prev == 0 || buf[prev-1] != '\r' {
				return 0, errBareLF
			}
			return nl + 1, nil
		}
		s.line(buf, prev+1, nl)
	}
	return 0, nil
}

// line indexes the header line buf[from:to] (to is its '\n').
func (s *headScan) line(buf []byte, from, to int) {
	if to > from && buf[to-1] == '\r' {
		to--
	} else {
		s.plain = false // a bare LF line end
	}
	if s.err != nil || to == from {
		return // an empty line only ends a block, which feed handles
	}
	line := buf[from:to]
	if line[0] == ' ' || line[0] == '\t' {
		if s.n == 0 {
			s.err = protoErr("header block starts with a continuation line %q", snippet(line))
			return
		}
		s.folded, s.plain = true, false
		return
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		s.err = protoErr("header line without a colon %q", snippet(line))
		return
	}
	nameEnd := colon
	for nameEnd > 0 && (line[nameEnd-1] == ' ' || line[nameEnd-1] == '\t') {
		nameEnd--
	}
	if nameEnd == 0 {
		s.err = protoErr("header line with an empty name %q", snippet(line))
		return
	}
	vs, ve := colon+1, len(line)
	for vs < ve && (line[vs] == ' ' || line[vs] == '\t') {
		vs++
	}
	for ve > vs && (line[ve-1] == ' ' || line[ve-1] == '\t') {
		ve--
	}
	s.n++
	s.size += nameEnd + ve - vs
	if s.plain {
		s.plainLine(line, colon, nameEnd, vs, ve)
	}
	switch {
	case !s.index || s.folded || s.overrun:
	case len(s.lines) == maxIndexedLines:
		s.overrun = true
	default:
		s.lines = append(s.lines, lineSpan{nameStart: from, nameEnd: from + nameEnd, valStart: from + vs, valEnd: from + ve})
	}
}

// plainLine keeps s.plain only for a line fasthttp's parser takes as it
// is, and notes the framing headers.
func (s *headScan) plainLine(line []byte, colon, nameEnd, vs, ve int) {
	name, value := line[:nameEnd], line[vs:ve]
	if nameEnd != colon || !isToken(string(name)) {
		s.plain = false
		return
	}
	for _, c := range line[colon+1:] {
		if (c < 0x20 && c != '\t') || c >= 0x7f {
			s.plain = false
			return
		}
	}
	switch {
	case len(name) == len("Content-Length") && strings.EqualFold(string(name), "Content-Length"):
		s.clSeen++
		n, ok := 0, len(value) > 0 && len(value) <= 15
		for _, c := range value {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int(c-'0')
		}
		if !ok || s.clSeen > 1 {
			s.plain = false
		}
		s.contentLength = n
	case strings.EqualFold(string(name), "Transfer-Encoding"), strings.EqualFold(string(name), "Connection"),
		strings.EqualFold(string(name), "Trailer"):
		s.plain = false
	}
}

// framed reports whether a complete block may be framed from what feed
// saw, without fasthttp parsing it again: a plain block (see plain) of an
// HTTP/1.1 response with a final status that has a body (200-599, not 204
// or 304). Its body is exactly contentLength bytes and the connection
// stays open, as fasthttp's parse would also conclude (FuzzFramedBlocks
// holds the two to agreement). Anything else goes through fasthttp.
func (s *headScan) framed(block []byte, h parsedHead) bool {
	if !s.plain || s.clSeen != 1 || s.folded || h.proto != "HTTP/1.1" ||
		h.status < 200 || h.status > 599 || h.status == 204 || h.status == 304 {
		return false
	}
	// The status line too: visible ASCII and spaces, ending CRLF.
	nl := bytes.IndexByte(block, '\n')
	if nl < 1 || block[nl-1] != '\r' {
		return false
	}
	for _, c := range block[:nl-1] {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// head copies the status line and the header lines indexed by feed out of
// the complete block: names and values into one string (no separators),
// so a response costs one allocation for its text and one for its header
// list. A block with folded lines, or too many to index, goes the long
// way (copyLines).
func (s *headScan) head(block []byte) (parsedHead, error) {
	var p parsedHead
	if s.err != nil {
		return p, s.err
	}
	nl := bytes.IndexByte(block, '\n')
	var err error
	if p.proto, p.status, err = parseStatusLine(block[:nl]); err != nil {
		return p, err
	}
	if s.n == 0 {
		return p, nil // no header lines, no slice
	}
	if !s.index || s.folded || s.overrun {
		return copyLines(p, block[nl+1:], s.n)
	}
	var b strings.Builder
	b.Grow(s.size)
	for _, l := range s.lines {
		b.Write(block[l.nameStart:l.nameEnd])
		b.Write(block[l.valStart:l.valEnd])
	}
	text := b.String()
	p.headers = make(cachemodel.Headers, len(s.lines))
	off := 0
	for i, l := range s.lines {
		nameLen, valLen := l.nameEnd-l.nameStart, l.valEnd-l.valStart
		p.headers[i] = cachemodel.Header{Name: text[off : off+nameLen], Value: text[off+nameLen : off+nameLen+valLen]}
		off += nameLen + valLen
	}
	return p, nil
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
// whitespace before the colon are not part of the field. (The engine
// indexes the lines while the block arrives, in headReader.peekBlock, and
// copies them out with headScan.head; this is the same for a block in
// hand.)
func parseHead(block []byte) (parsedHead, error) {
	var s headScan
	s.start()
	end, err := s.feed(block)
	if err != nil {
		return parsedHead{}, err
	}
	if end == 0 {
		return parsedHead{}, protoErr("header block without its blank line")
	}
	return s.head(block[:end])
}

// copyLines copies the n header lines (headScan has checked them) out of
// a block's lines after the status line, joining folded lines. The lines
// are copied into one string and names and values cut out of it.
func copyLines(p parsedHead, lines []byte, n int) (parsedHead, error) {
	text := string(lines)
	p.headers = make(cachemodel.Headers, 0, n)
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
			if v := strings.Trim(line, " \t"); len(v) > 0 {
				cont = append(cont, v)
			}
			continue
		}
		unfold()
		colon := strings.IndexByte(line, ':')
		p.headers = append(p.headers, cachemodel.Header{
			Name:  strings.TrimRight(line[:colon], " \t"),
			Value: strings.Trim(line[colon+1:], " \t"),
		})
	}
	unfold()
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
