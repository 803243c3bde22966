package probe

import (
	"net"
	"sync"
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
}

func (c *pconn) close() { _ = c.raw.Close() }

// connPool keeps idle keep-alive connections per scheme://host:port. It runs
// no goroutine: stale connections are dropped when next looked at.
type connPool struct {
	mu        sync.Mutex
	idle      map[string][]*pconn
	maxPerKey int
	closed    bool
}

func newConnPool(maxPerKey int) *connPool {
	return &connPool{idle: make(map[string][]*pconn), maxPerKey: maxPerKey}
}

// get returns the most recently used idle connection for key, or nil.
func (p *connPool) get(key string) *pconn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	for len(list) > 0 {
		c := list[len(list)-1]
		list[len(list)-1] = nil
		list = list[:len(list)-1]
		if time.Since(c.idleAt) < maxIdleTime {
			p.store(key, list)
			return c
		}
		c.close()
	}
	p.store(key, list)
	return nil
}

// put parks a connection for reuse, or closes it when the pool is full or
// closed.
func (p *connPool) put(key string, c *pconn) {
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

func (p *connPool) store(key string, list []*pconn) {
	if len(list) == 0 {
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
	p.idle = make(map[string][]*pconn)
	p.closed = true
	p.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.close()
		}
	}
}
