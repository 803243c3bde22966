package probe

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func TestParseEdge(t *testing.T) {
	good := map[string]string{
		"203.0.113.7":         "203.0.113.7",
		"203.0.113.7:08443":   "203.0.113.7:8443",
		"2001:db8::1":         "[2001:db8::1]",
		"[2001:db8::1]":       "[2001:db8::1]",
		"[2001:DB8::1]:443":   "[2001:db8::1]:443",
		"::ffff:203.0.113.7":  "[::ffff:203.0.113.7]",
		"127.0.0.2":           "127.0.0.2",
		"[::1]:8080":          "[::1]:8080",
		"0203.0.113.7":        "",
		"cdn.example.com":     "",
		"cdn.example.com:443": "",
		"203.0.113.7:":        "",
		"203.0.113.7:0":       "",
		"203.0.113.7:99999":   "",
		"[2001:db8::1":        "",
		"[2001:db8::1]x":      "",
		"fe80::1%eth0":        "",
		"":                    "",
		"1.2.3.4,5.6.7.8":     "",
	}
	for in, want := range good {
		got, err := ParseEdge(in)
		if want == "" {
			if err == nil {
				t.Errorf("ParseEdge(%q) = %q, want an error", in, got)
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseEdge(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestEdgePinsStep (issue 14 item 2): steps of one URL sent to two edge
// addresses reach the two servers, with the URL's Host (the name is never
// resolved), on separate connections; an edge without a port keeps the
// URL's port, and a same-host redirect stays on the edge.
func TestEdgePinsStep(t *testing.T) {
	hosts := func(name string, seen *[]string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*seen = append(*seen, r.Host+r.URL.Path)
			if r.URL.Path == "/hop" {
				w.Header().Set("Location", "/landed")
				w.WriteHeader(http.StatusFound)
				return
			}
			w.Header().Set("X-Edge-Pop", name)
		})
	}
	var seenA, seenB []string
	a, _ := countingServer(t, hosts("A", &seenA))
	b, _ := countingServer(t, hosts("B", &seenB))
	_, portA, _ := net.SplitHostPort(strings.TrimPrefix(a.URL, "http://"))
	edgeB := strings.TrimPrefix(b.URL, "http://")
	target := "http://cdn.invalid:" + portA + "/x"
	e := newEngine(t, Config{FollowRedirects: 2})
	stA, stB := get(target), get(target)
	stA.Edge, stB.Edge = "127.0.0.1", edgeB
	hop := get("http://cdn.invalid:" + portA + "/hop")
	hop.Edge = edgeB
	obs, err := run(t, t.Context(), e, plan(0, stA, stB, stA, hop))
	if err != nil {
		t.Fatal(err)
	}
	var pops []string
	for _, o := range obs {
		r := mustResponse(t, o)
		pop, _ := r.Headers.Get("X-Edge-Pop")
		pops = append(pops, pop)
	}
	if got := strings.Join(pops, " "); got != "A B A B" {
		t.Errorf("edges reached %q, want \"A B A B\"", got)
	}
	want := "cdn.invalid:" + portA + "/x"
	if len(seenA) != 2 || seenA[0] != want || len(seenB) != 3 || seenB[0] != want || seenB[2] != "cdn.invalid:"+portA+"/landed" {
		t.Errorf("Host/path seen: A %v, B %v", seenA, seenB)
	}
	// Through a proxy the edge cannot be honoured: the step fails.
	p := newEngine(t, Config{Proxy: "http://127.0.0.1:1"})
	o := runOne(t, p, stB)
	wantErrKind(t, o, cachemodel.ErrOther, "proxy")
}
