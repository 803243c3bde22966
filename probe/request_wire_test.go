package probe

import (
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/corscope/corscope/cachemodel"
)

// fasthttpWire is how newRequest serialised requests before it wrote the
// bytes itself: fasthttp's header with normalising and special headers
// disabled. The direct writer must produce the same bytes.
func fasthttpWire(t *testing.T, method, rawURL string, headers cachemodel.Headers, proxy proxySpec) []byte {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	authority, target, _ := splitURL(rawURL)
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	hdr := &req.Header
	hdr.DisableNormalizing()
	hdr.DisableSpecialHeader()
	hdr.SetMethod(method)
	tls := strings.EqualFold(u.Scheme, "https")
	if proxy.kind == proxyHTTP && !tls {
		hdr.SetRequestURI(strings.ToLower(u.Scheme) + "://" + authority + target)
	} else {
		hdr.SetRequestURI(target)
	}
	if _, ok := headers.Get("Host"); !ok {
		hdr.Add("Host", authority)
	}
	if proxy.kind == proxyHTTP && !tls && proxy.hasAuth {
		hdr.Add("Proxy-Authorization", proxyBasicAuth(proxy))
	}
	for _, h := range headers {
		hdr.Add(h.Name, h.Value)
	}
	return hdr.AppendBytes(nil)
}

func TestRequestWireMatchesFasthttp(t *testing.T) {
	h := func(kv ...string) cachemodel.Headers {
		var out cachemodel.Headers
		for i := 0; i < len(kv); i += 2 {
			out = append(out, cachemodel.Header{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	httpProxy := proxySpec{kind: proxyHTTP, hostport: "127.0.0.1:3128", user: "u", pass: "p:w", hasAuth: true}
	cases := []struct {
		name    string
		method  string
		url     string
		headers cachemodel.Headers
		proxy   proxySpec
	}{
		{"plain", "GET", "http://cdn.example.com/app.js", h("Origin", "https://app.example.com", "User-Agent", "corscope/1"), proxySpec{}},
		{"query only", "GET", "http://cdn.example.com?x=1", nil, proxySpec{}},
		{"no path", "HEAD", "https://cdn.example.com", h("Accept", "*/*"), proxySpec{}},
		{"port and userinfo", "GET", "http://user:pw@cdn.example.com:8080/a%20b/./c?q=%2F#frag", nil, proxySpec{}},
		{"plan Host", "GET", "http://127.0.0.1:6081/x", h("Host", "cdn.example.com", "origin", "null"), proxySpec{}},
		{"special names", "OPTIONS", "http://cdn.example.com/x", h("Content-Length", "0", "Content-Type", "text/plain",
			"Cookie", "a=b", "Connection", "close", "Trailer", "X-T", "user-agent", "", "Transfer-Encoding", "chunked"), proxySpec{}},
		{"duplicates", "GET", "http://cdn.example.com/x", h("X-A", "1", "x-a", "2", "X-A", ""), proxySpec{}},
		{"http proxy", "GET", "http://cdn.example.com/p?q", h("Origin", "null"), httpProxy},
		{"https through proxy", "GET", "https://cdn.example.com/p", h("Origin", "null"), httpProxy},
		{"socks proxy", "GET", "http://cdn.example.com/p", nil, proxySpec{kind: proxySOCKS5, hostport: "127.0.0.1:1080"}},
		{"custom method", "PURGE", "http://[::1]:8080/p", nil, proxySpec{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := newRequest(c.method, c.url, c.headers, c.proxy)
			if err != nil {
				t.Fatal(err)
			}
			want := fasthttpWire(t, c.method, c.url, c.headers, c.proxy)
			if string(r.wire) != string(want) {
				t.Fatalf("wire differs\n got: %q\nwant: %q", r.wire, want)
			}
		})
	}
}

func TestParseHeadSharesOneCopy(t *testing.T) {
	plain := []byte("HTTP/1.1 200 OK\r\nA: 1\r\nB:  two \r\nC:\r\nVary: Origin\r\n\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := parseHead(plain); err != nil {
			t.Fatal(err)
		}
	})
	// The usual head (no folded lines): the text and the header slice.
	if allocs > 2 {
		t.Errorf("parseHead made %.0f allocations; want at most 2", allocs)
	}
	block := []byte("HTTP/1.1 200 OK\r\nA: 1\r\nB:  two \r\n folded\r\nC:\r\n\r\n")
	p, err := parseHead(block)
	if err != nil {
		t.Fatal(err)
	}
	want := cachemodel.Headers{{Name: "A", Value: "1"}, {Name: "B", Value: "two folded"}, {Name: "C", Value: ""}}
	if len(p.headers) != len(want) {
		t.Fatalf("headers %q", p.headers)
	}
	for i := range want {
		if p.headers[i] != want[i] {
			t.Fatalf("header %d = %q, want %q", i, p.headers[i], want[i])
		}
	}
	block[len("HTTP/1.1 200 OK\r\nA: ")] = '9' // the result must not alias the read buffer
	if p.headers[0].Value != "1" {
		t.Fatal("parseHead's headers alias the block")
	}
}

// Steps of one target share their URL: it is parsed once and reused, and
// a different or bad URL is never answered from the cache.
func TestStepRequestReusesParsedURL(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	step := func(method, u, origin string) *cachemodel.Step {
		return &cachemodel.Step{Method: method, URL: u, Headers: cachemodel.Headers{{Name: "Origin", Value: origin}}}
	}
	w := newWorker(e, nil)
	a1, err := w.request(step("GET", "http://a.example/x?cb=1", "https://o1.example"))
	if err != nil {
		t.Fatal(err)
	}
	a1wire := string(a1.wire) // the worker's request is reused by its next call
	first := w.parts.url
	a2, err := w.request(step("HEAD", "http://a.example/x?cb=1", "null"))
	if err != nil || w.parts.url != first {
		t.Fatalf("same URL: err=%v, reparsed=%v", err, w.parts.url != first)
	}
	if want := "HEAD /x?cb=1 HTTP/1.1\r\nHost: a.example\r\nOrigin: null\r\n\r\n"; string(a2.wire) != want {
		t.Fatalf("second request %q, want %q", a2.wire, want)
	}
	if !strings.Contains(a1wire, "Origin: https://o1.example\r\n") {
		t.Fatalf("first request lost its own header: %q", a1wire)
	}
	b, err := w.request(step("GET", "https://B.example:8443/y?cb=2", "null"))
	if err != nil || w.parts.url == first || b.hostport != "b.example:8443" || !b.tls || !strings.HasPrefix(string(b.wire), "GET /y?cb=2 HTTP/1.1\r\nHost: B.example:8443\r\n") {
		t.Fatalf("new URL: err=%v hostport=%q tls=%v wire=%q", err, b.hostport, b.tls, b.wire)
	}
	second := w.parts.url
	if _, err := w.request(step("GET", "ftp://b.example/", "null")); err == nil || w.parts.url != second {
		t.Fatalf("bad URL: err=%v, cache replaced=%v", err, w.parts.url != second)
	}
	if _, err := w.request(step("G ET", "https://B.example:8443/y?cb=2", "null")); err == nil ||
		!strings.Contains(err.Error(), "method") {
		t.Fatalf("bad method on a cached URL: err=%v", err)
	}
}
