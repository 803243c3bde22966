package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain ASCII", "https://a.example, max-age=60", "https://a.example, max-age=60"},
		{"non-ASCII letters", "Grüße, 日本語, ÿ, U+FFFD \ufffd", "Grüße, 日本語, ÿ, U+FFFD \ufffd"},
		{"backslashes kept", `C:\path \x41`, `C:\path \x41`},
		{"clear screen", "\x1b[2J", `\x1b[2J`},
		{"OSC 52 clipboard write", "ok\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07", `ok\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07`},
		{"OSC 52 with ST", "\x1b]52;c;eA==\x1b\\", `\x1b]52;c;eA==\x1b\`},
		{"OSC 0 title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"CSI cursor moves", "HIT\x1b[1A\x1b[2K\x1b[10;1H", `HIT\x1b[1A\x1b[2K\x1b[10;1H`},
		{"C1 CSI raw byte", "\x9b31mred", `\x9b31mred`},
		{"C1 CSI as rune", "\u009b31mred", `\u009b31mred`},
		{"C1 NEL and OSC runes", "a\u0085b\u009d", `a\u0085b\u009d`},
		{"CR overwrite", "MISS\rHIT ", `MISS\rHIT `},
		{"newline", "a\nb\r\n", `a\nb\r\n`},
		{"tab", "a\tb", `a\tb`},
		{"NUL, BEL, backspace", "\x00\x07\x08", `\x00\x07\x08`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"unit separator", "\x1f", `\x1f`},
		{"bidi override", "user\u202etxt.exe", `user\u202etxt.exe`},
		{"bidi embeddings and isolates", "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"line separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"neighbours of bidi ranges kept", "\u2029\u202f\u2065\u206a", `\u2029` + "\u202f\u2065\u206a"},
		{"invalid byte", "a\xffb", `a\xffb`},
		{"truncated rune", "x\xe2\x80", `x\xe2\x80`},
		{"overlong encoding", "\xc0\xaf", `\xc0\xaf`},
		{"surrogate encoding", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"safe prefix kept", "Grüße\x1b", `Grüße\x1b`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := String(c.in); got != c.want {
				t.Fatalf("String(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestStringNoAllocWhenSafe(t *testing.T) {
	for _, s := range []string{"", "plain", "Grüße 日本語 \u202f", strings.Repeat("x", 1000)} {
		if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
			t.Errorf("String(%q) allocated %v times", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Line(s, 2000) }); n != 0 {
			t.Errorf("Line(%q) allocated %v times", s, n)
		}
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "abcdef", 6, "abcdef"},
		{"unlimited", strings.Repeat("a", 500), 0, strings.Repeat("a", 500)},
		{"negative is unlimited", "abc", -1, "abc"},
		{"cut with marker", strings.Repeat("a", 40), 20, "aaaaaa…(+34 bytes)"},
		{"marker shrinks with N", strings.Repeat("a", 100), 30, strings.Repeat("a", 15) + "…(+85 bytes)"},
		{"never splits \\x escape", `abcdef\x1b[2J and more text`, 20, `abcdef…(+21 bytes)`},
		{"never splits \\u escape", `ab\u202e and more text here`, 20, `ab…(+25 bytes)`},
		{"keeps a whole escape", `a\x1bxxxxxxxxxxxxxxxxxxxxxxxxx`, 20, `a\x1bx…(+24 bytes)`},
		{"never splits a rune", "aaa日本語日本語日本語日本語", 20, "aaa日…(+33 bytes)"},
		{"too small for marker", "abcdefghijklmnop", 5, "…"},
		{"first token too wide", "日本語日本語日本語日本語日本語", 16, "…(+45 bytes)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Truncate(c.in, c.max)
			if got != c.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
			if c.max >= len(ellipsis) && c.max > 0 && len(got) > c.max {
				t.Fatalf("result is %d bytes, over max %d", len(got), c.max)
			}
			if !utf8.ValidString(got) && utf8.ValidString(c.in) {
				t.Fatalf("split a rune: %q", got)
			}
		})
	}
}

func TestLine(t *testing.T) {
	got := Line("ACAO\x1b]0;pwned\x07 https://evil.example/very/long/path", 24)
	if got != `ACAO\x1b]0…(+46 bytes)` {
		t.Fatalf("Line = %q", got)
	}
	if got := Line("short", 24); got != "short" {
		t.Fatalf("Line(short) = %q", got)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{
		"", "plain", "\x1b[2J", "\x1b]52;c;aGk=\x07", "\x1b]0;title\x07", "\x1b[1A\x1b[2K",
		"\x9b31m", "\u009b31m", "HIT\rMISS", "\u202eevil", "\u2066x\u2069", "\xff\xfe\xe2\x80",
		"tab\there", "Grüße", `\x1b`, "a\u2028b",
	} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		out := String(s)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) is not valid UTF-8: %q", s, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] == 0x7f {
				t.Fatalf("String(%q) keeps control byte %#x: %q", s, out[i], out)
			}
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("String(%q) keeps rune %U: %q", s, r, out)
			}
		}
		if firstUnsafe(out) >= 0 || String(out) != out {
			t.Fatalf("String's output is not safe itself: %q", out)
		}
		if utf8.ValidString(s) && firstUnsafe(s) < 0 && out != s {
			t.Fatalf("safe text changed: %q -> %q", s, out)
		}
		max %= 4096
		line := Line(s, max)
		if !utf8.ValidString(line) || firstUnsafe(line) >= 0 {
			t.Fatalf("Line(%q, %d) unsafe: %q", s, max, line)
		}
		if max >= len(ellipsis) && len(line) > max {
			t.Fatalf("Line(%q, %d) is %d bytes", s, max, len(line))
		}
		if max > 0 && len(out) > max && !strings.Contains(line, ellipsis) {
			t.Fatalf("Line(%q, %d) cut without a marker: %q", s, max, line)
		}
	})
}
