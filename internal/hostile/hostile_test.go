package hostile

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every case starts, answers (or misbehaves at) a raw client, and stops
// with everything it started, even while a handler is mid-answer.
func TestEveryCaseStartsAndStops(t *testing.T) {
	for _, spec := range append(Cases(), KeepAliveCases()...) {
		t.Run(string(spec.Case), func(t *testing.T) {
			s, err := New(spec.Case, Options{TrickleGap: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c, err := net.DialTimeout("tcp", s.Addr, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			if spec.TLS {
				c = tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test client of a test server
			}
			if _, err := io.WriteString(c, "GET /hostile HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if spec.Case == Silent {
				return // nothing to read: Close must still end the handler
			}
			first := make([]byte, 5)
			if _, err := io.ReadFull(c, first); err != nil {
				t.Fatalf("no answer: %v", err)
			}
			want := "HTTP/"
			if spec.Case == NotHTTP {
				want = "SSH-2"
			}
			if string(first) != want {
				t.Errorf("answer starts with %q", first)
			}
			if s.Accepted() != 1 {
				t.Errorf("accepted %d", s.Accepted())
			}
		})
	}
}

func TestRedirectLoopAlternates(t *testing.T) {
	s := Start(t, RedirectLoop)
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for _, tt := range []struct{ path, want string }{{"/hostile", "/hostile/a"}, {"/hostile/a", "/hostile/b"}, {"/hostile/b", "/hostile/a"}} {
		_, _ = io.WriteString(c, "GET "+tt.path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		var loc string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Location: "); ok {
				loc = strings.TrimSpace(v)
			}
		}
		if loc != tt.want {
			t.Errorf("%s redirects to %q, want %q", tt.path, loc, tt.want)
		}
	}
}

func TestUnknownCase(t *testing.T) {
	if _, err := New("nope", Options{}); err == nil {
		t.Error("an unknown case must fail")
	}
}

func TestCheckTerminal(t *testing.T) {
	ok := []string{"", "plain\nlines\n", "é 漢 🙂 … → ✓ ▸ \\x1b \\u009b"}
	for _, s := range ok {
		if err := CheckTerminal([]byte(s)); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	bad := map[string]string{
		"esc": "a\x1b[31m", "bel": "\x07", "cr": "a\rb", "tab": "\t", "del": "\x7f",
		"raw c1": "\x9b", "utf8 c1": "\u009d", "bidi": "\u202e", "isolate": "\u2068", "line sep": "\u2028",
		"invalid": "\xff",
	}
	for name, s := range bad {
		if err := CheckTerminal([]byte("ok " + s)); err == nil {
			t.Errorf("%s: %q passed", name, s)
		}
	}
}
