// Package hostile starts servers on the loopback interface that misbehave
// in the ways a server corscope does not control can: terminal escapes and
// invalid bytes in headers, oversized or endless responses, stalls, resets,
// malformed or non-HTTP answers, redirect loops and bad certificates.
//
// It is a test kit shared by the CLI and TUI test suites. Each server is a
// raw TCP listener (no net/http underneath, which would refuse to send most
// of these answers), bounded in what it writes and how long it lingers, and
// stopped with everything it started by Close (registered as a test
// cleanup by Start).
package hostile

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TB is the part of testing.TB the kit needs, so the package does not
// import testing.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Options tune a server. The zero value listens on 127.0.0.1.
type Options struct {
	// Network is "tcp4" (default, 127.0.0.1) or "tcp6" ([::1]).
	Network string
	// TrickleGap is the pause between bytes of the Slowloris case; default
	// one second.
	TrickleGap time.Duration
	// StrayDelay is how long the keep-alive cases wait after an answer
	// before sending their stray bytes; default 10 ms.
	StrayDelay time.Duration
}

// Server is one running hostile server.
type Server struct {
	Case Case
	// Addr is host:port as a URL authority ("127.0.0.1:41234" or
	// "[::1]:41234").
	Addr string
	// URL is the server's root URL, http or https by case, with a path
	// ("/hostile").
	URL string

	ln       net.Listener
	opt      Options
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted atomic.Int64
	written  atomic.Int64
	strays   atomic.Int64
	racy     atomic.Int64
	closing  sync.Once

	cacheMu sync.Mutex
	cache   map[string]cached // the keep-alive cases' stored copies
}

// cached is a copy the keep-alive cases' cache stored.
type cached struct {
	etag   string
	stored time.Time
}

// cacheLookup finds or stores the copy for key: hit, its ETag (one per
// stored copy) and its age in whole seconds, at least 1 on a hit.
func (s *Server) cacheLookup(key string) (hit bool, etag string, age int) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.cache == nil {
		s.cache = map[string]cached{}
	}
	if c, ok := s.cache[key]; ok {
		return true, c.etag, max(1, int(time.Since(c.stored)/time.Second))
	}
	c := cached{etag: fmt.Sprintf("copy-%d", len(s.cache)+1), stored: time.Now()}
	s.cache[key] = c
	return false, c.etag, 0
}

// Start starts a server for c and stops it when the test ends.
func Start(tb TB, c Case) *Server {
	tb.Helper()
	return StartWith(tb, c, Options{})
}

// StartWith is Start with options.
func StartWith(tb TB, c Case, opt Options) *Server {
	tb.Helper()
	s, err := New(c, opt)
	if err != nil {
		tb.Fatalf("hostile: %v", err)
		return nil
	}
	tb.Cleanup(s.Close)
	return s
}

// New starts a server for c; the caller must Close it.
func New(c Case, opt Options) (*Server, error) {
	spec, ok := specs[c]
	if !ok {
		return nil, fmt.Errorf("unknown case %q", c)
	}
	if opt.Network == "" {
		opt.Network = "tcp4"
	}
	if opt.TrickleGap <= 0 {
		opt.TrickleGap = time.Second
	}
	if opt.StrayDelay <= 0 {
		opt.StrayDelay = 10 * time.Millisecond
	}
	if c == GzipBomb {
		gzipMember()
	}
	host := "127.0.0.1"
	if opt.Network == "tcp6" {
		host = "::1"
	}
	ln, err := net.Listen(opt.Network, net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if spec.cert != certNone {
		cert, err := certificate(spec.cert)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		scheme = "https"
	}
	s := &Server{
		Case: c, Addr: ln.Addr().String(), ln: ln, opt: opt,
		done: make(chan struct{}), conns: map[net.Conn]struct{}{},
	}
	s.URL = scheme + "://" + s.Addr + "/hostile"
	s.wg.Add(1)
	go s.accept(spec.serve)
	return s, nil
}

// Close stops the listener, closes every connection and waits for every
// handler to return.
func (s *Server) Close() {
	s.closing.Do(func() {
		close(s.done)
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
}

// Accepted counts the connections accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Strays counts the unasked answers (or stray bodies) the keep-alive cases
// sent.
func (s *Server) Strays() int { return int(s.strays.Load()) }

// Racy counts the strays of the keep-alive cases that crossed the next
// request: it arrived within a millisecond after them, so no client could
// have told them from its answer. A run with racy strays proves nothing
// about the client.
func (s *Server) Racy() int { return int(s.racy.Load()) }

// Written counts the bytes the server managed to write: with an endless
// answer it shows how soon the client hung up.
func (s *Server) Written() int64 { return s.written.Load() }

func (s *Server) accept(serve func(*conn)) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			// No handler may outlive a stuck client for long.
			end := time.Now().Add(maxConnLife)
			_ = c.SetDeadline(end)
			serve(&conn{Conn: c, br: bufio.NewReaderSize(c, 4096), s: s, n: int(s.accepted.Load()), end: end})
		}()
	}
}

// maxConnLife bounds every connection, whatever the client does.
const maxConnLife = 20 * time.Second

// conn is one accepted connection as a handler sees it.
type conn struct {
	net.Conn
	br  *bufio.Reader
	s   *Server
	n   int       // 1-based connection number on this server
	end time.Time // the connection's deadline
}

func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.s.written.Add(int64(n))
	return n, err
}

func (c *conn) writeString(s string) error {
	_, err := io.WriteString(c, s)
	return err
}

// stopped reports whether the server is closing.
func (c *conn) stopped() bool {
	select {
	case <-c.s.done:
		return true
	default:
		return false
	}
}

// sleep waits d or until the server closes; false when closing.
func (c *conn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.s.done:
		return false
	}
}

// idleFor reports whether the client sent nothing for d (false also when
// the connection ended or the server is closing).
func (c *conn) idleFor(d time.Duration) bool {
	if c.stopped() {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.br.Peek(1)
	_ = c.SetReadDeadline(c.end)
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// requestWithin reports whether request bytes arrive within d (or had
// already arrived).
func (c *conn) requestWithin(d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.br.Peek(1)
	_ = c.SetReadDeadline(c.end)
	return err == nil
}

// request is the head of one request the server read.
type request struct {
	method, target string
	headers        []string // "Name: value" lines
}

func (r *request) header(name string) string {
	for _, l := range r.headers {
		if n, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (r *request) path() string {
	p, _, _ := strings.Cut(r.target, "?")
	return p
}

var errHeadTooLarge = errors.New("request head too large")

// readRequest reads one request head (bounded to 64 KiB) and discards any
// body the request announces (corscope sends none).
func (c *conn) readRequest() (*request, error) {
	var r request
	total := 0
	for first := true; ; first = false {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if total += len(line); total > 64<<10 {
			return nil, errHeadTooLarge
		}
		line = strings.TrimRight(line, "\r\n")
		if first {
			parts := strings.SplitN(line, " ", 3)
			if len(parts) < 2 {
				return nil, fmt.Errorf("bad request line %q", line)
			}
			r.method, r.target = parts[0], parts[1]
			continue
		}
		if line == "" {
			return &r, nil
		}
		r.headers = append(r.headers, line)
	}
}

// drain keeps reading until the client hangs up or the server closes, so
// the connection stays open without an answer.
func (c *conn) drain() {
	_, _ = io.Copy(io.Discard, c.Conn)
}
