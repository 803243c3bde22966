package main

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
	"github.com/corscope/corscope/internal/demo"
)

// findingsOf renders a target's findings as sorted "rule:severity".
func findingsOf(tr cachemodel.TargetReport) string {
	var out []string
	for _, f := range tr.Findings {
		out = append(out, f.Rule+":"+string(f.Severity))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func tri(b *bool) string {
	switch {
	case b == nil:
		return "null"
	case *b:
		return "true"
	}
	return "false"
}

// keyFacts renders cache_key as "key=… vary=… cacheable=…".
func keyFacts(tr cachemodel.TargetReport) string {
	k := tr.CacheKey
	if k == nil {
		return "absent"
	}
	return "key=" + tri(k.OriginInKey) + " vary=" + tri(k.VaryHonoured) + " cacheable=" + tri(k.Cacheable)
}

// checkPaths runs one `check --format json` over every demo path behind
// base and returns the targets by path.
func checkPaths(t *testing.T, base string, extra ...string) map[string]cachemodel.TargetReport {
	t.Helper()
	args := append([]string{"check", "--format", "json", "--fail-on", "none", "-o", e2eOrigins[0], "-o", e2eOrigins[1]}, extra...)
	for _, p := range demo.Paths {
		if p.Path != demo.BigPath {
			args = append(args, base+p.Path)
		}
	}
	code, out, errs := runCLI(t, "", args...)
	if code != exitOK {
		t.Fatalf("check: exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	byPath := map[string]cachemodel.TargetReport{}
	for _, tr := range rep.Targets {
		byPath[strings.TrimPrefix(tr.URL, base)] = tr
	}
	return byPath
}

// demoCDN starts the demo's Cloudflare-like cache in front of upstream.
func demoCDN(t *testing.T, upstream string, opt demo.CDNOptions) string {
	t.Helper()
	cdn := demo.NewCDN(upstream, opt)
	srv := httptest.NewServer(cdn)
	t.Cleanup(func() { srv.Close(); cdn.CloseIdleConnections() })
	return srv.URL
}

// TestE2EFindingsMatrix is issue 3's acceptance test: every demo behaviour
// behind real Varnish, real nginx (default key, and Origin in the key) and
// the demo CDN (Cloudflare-like: keys /cors/keyed.json on Origin; once
// more with Vary ignored) yields exactly its findings and cache-key facts
// in isolate mode, and the correct setups nothing above info.
func TestE2EFindingsMatrix(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	host := cachetest.Host(origin.URL)
	caches := []struct{ name, base string }{
		{"varnish", cachetest.Varnish(t, host)},
		{"nginx", cachetest.Nginx(t, host, cachetest.NginxOptions{})},
		{"nginx-keyed", cachetest.Nginx(t, host, cachetest.NginxOptions{KeyOnOrigin: true})},
		{"demo-cdn", demoCDN(t, origin.URL, demo.CDNOptions{})},
		{"demo-cdn-ignoring-vary", demoCDN(t, origin.URL, demo.CDNOptions{HonourVary: []string{}})},
	}
	const (
		mixing   = "cache-served-without-acao:medium cache-served-wrong-origin:high vary-origin-missing:medium"
		credsWC  = "credentialed-response-shared-cacheable:medium wildcard-with-credentials:low"
		reflect  = "credentialed-response-shared-cacheable:medium origin-reflected-any:high"
		null     = "credentialed-response-shared-cacheable:medium origin-null-allowed:high"
		keyedMsg = "vary-origin-missing:info"
		// Facts.
		apart    = "key=false vary=null cacheable=true"  // no Vary, Origin not in the key
		keyed    = "key=true vary=null cacheable=true"   // no Vary, Origin in the key
		varyKept = "key=null vary=true cacheable=true"   // Vary: Origin kept the Origins apart
		varyLost = "key=false vary=false cacheable=true" // Vary: Origin ignored
		noStore  = "key=null vary=null cacheable=false"
	)
	type cell struct{ findings, facts string }
	shared := map[string]cell{
		"/cors/vary.json":                 {"", varyKept},
		"/cors/no-vary.json":              {mixing, apart},
		"/cors/no-acao-without-origin.js": {mixing, apart},
		"/cors/wildcard.json":             {"wildcard-origin:info", apart},
		"/cors/wildcard-credentials.json": {credsWC, apart},
		"/cors/reflect-any.json":          {reflect, varyKept},
		"/cors/null.json":                 {null, varyKept},
		"/cors/private.json":              {"", noStore},
		"/cors/keyed.json":                {mixing, apart},
	}
	with := func(over map[string]cell) map[string]cell {
		m := map[string]cell{}
		for k, v := range shared {
			m[k] = v
		}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	want := map[string]map[string]cell{
		"varnish": shared,
		"nginx":   shared,
		"nginx-keyed": with(map[string]cell{
			"/cors/no-vary.json":              {keyedMsg, keyed},
			"/cors/no-acao-without-origin.js": {keyedMsg, keyed},
			"/cors/wildcard.json":             {"wildcard-origin:info", keyed},
			"/cors/wildcard-credentials.json": {credsWC, keyed},
			"/cors/keyed.json":                {keyedMsg, keyed},
		}),
		"demo-cdn": with(map[string]cell{"/cors/keyed.json": {keyedMsg, keyed}}),
		"demo-cdn-ignoring-vary": with(map[string]cell{
			"/cors/vary.json":        {"cache-served-without-acao:medium cache-served-wrong-origin:high cdn-ignores-vary:medium", varyLost},
			"/cors/reflect-any.json": {"cache-served-without-acao:medium cache-served-wrong-origin:high cdn-ignores-vary:medium " + reflect, varyLost},
			"/cors/null.json":        {"cache-served-without-acao:medium cache-served-wrong-origin:high cdn-ignores-vary:medium " + null, varyLost},
			"/cors/keyed.json":       {keyedMsg, keyed},
		}),
	}
	// The correct setups: right everywhere, or right because this cache keys
	// on Origin (Vary then only matters to browser caches: info at most).
	correctSetup := func(cache, path string, facts string) bool {
		switch path {
		case "/cors/vary.json":
			return cache != "demo-cdn-ignoring-vary"
		case "/cors/wildcard.json", "/cors/private.json":
			return true
		case "/cors/no-vary.json", "/cors/no-acao-without-origin.js", "/cors/keyed.json":
			return facts == keyed
		}
		return false
	}
	var matrix []string
	for _, c := range caches {
		got := checkPaths(t, c.base)
		for _, p := range demo.Paths {
			if p.Path == demo.BigPath {
				continue
			}
			tr, ok := got[p.Path]
			if !ok {
				t.Fatalf("%s: no report for %s", c.name, p.Path)
			}
			w := want[c.name][p.Path]
			if f := findingsOf(tr); f != w.findings {
				t.Errorf("%s %s findings:\n got  %q\n want %q", c.name, p.Path, f, w.findings)
				for _, fd := range tr.Findings {
					t.Logf("  %s: %s %v", fd.Rule, fd.Message, fd.Evidence)
				}
			}
			if k := keyFacts(tr); k != w.facts {
				t.Errorf("%s %s cache_key: %s, want %s (%v)", c.name, p.Path, k, w.facts, tr.CacheKey.Evidence)
			}
			if correctSetup(c.name, p.Path, w.facts) {
				for _, f := range tr.Findings {
					if f.Severity.Rank() > cachemodel.SevInfo.Rank() {
						t.Errorf("%s %s is a correct setup but reports %s (%s)", c.name, p.Path, f.Rule, f.Severity)
					}
				}
			}
			matrix = append(matrix, c.name+" "+p.Path+": "+findingsOf(tr))
			checkBusterShown(t, c.name+p.Path, tr)
		}
	}
	t.Logf("verified matrix:\n%s", strings.Join(matrix, "\n"))
}

// checkBusterShown: every isolate request carries its busting value in the
// URL, the JSON and the curl reproducer.
func checkBusterShown(t *testing.T, name string, tr cachemodel.TargetReport) {
	t.Helper()
	for _, v := range tr.Variants {
		if v.Experiment == "" || len(v.CacheBuster) != 12 {
			t.Fatalf("%s: variant without experiment or busting value: %+v", name, v)
		}
		q := "corscope=" + v.CacheBuster
		if !strings.Contains(v.Request.URL, q) || !strings.Contains(v.Curl, q) {
			t.Fatalf("%s: busting value missing from URL or curl: %s / %s", name, v.Request.URL, v.Curl)
		}
	}
}

// originRecorder wraps the demo origin and records every Origin header it
// receives (with the request's query).
type originRecorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (o *originRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	if v, ok := r.Header["Origin"]; ok {
		o.seen = append(o.seen, strings.Join(v, ",")+" "+r.URL.RawQuery)
	}
	o.mu.Unlock()
	o.next.ServeHTTP(w, r)
}

func (o *originRecorder) origins() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// TestE2EObserveModeSendsNoGeneratedOrigins: observe mode only ever sends
// the plain variants to the real URL; isolate mode sends the generated
// ones, each on a busted key.
func TestE2EObserveModeSendsNoGeneratedOrigins(t *testing.T) {
	rec := &originRecorder{next: demo.OriginHandler(e2eOrigins)}
	origin := httptest.NewServer(rec)
	defer origin.Close()
	base := cachetest.Varnish(t, cachetest.Host(origin.URL))
	plain := map[string]bool{e2eOrigins[0]: true, e2eOrigins[1]: true, "null": true, base: true}

	code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--preflight", "--rounds", "3", "--format", "json", "--fail-on", "none",
		"-o", e2eOrigins[0], "-o", e2eOrigins[1], base+"/cors/reflect-any.json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range rec.origins() {
		o, query, _ := strings.Cut(s, " ")
		if !plain[o] || query != "" {
			t.Errorf("observe mode sent %q (query %q) to the origin", o, query)
		}
	}
	tr := decodeReport(t, out).Targets[0]
	if tr.CacheKey != nil || findingsOf(tr) != "credentialed-response-shared-cacheable:medium origin-null-allowed:high" {
		t.Errorf("observe findings %q, cache_key %v", findingsOf(tr), tr.CacheKey)
	}

	code, _, errs = runCLI(t, "", "check", "--format", "json", "--fail-on", "none", "-o", e2eOrigins[0], base+"/cors/reflect-any.json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	generated := 0
	for _, s := range rec.origins() {
		o, query, _ := strings.Cut(s, " ")
		if strings.Contains(o, "corscope-") || strings.HasPrefix(o, "https://evil") {
			generated++
			if !strings.Contains(query, "corscope=") {
				t.Errorf("generated origin %s reached the origin without a busting parameter", o)
			}
		}
	}
	if generated == 0 {
		t.Error("isolate mode sent no generated origins")
	}
}

// queryBlind is a cache that ignores the query string: it strips it before
// the demo CDN looks the request up (and before the origin sees it).
type queryBlind struct{ next http.Handler }

func (q queryBlind) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.URL.RawQuery = ""
	r.RequestURI = r.URL.RequestURI()
	q.next.ServeHTTP(w, r)
}

// TestE2ECacheBusterIgnored: behind a cache that ignores the query string,
// isolate mode reports cache-buster-ineffective, draws no cache-key
// conclusions and never sends the generated origins.
func TestE2ECacheBusterIgnored(t *testing.T) {
	rec := &originRecorder{next: demo.OriginHandler(e2eOrigins)}
	origin := httptest.NewServer(rec)
	defer origin.Close()
	cdn := demo.NewCDN(origin.URL, demo.CDNOptions{})
	defer cdn.CloseIdleConnections()
	front := httptest.NewServer(queryBlind{cdn})
	defer front.Close()

	code, out, errs := runCLI(t, "", "check", "--format", "json", "--fail-on", "info", "-o", e2eOrigins[0], "-o", e2eOrigins[1],
		front.URL+"/cors/vary.json", front.URL+"/cors/reflect-any.json")
	if code != exitFindings {
		t.Fatalf("exit %d (want 1: an info finding with --fail-on info): %s", code, errs)
	}
	// Isolate mode degrades to observe-grade evidence: what a response shows
	// by itself (null allowed with credentials) still counts.
	want := []string{"cache-buster-ineffective:info",
		"cache-buster-ineffective:info credentialed-response-shared-cacheable:medium origin-null-allowed:high"}
	for i, tr := range decodeReport(t, out).Targets {
		if got := findingsOf(tr); got != want[i] {
			t.Errorf("%s: findings %q, want %q", tr.URL, got, want[i])
		}
		if k := keyFacts(tr); k != "key=null vary=null cacheable=null" {
			t.Errorf("%s: cache_key %s", tr.URL, k)
		}
		for _, v := range tr.Variants {
			if v.Kind.IsGenerated() || v.Experiment == cachemodel.ExperimentAdversarial || v.Error != nil {
				t.Errorf("%s: withheld step reported: %+v", tr.URL, v)
			}
		}
		for _, f := range tr.Findings {
			if f.Rule == cachemodel.RuleCacheBusterIneffective && !strings.Contains(f.Message, "generated origins were not sent") {
				t.Errorf("message should say the generated origins were withheld: %s", f.Message)
			}
		}
	}
	for _, s := range rec.origins() {
		if o, _, _ := strings.Cut(s, " "); strings.Contains(o, "corscope-") || strings.Contains(o, "evil") {
			t.Errorf("a generated origin reached the real cache key: %s", o)
		}
	}
}

// TestE2EPolicyPreflightAndOutput: --allow, --preflight, --fail-on and the
// human formats, against real Varnish.
func TestE2EPolicyPreflightAndOutput(t *testing.T) {
	origin := httptest.NewServer(demo.OriginHandler(e2eOrigins))
	defer origin.Close()
	base := cachetest.Varnish(t, cachetest.Host(origin.URL))
	url := base + "/cors/vary.json"
	cases := []struct {
		args []string
		want string
		code int
	}{
		// admin is allowed by the server but not by the policy.
		{[]string{"--allow", e2eOrigins[0]}, "policy-unexpected-origin-allowed:medium", exitOK},
		{[]string{"--allow", e2eOrigins[0], "--fail-on", "medium"}, "policy-unexpected-origin-allowed:medium", exitFindings},
		// other.example.org should be allowed (and is sent because of it).
		{[]string{"--allow", e2eOrigins[0], "--allow", e2eOrigins[1], "--allow", "https://other.example.org"}, "policy-allowed-origin-blocked:medium", exitOK},
		{[]string{"--preflight", "--request-method", "PUT"}, "preflight-method-denied:low", exitOK},
		{[]string{"--preflight", "--request-headers", "X-Other"}, "preflight-header-denied:low", exitOK},
		{[]string{"--preflight", "--request-method", "POST", "--request-headers", "X-Token"}, "", exitOK},
	}
	for _, c := range cases {
		args := append([]string{"check", "--format", "json", "-o", e2eOrigins[0], "-o", e2eOrigins[1]}, c.args...)
		code, out, errs := runCLI(t, "", append(args, url)...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d: %s", c.args, code, c.code, errs)
			continue
		}
		if got := findingsOf(decodeReport(t, out).Targets[0]); got != c.want {
			t.Errorf("%v: findings %q, want %q", c.args, got, c.want)
		}
	}

	_, out, _ := runCLI(t, "", "check", "--format", "table", "--fail-on", "none", "-o", e2eOrigins[0], "-o", e2eOrigins[1], base+"/cors/no-vary.json")
	for _, want := range []string{"[HIGH] cache-served-wrong-origin", "[MEDIUM] vary-origin-missing", "fix: Send Vary: Origin", "Varnish honours Vary"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runCLI(t, "", "check", "--format", "markdown", "--fail-on", "none", "-o", e2eOrigins[0], base+"/cors/reflect-any.json")
	if !strings.Contains(out, "**HIGH** `origin-reflected-any`") {
		t.Errorf("markdown output lacks the finding:\n%s", out)
	}
}

func TestCheckFindingsFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--mode", "poison", "http://127.0.0.1/"}, `--mode: "poison" is not one of isolate, observe`},
		{[]string{"check", "--cache-buster", "a b", "http://127.0.0.1/"}, `--cache-buster: "a b" is not a query parameter name: want 1 to 64 letters, digits or - _ . ~`},
		{[]string{"check", "--cache-buster", "", "http://127.0.0.1/"}, `--cache-buster: "" is not a query parameter name: want 1 to 64 letters, digits or - _ . ~`},
		{[]string{"check", "--allow", "app.example.com", "http://127.0.0.1/"}, `--allow: "app.example.com" is not an origin`},
		{[]string{"check", "--allow", "https://app.example.com/", "http://127.0.0.1/"}, "trailing slash"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, "", c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line mentioning %q", c.args, code, errs, c.want)
		}
	}
}
