package probe

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// dial opens a connection for r: TCP (to the pinned address, or to the
// proxy), the proxy handshake, then TLS with SNI set to the URL's host. The
// returned phase says which stage failed.
func (e *Engine) dial(ctx context.Context, deadline time.Time, r *request) (*pconn, phase, error) {
	addr := r.hostport
	if e.proxy.kind != proxyNone {
		addr = e.proxy.hostport
	}
	if pinned, ok := e.resolve[addr]; ok {
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort(pinned, port)
	}
	if r.edge != "" {
		addr = r.edge
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	raw, err := e.dialer.DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return nil, phaseConnect, err
	}
	pc := &pconn{conn: raw, raw: raw, remote: raw.RemoteAddr().String()}

	// From here on the connection's deadline bounds every read and write,
	// and cancelling ctx closes it to abort whatever is blocked.
	stop := context.AfterFunc(ctx, pc.close)
	ph, err := e.handshake(raw, deadline, r, pc)
	if !stop() {
		err = context.Canceled
	}
	if err != nil {
		pc.close()
		return nil, ph, err
	}
	return pc, ph, nil
}

func (e *Engine) handshake(raw net.Conn, deadline time.Time, r *request, pc *pconn) (phase, error) {
	if err := raw.SetDeadline(deadline); err != nil {
		return phaseConnect, err
	}
	switch {
	case e.proxy.kind == proxySOCKS5:
		target := r.hostport
		if pinned, ok := e.resolve[r.hostport]; ok {
			_, port, _ := net.SplitHostPort(r.hostport)
			target = net.JoinHostPort(pinned, port)
		}
		if err := socks5Connect(raw, target, e.proxy); err != nil {
			return phaseProxy, err
		}
	case e.proxy.kind == proxyHTTP && r.tls:
		if err := httpConnect(raw, r.hostport, e.proxy); err != nil {
			return phaseProxy, err
		}
	}
	if r.tls {
		cfg := e.tlsBase.Clone()
		cfg.ServerName = r.hostname
		tc := tls.Client(raw, cfg)
		if err := tc.Handshake(); err != nil {
			return phaseTLS, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			return phaseTLS, &kindError{kind: cachemodel.ErrTLS,
				msg: fmt.Sprintf("server negotiated ALPN protocol %q instead of http/1.1", p)}
		}
		pc.conn = tc
	}
	return phaseTLS, nil
}

// httpConnect opens a tunnel through an HTTP proxy.
func httpConnect(conn net.Conn, hostport string, p proxySpec) error {
	req := "CONNECT " + hostport + " HTTP/1.1\r\nHost: " + hostport + "\r\n"
	if p.hasAuth {
		req += "Proxy-Authorization: " + proxyBasicAuth(p) + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	// The proxy's answer is read with the same header reader as responses;
	// a small cap suffices and nothing may follow the blank line, since TLS
	// starts with the client speaking.
	hr := newHeadReader(conn, 16<<10)
	defer hr.release()
	block, _, err := hr.peekBlock()
	if err != nil {
		if err == errEmptyReply {
			return &kindError{kind: cachemodel.ErrConnect, msg: "proxy closed the connection after CONNECT"}
		}
		return err
	}
	head, err := parseHead(block)
	if err != nil {
		return err
	}
	if _, err := hr.br.Discard(len(block)); err != nil {
		return err
	}
	if head.status/100 != 2 {
		return &kindError{kind: cachemodel.ErrConnect,
			msg: fmt.Sprintf("proxy refused CONNECT to %s: status %d", hostport, head.status)}
	}
	if !hr.drained() {
		return protoErr("proxy sent data after its CONNECT response")
	}
	return nil
}

var socksReplies = map[byte]string{
	1: "general failure",
	2: "connection not allowed by ruleset",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// socks5Connect runs the RFC 1928 CONNECT exchange (with RFC 1929 user/pass
// authentication when the proxy URL has credentials). Host names are sent
// as names, so the proxy resolves them.
func socks5Connect(conn net.Conn, hostport string, p proxySpec) error {
	fail := func(format string, args ...any) error {
		return &kindError{kind: cachemodel.ErrConnect, msg: "socks5 proxy: " + fmt.Sprintf(format, args...)}
	}
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return fail("bad target %q", hostport)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fail("bad target %q", hostport)
	}

	method := byte(0x00)
	if p.hasAuth {
		method = 0x02
	}
	if _, err := conn.Write([]byte{5, 1, method}); err != nil {
		return err
	}
	var buf [262]byte
	if _, err := io.ReadFull(conn, buf[:2]); err != nil {
		return err
	}
	if buf[0] != 5 {
		return fail("not a SOCKS5 server (version byte %d)", buf[0])
	}
	if buf[1] != method {
		return fail("no acceptable authentication method")
	}
	if p.hasAuth {
		msg := []byte{1, byte(len(p.user))}
		msg = append(msg, p.user...)
		msg = append(msg, byte(len(p.pass)))
		msg = append(msg, p.pass...)
		if _, err := conn.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(conn, buf[:2]); err != nil {
			return err
		}
		if buf[1] != 0 {
			return fail("authentication failed")
		}
	}

	req := []byte{5, 1, 0}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Is4() {
			req = append(req, 1)
			req = append(req, ip.AsSlice()...)
		} else {
			a := ip.As16()
			req = append(req, 4)
			req = append(req, a[:]...)
		}
	} else {
		if len(host) > 255 {
			return fail("host name too long")
		}
		req = append(req, 3, byte(len(host)))
		req = append(req, host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := conn.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(conn, buf[:4]); err != nil {
		return err
	}
	if buf[1] != 0 {
		reason, ok := socksReplies[buf[1]]
		if !ok {
			reason = fmt.Sprintf("error code %d", buf[1])
		}
		return fail("cannot reach %s: %s", hostport, reason)
	}
	var skip int // bound address, unused
	switch buf[3] {
	case 1:
		skip = 4
	case 4:
		skip = 16
	case 3:
		if _, err := io.ReadFull(conn, buf[:1]); err != nil {
			return err
		}
		skip = int(buf[0])
	default:
		return fail("bad address type %d in reply", buf[3])
	}
	_, err = io.ReadFull(conn, buf[:skip+2])
	return err
}
