//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package probe

import (
	"errors"
	"os"
	"time"
)

// socketReadable reports whether anything arrived on c. Without a
// non-blocking peek it reads with a short deadline; bytes read are lost,
// which does not matter: a connection they arrived on is closed anyway.
func (pc *pconn) socketReadable() bool {
	c := pc.raw
	if err := c.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return true
	}
	var buf [1]byte
	n, err := c.Read(buf[:])
	return n > 0 || !errors.Is(err, os.ErrDeadlineExceeded)
}
