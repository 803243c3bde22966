package settings

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/http/httpguts"

	"github.com/corscope/corscope/cachemodel"
)

// IsToken reports whether s is an RFC 9110 token: a method or a header
// field name.
func IsToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }

// HasControl reports C0 controls other than TAB, and DEL.
func HasControl(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// WantSize ends every complaint about a size's grammar.
const WantSize = `want bytes or a size like "64KiB"`

var sizeRE = regexp.MustCompile(`^([0-9]+)\s*([A-Za-z]*)$`)

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1000, "kib": 1 << 10,
	"mb": 1000 * 1000, "mib": 1 << 20,
	"gb": 1000 * 1000 * 1000, "gib": 1 << 30,
}

// maxSize is the largest size ParseSize reads; the settings' own bounds are
// far below it.
const maxSize = 1 << 50

// ParseSize reads a byte size: a number of bytes, or a number with a unit
// (KiB, MiB, GiB are powers of 1024; KB, MB, GB of 1000; B is bytes; any
// case, a space allowed before the unit).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size; %s", s, WantSize)
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("%q is not a size; %s", s, WantSize)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > maxSize/unit {
		return 0, fmt.Errorf("%q is too large; %s", s, WantSize)
	}
	return n * unit, nil
}

// FormatSize writes n the way ParseSize reads it: in GiB, MiB or KiB when
// it is a whole number of them, else in bytes.
func FormatSize(n int64) string {
	for _, u := range []struct {
		unit string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.unit
		}
	}
	return strconv.FormatInt(n, 10)
}

// ParseHeader reads a curl-style "Name: value" extra request header.
// Errors never quote the value: it may be a credential.
func ParseHeader(line string) (cachemodel.Header, error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		shown, _, cut := strings.Cut(strings.TrimSpace(line), " ")
		if cut {
			shown += " …" // the rest may be a credential
		}
		return cachemodel.Header{}, fmt.Errorf("%q has no colon; want \"Name: value\"", shown)
	}
	name = strings.TrimSpace(name)
	value = strings.Trim(value, " \t")
	switch {
	case !IsToken(name):
		return cachemodel.Header{}, fmt.Errorf("%q is not a valid header name", name)
	case HasControl(value):
		return cachemodel.Header{}, fmt.Errorf("header %s has a control character in its value", name)
	case strings.EqualFold(name, "Host"):
		return cachemodel.Header{}, errors.New("Host cannot be set: the URL's host is sent; pin an address with --resolve HOST:PORT:ADDRESS (probe.resolve in the configuration) instead")
	case strings.EqualFold(name, "Origin"):
		// Every variant sets its own Origin; a second one would spoil them.
		return cachemodel.Header{}, errors.New("Origin cannot be set: each variant sends its own; list origins with --origin (origins in the configuration) instead")
	}
	return cachemodel.Header{Name: name, Value: value}, nil
}

// ParsePort reads a TCP port: 1 to 65535, digits only ("018691" is 18691,
// as in a URL).
func ParsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("port %q is not a number between 1 and 65535", s)
	}
	return n, nil
}

// ParseIP reads one IP address, IPv6 with or without brackets, and returns
// it without brackets.
func ParseIP(s string) (string, error) {
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

// ValidHost accepts DNS names and IP literals; it only rules out bytes
// that could never appear in a host and would corrupt a request line.
func ValidHost(h string) bool {
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

// Pin is a resolve entry: connect to Addr for Host:Port, keeping the Host
// header and TLS SNI.
type Pin struct {
	Host string // lower case; an IPv6 literal without brackets
	Port int
	Addr string // IP literal, without brackets
}

// HostPort is the pinned "host:port" (IPv6 in brackets).
func (p Pin) HostPort() string { return net.JoinHostPort(p.Host, strconv.Itoa(p.Port)) }

// String gives the entry back as HOST:PORT:ADDRESS, the way ParseResolve
// reads it.
func (p Pin) String() string {
	addr := p.Addr
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	return p.HostPort() + ":" + addr
}

// ParseResolve reads a curl-style --resolve entry HOST:PORT:ADDRESS. HOST
// may be an IPv6 literal in brackets, ADDRESS one IP (IPv6 with or without
// brackets); the port is read as a number, as in the URL it is meant to
// match.
func ParseResolve(s string) (Pin, error) {
	bad := func(why string) (Pin, error) {
		return Pin{}, fmt.Errorf("%q is not HOST:PORT:ADDRESS: %s", s, why)
	}
	rest := s
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
	if !ValidHost(host) {
		return bad("host contains characters not allowed in a host name")
	}
	n, err := ParsePort(port)
	if err != nil {
		return bad(err.Error())
	}
	ip, err := ParseIP(addr)
	if err != nil {
		return bad(err.Error())
	}
	return Pin{Host: strings.ToLower(host), Port: n, Addr: ip}, nil
}

// ParseEdge reads an edge address: an IP address ("203.0.113.7",
// "2001:db8::1", "[2001:db8::1]"), which keeps the URL's port, or IP:port
// ("203.0.113.7:8443", "[2001:db8::1]:443"). Host names are refused: a
// name may resolve to another edge each run. It returns the address
// normalised: IPv6 in brackets, the port as a plain number.
func ParseEdge(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%q is not an edge: %s; want an IP address, or IP:port", s, why)
	}
	if s == "" {
		return bad("empty")
	}
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return bad("unterminated [ipv6]")
		}
		host, port = s[1:end], s[end+1:]
		if port != "" {
			if port[0] != ':' || len(port) == 1 {
				return bad("want [ipv6]:port")
			}
			port = port[1:]
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return bad("empty port")
		}
	}
	ip, err := ParseIP(host)
	if err != nil && !strings.Contains(host, ":") && strings.IndexFunc(host, unicode.IsLetter) >= 0 {
		return bad("host names are not edges (a name may resolve to another edge each run)")
	}
	if err != nil {
		return bad(err.Error())
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	if port == "" {
		return ip, nil
	}
	n, err := ParsePort(port)
	if err != nil {
		return bad(err.Error())
	}
	return ip + ":" + strconv.Itoa(n), nil
}

// ProxyKind is the protocol spoken to a proxy.
type ProxyKind int

// Proxy kinds.
const (
	ProxyHTTP ProxyKind = iota + 1
	ProxySOCKS5
)

// ProxyURL is a parsed proxy setting.
type ProxyURL struct {
	Kind     ProxyKind
	HostPort string // lower-case host, port
	User     string
	Pass     string
	HasAuth  bool
}

// ParseProxy reads a proxy URL: http://[user:pass@]host:port (CONNECT for
// https targets) or socks5://[user:pass@]host:port (socks5h:// is a
// synonym: the proxy resolves names). Errors never show the password.
func ParseProxy(s string) (ProxyURL, error) {
	bad := func(why string) (ProxyURL, error) {
		return ProxyURL{}, fmt.Errorf("%q is not a proxy URL: %s (want http://host:port or socks5://host:port, with user:pass@ before host if the proxy needs a login)",
			cachemodel.RedactURL(s), why)
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("not a URL")
	}
	var p ProxyURL
	switch strings.ToLower(u.Scheme) {
	case "http":
		p.Kind = ProxyHTTP
	case "socks5", "socks5h":
		p.Kind = ProxySOCKS5
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
	if _, err := ParsePort(port); err != nil {
		return bad(err.Error())
	}
	if host == "" || !ValidHost(host) {
		return bad("invalid host")
	}
	p.HostPort = net.JoinHostPort(strings.ToLower(host), port)
	if u.User != nil {
		p.HasAuth = true
		p.User = u.User.Username()
		p.Pass, _ = u.User.Password()
		if p.Kind == ProxySOCKS5 && (len(p.User) == 0 || len(p.User) > 255 || len(p.Pass) > 255) {
			return bad("socks5 user name must be 1-255 bytes and password at most 255 bytes")
		}
	}
	return p, nil
}
