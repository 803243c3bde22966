package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/proxy"

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
	ph, err := e.handshake(ctx, raw, deadline, r, pc)
	if !stop() {
		err = context.Canceled
	}
	if err != nil {
		pc.close()
		return nil, ph, err
	}
	return pc, ph, nil
}

func (e *Engine) handshake(ctx context.Context, raw net.Conn, deadline time.Time, r *request, pc *pconn) (phase, error) {
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
		if err := socks5Connect(ctx, raw, deadline, target, e.proxy); err != nil {
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

// socks5Connect runs the SOCKS5 CONNECT exchange (RFC 1928, with RFC 1929
// user/password authentication when the proxy URL has credentials) on
// conn, already connected to the proxy, through golang.org/x/net/proxy.
// Host names are sent as names, so the proxy resolves them. conn keeps
// deadline, which the exchange clears when it ends.
func socks5Connect(ctx context.Context, conn net.Conn, deadline time.Time, hostport string, p proxySpec) error {
	var auth *proxy.Auth
	if p.hasAuth {
		auth = &proxy.Auth{User: p.user, Password: p.pass}
	}
	d, err := proxy.SOCKS5("tcp", p.hostport, auth, connDialer{conn})
	if err != nil {
		return err
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return errors.New("socks5 proxy: dialer without DialContext")
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// The returned conn wraps conn and adds nothing after the handshake:
	// requests go over conn itself.
	if _, err := cd.DialContext(dctx, "tcp", hostport); err != nil {
		return socksError(err, hostport)
	}
	return conn.SetDeadline(deadline)
}

// connDialer hands x/net/proxy the connection already open to the proxy.
type connDialer struct{ c net.Conn }

func (d connDialer) Dial(string, string) (net.Conn, error) { return d.c, nil }

func (d connDialer) DialContext(context.Context, string, string) (net.Conn, error) { return d.c, nil }

// socksError words what the SOCKS exchange failed on. Transport errors
// (timeouts, resets, the proxy hanging up) are returned as they are, for
// classify; the protocol's own complaints become ErrConnect messages. They
// name the proxy's address and the target, never the credentials.
func socksError(err error, hostport string) error {
	inner := err
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		inner = oe.Err
	}
	var ne net.Error
	if errors.As(inner, &ne) || errors.Is(inner, io.EOF) || errors.Is(inner, io.ErrUnexpectedEOF) ||
		errors.Is(inner, context.Canceled) || errors.Is(inner, context.DeadlineExceeded) || errors.Is(inner, syscall.ECONNRESET) {
		return inner
	}
	fail := func(format string, args ...any) error {
		return &kindError{kind: cachemodel.ErrConnect, msg: "socks5 proxy: " + fmt.Sprintf(format, args...)}
	}
	msg := inner.Error()
	switch {
	case msg == "username/password authentication failed", msg == "invalid username/password":
		return fail("authentication failed")
	case msg == "no acceptable authentication methods":
		return fail("no acceptable authentication method")
	case strings.HasPrefix(msg, "unknown error "):
		return fail("cannot reach %s: %s", hostport, strings.TrimPrefix(msg, "unknown error "))
	case strings.HasPrefix(msg, "unexpected protocol version "):
		return fail("not a SOCKS5 server (version byte %s)", strings.TrimPrefix(msg, "unexpected protocol version "))
	}
	return fail("%s", msg)
}
