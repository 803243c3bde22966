package purge

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Default environment variables for provider tokens, used when a [[purge]]
// entry names none.
const (
	DefaultCloudflareTokenEnv = "CLOUDFLARE_API_TOKEN"
	DefaultFastlyTokenEnv     = "FASTLY_API_TOKEN"
)

// The AWS credential chain's environment variables (cloudfront). The secret
// access key and the session token are secrets, held and scrubbed like
// tokens once the chain has produced them (from these variables or from a
// profile); the access key ID is not secret (it is in every Authorization
// header), but corscope does not print it either.
const (
	EnvAWSAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSessionToken    = "AWS_SESSION_TOKEN"
)

// Redacted replaces a credential wherever one would be shown.
const Redacted = "[REDACTED]"

// secret is a credential read from an environment variable. The value lives
// only inside a closure, so printing a secret, or any struct holding one,
// with any fmt verb (%v, %+v, %#v, %s, %q) shows no part of it; a panic
// value or a debugger dump of a Job prints a function pointer at most.
type secret struct {
	env   string
	value func() string // nil when the variable is unset or empty
}

func readSecret(env string, getenv func(string) string) *secret {
	s := &secret{env: env}
	if v := strings.TrimSpace(getenv(env)); v != "" {
		s.value = func() string { return v }
	}
	return s
}

// secretValue holds a credential that came from elsewhere than one
// variable (the AWS credential chain); env names it in placeholders.
func secretValue(env, v string) *secret {
	return &secret{env: env, value: func() string { return v }}
}

func (s *secret) present() bool { return s != nil && s.value != nil }

// String never shows the value.
func (s *secret) String() string {
	if s == nil {
		return "<none>"
	}
	return Redacted
}

// Format makes every fmt verb print String.
func (s *secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalJSON keeps the value out of JSON too.
func (s *secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// placeholder is what a dry run shows instead of the value.
func (s *secret) placeholder() string {
	if !s.present() {
		return "[REDACTED: $" + s.env + " is not set]"
	}
	return "[REDACTED: $" + s.env + "]"
}

// MinTokenLen is the shortest token corscope sends. A shorter one is
// refused (CheckTokens): it is no real API token, and redacting a short
// string would also blank ordinary words in what servers answer.
const MinTokenLen = 8

// scrub removes the value from text that might echo it (server messages,
// transport errors): as is, and in the encodings a server may echo it in:
// query- and path-escaped, hex, base64 (at any alignment), and through
// JSON string escapes (\u0041), percent-escapes (%41) and HTML character
// references (&#65;), also mixed, which are decoded before matching.
func (s *secret) scrub(text string) string {
	if !s.present() {
		return text
	}
	v := s.value()
	if len(v) < MinTokenLen {
		return text // never sent: CheckTokens refuses it
	}
	for _, form := range encodedForms(v) {
		if form != "" {
			text = strings.ReplaceAll(text, form, Redacted)
		}
	}
	return redactDecoded(text, v)
}

// encodedForms are the token's encodings that decoding text cannot undo:
// hex and base64 (the cores that do not depend on the bytes around the
// token, for each of the three alignments), besides the plain escapes.
func encodedForms(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v), hex.EncodeToString([]byte(v)), strings.ToUpper(hex.EncodeToString([]byte(v)))}
	n := len(v)
	for o := range 3 {
		buf := append(make([]byte, o), v...)
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(buf)
			// Character i carries bits [6i, 6i+6); keep those inside the
			// token's bits [8o, 8o+8n).
			from, to := (8*o+5)/6, (8*o+8*n)/6
			if to-from >= 4 && to <= len(e) {
				forms = append(forms, e[from:to])
			}
		}
	}
	return forms
}

// redactDecoded decodes escapes in text, finds the token in the decoded
// text and replaces the original characters that spelled it.
func redactDecoded(text, v string) string {
	if !strings.ContainsAny(text, `\%&`) {
		return text
	}
	dec, starts, ends := decodeEscapes(text)
	type span struct{ from, to int }
	var spans []span
	for i := 0; i <= len(dec)-len(v); {
		k := strings.Index(dec[i:], v)
		if k < 0 {
			break
		}
		a, b := i+k, i+k+len(v)-1
		sp := span{starts[a], ends[b]}
		if n := len(spans); n > 0 && sp.from <= spans[n-1].to {
			spans[n-1].to = max(spans[n-1].to, sp.to)
		} else {
			spans = append(spans, sp)
		}
		i = a + 1
	}
	if len(spans) == 0 {
		return text
	}
	var out strings.Builder
	last := 0
	for _, sp := range spans {
		out.WriteString(text[last:sp.from])
		out.WriteString(Redacted)
		last = sp.to
	}
	out.WriteString(text[last:])
	return out.String()
}

// decodeEscapes decodes JSON string escapes, \xHH, %HH and HTML character
// references; starts[i] and ends[i] are the span of text that decoded
// byte i came from.
func decodeEscapes(text string) (dec string, starts, ends []int) {
	var b strings.Builder
	emit := func(p []byte, from, to int) {
		for _, c := range p {
			b.WriteByte(c)
			starts = append(starts, from)
			ends = append(ends, to)
		}
	}
	emitRune := func(r rune, from, to int) {
		emit(utf8.AppendRune(nil, r), from, to)
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\\' && i+5 < len(text) && text[i+1] == 'u' && isHex(text[i+2:i+6]):
			r := rune(hexVal(text[i+2 : i+6]))
			end := i + 6
			if utf16.IsSurrogate(r) && end+5 < len(text) && text[end] == '\\' && text[end+1] == 'u' && isHex(text[end+2:end+6]) {
				if pair := utf16.DecodeRune(r, rune(hexVal(text[end+2:end+6]))); pair != utf8.RuneError {
					r, end = pair, end+6
				}
			}
			emitRune(r, i, end)
			i = end
		case c == '\\' && i+3 < len(text) && text[i+1] == 'x' && isHex(text[i+2:i+4]):
			emit([]byte{byte(hexVal(text[i+2 : i+4]))}, i, i+4)
			i += 4
		case c == '\\' && i+1 < len(text) && strings.IndexByte(`"\\/bfnrt`, text[i+1]) >= 0:
			emit([]byte{map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[text[i+1]]}, i, i+2)
			i += 2
		case c == '%' && i+2 < len(text) && isHex(text[i+1:i+3]):
			emit([]byte{byte(hexVal(text[i+1 : i+3]))}, i, i+3)
			i += 3
		case c == '&' && i+3 < len(text) && text[i+1] == '#':
			if r, n, ok := charRef(text[i:]); ok {
				emitRune(r, i, i+n)
				i += n
				continue
			}
			emit([]byte{c}, i, i+1)
			i++
		default:
			emit([]byte{c}, i, i+1)
			i++
		}
	}
	return b.String(), starts, ends
}

// charRef reads "&#65;" or "&#x41;" at the start of s.
func charRef(s string) (rune, int, bool) {
	semi := strings.IndexByte(s, ';')
	if semi < 3 || semi > 10 {
		return 0, 0, false
	}
	num := s[2:semi]
	base := 10
	if num[0] == 'x' || num[0] == 'X' {
		num, base = num[1:], 16
	}
	n, err := strconv.ParseUint(num, base, 21)
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, 0, false
	}
	return rune(n), semi + 1, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return s != ""
}

func hexVal(s string) uint64 {
	n, _ := strconv.ParseUint(s, 16, 32)
	return n
}

// scrubAll applies every secret's scrub.
func scrubAll(text string, secrets []*secret) string {
	for _, s := range secrets {
		text = s.scrub(text)
	}
	return text
}
