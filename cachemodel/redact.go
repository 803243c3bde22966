package cachemodel

import "strings"

// Redacted is what stands in for a secret in anything corscope prints.
const Redacted = "REDACTED"

// RedactURL masks the credentials of one URL given whole, even an invalid
// one: "http://user:pass@host" becomes "http://user:REDACTED@host" and
// "http://token@host" becomes "http://REDACTED@host" (a lone user name is
// often the secret). Without "://" the text up to the first "/" is taken as
// the authority ("user:pass@host:3128"). Everything else is kept as is.
func RedactURL(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	return redactAuthority(s, start, end)
}

// redactAuthority masks the userinfo of s[start:end], an authority: what
// precedes its last "@".
func redactAuthority(s string, start, end int) string {
	at := strings.LastIndexByte(s[start:end], '@')
	if at < 0 {
		return s
	}
	at += start
	mask := Redacted
	if user, _, hasPass := strings.Cut(s[start:at], ":"); hasPass {
		mask = user + ":" + Redacted
	}
	return s[:start] + mask + s[at:]
}

// RedactCredentials masks the credentials of every URL in a text (an error
// message quoting what the user typed), as RedactURL does for one. A URL's
// authority ends at "/", "?", "#", whitespace or a closing quote; when the
// URL stands inside double quotes (as %q writes it) it ends only at the
// closing quote, so a password with a space or an escaped quote is masked
// whole.
func RedactCredentials(text string) string {
	if !strings.Contains(text, "@") {
		return text
	}
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		start := i + 3
		quoted := schemeQuoted(rest[:i])
		end := start
		for end < len(rest) {
			c := rest[end]
			if c == '/' || c == '?' || c == '#' || c == '\n' {
				break
			}
			if c == '\\' && quoted && end+1 < len(rest) {
				end += 2
				continue
			}
			if c == '"' || (!quoted && (c == ' ' || c == '\t' || c == '\'' || c == '<' || c == '>' || c == '`')) {
				break
			}
			end++
		}
		end = min(end, len(rest))
		red := redactAuthority(rest[:end], start, end)
		b.WriteString(red)
		rest = rest[end:]
	}
}

// schemeQuoted reports whether the text before "://" ends in a scheme that
// opens with a double quote ("http).
func schemeQuoted(before string) bool {
	i := len(before)
	for i > 0 {
		c := before[i-1]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' {
			i--
			continue
		}
		break
	}
	return i > 0 && i < len(before) && before[i-1] == '"'
}
