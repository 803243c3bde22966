package probe

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corscope/corscope/cachemodel"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// rawServer is a TCP listener on 127.0.0.1 whose connections are served by
// handle, for servers that misbehave byte by byte. Cleanup closes the
// listener and every connection and waits for the handlers.
type rawServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	count int // connections accepted
}

func newRawServer(t testing.TB, handle func(c net.Conn)) *rawServer {
	t.Helper()
	return newRawServerOn(t, "tcp4", "127.0.0.1:0", handle)
}

func newRawServerOn(t testing.TB, network, addr string, handle func(c net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.count++
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
				handle(c)
			}()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *rawServer) addr() string { return s.ln.Addr().String() }
func (s *rawServer) url() string  { return "http://" + s.addr() }

func (s *rawServer) accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// readRequestHead reads one request head (through the blank line) and
// returns its lines without line ends.
func readRequestHead(br *bufio.Reader) ([]string, error) {
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return lines, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return lines, nil
		}
		lines = append(lines, line)
	}
}

// serveCanned answers every request on the connection with resp, written
// byte by byte when slow is set.
func serveCanned(resp string, slow bool) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := readRequestHead(br); err != nil {
				return
			}
			if slow {
				for i := 0; i < len(resp); i++ {
					if _, err := c.Write([]byte{resp[i]}); err != nil {
						return
					}
				}
			} else if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	}
}

// serveOnce answers one request with resp and hangs up.
func serveOnce(resp string, slow bool) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
			return
		}
		if !slow {
			_, _ = io.WriteString(c, resp)
			return
		}
		for i := 0; i < len(resp); i++ {
			if _, err := c.Write([]byte{resp[i]}); err != nil {
				return
			}
		}
	}
}

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// run executes plans and returns the observations in arrival order.
func run(t testing.TB, ctx context.Context, e *Engine, plans ...cachemodel.TargetPlan) ([]cachemodel.Observation, error) {
	t.Helper()
	out := make(chan cachemodel.Observation)
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx, plans, out) }()
	var obs []cachemodel.Observation
	for o := range out {
		obs = append(obs, o)
	}
	return obs, <-errc
}

// runOne runs a single step and returns its observation.
func runOne(t testing.TB, e *Engine, st cachemodel.Step) cachemodel.Observation {
	t.Helper()
	obs, err := run(t, context.Background(), e, cachemodel.TargetPlan{Steps: []cachemodel.Step{st}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(obs) != 1 {
		t.Fatalf("got %d observations, want 1", len(obs))
	}
	return obs[0]
}

func get(url string, headers ...string) cachemodel.Step {
	return step("GET", url, headers...)
}

func step(method, url string, headers ...string) cachemodel.Step {
	st := cachemodel.Step{Method: method, URL: url}
	for i := 0; i+1 < len(headers); i += 2 {
		st.Headers = append(st.Headers, cachemodel.Header{Name: headers[i], Value: headers[i+1]})
	}
	return st
}

func plan(index int, steps ...cachemodel.Step) cachemodel.TargetPlan {
	return cachemodel.TargetPlan{Index: index, Steps: steps}
}

func mustResponse(t testing.TB, o cachemodel.Observation) *cachemodel.Response {
	t.Helper()
	if o.Err != nil {
		t.Fatalf("step %d/%d failed: %v", o.Target, o.Step, o.Err)
	}
	if o.Response == nil {
		t.Fatalf("step %d/%d: no response and no error", o.Target, o.Step)
	}
	return o.Response
}

func wantErrKind(t testing.TB, o cachemodel.Observation, kind cachemodel.ErrorKind, msgPart string) {
	t.Helper()
	if o.Err == nil {
		t.Fatalf("want %s error, got response %+v", kind, o.Response)
	}
	if o.Response != nil {
		t.Errorf("error observation also carries a response")
	}
	if o.Err.Kind != kind {
		t.Fatalf("error kind = %s (%q), want %s", o.Err.Kind, o.Err.Message, kind)
	}
	if !strings.Contains(o.Err.Message, msgPart) {
		t.Errorf("message %q does not mention %q", o.Err.Message, msgPart)
	}
	checkOneLine(t, o.Err.Message)
}

// checkOneLine asserts a message is a single printable line.
func checkOneLine(t testing.TB, msg string) {
	t.Helper()
	for _, r := range msg {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			t.Errorf("message %q contains a raw control or invalid character %U", msg, r)
			return
		}
	}
}

// --- TLS fixtures -----------------------------------------------------------

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "corscope test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate; ca == nil makes it self-signed.
func leaf(t testing.TB, ca *testCA, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer starts an HTTPS server with cert; sni records the ServerName of
// each handshake.
type tlsServer struct {
	*httptest.Server
	mu  sync.Mutex
	sni []string
}

func newTLSServer(t testing.TB, cert tls.Certificate, h http.Handler) *tlsServer {
	t.Helper()
	s := &tlsServer{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = quietLog()
	s.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			s.sni = append(s.sni, hello.ServerName)
			s.mu.Unlock()
			return nil, nil
		},
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *tlsServer) serverNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sni...)
}

func port(t testing.TB, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
