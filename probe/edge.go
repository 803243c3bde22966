package probe

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ParseEdge validates an --edge address: an IP address ("203.0.113.7",
// "2001:db8::1", "[2001:db8::1]"), which keeps the URL's port, or an IP
// address with a port ("203.0.113.7:8443", "[2001:db8::1]:8443"). Host
// names are refused: an edge is a specific address, and a name could
// resolve to another edge on every run. The result is normalised: IPv6 in
// brackets, the port as a plain number.
func ParseEdge(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("invalid edge %q: %s (want an IP address, or IP:port)", s, why)
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
	ip, err := parseIPAddr(host)
	if err != nil {
		return bad(err.Error())
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	if port == "" {
		return ip, nil
	}
	n, err := parsePort(port)
	if err != nil {
		return bad(err.Error())
	}
	return ip + ":" + strconv.Itoa(n), nil
}

// edgeDialAddr is where a request for hostport goes when its step names
// edge (a ParseEdge result): the edge's port, or hostport's.
func edgeDialAddr(edge, hostport string) (string, error) {
	ip, port := edge, ""
	if strings.HasPrefix(edge, "[") {
		end := strings.IndexByte(edge, ']')
		ip, port = edge[1:end], strings.TrimPrefix(edge[end+1:], ":")
	} else if i := strings.IndexByte(edge, ':'); i >= 0 {
		ip, port = edge[:i], edge[i+1:]
	}
	if port == "" {
		_, p, err := net.SplitHostPort(hostport)
		if err != nil {
			return "", err
		}
		port = p
	}
	return net.JoinHostPort(ip, port), nil
}
