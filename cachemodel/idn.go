package cachemodel

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// idnProfile converts internationalised host names the way browsers do
// (the URL Standard's domain to ASCII: UTS #46 mapping, non-transitional,
// Bidi and joiner rules checked, no STD3 or hyphen restrictions, so names
// with "_" keep working). Browsers put the ASCII form in Host and Origin,
// and CDNs key their caches on it, so corscope must send that form too.
var idnProfile = idna.New(
	idna.MapForLookup(), idna.Transitional(false), idna.BidiRule(),
	idna.StrictDomainName(false), idna.CheckHyphens(false),
)

// asciiHost rewrites u.Host to its ASCII (punycode) form when the host name
// has non-ASCII characters. Plain ASCII hosts and IP literals are left as
// they are.
func asciiHost(u *url.URL) error {
	host := u.Hostname()
	if isASCII(host) {
		return nil
	}
	a, err := idnProfile.ToASCII(host)
	if err != nil || a == "" {
		return fmt.Errorf("host %q is not a valid internationalised domain name", host)
	}
	if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
		a += ":" + port
	}
	u.Host = a
	return nil
}

// escapeQuery percent-encodes what a browser encodes in the query of an
// http(s) URL (the URL Standard's special-query set: controls, space, ",
// #, ', <, > and non-ASCII bytes), so corscope requests the bytes a browser
// would, which is what caches key on. Existing escapes are kept as they
// are.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > ' ' && c < 0x7f && c != '"' && c != '#' && c != '\'' && c != '<' && c != '>' {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(q) + 16)
			b.WriteString(q[:i])
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	if b.Len() == 0 {
		return q
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
