package probe

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// dialTestTarget is the test proxies' resolver: corscope.test is loopback.
func dialTestTarget(hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	if host == "corscope.test" {
		host = "127.0.0.1"
	}
	return net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second)
}

// splice copies both ways until either side ends, then closes both.
func splice(client net.Conn, clientBuf *bufio.Reader, upstream net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(upstream, clientBuf)
		upstream.Close()
		client.Close()
	}()
	_, _ = io.Copy(client, upstream)
	upstream.Close()
	client.Close()
	wg.Wait()
}

// httpProxy is a minimal forward proxy: CONNECT tunnels, and absolute-form
// requests answered directly with a marker header.
type httpProxy struct {
	*rawServer
	wantAuth string // required Proxy-Authorization value, "" for none
	mu       sync.Mutex
	heads    [][]string
}

func newHTTPProxy(t *testing.T, wantAuth string) *httpProxy {
	p := &httpProxy{wantAuth: wantAuth}
	p.rawServer = newRawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			head, err := readRequestHead(br)
			if err != nil || len(head) == 0 {
				return
			}
			p.mu.Lock()
			p.heads = append(p.heads, head)
			p.mu.Unlock()
			auth := ""
			for _, l := range head[1:] {
				if v, ok := strings.CutPrefix(l, "Proxy-Authorization: "); ok {
					auth = v
				}
			}
			if p.wantAuth != "" && auth != p.wantAuth {
				_, _ = io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			fields := strings.Fields(head[0])
			if fields[0] != "CONNECT" {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Proxied: "+fields[1]+"\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			up, err := dialTestTarget(fields[1])
			if err != nil {
				_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			splice(c, br, up)
			return
		}
	})
	return p
}

func (p *httpProxy) recorded() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]string(nil), p.heads...)
}

func TestHTTPProxy(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	tlsSrv := newTLSServer(t, leaf(t, ca, []string{"corscope.test"}, now.Add(-time.Hour), now.Add(time.Hour)), hostEcho)
	tlsHost := "corscope.test:" + port(t, tlsSrv.Listener.Addr().String())
	// The proxy URL says user:p%40ss; the credentials go out decoded.
	const authDecoded = "Basic dXNlcjpwQHNz" // user:p@ss

	tests := []struct {
		name      string
		proxyAuth string // what the proxy demands
		userinfo  string // in the proxy URL
		url       string
		wantHead  []string // first request the proxy saw
		status    int
		errMsg    string // ErrConnect expected
	}{
		{
			name: "https through CONNECT", url: "https://" + tlsHost + "/secure",
			wantHead: []string{"CONNECT " + tlsHost + " HTTP/1.1", "Host: " + tlsHost}, status: 200,
		},
		{
			name: "http in absolute-form", url: "http://corscope.test:8080/p?q=1",
			wantHead: []string{"GET http://corscope.test:8080/p?q=1 HTTP/1.1", "Host: corscope.test:8080", "Origin: https://o.test"},
			status:   200,
		},
		{
			name: "CONNECT with credentials", proxyAuth: authDecoded, userinfo: "user:p%40ss@", url: "https://" + tlsHost + "/",
			wantHead: []string{"CONNECT " + tlsHost + " HTTP/1.1", "Host: " + tlsHost, "Proxy-Authorization: " + authDecoded}, status: 200,
		},
		{
			name: "absolute-form with credentials", proxyAuth: authDecoded, userinfo: "user:p%40ss@", url: "http://corscope.test:8080/",
			wantHead: []string{"GET http://corscope.test:8080/ HTTP/1.1", "Host: corscope.test:8080",
				"Proxy-Authorization: " + authDecoded, "Origin: https://o.test"}, status: 200,
		},
		{
			name: "CONNECT refused by the proxy", proxyAuth: authDecoded, url: "https://" + tlsHost + "/",
			errMsg: "proxy refused CONNECT to " + tlsHost + ": status 407",
		},
		{
			// Through the proxy a plain-http 407 is the response itself.
			name: "absolute-form refused by the proxy", proxyAuth: authDecoded, url: "http://corscope.test:8080/", status: 407,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := newHTTPProxy(t, tt.proxyAuth)
			e := newEngine(t, Config{Proxy: "http://" + tt.userinfo + proxy.addr(), Timeout: 2 * time.Second})
			trustCA(e, ca)
			o := runOne(t, e, get(tt.url, "Origin", "https://o.test"))
			if tt.errMsg != "" {
				wantErrKind(t, o, cachemodel.ErrConnect, tt.errMsg)
				return
			}
			r := mustResponse(t, o)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d", r.Status, tt.status)
			}
			if r.RemoteAddr != proxy.addr() {
				t.Errorf("RemoteAddr %q, want the proxy %q", r.RemoteAddr, proxy.addr())
			}
			heads := proxy.recorded()
			if tt.wantHead != nil && (len(heads) == 0 || strings.Join(heads[0], "|") != strings.Join(tt.wantHead, "|")) {
				t.Errorf("proxy saw\n %q\nwant\n %q", heads, tt.wantHead)
			}
			if strings.HasPrefix(tt.url, "https") {
				if v, _ := r.Headers.Get("X-Host"); v != tlsHost {
					t.Errorf("origin saw Host %q through the tunnel", v)
				}
			}
		})
	}
	if sni := tlsSrv.serverNames(); len(sni) == 0 || sni[0] != "corscope.test" {
		t.Errorf("SNI through the tunnel: %q", sni)
	}
}

func TestProxyDown(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, scheme := range []string{"http", "socks5"} {
		e := newEngine(t, Config{Proxy: scheme + "://" + addr})
		o := runOne(t, e, get("http://corscope.test/"))
		wantErrKind(t, o, cachemodel.ErrConnect, "connection refused")
	}
}

// socksProxy is a minimal SOCKS5 server (RFC 1928/1929) that records the
// targets it was asked for.
type socksProxy struct {
	*rawServer
	user, pass string
	mu         sync.Mutex
	targets    []string
}

func newSOCKSProxy(t *testing.T, user, pass string) *socksProxy {
	p := &socksProxy{user: user, pass: pass}
	p.rawServer = newRawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil || hdr[0] != 5 {
			return
		}
		methods := make([]byte, hdr[1])
		if _, err := io.ReadFull(br, methods); err != nil {
			return
		}
		want := byte(0)
		if p.user != "" {
			want = 2
		}
		if !strings.ContainsRune(string(methods), rune(want)) {
			_, _ = c.Write([]byte{5, 0xff})
			return
		}
		_, _ = c.Write([]byte{5, want})
		if want == 2 {
			ver, _ := br.ReadByte()
			ulen, _ := br.ReadByte()
			u := make([]byte, ulen)
			_, _ = io.ReadFull(br, u)
			plen, _ := br.ReadByte()
			pw := make([]byte, plen)
			_, _ = io.ReadFull(br, pw)
			if ver != 1 || string(u) != p.user || string(pw) != p.pass {
				_, _ = c.Write([]byte{1, 1})
				return
			}
			_, _ = c.Write([]byte{1, 0})
		}
		var req [4]byte
		if _, err := io.ReadFull(br, req[:]); err != nil || req[1] != 1 {
			return
		}
		var host string
		switch req[3] {
		case 1:
			ip := make([]byte, 4)
			_, _ = io.ReadFull(br, ip)
			host = net.IP(ip).String()
		case 4:
			ip := make([]byte, 16)
			_, _ = io.ReadFull(br, ip)
			host = net.IP(ip).String()
		case 3:
			n, _ := br.ReadByte()
			name := make([]byte, n)
			_, _ = io.ReadFull(br, name)
			host = string(name)
		}
		var portBuf [2]byte
		if _, err := io.ReadFull(br, portBuf[:]); err != nil {
			return
		}
		target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(portBuf[:]))))
		p.mu.Lock()
		p.targets = append(p.targets, target)
		p.mu.Unlock()
		up, err := dialTestTarget(target)
		if err != nil {
			_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		_, _ = c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
		splice(c, br, up)
	})
	return p
}

func (p *socksProxy) recorded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func TestSOCKS5Proxy(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	tlsSrv := newTLSServer(t, leaf(t, ca, []string{"corscope.test"}, now.Add(-time.Hour), now.Add(time.Hour)), hostEcho)
	tlsHost := "corscope.test:" + port(t, tlsSrv.Listener.Addr().String())
	plain := newHeadRecorder(t, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	plainHost := "corscope.test:" + port(t, plain.addr())
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedPort := port(t, closed.Addr().String())
	closed.Close()

	tests := []struct {
		name       string
		user, pass string // the proxy requires these
		userinfo   string
		resolve    map[string]string
		url        string
		wantTarget string
		errMsg     string
	}{
		{name: "http by name", url: "http://" + plainHost + "/", wantTarget: plainHost},
		{name: "https by name", url: "https://" + tlsHost + "/", wantTarget: tlsHost},
		{name: "pinned address is sent as IP", url: "http://" + plainHost + "/",
			resolve: map[string]string{plainHost: "127.0.0.1"}, wantTarget: "127.0.0.1:" + port(t, plain.addr())},
		{name: "with credentials", user: "me", pass: "pw", userinfo: "me:pw@", url: "http://" + plainHost + "/", wantTarget: plainHost},
		{name: "wrong password", user: "me", pass: "pw", userinfo: "me:nope@", url: "http://" + plainHost + "/",
			errMsg: "socks5 proxy: authentication failed"},
		{name: "no credentials offered", user: "me", pass: "pw", url: "http://" + plainHost + "/",
			errMsg: "no acceptable authentication method"},
		{name: "target refused", url: "http://corscope.test:" + refusedPort + "/",
			errMsg: "socks5 proxy: cannot reach corscope.test:" + refusedPort + ": connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := newSOCKSProxy(t, tt.user, tt.pass)
			e := newEngine(t, Config{Proxy: "socks5://" + tt.userinfo + proxy.addr(), Resolve: tt.resolve, Timeout: 2 * time.Second})
			trustCA(e, ca)
			o := runOne(t, e, get(tt.url))
			if tt.errMsg != "" {
				wantErrKind(t, o, cachemodel.ErrConnect, tt.errMsg)
				return
			}
			r := mustResponse(t, o)
			if r.Status != 200 {
				t.Errorf("status %d", r.Status)
			}
			if got := proxy.recorded(); len(got) != 1 || got[0] != tt.wantTarget {
				t.Errorf("proxy was asked for %q, want %q", got, tt.wantTarget)
			}
		})
	}
	if sni := tlsSrv.serverNames(); len(sni) != 1 || sni[0] != "corscope.test" {
		t.Errorf("SNI through SOCKS: %q", sni)
	}
}
