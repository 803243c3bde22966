package probe

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 16
	// DefaultHostConcurrency bounds the requests in flight to one host.
	DefaultHostConcurrency = 8
	DefaultBodyLimit       = 64 << 10
	DefaultMaxHeaderBytes  = 256 << 10
)

// Config tunes an Engine. Every zero value means "use the default", so a
// Config{} is a sensible engine; negative values are rejected by New.
type Config struct {
	// Timeout bounds one step (redirects included), from the first byte of
	// connection set-up to the end of the body read. Default 10s.
	Timeout time.Duration
	// Concurrency is how many targets run at once. Default 16.
	Concurrency int
	// HostConcurrency is the most requests in flight to one host:port at
	// once, across every target (a Scheduled plan sends several of a
	// target's requests at once). Default 8.
	HostConcurrency int
	// Rate is the maximum number of requests per second sent to one
	// host:port; 0 means unlimited.
	Rate float64
	// BodyLimit is how many body bytes are read at most before the probe
	// hangs up. Default 64 KiB.
	BodyLimit int64
	// MaxHeaderBytes caps the response header block (status line included);
	// larger blocks fail with ErrTooLarge. Default 256 KiB, Chrome's own
	// limit: a browser refuses a larger block, so its CORS headers never
	// matter, and the cap bounds what a hostile server can make corscope
	// hold and analyse per request.
	MaxHeaderBytes int
	// HeaderBudget bounds the memory of header blocks over 1 MiB across
	// every request in flight: a request whose block outgrows 1 MiB
	// reserves 3 × MaxHeaderBytes (its buffer, the one it outgrew and the
	// copies made of the block) for the rest of its exchange, waiting
	// within its step's timeout when others hold the budget. Default
	// max(256 MiB, 6 × MaxHeaderBytes): at least two such responses at
	// once. A budget smaller than one reservation fails those responses.
	HeaderBudget int64
	// Resolve pins "host:port" to an IP address, like curl --resolve: the
	// probe connects there but keeps the Host header and TLS SNI. It applies
	// to every TCP connection the engine opens itself (targets when there is
	// no proxy, the proxy otherwise; through SOCKS the pinned IP is what the
	// proxy is asked to reach).
	Resolve map[string]string
	// Insecure skips TLS certificate verification.
	Insecure bool
	// Proxy is "", http://[user:pass@]host:port (CONNECT for https targets,
	// absolute-form requests for http ones) or socks5://[user:pass@]host:port
	// (socks5h:// is accepted as a synonym; names are resolved by the proxy).
	Proxy string
	// FollowRedirects is how many redirects a GET or HEAD step follows; 0
	// reports the 3xx as it is.
	FollowRedirects int
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.HostConcurrency == 0 {
		c.HostConcurrency = DefaultHostConcurrency
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return c
}

func (c Config) validate() error {
	var errs []string
	if c.Timeout < 0 {
		errs = append(errs, fmt.Sprintf("timeout must not be negative (got %s)", c.Timeout))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Sprintf("concurrency must not be negative (got %d)", c.Concurrency))
	}
	if c.HostConcurrency < 0 {
		errs = append(errs, fmt.Sprintf("host concurrency must not be negative (got %d)", c.HostConcurrency))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, fmt.Sprintf("rate must be a finite number >= 0 requests per second (got %v)", c.Rate))
	}
	if c.BodyLimit < 0 {
		errs = append(errs, fmt.Sprintf("body limit must not be negative (got %d)", c.BodyLimit))
	}
	if c.HeaderBudget < 0 {
		errs = append(errs, fmt.Sprintf("header budget must not be negative (got %d)", c.HeaderBudget))
	}
	if c.MaxHeaderBytes < 0 {
		errs = append(errs, fmt.Sprintf("max header bytes must not be negative (got %d)", c.MaxHeaderBytes))
	}
	if c.FollowRedirects < 0 {
		errs = append(errs, fmt.Sprintf("follow redirects must not be negative (got %d)", c.FollowRedirects))
	}
	if len(errs) == 0 {
		return nil
	}
	// One line, so the CLI can print it as is.
	return errors.New(strings.Join(errs, "; "))
}

// ParseResolve splits a curl-style --resolve spec "host:port:addr" into the
// pinned "host:port" (host lower-cased, port as a plain number, so "018691"
// pins port 18691 just as a URL's ":018691" means it) and the IP address
// to dial. addr may
// be a bracketed IPv6 address ("[::1]"); it is returned without brackets.
func ParseResolve(spec string) (hostport, addr string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("invalid resolve entry %q: %s (want host:port:addr)", spec, why)
	}
	rest := spec
	var host string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 || end+1 >= len(rest) || rest[end+1] != ':' {
			return bad("unterminated [ipv6] host")
		}
		host, rest = rest[1:end], rest[end+2:]
	} else {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return bad("missing port")
		}
		host, rest = rest[:i], rest[i+1:]
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return bad("missing address")
	}
	port, addr := rest[:i], rest[i+1:]
	if host == "" {
		return bad("empty host")
	}
	if !validHostname(host) {
		return bad("host contains characters not allowed in a host name")
	}
	n, err := parsePort(port)
	if err != nil {
		return bad(err.Error())
	}
	ip, err := parseIPAddr(addr)
	if err != nil {
		return bad(err.Error())
	}
	// "018691" is port 18691, as in the URL it is meant to match.
	return net.JoinHostPort(strings.ToLower(host), strconv.Itoa(n)), ip, nil
}

// normalizeResolve validates a Config.Resolve map and returns a copy keyed by
// lower-cased host:port with plain (unbracketed) IP values.
func normalizeResolve(m map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for hp, addr := range m {
		host, port, err := net.SplitHostPort(hp)
		if err != nil || host == "" {
			return nil, fmt.Errorf("resolve: %q is not host:port", hp)
		}
		if !validHostname(host) {
			return nil, fmt.Errorf("resolve: %q has characters not allowed in a host name", hp)
		}
		n, err := parsePort(port)
		if err != nil {
			return nil, fmt.Errorf("resolve: %q: %v", hp, err)
		}
		ip, err := parseIPAddr(addr)
		if err != nil {
			return nil, fmt.Errorf("resolve: %q -> %q: %v", hp, addr, err)
		}
		out[net.JoinHostPort(strings.ToLower(host), strconv.Itoa(n))] = ip
	}
	return out, nil
}

func parseIPAddr(s string) (string, error) {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if strings.Contains(s, ",") {
		return "", errors.New("only one address is supported")
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("address %q is not an IP address", s)
	}
	if a.Zone() != "" {
		// A zone ("fe80::1%eth0") names a local interface: it is not an
		// address an edge could have, and it does not survive being
		// written back into a URL authority.
		return "", fmt.Errorf("address %q has an IPv6 zone; give the address alone", s)
	}
	return a.String(), nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || s[0] == '+' {
		return 0, fmt.Errorf("port %q is not a number between 1 and 65535", s)
	}
	return n, nil
}

// validHostname accepts DNS names and IP literals; it only rules out bytes
// that could never appear in a host and would corrupt a request line.
func validHostname(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == ':', c == '%':
		default:
			return false
		}
	}
	return true
}

type proxyKind int

const (
	proxyNone proxyKind = iota
	proxyHTTP
	proxySOCKS5
)

// proxySpec is a validated Config.Proxy.
type proxySpec struct {
	kind     proxyKind
	hostport string
	user     string
	pass     string
	hasAuth  bool
}

func parseProxy(s string) (proxySpec, error) {
	if s == "" {
		return proxySpec{}, nil
	}
	bad := func(why string) (proxySpec, error) {
		return proxySpec{}, fmt.Errorf("proxy %q: %s (want http://host:port or socks5://host:port, with user:pass@ before host if the proxy needs a login)",
			redactProxy(s), why)
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("not a URL")
	}
	var p proxySpec
	switch strings.ToLower(u.Scheme) {
	case "http":
		p.kind = proxyHTTP
	case "socks5", "socks5h":
		p.kind = proxySOCKS5
	case "":
		return bad("missing scheme")
	case "https":
		return bad("https proxies are not supported")
	default:
		return bad(fmt.Sprintf("unsupported scheme %q", u.Scheme))
	}
	if u.Opaque != "" || u.Host == "" {
		return bad("missing host")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return bad("must not have a path, query or fragment")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		return bad("missing port")
	}
	if _, err := parsePort(port); err != nil {
		return bad(err.Error())
	}
	if host == "" || !validHostname(host) {
		return bad("invalid host")
	}
	p.hostport = net.JoinHostPort(strings.ToLower(host), port)
	if u.User != nil {
		p.hasAuth = true
		p.user = u.User.Username()
		p.pass, _ = u.User.Password()
		if p.kind == proxySOCKS5 && (len(p.user) == 0 || len(p.user) > 255 || len(p.pass) > 255) {
			return bad("socks5 user name must be 1-255 bytes and password at most 255 bytes")
		}
	}
	return p, nil
}

// redactProxy hides the credentials before a proxy URL goes into an
// error, even when the URL does not parse.
func redactProxy(s string) string { return cachemodel.RedactURL(s) }
