package cachemodel

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CurlOptions are the connection settings a reproduced request needs.
type CurlOptions struct {
	Insecure bool          // -k: skip TLS verification
	Resolve  []string      // --resolve entries, "host:port:addr"
	Proxy    string        // --proxy URL
	MaxTime  time.Duration // --max-time; 0 means none
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
	args := []string{"curl", "-sS", "-D", "-", "-o", "/dev/null"}
	switch method {
	case "", "GET":
	case "HEAD":
		args = append(args, "-I") // -X HEAD would wait for a body that never comes
	default:
		args = append(args, "-X", curlQuote(method))
	}
	if opt.Insecure {
		args = append(args, "-k")
	}
	if opt.MaxTime > 0 {
		args = append(args, "--max-time", strconv.FormatFloat(opt.MaxTime.Seconds(), 'f', -1, 64))
	}
	for _, r := range opt.Resolve {
		args = append(args, "--resolve", curlQuote(r))
	}
	if opt.Proxy != "" {
		args = append(args, "--proxy", curlQuote(opt.Proxy))
	}
	for _, f := range h {
		line := f.Name + ": " + f.Value
		if f.Value == "" {
			line = f.Name + ";"
		}
		args = append(args, "-H", curlQuote(line))
	}
	for _, name := range [...]string{"User-Agent", "Accept"} {
		if _, ok := h.Get(name); !ok {
			args = append(args, "-H", curlQuote(name+":"))
		}
	}
	if strings.ContainsAny(url, "[]{}") {
		args = append(args, "-g")
	}
	if strings.Contains(url, "/.") {
		args = append(args, "--path-as-is")
	}
	if strings.HasPrefix(url, "-") {
		args = append(args, "--url") // never let the URL read as an option
	}
	args = append(args, curlQuote(url))
	return strings.Join(args, " ")
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

// curlQuote quotes one shell word: bare when every byte is plainly safe,
// single-quoted otherwise, ANSI-C quoted when it carries bytes a terminal
// or a shell line must not see raw.
func curlQuote(s string) string {
	if s != "" && curlBare(s) {
		return s
	}
	if !curlNeedsANSIC(s) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case curlUnsafeRune(r, size):
			// Two hex digits always, so a following digit is not absorbed.
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteString("'")
	return b.String()
}

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
