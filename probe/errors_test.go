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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newEngine(t, Config{})
	o := runOne(t, e, get("http://"+addr+"/"))
	wantErrKind(t, o, cachemodel.ErrConnect, "connection refused")
	if o.Start.IsZero() || o.Timing.Total <= 0 {
		t.Errorf("failed step lacks Start/Total: %+v", o)
	}
}

// fakeDNS answers every query on 127.0.0.1 with NXDOMAIN, so name-resolution
// failures are tested without leaving the machine.
func fakeDNS(t *testing.T) string {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			q := buf[:n]
			// The question ends after the name's zero label and QTYPE/QCLASS.
			end := 12
			for end < n && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5
			if end > n {
				continue
			}
			resp := append([]byte(nil), q[:end]...)
			resp[2] = 0x80 | (q[2] & 0x79) // QR, opcode, RD
			resp[3] = 0x80 | 3             // RA, NXDOMAIN
			resp[6], resp[7], resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0, 0, 0
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

func TestUnknownHost(t *testing.T) {
	dns := fakeDNS(t)
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	e.dialer.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp4", dns)
	}}
	o := runOne(t, e, get("http://nonexistent.invalid/"))
	wantErrKind(t, o, cachemodel.ErrDNS, `no such host "nonexistent.invalid"`)
}

// classify is table-tested on synthetic errors for the cases the network
// tests cannot produce cheaply.
func TestClassify(t *testing.T) {
	expired := &x509.Certificate{NotBefore: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)}
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		ph   phase
		err  error
		kind cachemodel.ErrorKind
		msg  string
	}{
		{"cancel wins over everything", canceled, phaseAwaitHeaders, os.ErrDeadlineExceeded, cachemodel.ErrCanceled, "canceled waiting for the response"},
		{"deadline", nil, phaseAwaitHeaders, fmt.Errorf("read: %w", os.ErrDeadlineExceeded), cachemodel.ErrTimeout, "timed out after 1s waiting for the response"},
		{"dial timeout", nil, phaseConnect, &net.OpError{Op: "dial", Err: timeoutErr{}}, cachemodel.ErrTimeout, "timed out after 1s connecting"},
		{"dns not found", nil, phaseConnect, &net.OpError{Op: "dial", Err: &net.DNSError{Name: "x.test", Err: "no such host", IsNotFound: true}}, cachemodel.ErrDNS, `no such host "x.test"`},
		{"dns timeout", nil, phaseConnect, &net.DNSError{Name: "x.test", Err: "i/o timeout", IsTimeout: true}, cachemodel.ErrTimeout, `DNS lookup of "x.test" timed out`},
		{"dns other", nil, phaseConnect, &net.DNSError{Name: "x.test", Err: "server misbehaving"}, cachemodel.ErrDNS, `DNS lookup of "x.test" failed: server misbehaving`},
		{"refused", nil, phaseConnect, opErr("dial", syscall.ECONNREFUSED), cachemodel.ErrConnect, "connection refused"},
		{"unreachable", nil, phaseConnect, opErr("dial", syscall.EHOSTUNREACH), cachemodel.ErrConnect, "host is unreachable"},
		{"net unreachable", nil, phaseConnect, opErr("dial", syscall.ENETUNREACH), cachemodel.ErrConnect, "network is unreachable"},
		{"reset while waiting", nil, phaseAwaitHeaders, opErr("read", syscall.ECONNRESET), cachemodel.ErrConnect, "connection reset by the server waiting for the response"},
		{"other dial error", nil, phaseConnect, opErr("dial", syscall.EADDRNOTAVAIL), cachemodel.ErrConnect, "connect failed: cannot assign requested address"},
		{"expired", nil, phaseTLS, &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Cert: expired, Reason: x509.Expired}},
			cachemodel.ErrTLS, "certificate has expired or is not yet valid (valid 2020-01-02 to 2021-03-04)"},
		{"other invalid", nil, phaseTLS, x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, cachemodel.ErrTLS, "invalid certificate"},
		{"hostname", nil, phaseTLS, x509.HostnameError{Host: "a.test", Certificate: &x509.Certificate{DNSNames: []string{"b.test\n"}}},
			cachemodel.ErrTLS, `wrong host: certificate is not valid for "a.test" (it covers "b.test\n")`},
		{"alert", nil, phaseTLS, tls.AlertError(40), cachemodel.ErrTLS, "server sent TLS alert: tls: handshake failure"},
		{"record header", nil, phaseTLS, tls.RecordHeaderError{RecordHeader: [5]byte{'S', 'S', 'H', '-', 2}}, cachemodel.ErrTLS, `first bytes "SSH-\x02"`},
		{"unknown TLS failure", nil, phaseTLS, errors.New("tls: weird\nthing"), cachemodel.ErrTLS, `TLS handshake failed: tls: weird\nthing`},
		{"eof mid headers", nil, phaseReadHeaders, io.ErrUnexpectedEOF, cachemodel.ErrProtocol, "closed in the middle of the response headers"},
		{"own kind", nil, phaseReadHeaders, protoErr("x"), cachemodel.ErrProtocol, "x"},
		{"anything else", nil, phaseSend, errors.New("boom"), cachemodel.ErrOther, "boom (sending the request)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			pe := classify(ctx, tt.ph, time.Second, tt.err)
			if pe.Kind != tt.kind || !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("classify = %s %q, want %s containing %q", pe.Kind, pe.Message, tt.kind, tt.msg)
			}
			checkOneLine(t, pe.Message)
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestSafeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"line\r\nbreak", `line\r\nbreak`},
		{"nul\x00 and esc\x1b[31m", `nul\x00 and esc\x1b[31m`},
		{"bad utf8 \xff\xfe", `bad utf8 \xff\xfe`},
		{"ünïcødé ok", "ünïcødé ok"},
		{"bidi \u202e trick", `bidi \u202e trick`},
	}
	for _, tt := range tests {
		if got := safeText(tt.in); got != tt.want {
			t.Errorf("safeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := safeText(strings.Repeat("a", 1000))
	if len(long) > 210 || !strings.HasSuffix(long, "…") {
		t.Errorf("long text not cut: %d bytes", len(long))
	}
}
