package har

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func describe(o cachemodel.HARObservation) string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	return fmt.Sprintf("%s %s %d %q acao=%s acac=%s vary=%s bc=%s cache=%s/%s ip=%s n=%d",
		s(o.Origin), o.Method, o.Status, o.Error, s(o.ACAO), s(o.ACAC), s(o.Vary), o.BrowserCache, o.Cache, o.CacheSource, o.ServerIP, o.Count)
}

// TestReadHandwritten reads the hand-written HAR 1.2 fixture: targets are
// the requests with an Origin or a failure, deduplicated (fragment
// dropped), with the origins seen, and what the browser got.
func TestReadHandwritten(t *testing.T) {
	c, err := Read("testdata/handwritten.har", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Entries != 9 || c.Plain != 1 || c.Scheme != 1 || c.BadOrigins != 1 || c.BadURL != 0 {
		t.Errorf("entries %d plain %d scheme %d bad origins %d bad URLs %d", c.Entries, c.Plain, c.Scheme, c.BadOrigins, c.BadURL)
	}
	var got []string
	for _, tg := range c.Targets {
		got = append(got, tg.URL.String()+" "+strings.Join(tg.Origins, ","))
		for _, o := range tg.Capture.Observations {
			got = append(got, "  "+describe(o))
		}
		if tg.Credentials != nil {
			t.Errorf("%s: credentials kept without ReplayCredentials", tg.URL)
		}
	}
	want := []string{
		"https://cdn.example.com/app.js https://app.example.com,https://admin.example.com",
		"  https://app.example.com GET 200 \"\" acao=https://app.example.com acac=- vary=- bc= cache=MISS/cf-cache-status ip=2001:db8::7 n=2",
		"  https://admin.example.com GET 0 \"net::ERR_FAILED\" acao=- acac=- vary=- bc= cache=UNKNOWN/ ip= n=1",
		"  https://app.example.com GET 200 \"\" acao=https://app.example.com acac=- vary=- bc=disk cache=HIT/cf-cache-status ip=2001:db8::7 n=1",
		"https://api.example.com/me?v=1 https://app.example.com",
		"  https://app.example.com POST 200 \"\" acao=https://app.example.com acac=true vary=Origin bc= cache=UNKNOWN/ ip=192.0.2.9 n=1",
		"https://fonts.example.net/f.woff2 https://app.example.com",
		"  - GET 0 \"net::ERR_FAILED\" acao=- acac=- vary=- bc= cache=UNKNOWN/ ip= n=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nothing secret is kept: not the cookies, the Authorization header,
	// the post body, Set-Cookie nor the response body.
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "HARSECRET") {
		t.Errorf("a secret from the HAR was kept:\n%s", b)
	}
}

func TestReplayCredentialsOnlyWhenAsked(t *testing.T) {
	c, err := Read("testdata/handwritten.har", Options{ReplayCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	var api *Target
	for i := range c.Targets {
		if c.Targets[i].URL.Host == "api.example.com" {
			api = &c.Targets[i]
		} else if c.Targets[i].Credentials != nil {
			t.Errorf("%s: credentials %v, it sent none", c.Targets[i].URL, c.Targets[i].Credentials)
		}
	}
	if api == nil {
		t.Fatal("no api target")
	}
	want := cachemodel.Headers{{Name: "Cookie", Value: "sid=HARSECRET-cookie-77"}, {Name: "Authorization", Value: "Bearer HARSECRET-token-99"}}
	if fmt.Sprint(api.Credentials) != fmt.Sprint(want) {
		t.Errorf("credentials %v, want %v", api.Credentials, want)
	}
	for _, o := range api.Capture.Observations {
		if strings.Contains(describe(o), "HARSECRET") {
			t.Errorf("observation carries a secret: %s", describe(o))
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadHARsOneLineErrors: every malformed file is refused with one line
// saying what is wrong.
func TestBadHARsOneLineErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content, want string
		max                 int64
	}{
		{"empty", "", "ends early", 0},
		{"notjson", "GET / HTTP/1.1\r\n", "bad JSON", 0},
		{"array", `[1,2]`, `expected "{"`, 0},
		{"nolog", `{"version":"1.2"}`, `no "log" with "entries"`, 0},
		{"noentries", `{"log":{"version":"1.2","pages":[]}}`, `no "log" with "entries"`, 0},
		{"truncated", `{"log":{"entries":[{"request":{"url":"https://a.example/"`, "ends early", 0},
		{"wrongtype", `{"log":{"entries":[{"request":{"url":"https://a.example/","headers":[]},"response":{"status":"200"}}]}}`, "wrong type", 0},
		{"entrieswrong", `{"log":{"entries":{}}}`, `expected "["`, 0},
		{"trailing", `{"log":{"entries":[]}} {"more":1}`, "", 0},
		{"big", `{"log":{"entries":[]}}` + strings.Repeat(" ", 200), "over the 100 bytes limit", 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.name+".har", c.content)
			_, err := Read(p, Options{MaxSize: c.max})
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, c.want)
			}
		})
	}
	if _, err := Read(dir, Options{}); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "missing.har"), Options{}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing: %v", err)
	}
}

// TestBodiesAreNotKept: a HAR with 16 MiB of response bodies yields a
// capture that holds next to nothing (bodies are skipped, not stored).
func TestBodiesAreNotKept(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"log":{"version":"1.2","entries":[`)
	body := strings.Repeat("x", 2<<20)
	for i := range 8 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"request":{"method":"GET","url":"https://cdn.example.com/%d.js","headers":[{"name":"Origin","value":"https://app.example.com"}]},"response":{"status":200,"headers":[],"content":{"size":%d,"text":"%s"}},"cache":{}}`, i, len(body), body)
	}
	b.WriteString(`]}}`)
	p := writeFile(t, "big.har", b.String())
	b.Reset()
	body = ""
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := Read(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(c.Targets) != 8 {
		t.Fatalf("%d targets", len(c.Targets))
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("the capture holds %d bytes after reading 16 MiB of bodies: bodies were kept", grew)
	}
	runtime.KeepAlive(c)
}

// TestReadChromium reads a capture recorded by headless Chromium
// (scripts/chromium-har.py): a page on 127.0.0.1:34431 fetched three
// resources from 127.0.0.1:39277; two failed CORS (net::ERR_FAILED).
func TestReadChromium(t *testing.T) {
	c, err := Read("testdata/chromium.har", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Entries != 5 || c.Plain != 2 || c.Credentials != 1 {
		t.Errorf("entries %d plain %d credentials %d", c.Entries, c.Plain, c.Credentials)
	}
	var got []string
	for _, tg := range c.Targets {
		o := tg.Capture.Observations[0]
		got = append(got, tg.URL.Path+" "+strings.Join(tg.Origins, ",")+" "+describe(o))
	}
	want := []string{
		"/ok.json http://127.0.0.1:34431 http://127.0.0.1:34431 GET 200 \"\" acao=http://127.0.0.1:34431 acac=true vary=Origin bc= cache=MISS/X-Cache ip=127.0.0.1 n=1",
		"/no-acao.json http://127.0.0.1:34431 http://127.0.0.1:34431 GET 0 \"net::ERR_FAILED\" acao=- acac=- vary=- bc= cache=UNKNOWN/ ip= n=1",
		"/wrong.json http://127.0.0.1:34431 http://127.0.0.1:34431 GET 0 \"net::ERR_FAILED\" acao=- acac=- vary=- bc= cache=UNKNOWN/ ip= n=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "HARSECRET") {
		t.Errorf("the page's cookie was kept:\n%s", b)
	}
}
