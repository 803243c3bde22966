package probe

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/corscope/corscope/cachemodel"
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

// Issue 11, item 8: redirects are followed as browsers follow them. After
// a redirect from a URL cross-origin to the request's origin on to another
// origin, the Origin header is "null" and stays so; a same-origin hop or
// a request from the URL's own origin keeps it. Each hop is recorded with
// what was sent and the 3xx answer's headers.
func TestRedirectOriginTaint(t *testing.T) {
	var other hopLog
	srvB, _ := countingServer(t, other.handler(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bounce" {
			w.Header().Set("Location", "/landing2")
			w.WriteHeader(http.StatusFound)
		}
	}))
	var first hopLog
	srvA, _ := countingServer(t, first.handler(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cross":
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Location", srvB.URL+"/bounce")
			w.WriteHeader(http.StatusFound)
		case "/same":
			w.Header().Set("Location", "/cross")
			w.WriteHeader(http.StatusMovedPermanently)
		}
	}))
	e := newEngine(t, Config{FollowRedirects: 5})
	for _, tt := range []struct {
		name, origin string
		want         []string // Origin at /same (if any), /cross, /bounce, /landing2
	}{
		{"cross-origin request", "https://app.test", []string{"https://app.test", "https://app.test", "null", "null"}},
		{"from the URL's own origin", srvA.URL, []string{srvA.URL, srvA.URL, srvA.URL, srvA.URL}},
		{"null stays null", "null", []string{"null", "null", "null", "null"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResponse(t, runOne(t, e, get(srvA.URL+"/same", "Origin", tt.origin, "Authorization", "Bearer x")))
			var got []string
			for _, at := range []struct {
				l    *hopLog
				path string
			}{{&first, "/same"}, {&first, "/cross"}, {&other, "/bounce"}, {&other, "/landing2"}} {
				h, _ := at.l.get(at.path)
				got = append(got, h.Get("Origin"))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Origins sent\n got %q\nwant %q", got, tt.want)
			}
			if len(r.Hops) != 3 || r.Final == nil {
				t.Fatalf("hops %+v final %+v", r.Hops, r.Final)
			}
			if r.Hops[1].Status != 302 || r.Hops[1].Request.URL != srvA.URL+"/cross" {
				t.Errorf("hop 1: %+v", r.Hops[1])
			}
			if v, _ := r.Hops[1].Headers.Get("Access-Control-Allow-Origin"); v != "*" {
				t.Errorf("hop 1 headers not recorded: %v", r.Hops[1].Headers)
			}
			if r.Final.URL != srvB.URL+"/landing2" || r.Final.Origin == nil || *r.Final.Origin != tt.want[3] {
				t.Errorf("final request %+v", r.Final)
			}
			if fmt.Sprint(r.Hops[1].Request.Dropped) != "[]" || fmt.Sprint(r.Final.Dropped) != "[Authorization]" {
				t.Errorf("dropped headers: hop 1 %v, final %v", r.Hops[1].Request.Dropped, r.Final.Dropped)
			}
		})
	}
}

// A Location with credentials (user:password@) ends a CORS request to
// another origin with a network error, as in browsers; a request without
// Origin follows it without sending or recording the credentials.
func TestRedirectToURLWithCredentials(t *testing.T) {
	var other hopLog
	srvB, _ := countingServer(t, other.handler(func(w http.ResponseWriter, r *http.Request) {}))
	srvA, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", strings.Replace(srvB.URL, "http://", "http://user:s3cret@", 1)+"/in")
		w.WriteHeader(http.StatusFound)
	}))
	e := newEngine(t, Config{FollowRedirects: 3})
	o := runOne(t, e, get(srvA.URL+"/", "Origin", "https://app.test"))
	wantErrKind(t, o, cachemodel.ErrOther, "network error")
	if _, ok := other.get("/in"); ok {
		t.Errorf("the CORS request went on to the URL with credentials")
	}
	r := mustResponse(t, runOne(t, e, get(srvA.URL+"/")))
	h, ok := other.get("/in")
	if !ok || h.Get("Authorization") != "" {
		t.Errorf("followed %v, Authorization %q", ok, h.Get("Authorization"))
	}
	if strings.Contains(fmt.Sprint(r.Redirects, r.Final), "s3cret") {
		t.Errorf("credentials recorded: %v %+v", r.Redirects, r.Final)
	}
}
