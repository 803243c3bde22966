package cachemodel

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CurlOptions are the connection settings a reproduced request needs.
type CurlOptions struct {
	Insecure bool     // -k: skip TLS verification
	Resolve  []string // --resolve entries, "host:port:addr"
	// ConnectTo are --connect-to entries, "host:port:addr:port" (--edge).
	ConnectTo []string
	Proxy     string        // --proxy URL
	MaxTime   time.Duration // --max-time; 0 means none
}

// CurlCommand renders a one-line shell command that repeats a request and
// prints the response headers: curl -sS -D - -o /dev/null, the method,
// every header in order, then the URL.
//
// Every argument that is not plainly safe is single-quoted, so it's becomes
//
//	'it'\''s'
//
// An argument holding control bytes, invalid UTF-8, C1
// controls or bidi/line-separator characters is written with ANSI-C quoting
// ($'...': POSIX.1-2024, bash, zsh, ksh; not dash) using \xNN escapes, so
// the command stays on one line, shows no raw control bytes and cannot
// smuggle in a second command. A NUL byte cannot travel in an argument at
// all; bash cuts the word there.
//
// To send exactly the given headers, curl's own User-Agent and Accept are
// removed when h has none, an empty value is sent with curl's "Name;" form
// (curl reads "Name:" as "remove"), URLs with brackets or braces get -g
// (no globbing) and URLs with dot segments get --path-as-is.
func CurlCommand(method, url string, h Headers, opt CurlOptions) string {
	// Built in a stack buffer and copied once: this runs for every request
	// of a run, and the command is then exactly its own size.
	var buf [512]byte
	b := append(buf[:0], "curl -sS -D - -o /dev/null"...)
	word := func(s string) { // a word that needs no quoting
		b = append(append(b, ' '), s...)
	}
	quoted := func(parts ...string) {
		b = appendCurlQuoted(append(b, ' '), parts...)
	}
	switch method {
	case "", "GET":
	case "HEAD":
		word("-I") // -X HEAD would wait for a body that never comes
	default:
		word("-X")
		quoted(method)
	}
	if opt.Insecure {
		word("-k")
	}
	if opt.MaxTime > 0 {
		word("--max-time")
		word(strconv.FormatFloat(opt.MaxTime.Seconds(), 'f', -1, 64))
	}
	for _, r := range opt.Resolve {
		word("--resolve")
		quoted(r)
	}
	for _, c := range opt.ConnectTo {
		word("--connect-to")
		quoted(c)
	}
	if opt.Proxy != "" {
		// The password stays out of a command that is shown, copied and
		// exported; the user puts it back to run the command.
		word("--proxy")
		quoted(RedactURL(opt.Proxy))
	}
	for _, f := range h {
		word("-H")
		if f.Value == "" {
			quoted(f.Name, ";")
		} else {
			quoted(f.Name, ": ", f.Value)
		}
	}
	for _, name := range [...]string{"User-Agent", "Accept"} {
		if _, ok := h.Get(name); !ok {
			word("-H")
			quoted(name, ":")
		}
	}
	if strings.ContainsAny(url, "[]{}") {
		word("-g")
	}
	if strings.Contains(url, "/.") {
		word("--path-as-is")
	}
	if strings.HasPrefix(url, "-") {
		word("--url") // never let the URL read as an option
	}
	quoted(url)
	return string(b)
}

// RedactHeaders returns a copy of h with the values of the named headers
// (case-insensitive) replaced by "REDACTED", for commands that are shown
// or shared. With no names it redacts Authorization, Proxy-Authorization
// and Cookie.
func RedactHeaders(h Headers, secretNames ...string) Headers {
	if len(secretNames) == 0 {
		secretNames = []string{"Authorization", "Proxy-Authorization", "Cookie"}
	}
	out := h.Clone()
	for i, f := range out {
		for _, s := range secretNames {
			if strings.EqualFold(f.Name, s) {
				out[i].Value = "REDACTED"
				break
			}
		}
	}
	return out
}

// appendCurlQuoted appends one shell word, the concatenation of parts, to
// b: bare when every byte is plainly safe, single-quoted otherwise, ANSI-C
// quoted when it carries bytes a terminal or a shell line must not see
// raw. (The parts are only ever split at ASCII bytes, so reading them one
// by one reads the same runes as the whole word.)
func appendCurlQuoted(b []byte, parts ...string) []byte {
	bare, empty, ansiC := true, true, false
	for _, s := range parts {
		bare = bare && curlBare(s)
		empty = empty && s == ""
		ansiC = ansiC || curlNeedsANSIC(s)
	}
	if bare && !empty {
		for _, s := range parts {
			b = append(b, s...)
		}
		return b
	}
	if !ansiC {
		b = append(b, '\'')
		for _, s := range parts {
			for {
				i := strings.IndexByte(s, '\'')
				if i < 0 {
					break
				}
				b = append(append(b, s[:i]...), `'\''`...)
				s = s[i+1:]
			}
			b = append(b, s...)
		}
		return append(b, '\'')
	}
	b = append(b, "$'"...)
	for _, s := range parts {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == '\\':
				b = append(b, `\\`...)
			case r == '\'':
				b = append(b, `\'`...)
			case r == '\n':
				b = append(b, `\n`...)
			case r == '\r':
				b = append(b, `\r`...)
			case r == '\t':
				b = append(b, `\t`...)
			case curlUnsafeRune(r, size):
				// Two hex digits always, so a following digit is not absorbed.
				for _, c := range []byte(s[i : i+size]) {
					b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
				}
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '\'')
}

const hexDigits = "0123456789abcdef"

// curlBare reports whether s means the same to every POSIX shell (and zsh)
// when written without quotes. '=' and '~' are left out: zsh and tilde
// expansion give them meaning at the start of a word.
func curlBare(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("_@%+:,./-", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

func curlNeedsANSIC(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			i++ // printable ASCII: the common case, no decoding
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if curlUnsafeRune(r, size) || r == '\n' || r == '\r' || r == '\t' {
			return true
		}
		i += size
	}
	return false
}

// curlUnsafeRune: C0 controls, DEL, invalid UTF-8, C1 controls, and the
// bidi and line-separator characters that reorder or break a displayed
// line.
func curlUnsafeRune(r rune, size int) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == utf8.RuneError && size == 1:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
