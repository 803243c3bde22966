package cachemodel

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseOrigin validates an origin as a browser would serialise it and
// returns it in that form: scheme "://" host [":" port], lower-case, no
// default port, no path, query, fragment or userinfo; an internationalised
// host name in its ASCII (punycode) form, as browsers send it; a port
// without leading zeros ("0443" is the default 443) and an IPv4 address
// dotted-decimal ("1.2.3" is 1.2.0.3, "0x7f.0.0.1" is 127.0.0.1), as the URL
// Standard's parser reads them. "null" is accepted
// as the opaque origin. Errors are one line and say what is wrong; they
// quote the input Go-quoted where it is not plain text; a terminal
// still needs whoever shows them to escape them.
func ParseOrigin(s string) (string, error) {
	shown := RedactURL(s) // errors quote the origin; never a password in it
	if s == "null" {
		return s, nil
	}
	if s == "" {
		return "", fmt.Errorf("empty origin")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an origin: want scheme://host[:port], e.g. https://app.example.com", shown)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not an origin: scheme must be http or https", shown)
	}
	switch {
	case u.User != nil:
		return "", fmt.Errorf("%q is not an origin: it has userinfo (user@)", shown)
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("%q is not an origin: it has a path (%s); an origin is scheme://host[:port]", shown, plainOrQuoted(u.Path))
	case u.Path == "/":
		return "", fmt.Errorf("%q is not an origin: it has a trailing slash; browsers send %s", shown, plainOrQuoted(strings.TrimSuffix(shown, "/")))
	case u.RawQuery != "" || u.ForceQuery:
		return "", fmt.Errorf("%q is not an origin: it has a query", shown)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "", fmt.Errorf("%q is not an origin: it has a fragment", shown)
	}
	if err := asciiHost(u); err != nil {
		return "", fmt.Errorf("%q is not an origin: %v", shown, err)
	}
	host, port, err := splitHostPort(u)
	if err != nil {
		return "", fmt.Errorf("%q is not an origin: %v", shown, err)
	}
	if strings.Contains(host, "%") {
		// Browsers accept no zone in an IPv6 literal, so no Origin has one.
		return "", fmt.Errorf("%q is not an origin: an IPv6 zone (%%...) is never part of an origin", shown)
	}
	return serializeOrigin(strings.ToLower(u.Scheme), host, port), nil
}

// ParseTargetURL validates a URL to probe. It must be absolute http(s) with
// a host; a missing scheme gets a hint rather than a guess, because
// guessing http vs https changes which cache is hit. An internationalised
// host name is converted to its ASCII (punycode) form, as browsers do.
func ParseTargetURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	shown := RedactURL(s) // errors quote the URL; never its password
	if s == "" {
		return nil, fmt.Errorf("empty URL")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", shown, unwrapURLError(err))
	}
	if u.Scheme == "" || (u.Host == "" && u.Opaque == "" && !strings.Contains(s, "://")) {
		// Suggest https:// only when the result is itself a URL we
		// would take: "not a url" gets no suggestion that fails too.
		if _, err := ParseTargetURL("https://" + strings.TrimPrefix(s, "//")); err != nil {
			return nil, fmt.Errorf("bad URL %q: no scheme (want http:// or https://)", shown)
		}
		return nil, fmt.Errorf("bad URL %q: no scheme; did you mean %s ?", shown, plainOrQuoted("https://"+strings.TrimPrefix(shown, "//")))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: scheme must be http or https", shown)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: no host", shown)
	}
	if err := asciiHost(u); err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", shown, err)
	}
	host, port, err := splitHostPort(u)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", shown, err)
	}
	if !strings.HasPrefix(u.Host, "[") && (host != strings.ToLower(u.Hostname()) || port != u.Port()) {
		// An IPv4 address in another form, or a port with leading zeros:
		// request what a browser would (its Host header and cache key).
		u.Host = host
		if port != "" {
			u.Host += ":" + port
		}
	} else if port != u.Port() {
		u.Host = "[" + u.Hostname() + "]:" + port
	}
	if u.User != nil {
		return nil, fmt.Errorf("bad URL %q: credentials in URLs are not supported; use -H 'Authorization: ...'", shown)
	}
	u.Fragment = "" // never sent on the wire
	u.RawFragment = ""
	u.RawQuery = escapeQuery(u.RawQuery)
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// OriginOf returns the serialized origin of a target URL (its same-origin
// variant).
//
// The host and port are those a browser would serialise (see
// splitHostPort), and an IPv6 zone ("fe80::1%eth0"), which names an
// interface of this machine and is never part of an origin, is left out.
func OriginOf(u *url.URL) string {
	host, port, _ := splitHostPort(u)
	if i := strings.IndexByte(host, '%'); i >= 0 && strings.Contains(host, ":") {
		host = host[:i]
	}
	return serializeOrigin(strings.ToLower(u.Scheme), host, port)
}

func splitHostPort(u *url.URL) (host, port string, err error) {
	host = strings.ToLower(u.Hostname())
	port = u.Port()
	if host == "" {
		return "", "", fmt.Errorf("no host")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("port %q out of range", port)
		}
		port = strconv.Itoa(n) // "0443" is port 443, as browsers read it
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", "", fmt.Errorf("empty port")
	}
	if !strings.HasPrefix(u.Host, "[") {
		// "1.2.3" and "0x7f.0.0.1" are IPv4 addresses to a browser.
		ip, _, err := whatwgIPv4(host)
		if err != nil {
			return "", "", fmt.Errorf("host %q is not a valid IPv4 address: %v", host, err)
		}
		host = ip
	}
	// A name (IP literals are bracketed) may hold letters, digits, "-",
	// "." and "_" once it is in ASCII form: Go's parser lets more through
	// (a decoded "%", "*", "!"), none of which a browser or the probe
	// would send.
	if !strings.HasPrefix(u.Host, "[") {
		for i := 0; i < len(host); i++ {
			if c := host[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
				return "", "", fmt.Errorf("host %q has characters not allowed in a host name", host)
			}
		}
	}
	return host, port, nil
}

func serializeOrigin(scheme, host, port string) string {
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// plainOrQuoted shows a piece of input inside an error: as it is when
// that is plain printable text, else Go-quoted like the rest of the
// message's quotes, so the error stays one line of valid UTF-8. Escaping
// for a terminal is the job of whoever shows the error.
func plainOrQuoted(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s {
		return q
	}
	return s
}
