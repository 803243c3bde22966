package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/corscope/corscope/cachemodel"
)

// phase names what the probe was doing when a request failed, so timeouts and
// resets can say where they happened.
type phase int

const (
	phaseRateWait phase = iota
	phaseConnect
	phaseProxy
	phaseTLS
	phaseSend
	phaseAwaitHeaders // nothing received yet
	phaseReadHeaders  // part of the header block received
	phaseReadBody     // headers complete, body under way
)

func (p phase) String() string {
	switch p {
	case phaseRateWait:
		return "waiting for the rate limiter"
	case phaseConnect:
		return "connecting"
	case phaseProxy:
		return "talking to the proxy"
	case phaseTLS:
		return "during the TLS handshake"
	case phaseSend:
		return "sending the request"
	case phaseAwaitHeaders:
		return "waiting for the response"
	case phaseReadHeaders:
		return "reading the response headers"
	case phaseReadBody:
		return "reading the body"
	}
	return "probing"
}

// kindError is an error the probe itself raises with a known kind and an
// already safe, one-line message.
type kindError struct {
	kind cachemodel.ErrorKind
	msg  string
}

func (e *kindError) Error() string { return e.msg }

func protoErr(format string, args ...any) error {
	return &kindError{kind: cachemodel.ErrProtocol, msg: fmt.Sprintf(format, args...)}
}

// errEmptyReply: the server closed the connection before sending a byte. On a
// reused keep-alive connection this usually means the server timed it out.
var errEmptyReply = &kindError{kind: cachemodel.ErrProtocol,
	msg: "empty reply: the server closed the connection without responding"}

// classify turns any failure into a ProbeError. ctx is the run's context:
// once it is done every failure is a cancellation, whatever the network
// layer made of the closed connection.
func classify(ctx context.Context, ph phase, timeout time.Duration, err error) *cachemodel.ProbeError {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &cachemodel.ProbeError{Kind: cachemodel.ErrCanceled, Message: "canceled " + ph.String()}
	}
	var ke *kindError
	if errors.As(err, &ke) {
		return &cachemodel.ProbeError{Kind: ke.kind, Message: ke.msg}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsTimeout:
			return &cachemodel.ProbeError{Kind: cachemodel.ErrTimeout,
				Message: fmt.Sprintf("DNS lookup of %q timed out", dnsErr.Name)}
		case dnsErr.IsNotFound:
			return &cachemodel.ProbeError{Kind: cachemodel.ErrDNS,
				Message: fmt.Sprintf("no such host %q", dnsErr.Name)}
		}
		return &cachemodel.ProbeError{Kind: cachemodel.ErrDNS,
			Message: fmt.Sprintf("DNS lookup of %q failed: %s", dnsErr.Name, safeText(dnsErr.Err))}
	}
	if isTimeout(err) {
		return &cachemodel.ProbeError{Kind: cachemodel.ErrTimeout,
			Message: fmt.Sprintf("timed out after %s %s", timeout, ph)}
	}
	if pe := classifyTLS(err); pe != nil {
		return pe
	}
	if ph == phaseTLS {
		return &cachemodel.ProbeError{Kind: cachemodel.ErrTLS,
			Message: "TLS handshake failed: " + safeText(rootCause(err).Error())}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "connection refused"}
	case errors.Is(err, syscall.ENETUNREACH):
		return &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "network is unreachable"}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "host is unreachable"}
	case errors.Is(err, syscall.ECONNRESET):
		return &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "connection reset by the server " + ph.String()}
	case errors.Is(err, syscall.EPIPE):
		return &cachemodel.ProbeError{Kind: cachemodel.ErrConnect, Message: "connection closed by the server " + ph.String()}
	}
	switch ph {
	case phaseConnect, phaseProxy:
		return &cachemodel.ProbeError{Kind: cachemodel.ErrConnect,
			Message: "connect failed: " + safeText(rootCause(err).Error())}
	case phaseReadHeaders:
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &cachemodel.ProbeError{Kind: cachemodel.ErrProtocol,
				Message: "connection closed in the middle of the response headers"}
		}
	case phaseReadBody:
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &cachemodel.ProbeError{Kind: cachemodel.ErrProtocol,
				Message: "connection closed before the end of the body"}
		}
		// Anything else here is the body's framing (chunk sizes, lengths).
		return &cachemodel.ProbeError{Kind: cachemodel.ErrProtocol,
			Message: "malformed body: " + safeText(innermost(err))}
	}
	return &cachemodel.ProbeError{Kind: cachemodel.ErrOther, Message: safeText(rootCause(err).Error()) + " (" + ph.String() + ")"}
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// classifyTLS names the certificate or handshake problem; nil when err is not
// a TLS error.
func classifyTLS(err error) *cachemodel.ProbeError {
	tlsErr := func(msg string) *cachemodel.ProbeError {
		return &cachemodel.ProbeError{Kind: cachemodel.ErrTLS, Message: msg}
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		if invalid.Reason == x509.Expired {
			msg := "certificate has expired or is not yet valid"
			if c := invalid.Cert; c != nil {
				msg += fmt.Sprintf(" (valid %s to %s)",
					c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly))
			}
			return tlsErr(msg)
		}
		return tlsErr("invalid certificate: " + safeText(invalid.Error()))
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		msg := "certificate signed by unknown authority"
		if c := unknown.Cert; c != nil && bytesEqual(c.RawIssuer, c.RawSubject) {
			msg += " (self-signed)"
		}
		return tlsErr(msg)
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		return tlsErr(fmt.Sprintf("wrong host: certificate is not valid for %q%s", host.Host, certNames(host.Certificate)))
	}
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		return tlsErr(fmt.Sprintf("server did not answer with TLS (first bytes %q)", rec.RecordHeader[:]))
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return tlsErr("server sent TLS alert: " + safeText(alert.Error()))
	}
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return tlsErr("certificate verification failed: " + safeText(rootCause(verify.Err).Error()))
	}
	return nil
}

// certNames lists the names a certificate covers, quoted since they come from
// the server.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, strconv.Quote(n))
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, strconv.Quote(c.Subject.CommonName))
	}
	if len(names) == 0 {
		return ""
	}
	const maxNames = 5
	if len(names) > maxNames {
		names = append(names[:maxNames], fmt.Sprintf("and %d more", len(names)-maxNames))
	}
	return " (it covers " + strings.Join(names, ", ") + ")"
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// rootCause strips net.OpError/os.SyscallError wrappers whose messages repeat
// addresses the observation already carries.
func rootCause(err error) error {
	for {
		switch e := err.(type) {
		case *net.OpError:
			err = e.Err
		case *os.SyscallError:
			err = e.Err
		default:
			return err
		}
	}
}

// safeText makes text that may contain server bytes fit for a one-line
// message: control and non-printable characters are escaped and long text is
// cut.
func safeText(v any) string {
	var s string
	switch t := v.(type) {
	case error:
		s = t.Error()
	case string:
		s = t
	default:
		s = fmt.Sprint(v)
	}
	const maxLen = 200
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
		if b.Len() >= maxLen {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}
