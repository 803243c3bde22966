package probe

import (
	"net"
	"strings"

	"github.com/corscope/corscope/internal/settings"
)

// ParseEdge validates an --edge address: an IP address ("203.0.113.7",
// "2001:db8::1", "[2001:db8::1]"), which keeps the URL's port, or an IP
// address with a port ("203.0.113.7:8443", "[2001:db8::1]:8443"). Host
// names are refused: an edge is a specific address, and a name could
// resolve to another edge on every run. The result is normalised: IPv6 in
// brackets, the port as a plain number. settings.ParseEdge holds the rule.
func ParseEdge(s string) (string, error) { return settings.ParseEdge(s) }

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
