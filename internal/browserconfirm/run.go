package browserconfirm

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/browser"
)

// runResult is one browser run: an answer per origin, and a note for all.
type runResult struct {
	byOrigin map[string]cachemodel.BrowserConfirm
	note     string
}

// page is one origin's page: where the browser loads it and what it runs.
type page struct {
	origin   string // serialised origin, as sent in Origin
	scheme   string
	hostPort string // host:port with the port always written
	id       string
}

// pageReport is what a page POSTs back.
type pageReport struct {
	ID        string       `json:"id"`
	UA        string       `json:"ua"`
	Error     string       `json:"error"`
	Results   []pageResult `json:"results"`
	Reachable *bool        `json:"reachable"`
}

type pageResult struct {
	Credentials string `json:"credentials"`
	OK          bool   `json:"ok"`
	Status      int    `json:"status"`
	Error       string `json:"error"`
	Aborted     bool   `json:"aborted"`
}

// server serves the pages: plain HTTP on one loopback port (for http
// origins, and as Firefox's proxy for the pages' hosts only), TLS on
// another (for https origins, mapped there by Chromium), and TLS inside the
// CONNECT tunnels Firefox opens to the proxy for https pages.
type server struct {
	target  string
	method  string
	pages   []page
	byHost  map[string]*page // scheme + "://" + hostPort
	timeout time.Duration

	httpLn, tlsLn net.Listener
	tunnel        *chanListener
	srvs          []*http.Server

	cert    tls.Certificate
	spki    string // base64 SHA-256 of the certificate's public key
	certFP  string // SHA-256 of the certificate, colon-separated hex
	hasTLS  bool
	mu      sync.Mutex
	reports map[string]pageReport
	failed  bool // an earlier page had a failed fetch
	done    chan struct{}
	once    sync.Once
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func newServer(target, method string, origins []string, timeout time.Duration) (*server, error) {
	s := &server{target: target, method: method, byHost: map[string]*page{}, timeout: timeout,
		reports: map[string]pageReport{}, done: make(chan struct{}), tunnel: newChanListener()}
	var tlsHosts []string
	for i, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("origin %q: not an http(s) origin", o)
		}
		p := page{origin: o, scheme: u.Scheme, hostPort: hostPort(u), id: "o" + strconv.Itoa(i)}
		s.pages = append(s.pages, p)
		if u.Scheme == "https" {
			s.hasTLS = true
			tlsHosts = append(tlsHosts, u.Hostname())
		}
	}
	for i := range s.pages {
		s.byHost[s.pages[i].scheme+"://"+s.pages[i].hostPort] = &s.pages[i]
	}
	var err error
	if s.httpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if s.hasTLS {
		if err := s.makeCert(tlsHosts); err != nil {
			s.httpLn.Close()
			return nil, err
		}
		if s.tlsLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			s.httpLn.Close()
			return nil, err
		}
	}
	h := http.HandlerFunc(s.handle)
	quiet := stdlog.New(io.Discard, "", 0) // a browser hanging up is no news for the user
	plain := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	s.srvs = append(s.srvs, plain)
	go plain.Serve(s.httpLn)
	if s.hasTLS {
		cfg := &tls.Config{Certificates: []tls.Certificate{s.cert}, NextProtos: []string{"http/1.1"}}
		for _, ln := range []net.Listener{s.tlsLn, s.tunnel} {
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
			s.srvs = append(s.srvs, srv)
			go srv.Serve(tls.NewListener(ln, cfg))
		}
	}
	return s, nil
}

// makeCert makes a throwaway self-signed certificate for the https pages'
// hosts. Only the browser of this run accepts it, and only for them.
func (s *server) makeCert(hosts []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"corscope --confirm-in (throwaway)"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	s.spki = base64.StdEncoding.EncodeToString(spki[:])
	fp := sha256.Sum256(der)
	hexes := make([]string, len(fp))
	for i, b := range fp {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	s.certFP = strings.Join(hexes, ":")
	s.cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	return nil
}

func (s *server) close() {
	for _, srv := range s.srvs {
		srv.Close()
	}
	s.httpLn.Close()
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	s.tunnel.Close()
}

func (s *server) port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// handle serves the pages and takes their reports. Firefox reaches it as a
// proxy: absolute-form requests for http pages, CONNECT for https ones.
func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		s.connect(w, r)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := &url.URL{Scheme: scheme, Host: r.Host}
	p := s.byHost[scheme+"://"+hostPort(u)]
	if p == nil {
		http.Error(w, "not a page of this run", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, s.pageHTML(p))
	case r.URL.Path == "/results" && r.Method == http.MethodPost:
		var rep pageReport
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := json.Unmarshal(body, &rep); err != nil || rep.ID != p.id {
			rep = pageReport{ID: p.id, Error: "unreadable report from the page"}
		}
		s.mu.Lock()
		s.reports[p.id] = rep
		for _, res := range rep.Results {
			if !res.OK {
				s.failed = true
			}
		}
		all := len(s.reports) == len(s.pages)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		if all {
			s.once.Do(func() { close(s.done) })
		}
	case r.URL.Path == "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// connect opens a tunnel for an https page (Firefox's proxy): only to a
// page of this run, never anywhere else.
func (s *server) connect(w http.ResponseWriter, r *http.Request) {
	if s.byHost["https://"+r.Host] == nil {
		http.Error(w, "not a page of this run", http.StatusForbidden)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no tunnel", http.StatusInternalServerError)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	var c net.Conn = conn
	if brw.Reader.Buffered() > 0 {
		c = &prefixConn{Conn: conn, r: io.MultiReader(io.LimitReader(brw.Reader, int64(brw.Reader.Buffered())), conn)}
	}
	if !s.tunnel.push(c) {
		conn.Close()
	}
}

type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// chanListener is a net.Listener fed with the CONNECT tunnels' connections.
type chanListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// pageURL is where the browser loads p: the origin itself.
func (p *page) url() string { return p.origin + "/" }

// pageHTML is p's page: fetch the target in both credentials modes, POST
// the results to its own origin, go on to the next page. The last page
// checks, when any fetch failed, whether the target is reachable at all
// (a no-cors fetch): a failure with a reachable target is the browser's
// CORS block, one without is a network error.
func (s *server) pageHTML(p *page) string {
	next, last := "", true
	for i := range s.pages {
		if s.pages[i].id == p.id && i+1 < len(s.pages) {
			next, last = s.pages[i+1].url(), false
		}
	}
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	cfg := map[string]any{"id": p.id, "url": s.target, "method": s.method, "next": next, "last": last,
		"failedBefore": failed, "timeoutMs": fetchTimeout.Milliseconds()}
	js, _ := json.Marshal(cfg) // escapes <, > and &: it cannot close the script element
	return `<!doctype html><meta charset="utf-8"><title>corscope --confirm-in</title>
<script type="application/json" id="cfg">` + string(js) + `</script>
<script>
(async () => {
  const cfg = JSON.parse(document.getElementById("cfg").textContent);
  const out = [];
  for (const cred of ["omit", "include"]) {
    console.log("corscope-confirm:begin:" + cfg.id + ":" + cred);
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), cfg.timeoutMs);
    const r = {credentials: cred};
    try {
      const resp = await fetch(cfg.url, {method: cfg.method, mode: "cors", credentials: cred, signal: ctl.signal});
      r.ok = true;
      r.status = resp.status;
      try { if (resp.body) await resp.body.cancel(); } catch (e) {}
    } catch (e) {
      r.ok = false;
      r.error = String((e && e.name) || "Error") + ": " + String((e && e.message) || e);
      r.aborted = ctl.signal.aborted;
    }
    clearTimeout(timer);
    out.push(r);
    // The console message about a failed fetch can arrive after the
    // rejection: give it time to land before the next marker.
    if (!r.ok) await new Promise(res => setTimeout(res, 150));
  }
  console.log("corscope-confirm:end:" + cfg.id);
  let reachable = null;
  if (cfg.last && (cfg.failedBefore || out.some(r => !r.ok && !r.aborted))) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), cfg.timeoutMs);
    try {
      await fetch(cfg.url, {mode: "no-cors", credentials: "omit", signal: ctl.signal});
      reachable = true;
    } catch (e) {
      reachable = ctl.signal.aborted ? null : false;
    }
    clearTimeout(timer);
  }
  await fetch("/results", {method: "POST", body: JSON.stringify({id: cfg.id, ua: navigator.userAgent, results: out, reachable})});
  if (cfg.next) location.href = cfg.next;
})().catch(e => fetch("/results", {method: "POST", body: JSON.stringify({id: JSON.parse(document.getElementById("cfg").textContent).id, error: String(e)})}));
</script>
`
}

// options are the browser's switches for this run: the pages' hosts (and
// only those) mapped to the local server, the certificate accepted for
// those hosts only. For Firefox, pac is the proxy auto-config file to write
// at pacPath.
func (s *server) options(k browser.Kind, pacPath string) (o browser.Options, pac []byte) {
	switch k {
	case browser.Chromium:
		var rules []string
		for _, p := range s.pages {
			port := s.port(s.httpLn)
			if p.scheme == "https" {
				port = s.port(s.tlsLn)
			}
			rules = append(rules, "MAP "+p.hostPort+" 127.0.0.1:"+strconv.Itoa(port))
		}
		o.ChromiumArgs = append(o.ChromiumArgs, "--host-resolver-rules="+strings.Join(rules, ","),
			// The page is loaded over http as given, not upgraded first.
			"--disable-features=HttpsUpgrades")
		if s.hasTLS {
			// Scoped to the throwaway key: no other certificate error is
			// ignored.
			o.ChromiumArgs = append(o.ChromiumArgs, "--ignore-certificate-errors-spki-list="+s.spki)
		}
	case browser.Firefox:
		// Firefox's network.dns.localDomains maps a name to 127.0.0.1 but
		// keeps the URL's port (443 for https://app.example.com), which
		// this process cannot listen on; a PAC file sends the pages' hosts
		// (and only those) to the local server as a proxy instead, and
		// everything else, the target included, DIRECT.
		var conds []string
		for _, p := range s.pages {
			conds = append(conds, "url.indexOf("+jsString(p.origin+"/")+") === 0")
		}
		pac = []byte("function FindProxyForURL(url, host) {\n  if (" + strings.Join(conds, " || ") +
			") return \"PROXY 127.0.0.1:" + strconv.Itoa(s.port(s.httpLn)) + "\";\n  return \"DIRECT\";\n}\n")
		o.FirefoxPrefs = append(o.FirefoxPrefs,
			`user_pref("network.proxy.type", 2);`,
			`user_pref("network.proxy.autoconfig_url", `+jsString("file://"+pacPath)+`);`,
			`user_pref("network.proxy.failover_direct", false);`,
			// A loopback origin (http://localhost:3000) goes to the PAC too,
			// not straight to whatever listens on that port.
			`user_pref("network.proxy.allow_hijacking_localhost", true);`,
			`user_pref("security.enterprise_roots.enabled", false);`,
		)
		if s.hasTLS {
			var b strings.Builder
			b.WriteString("# PSM Certificate Override Settings file\n# This is a generated file!  Do not edit.\n")
			for _, p := range s.pages {
				if p.scheme == "https" {
					fmt.Fprintf(&b, "%s:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n", p.hostPort, s.certFP)
				}
			}
			o.ProfileFiles = map[string][]byte{"cert_override.txt": []byte(b.String())}
		}
	}
	return o, pac
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// run starts the browser on the first page and collects every page's
// report, within the time bound; the browser is stopped either way.
func (c *Confirmer) run(target string, origins []string) runResult {
	out := runResult{byOrigin: map[string]cachemodel.BrowserConfirm{}}
	unknown := func(why string) {
		for _, o := range origins {
			if _, ok := out.byOrigin[o]; !ok {
				out.byOrigin[o] = cachemodel.BrowserConfirm{
					Anonymous:   cachemodel.BrowserFetch{Result: cachemodel.BrowserUnknown, Error: why},
					Credentials: cachemodel.BrowserFetch{Result: cachemodel.BrowserUnknown, Error: why},
				}
			}
		}
	}
	// A page cannot live on a port browsers refuse to load (Fetch's bad
	// ports): say so at once instead of waiting for the time bound.
	var loadable []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && badPort(u) {
			why := fmt.Sprintf("browsers refuse to load pages on port %s (a Fetch \"bad port\"), so no page has this origin", u.Port())
			out.byOrigin[o] = cachemodel.BrowserConfirm{
				Anonymous:   cachemodel.BrowserFetch{Result: cachemodel.BrowserUnknown, Error: why},
				Credentials: cachemodel.BrowserFetch{Result: cachemodel.BrowserUnknown, Error: why},
			}
			continue
		}
		loadable = append(loadable, o)
	}
	if origins = loadable; len(origins) == 0 {
		return out
	}
	timeout := c.timeout()
	s, err := newServer(target, "GET", origins, timeout)
	if err != nil {
		unknown(err.Error())
		return out
	}
	defer s.close()
	// The browser's profile is made inside dir, next to Firefox's PAC file;
	// both go when the run ends.
	dir, err := os.MkdirTemp(tempBase(), DirPrefix())
	if err != nil {
		unknown(err.Error())
		return out
	}
	defer os.RemoveAll(dir)
	pacPath := filepath.Join(dir, "corscope.pac")
	o, pac := s.options(c.Kind, pacPath)
	if pac != nil {
		if err := os.WriteFile(pacPath, pac, 0o600); err != nil {
			unknown(err.Error())
			return out
		}
	}
	ctx, cancel := context.WithTimeout(c.context(), timeout)
	defer cancel()
	b, err := browser.StartWith(c.Kind, c.Bin, dir, s.pages[0].url(), o)
	if err != nil {
		unknown(fmt.Sprintf("could not start %s: %v", c.Kind, err))
		return out
	}
	var why string
	select {
	case <-s.done:
	case <-b.Exited():
		why = fmt.Sprintf("%s exited before it answered", c.Kind)
	case <-ctx.Done():
		why = fmt.Sprintf("no answer from %s within %s", c.Kind, timeout)
		if errors.Is(c.context().Err(), context.Canceled) {
			why = "interrupted"
		}
	}
	log := b.Log()
	if err := b.Stop(); err != nil {
		out.note = fmt.Sprintf("stopping %s: %v", c.Kind, err)
	}
	if left := browser.Running(b.Profile); len(left) > 0 && out.note == "" {
		out.note = fmt.Sprintf("%s processes still running: %v", c.Kind, left)
	}
	console := consoleByFetch(c.Kind, log)
	s.mu.Lock()
	reports := s.reports
	s.mu.Unlock()
	var reachable *bool
	for _, p := range s.pages {
		if rep, ok := reports[p.id]; ok && rep.Reachable != nil {
			reachable = rep.Reachable
		}
	}
	for _, p := range s.pages {
		rep, ok := reports[p.id]
		if !ok {
			continue
		}
		if rep.Error != "" && len(rep.Results) == 0 {
			out.byOrigin[p.origin] = cachemodel.BrowserConfirm{
				Anonymous:   cachemodel.BrowserFetch{Result: cachemodel.BrowserUnknown, Error: "page script failed: " + clip(rep.Error)},
				Credentials: cachemodel.BrowserFetch{Result: cachemodel.BrowserUnknown, Error: "page script failed: " + clip(rep.Error)},
			}
			continue
		}
		var bc cachemodel.BrowserConfirm
		for _, r := range rep.Results {
			f := classify(r, console[p.id+":"+r.Credentials], reachable)
			switch r.Credentials {
			case "omit":
				bc.Anonymous = f
			case "include":
				bc.Credentials = f
			}
		}
		for _, f := range []*cachemodel.BrowserFetch{&bc.Anonymous, &bc.Credentials} {
			if f.Result == "" {
				f.Result, f.Error = cachemodel.BrowserUnknown, "the page reported no result"
			}
		}
		out.byOrigin[p.origin] = bc
	}
	if why == "" {
		why = "the page did not report"
	}
	if s.hasTLS && c.Kind == browser.Firefox {
		for _, p := range s.pages {
			if _, ok := out.byOrigin[p.origin]; !ok && p.scheme == "https" {
				why += "; the https page may not have loaded (certificate override not accepted)"
				break
			}
		}
	}
	unknown(why)
	return out
}

func (c *Confirmer) context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// classify turns one fetch's outcome into the browser's answer.
func classify(r pageResult, console string, reachable *bool) cachemodel.BrowserFetch {
	f := cachemodel.BrowserFetch{Error: clip(r.Error), Console: clip(console)}
	switch {
	case r.OK:
		st := r.Status
		f.Result, f.Status = cachemodel.BrowserAllowed, &st
	case r.Aborted:
		f.Result = cachemodel.BrowserUnknown
		f.Error = fmt.Sprintf("timed out after %s", fetchTimeout)
	case strings.Contains(console, "CORS policy") || strings.Contains(console, "Cross-Origin Request Blocked"):
		f.Result = cachemodel.BrowserBlocked
	case reachable != nil && *reachable:
		f.Result = cachemodel.BrowserBlocked
	case reachable != nil:
		f.Result = cachemodel.BrowserFailed
		f.Error += " (the URL was not reachable even without CORS: a network error, not a CORS answer)"
	default:
		f.Result = cachemodel.BrowserUnknown
		f.Error += " (could not tell a CORS block from a network error)"
	}
	return f
}

// clip bounds text from the browser and the server.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// consoleByFetch gathers the browser's console messages per fetch
// ("o0:omit"): those logged after the page's marker for it. Chromium logs
// console messages to stderr (--enable-logging=stderr) as
// `[...:INFO:CONSOLE(0)] "message", source: url (0)`; Firefox prints only
// the page's own console.log calls there (devtools.console.stdout.content),
// not its network errors, so its map holds no CORS text.
func consoleByFetch(k browser.Kind, log string) map[string]string {
	out := map[string]string{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		msg, ok := consoleMessage(k, sc.Text())
		if !ok {
			continue
		}
		if rest, ok := strings.CutPrefix(msg, "corscope-confirm:begin:"); ok {
			cur = rest
			continue
		}
		if strings.HasPrefix(msg, "corscope-confirm:end:") {
			cur = ""
			continue
		}
		if cur == "" || !relevant(msg) {
			continue
		}
		// The CORS explanation is the message to keep; a generic
		// "net::ERR_FAILED" only when there is nothing better.
		if prev := out[cur]; prev == "" || (!strings.Contains(prev, "CORS") && strings.Contains(msg, "CORS")) {
			out[cur] = msg
		}
	}
	return out
}

func relevant(msg string) bool {
	for _, s := range []string{"CORS", "Cross-Origin", "net::ERR_", "Access to fetch"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// consoleMessage extracts a console message from one log line.
func consoleMessage(k browser.Kind, line string) (string, bool) {
	if k == browser.Firefox {
		for _, p := range []string{"console.log: ", "console.error: ", "console.warn: "} {
			if i := strings.Index(line, p); i >= 0 {
				return strings.Trim(strings.TrimSpace(line[i+len(p):]), `"`), true
			}
		}
		return "", false
	}
	i := strings.Index(line, ":CONSOLE")
	if i < 0 {
		return "", false
	}
	rest := line[i:]
	j := strings.Index(rest, `] "`)
	if j < 0 {
		return "", false
	}
	msg := rest[j+3:]
	if k := strings.LastIndex(msg, `", source: `); k >= 0 {
		msg = msg[:k]
	} else {
		msg = strings.TrimSuffix(msg, `"`)
	}
	return msg, true
}

// badPorts are the ports Fetch blocks (https://fetch.spec.whatwg.org/#bad-port).
var badPorts = map[string]bool{}

func init() {
	for _, p := range []int{1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
		101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
		512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995,
		1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679,
		6697, 10080} {
		badPorts[strconv.Itoa(p)] = true
	}
}

func badPort(u *url.URL) bool { return badPorts[u.Port()] }

// DirPrefix starts the name of every run's temporary directory (the
// browser's profile lives inside it): "cs<pid>-", so a test can look for
// browsers of its own process still running (browser.Running(DirPrefix())).
// It is short because Chromium's singleton socket goes inside the profile,
// and a Unix socket's path has at most 107 bytes.
func DirPrefix() string { return fmt.Sprintf("cs%d-", os.Getpid()) }

// tempBase is the system's temporary directory, or /tmp when that is too
// long a path for Chromium's socket.
func tempBase() string {
	if d := os.TempDir(); len(d) <= 24 {
		return d
	}
	return "/tmp"
}
