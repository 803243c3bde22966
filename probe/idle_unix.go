//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package probe

import (
	"syscall"
	"time"
)

// socketReadable reports whether the TCP socket under c has anything to
// read right now (bytes, or the peer's FIN), without consuming it and
// without waiting: recv with MSG_PEEK|MSG_DONTWAIT, as a browser or Go's
// net/http would learn from a read pending on an idle connection. The raw
// socket and the peek are set up once per connection: the check runs
// twice per request (before pooling and before reuse).
func (c *pconn) socketReadable() bool {
	if c.peek == nil {
		sc, ok := c.raw.(syscall.Conn)
		if !ok {
			return false
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return true // no socket to look at: do not reuse
		}
		c.rawConn = rc
		c.peek = func(fd uintptr) bool {
			var buf [1]byte
			_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
				c.readable = false
			case err == syscall.EINTR:
				return false // try again
			default:
				// Bytes (n > 0), end of stream (n == 0) or a socket error
				// (reset): either way the connection cannot carry a request.
				c.readable = true
			}
			return true
		}
	}
	// An expired read deadline (the last step's, or the TLS check's) would
	// fail the raw read before it looks.
	if err := c.raw.SetReadDeadline(time.Time{}); err != nil {
		return true
	}
	c.readable = false
	cerr := c.rawConn.Read(c.peek)
	return c.readable || cerr != nil
}
