package probe

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/settings"
)

// request is one HTTP request ready to go on the wire.
type request struct {
	method   string
	url      *url.URL // for resolving redirects
	tls      bool
	hostname string // lower-cased, no brackets: TLS SNI and certificate name
	hostport string // lower-cased host:port: rate limit, Resolve and pool key
	headers  cachemodel.Headers
	wire     []byte // request line + header block
	// edge is the address to connect to instead of hostport's (a step's
	// Edge, already resolved to ip:port); "" when none.
	edge string
}

// poolKey keys kept-alive connections: by origin (scheme, host and port),
// and by edge, so a request for one edge never reuses a connection to
// another. A struct, so looking a connection up builds no string.
type poolKey struct {
	tls      bool
	hostport string
	edge     string
}

func (r *request) poolKey() poolKey {
	return poolKey{tls: r.tls, hostport: r.hostport, edge: r.edge}
}

// originKey is the request's origin as scheme://host:port with the port
// always written: two requests have the same origin exactly when their keys
// are equal.
func (r *request) originKey() string { return originKey(r.tls, r.hostport) }

func (p *urlParts) originKey() string { return originKey(p.tls, p.hostport) }

func originKey(tls bool, hostport string) string {
	if tls {
		return "https://" + hostport
	}
	return "http://" + hostport
}

// newRequest validates a step's method, URL and headers and serialises the
// request. The request target is cut verbatim out of the URL string (no path
// normalisation, no re-encoding) because cache keys are built from exactly
// those bytes. Only Host is added, unless the plan supplies its own; through
// an HTTP proxy, plain-http requests use absolute-form and carry
// Proxy-Authorization when the proxy URL has credentials.
func newRequest(method, rawURL string, headers cachemodel.Headers, proxy proxySpec) (*request, error) {
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	parts, err := parseURLParts(rawURL, proxy)
	if err != nil {
		return nil, err
	}
	return buildRequest(method, parts, headers, proxy)
}

func invalidRequest(format string, args ...any) error {
	return &kindError{kind: cachemodel.ErrOther, msg: fmt.Sprintf(format, args...)}
}

func checkMethod(method string) error {
	if !isToken(method) {
		return invalidRequest("invalid request method %q", method)
	}
	return nil
}

// urlParts is what a request takes from its URL alone. Every step of a
// target has the same URL, so the engine parses it once per target
// (parsing was a tenth of the engine's own CPU time per request).
type urlParts struct {
	raw       string
	url       *url.URL // for resolving redirects; never modified
	tls       bool
	hostname  string // lower-cased, no brackets
	hostport  string // lower-cased host:port
	authority string // Host header value
	target    string // request target as sent
}

func parseURLParts(rawURL string, proxy proxySpec) (*urlParts, error) {
	p := new(urlParts)
	if err := parseURLPartsInto(p, rawURL, proxy); err != nil {
		return nil, err
	}
	return p, nil
}

// parseURLPartsInto is parseURLParts into *p, which it changes only when
// the URL is valid.
func parseURLPartsInto(dst *urlParts, rawURL string, proxy proxySpec) error {
	p, err := cutURLParts(rawURL, proxy)
	if err != nil {
		return err
	}
	*dst = p
	return nil
}

func cutURLParts(rawURL string, proxy proxySpec) (urlParts, error) {
	var none urlParts
	u, err := url.Parse(rawURL)
	if err != nil {
		return none, invalidRequest("invalid URL %q", rawURL)
	}
	p := urlParts{raw: rawURL, url: u}
	switch strings.ToLower(u.Scheme) {
	case "http":
	case "https":
		p.tls = true
	default:
		return none, invalidRequest("unsupported URL scheme %q (want http or https)", u.Scheme)
	}
	authority, target, ok := splitURL(rawURL)
	if !ok || u.Host == "" || u.Hostname() == "" {
		return none, invalidRequest("URL %q has no host", rawURL)
	}
	if strings.ContainsAny(target, " \t\r\n\x00") || strings.ContainsAny(authority, " \t\r\n\x00") {
		return none, invalidRequest("URL %q contains whitespace or control characters; percent-encode them", rawURL)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if p.tls {
			port = "443"
		}
	} else if n, err := parsePort(port); err != nil {
		return none, invalidRequest("URL %q: %v", rawURL, err)
	} else {
		// "018691" is port 18691: keyed (pool, --resolve, same-origin
		// tests) by its number, however it was written.
		if port[0] == '0' {
			port = strconv.Itoa(n)
		}
	}
	p.hostname = strings.ToLower(u.Hostname())
	if !validHostname(p.hostname) {
		return none, invalidRequest("URL %q has an invalid host", rawURL)
	}
	if len(authority) == len(p.hostname)+1+len(port) && authority[:len(p.hostname)] == p.hostname &&
		authority[len(p.hostname)] == ':' && authority[len(p.hostname)+1:] == port {
		p.hostport = authority // already host:port, lower-case (no allocation)
	} else {
		p.hostport = net.JoinHostPort(p.hostname, port)
	}
	p.authority, p.target = authority, target
	if proxy.kind == proxyHTTP && !p.tls {
		p.target = strings.ToLower(u.Scheme) + "://" + authority + target
	}
	return p, nil
}

// buildRequest validates the headers and writes the request bytes. The
// method must have passed checkMethod.
func buildRequest(method string, p *urlParts, headers cachemodel.Headers, proxy proxySpec) (*request, error) {
	r := new(request)
	if err := buildRequestInto(r, method, p, headers, proxy); err != nil {
		return nil, err
	}
	return r, nil
}

// buildRequestInto is buildRequest into *r, reusing its wire buffer.
func buildRequestInto(r *request, method string, p *urlParts, headers cachemodel.Headers, proxy proxySpec) error {
	for _, h := range headers {
		if !isToken(h.Name) {
			return invalidRequest("invalid request header name %q", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			return invalidRequest("request header %q has a line break or NUL in its value", h.Name)
		}
	}
	*r = request{method: method, url: p.url, tls: p.tls, hostname: p.hostname, hostport: p.hostport, headers: headers, wire: r.wire[:0]}

	// Names go out exactly as given, and no header is added behind our back
	// (no User-Agent, Content-Length, Connection…): the request line, Host
	// unless the plan supplies one, Proxy-Authorization for an HTTP proxy,
	// then the plan's headers in order. (This is the layout fasthttp's
	// RequestHeader.AppendBytes gives with normalising and special headers
	// disabled, written directly: it ran once per request.)
	size := len(method) + len(p.target) + len(" HTTP/1.1\r\n\r\n") + len("Host: \r\n") + len(p.authority)
	for _, h := range headers {
		size += len(h.Name) + len(h.Value) + 4
	}
	wire := r.wire
	if cap(wire) < size {
		wire = make([]byte, 0, size)
	}
	wire = append(wire, method...)
	wire = append(wire, ' ')
	wire = append(wire, p.target...)
	wire = append(wire, " HTTP/1.1\r\n"...)
	if _, ok := headers.Get("Host"); !ok {
		wire = appendHeaderLine(wire, "Host", p.authority)
	}
	if proxy.kind == proxyHTTP && !p.tls && proxy.hasAuth {
		wire = appendHeaderLine(wire, "Proxy-Authorization", proxyBasicAuth(proxy))
	}
	for _, h := range headers {
		wire = appendHeaderLine(wire, h.Name, h.Value)
	}
	r.wire = append(wire, '\r', '\n')
	return nil
}

func appendHeaderLine(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// splitURL cuts "scheme://authority/target#frag" into the Host header value
// (userinfo dropped) and the origin-form request target.
func splitURL(raw string) (authority, target string, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", "", false
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, target = rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = authority[at+1:]
	}
	if hash := strings.IndexByte(target, '#'); hash >= 0 {
		target = target[:hash]
	}
	if target == "" || target[0] == '?' {
		target = "/" + target
	}
	return authority, target, authority != ""
}

func proxyBasicAuth(p proxySpec) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.pass))
}

// isToken reports whether s is an RFC 9110 token (method and field names).
func isToken(s string) bool { return settings.IsToken(s) }
