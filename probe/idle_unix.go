//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package probe

import (
	"net"
	"syscall"
	"time"
)

// socketReadable reports whether the TCP socket under c has anything to
// read right now (bytes, or the peer's FIN), without consuming it and
// without waiting: recv with MSG_PEEK|MSG_DONTWAIT, as a browser or Go's
// net/http would learn from a read pending on an idle connection.
func socketReadable(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true // no socket to look at: do not reuse
	}
	// An expired read deadline (the last step's, or the TLS check's) would
	// fail the raw read before it looks.
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return true
	}
	readable := false
	var buf [1]byte
	cerr := rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
		case err == syscall.EINTR:
			return false // try again
		default:
			// Bytes (n > 0), end of stream (n == 0) or a socket error
			// (reset): either way the connection cannot carry a request.
			readable = n > 0 || err != nil || n == 0
		}
		return true
	})
	return readable || cerr != nil
}
