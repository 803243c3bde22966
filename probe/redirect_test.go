package probe

import (
	"net/http"
	"sync"
	"testing"
)

// hopLog records, per server, the request headers each path received.
type hopLog struct {
	mu   sync.Mutex
	seen map[string]http.Header // path -> headers
}

func (l *hopLog) handler(route func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		if l.seen == nil {
			l.seen = map[string]http.Header{}
		}
		l.seen[r.URL.Path] = r.Header.Clone()
		l.mu.Unlock()
		route(w, r)
	})
}

func (l *hopLog) get(path string) (http.Header, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.seen[path]
	return h, ok
}

// Item 9 of issue 11: -H Authorization, Cookie and Proxy-Authorization must
// not follow a redirect to another origin (here another port of the same
// host), but do follow a same-origin redirect.
func TestRedirectDropsCredentialsAcrossOrigins(t *testing.T) {
	var other hopLog
	srvB, _ := countingServer(t, other.handler(func(w http.ResponseWriter, r *http.Request) {}))
	var first hopLog
	srvA, _ := countingServer(t, first.handler(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cross":
			w.Header().Set("Location", srvB.URL+"/landing")
			w.WriteHeader(http.StatusFound)
		case "/same":
			w.Header().Set("Location", "/kept")
			w.WriteHeader(http.StatusFound)
		}
	}))
	secrets := []string{"Authorization", "Bearer s3cret-token", "Cookie", "session=abc", "Proxy-Authorization", "Basic dTpw", "X-Other", "kept"}
	e := newEngine(t, Config{FollowRedirects: 3})

	mustResponse(t, runOne(t, e, get(srvA.URL+"/cross", secrets...)))
	if h, ok := first.get("/cross"); !ok || h.Get("Authorization") == "" || h.Get("Cookie") == "" {
		t.Fatalf("the first hop must carry the credentials: %v", h)
	}
	h, ok := other.get("/landing")
	if !ok {
		t.Fatal("the redirect to the other origin was not followed")
	}
	for _, name := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		if v := h.Get(name); v != "" {
			t.Errorf("the other origin received %s: %q", name, v)
		}
	}
	if h.Get("X-Other") != "kept" {
		t.Errorf("other headers must still be sent: %v", h)
	}

	mustResponse(t, runOne(t, e, get(srvA.URL+"/same", secrets...)))
	h, ok = first.get("/kept")
	if !ok {
		t.Fatal("the same-origin redirect was not followed")
	}
	for i := 0; i < len(secrets); i += 2 {
		if got := h.Get(secrets[i]); got != secrets[i+1] {
			t.Errorf("same-origin redirect: %s = %q, want %q", secrets[i], got, secrets[i+1])
		}
	}
}

// The origin is compared by scheme, host and port: an https -> http
// downgrade on the same host and port drops the credentials too.
func TestRedirectOriginKey(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		same     bool
	}{
		{"http://a.test/x", "http://a.test:80/y", true},
		{"http://a.test:8080/x", "http://A.TEST:08080/y", true},
		{"https://a.test/x", "http://a.test:443/y", false},
		{"http://a.test/x", "http://b.test/y", false},
		{"http://a.test/x", "http://a.test:81/y", false},
	} {
		a, err := parseURLParts(tt.from, proxySpec{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseURLParts(tt.to, proxySpec{})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.originKey() == b.originKey(); got != tt.same {
			t.Errorf("%s vs %s: same origin %v, want %v (%s, %s)", tt.from, tt.to, got, tt.same, a.originKey(), b.originKey())
		}
	}
}
