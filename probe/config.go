package probe

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/internal/settings"
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
	if err := settings.CheckRate(c.Rate); err != nil {
		errs = append(errs, fmt.Sprintf("rate: %v", err))
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
// to dial (settings.ParseResolve holds the grammar). addr may be a
// bracketed IPv6 address ("[::1]"); it is returned without brackets.
func ParseResolve(spec string) (hostport, addr string, err error) {
	pin, err := settings.ParseResolve(spec)
	if err != nil {
		return "", "", err
	}
	return pin.HostPort(), pin.Addr, nil
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

// The grammar of addresses, ports and host names is settings'.
func parseIPAddr(s string) (string, error) { return settings.ParseIP(s) }
func parsePort(s string) (int, error)      { return settings.ParsePort(s) }
func validHostname(h string) bool          { return settings.ValidHost(h) }

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

// parseProxy reads Config.Proxy with settings.ParseProxy, the rule the
// flags and the configuration file use.
func parseProxy(s string) (proxySpec, error) {
	if s == "" {
		return proxySpec{}, nil
	}
	u, err := settings.ParseProxy(s)
	if err != nil {
		return proxySpec{}, fmt.Errorf("proxy: %w", err)
	}
	p := proxySpec{kind: proxyHTTP, hostport: u.HostPort, user: u.User, pass: u.Pass, hasAuth: u.HasAuth}
	if u.Kind == settings.ProxySOCKS5 {
		p.kind = proxySOCKS5
	}
	return p, nil
}
