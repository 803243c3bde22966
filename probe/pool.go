package probe

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxIdleTime is how long an idle keep-alive connection is trusted. Servers
// commonly drop idle connections after 5-60 s; a stale one is retried once
// anyway (see roundTrip), this only avoids pointless attempts.
const maxIdleTime = 30 * time.Second

// pconn is one connection to a target (or through a proxy to it).
type pconn struct {
	conn   net.Conn // what requests go over: the TLS conn for https
	raw    net.Conn // the TCP connection underneath, closed to abort
	remote string   // address actually connected to
	idleAt time.Time

	// socketReadable's, set up on first use (unix only)
	rawConn  syscall.RawConn
	peek     func(fd uintptr) bool
	readable bool
}

func (c *pconn) close() { _ = c.raw.Close() }

// unsolicited reports whether anything arrived on the connection that no
// request asked for: bytes after the end of the last response (a second
// copy of it sent late, a body after a HEAD, 204 or 304 answer, a body
// longer than its Content-Length), or the server's FIN or reset. Such a
// connection must not carry another request: its next answer would start
// with those bytes, shifting every later response by one, so corscope would
// compare an answer with the wrong request. Browsers and Go's net/http
// drop such connections too.
func (c *pconn) unsolicited() bool {
	idleChecks.Add(1)
	if c.conn == c.raw {
		return c.socketReadable()
	}
	// TLS. Plaintext the TLS layer already holds is not on the socket any
	// more: a read with a deadline in the past returns only what is
	// buffered, or a timeout, which leaves the connection usable.
	if c.tlsReadable(time.Unix(1, 0)) {
		return true
	}
	if !c.socketReadable() {
		return false
	}
	// Records on the socket may be TLS's own (TLS 1.3 session tickets
	// often arrive after the first answer); reading them briefly consumes
	// those and finds out whether any application data came with them.
	if c.tlsReadable(time.Now().Add(idleTLSProbe)) {
		return true
	}
	return c.socketReadable()
}

// idleChecks counts unsolicited calls (tests pin it at one per reuse).
var idleChecks atomic.Int64

// idleTLSProbe bounds the read that tells TLS records of its own from
// stray application data on an idle connection; it is spent only when
// something did arrive.
const idleTLSProbe = 2 * time.Millisecond

// tlsReadable reads from the TLS connection until deadline: true when
// application data (or an alert, the end of the stream, an error) came.
func (c *pconn) tlsReadable(deadline time.Time) bool {
	if err := c.conn.SetReadDeadline(deadline); err != nil {
		return true
	}
	var buf [1]byte
	n, err := c.conn.Read(buf[:])
	return n > 0 || !isTimeout(err)
}

// connPool keeps idle keep-alive connections per scheme://host:port. It runs
// no goroutine: stale connections are dropped when next looked at.
type connPool struct {
	mu        sync.Mutex
	idle      map[poolKey][]*pconn
	maxPerKey int
	closed    bool
}

func newConnPool(maxPerKey int) *connPool {
	return &connPool{idle: make(map[poolKey][]*pconn), maxPerKey: maxPerKey}
}

// get returns the most recently used idle connection for key, or nil.
// Connections idle too long, or on which something arrived while idle, are
// closed instead (the check runs outside the lock: on TLS it may read for a
// moment).
func (p *connPool) get(key poolKey) *pconn {
	for {
		p.mu.Lock()
		list := p.idle[key]
		if len(list) == 0 {
			p.mu.Unlock()
			return nil
		}
		c := list[len(list)-1]
		list[len(list)-1] = nil
		p.store(key, list[:len(list)-1])
		p.mu.Unlock()
		if time.Since(c.idleAt) < maxIdleTime && !c.unsolicited() {
			return c
		}
		c.close()
	}
}

// put parks a connection for reuse, or closes it when the pool is full or
// closed. Whether bytes follow the response just read is not looked at
// here: get looks at every connection before it hands it out, which
// covers bytes that came with the response as well as bytes that came
// while it was idle, for one check per request instead of two.
func (p *connPool) put(key poolKey, c *pconn) {
	c.idleAt = time.Now()
	p.mu.Lock()
	if p.closed || len(p.idle[key]) >= p.maxPerKey {
		p.mu.Unlock()
		c.close()
		return
	}
	p.idle[key] = append(p.idle[key], c)
	p.mu.Unlock()
}

// keepEmptyKeys is how many keys the pool remembers with no idle
// connection: a list emptied and refilled request after request keeps its
// backing array instead of growing a new one each time, and a sweep over
// many hosts still does not keep a list per host it ever saw.
const keepEmptyKeys = 256

func (p *connPool) store(key poolKey, list []*pconn) {
	if len(list) == 0 && len(p.idle) > keepEmptyKeys {
		delete(p.idle, key)
		return
	}
	p.idle[key] = list
}

// idleCount is for tests.
func (p *connPool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.idle {
		n += len(l)
	}
	return n
}

// close closes every idle connection; connections still in use are closed
// when they come back.
func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = make(map[poolKey][]*pconn)
	p.closed = true
	p.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.close()
		}
	}
}
