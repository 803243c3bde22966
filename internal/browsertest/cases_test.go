package browsertest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/browser"
)

// hdr is one header line of a case's response. The value is a template
// written after "Name: " byte for byte (leading and trailing whitespace
// included): {page} is page A's origin, {pageB} page B's, {api} and {api2}
// the two case servers', {pagePort} and {apiPort} their ports, {origin} the
// request's own Origin header (for responses that echo it).
type hdr struct{ name, value string }

// resp is one response of a case: a hop of the actual request or the
// answer to its preflight.
type resp struct {
	status int
	on     role // server of this hop (zero: roleAPI)
	lines  []hdr
	// userinfo goes into the Location of this hop's redirect ("u:p@").
	userinfo string
}

// divergence documents a case where a browser knowingly departs from the
// Fetch standard: the browser, the version it was measured with, and the
// switch or bug that explains it. cachemodel models it too
// (CheckPreflightBrowsers: today's verdict first, the standard's beside it);
// the suite compares the browser with today's verdict and fails if the
// two disagree about whether a case deviates, or if the browser starts
// following the standard (cachemodel and this table must then change).
type divergence struct {
	measured string // versions the divergence was observed with
	why      string
	// flip switches the browser to the standard's behaviour; with it, the
	// browser must agree with the standard's verdict.
	flip browser.Options
	// report is the id of the deprecation report the page's
	// ReportingObserver must see when the browser deviates ("" when the
	// browser warns only in its console, which the suite cannot read).
	report string
}

// tcase is one cross-origin fetch() from a page and the responses the
// servers give it. Cases are generated from tables in buildCases.
type tcase struct {
	id      string
	page    role // page that runs the fetch (zero: rolePageA)
	method  string
	headers [][2]string
	creds   string // fetch() credentials: "omit" or "include"
	// preflight answers an OPTIONS for this case; nil answers 404 without
	// CORS headers, so a preflight the model did not expect fails loudly.
	preflight *resp
	hops      []resp // hop 0 first; each hop but the last redirects to the next
	path      string // fixed path shared by several cases (cache cases); "" = /c/<id>/<hop>
	cache     bool   // fetch with cache: "default" instead of "no-store"
	// wantServed, for cache cases, is how many times the server must have
	// answered the shared path once this case ran (1: the browser reused
	// its stored copy).
	wantServed int
	diverge    map[browser.Kind]divergence
	// knownBug marks a case where cachemodel is known to be wrong and a fix
	// exists elsewhere: a disagreement is reported but tolerated, agreement
	// passes (and says the mark can go).
	knownBug string
}

func (c *tcase) pageRole() role {
	if c.page == "" {
		return rolePageA
	}
	return c.page
}

func (r resp) role() role {
	if r.on == "" {
		return roleAPI
	}
	return r.on
}

func (c *tcase) hopPath(i int) string {
	if c.path != "" {
		return c.path
	}
	return fmt.Sprintf("/c/%s/%d", c.id, i)
}

func (c *tcase) mode() cachemodel.CredentialsMode {
	if c.creds == "include" {
		return cachemodel.Credentialed
	}
	return cachemodel.Anonymous
}

// Divergences measured on Debian's chromium 156.0.8078.129 and
// firefox-esr 153.8.0esr.
var authUnderWildcard = map[browser.Kind]divergence{
	browser.Chromium: {"156", "Chromium allows Authorization under Access-Control-Allow-Headers: * (console deprecation warning); " +
		"the Fetch rule that * never covers Authorization is behind the default-off feature CorsNonWildcardRequestHeadersSupport",
		browser.Options{ChromiumArgs: []string{"--enable-features=CorsNonWildcardRequestHeadersSupport"}}, "AuthorizationCoveredByWildcard"},
	browser.Firefox: {"153esr", "Firefox allows Authorization under Access-Control-Allow-Headers: * (console warning) while the pref " +
		"network.cors_preflight.authorization_covered_by_wildcard is true, its default",
		// Firefox's warning (CORSAllowHeaderFromPreflightDeprecation in
		// security.properties) goes to the web console only.
		browser.Options{FirefoxPrefs: []string{`user_pref("network.cors_preflight.authorization_covered_by_wildcard", false);`}}, ""},
}

func h(name, value string) hdr { return hdr{name, value} }

var (
	acao     = func(v string) hdr { return h("Access-Control-Allow-Origin", v) }
	acac     = h("Access-Control-Allow-Credentials", "true")
	acaoPage = acao("{page}")
)

// buildCases generates the grid.
func buildCases() []*tcase {
	var out []*tcase
	add := func(c *tcase) {
		if c.method == "" {
			c.method = "GET"
		}
		if c.creds == "" {
			c.creds = "omit"
		}
		out = append(out, c)
	}
	modes := []string{"omit", "include"}

	// ACAO forms, each with ACAC: true so the credentialed run tests ACAO.
	acaoForms := []struct {
		name  string
		lines []hdr
	}{
		{"exact", []hdr{acaoPage}},
		{"star", []hdr{acao("*")}},
		{"star-spaces", []hdr{acao(" * ")}},
		{"trailing-slash", []hdr{acao("{page}/")}},
		{"path", []hdr{acao("{page}/x")}},
		{"scheme-upper", []hdr{acao("HTTP://127.0.0.1:{pagePort}")}},
		{"scheme-https", []hdr{acao("https://127.0.0.1:{pagePort}")}},
		{"port-other", []hdr{acao("http://127.0.0.1:{apiPort}")}},
		{"port-missing", []hdr{acao("http://127.0.0.1")}},
		{"host-localhost", []hdr{acao("http://localhost:{pagePort}")}},
		{"null", []hdr{acao("null")}},
		{"two-lines-same", []hdr{acaoPage, acaoPage}},
		{"two-lines-star", []hdr{acaoPage, acao("*")}},
		{"comma-list", []hdr{acao("{page}, {api}")}},
		{"comma-list-same", []hdr{acao("{page},{page}")}},
		{"empty", []hdr{acao("")}},
		{"spaces", []hdr{acao("  {page}  ")}},
		{"tabs", []hdr{acao("\t{page}\t")}},
		{"lower-name", []hdr{h("access-control-allow-origin", "{page}")}},
		{"absent", nil},
	}
	for _, f := range acaoForms {
		for _, m := range modes {
			add(&tcase{id: "acao-" + f.name + "-" + m, creds: m,
				hops: []resp{{status: 200, lines: append(append([]hdr{}, f.lines...), acac)}}})
		}
	}

	// ACAC forms with an exact ACAO.
	acacForms := []struct {
		name  string
		lines []hdr
	}{
		{"true", []hdr{acac}},
		{"True", []hdr{h("Access-Control-Allow-Credentials", "True")}},
		{"TRUE", []hdr{h("Access-Control-Allow-Credentials", "TRUE")}},
		{"true-space", []hdr{h("Access-Control-Allow-Credentials", "true ")}},
		{"one", []hdr{h("Access-Control-Allow-Credentials", "1")}},
		{"empty", []hdr{h("Access-Control-Allow-Credentials", "")}},
		{"two-lines", []hdr{acac, acac}},
		{"absent", nil},
	}
	for _, f := range acacForms {
		for _, m := range modes {
			add(&tcase{id: "acac-" + f.name + "-" + m, creds: m,
				hops: []resp{{status: 200, lines: append([]hdr{acaoPage}, f.lines...)}}})
		}
	}
	add(&tcase{id: "star-with-acac-include", creds: "include",
		hops: []resp{{status: 200, lines: []hdr{acao("*"), acac}}}})

	// Status codes of simple requests: the CORS check applies to any
	// status, and a 404 that passes it is readable.
	for _, st := range []int{201, 204, 404, 418, 500, 503} {
		add(&tcase{id: "status-" + strconv.Itoa(st), hops: []resp{{status: st, lines: []hdr{acaoPage}}}})
	}
	add(&tcase{id: "status-404-no-acao", hops: []resp{{status: 404}}})
	add(&tcase{id: "status-500-no-acao", hops: []resp{{status: 500}}})
	add(&tcase{id: "status-404-include", creds: "include", hops: []resp{{status: 404, lines: []hdr{acaoPage, acac}}}})
	add(&tcase{id: "status-300-no-location", hops: []resp{{status: 300, lines: []hdr{acaoPage}}}})

	// Preflighted PUT: the preflight's own CORS check, status, ACAM.
	pfOK := func(lines ...hdr) *resp { return &resp{status: 204, lines: append([]hdr{acaoPage}, lines...)} }
	okActual := []resp{{status: 200, lines: []hdr{acaoPage}}}
	okActualCred := []resp{{status: 200, lines: []hdr{acaoPage, acac}}}
	acam := func(v string) hdr { return h("Access-Control-Allow-Methods", v) }
	acah := func(v string) hdr { return h("Access-Control-Allow-Headers", v) }
	add(&tcase{id: "pf-acam-put", method: "PUT", preflight: pfOK(acam("PUT")), hops: okActual})
	add(&tcase{id: "pf-acam-put-lower", method: "PUT", preflight: pfOK(acam("put")), hops: okActual})
	add(&tcase{id: "pf-acam-put-title", method: "PUT", preflight: pfOK(acam("Put")), hops: okActual})
	add(&tcase{id: "pf-acam-put-lower-include", method: "PUT", creds: "include",
		preflight: pfOK(acac, acam("put")), hops: okActualCred})
	add(&tcase{id: "pf-acam-list", method: "PUT", preflight: pfOK(acam("GET, PUT, DELETE")), hops: okActual})
	add(&tcase{id: "pf-acam-two-lines", method: "PUT", preflight: pfOK(acam("GET"), acam("PUT")), hops: okActual})
	add(&tcase{id: "pf-acam-empty-items", method: "PUT", preflight: pfOK(acam("GET,,PUT,")), hops: okActual})
	add(&tcase{id: "pf-acam-absent", method: "PUT", preflight: pfOK(), hops: okActual})
	add(&tcase{id: "pf-acam-other", method: "PUT", preflight: pfOK(acam("GET, POST")), hops: okActual})
	add(&tcase{id: "pf-acam-star-omit", method: "PUT", preflight: pfOK(acam("*")), hops: okActual})
	add(&tcase{id: "pf-acam-star-include", method: "PUT", creds: "include", preflight: pfOK(acac, acam("*")), hops: okActualCred})
	add(&tcase{id: "pf-acam-nontoken-space", method: "PUT", preflight: pfOK(acam("PUT, GE T")), hops: okActual})
	add(&tcase{id: "pf-acam-nontoken-quoted", method: "PUT", preflight: pfOK(acam(`"PUT"`)), hops: okActual})
	add(&tcase{id: "pf-acam-nontoken-semicolon", method: "PUT", preflight: pfOK(acam("PUT;q=1")), hops: okActual})
	add(&tcase{id: "pf-patch", method: "PATCH", preflight: pfOK(acam("PATCH")), hops: okActual})
	add(&tcase{id: "pf-patch-acam-lower", method: "PATCH", preflight: pfOK(acam("patch")), hops: okActual})
	add(&tcase{id: "pf-patch-lower-request", method: "patch", preflight: pfOK(acam("PATCH")), hops: okActual})
	add(&tcase{id: "pf-patch-lower-both", method: "patch", preflight: pfOK(acam("patch")), hops: okActual})
	add(&tcase{id: "pf-delete-lower-request", method: "delete", preflight: pfOK(acam("DELETE")), hops: okActual})
	for _, st := range []int{200, 404, 500} {
		add(&tcase{id: "pf-status-" + strconv.Itoa(st), method: "PUT",
			preflight: &resp{status: st, lines: []hdr{acaoPage, acam("PUT")}}, hops: okActual})
	}
	for _, st := range []int{301, 302, 307, 308} {
		add(&tcase{id: "pf-status-" + strconv.Itoa(st), method: "PUT",
			preflight: &resp{status: st, lines: []hdr{acaoPage, acam("PUT"), h("Location", "{api}/elsewhere")}}, hops: okActual})
	}
	add(&tcase{id: "pf-no-acao", method: "PUT", preflight: &resp{status: 204, lines: []hdr{acam("PUT")}}, hops: okActual})
	add(&tcase{id: "pf-acao-star-include", method: "PUT", creds: "include",
		preflight: &resp{status: 204, lines: []hdr{acao("*"), acac, acam("PUT")}}, hops: okActualCred})
	// Headers split between the preflight and the actual response: each
	// response needs its own CORS headers.
	add(&tcase{id: "split-actual-no-acao", method: "PUT", preflight: pfOK(acam("PUT")), hops: []resp{{status: 200}}})
	add(&tcase{id: "split-actual-acao-star", method: "PUT", preflight: pfOK(acam("PUT")), hops: []resp{{status: 200, lines: []hdr{acao("*")}}}})
	add(&tcase{id: "split-include-preflight-no-acac", method: "PUT", creds: "include",
		preflight: pfOK(acam("PUT")), hops: okActualCred})
	add(&tcase{id: "split-include-actual-no-acac", method: "PUT", creds: "include",
		preflight: pfOK(acac, acam("PUT")), hops: okActual})
	add(&tcase{id: "split-include-ok", method: "PUT", creds: "include", preflight: pfOK(acac, acam("PUT")), hops: okActualCred})
	add(&tcase{id: "split-actual-404", method: "PUT", preflight: pfOK(acam("PUT")), hops: []resp{{status: 404, lines: []hdr{acaoPage}}}})

	// ACAH: a custom request header forces a preflight.
	xa := [][2]string{{"X-A", "1"}}
	xab := [][2]string{{"X-A", "1"}, {"X-B", "2"}}
	acahForms := []struct {
		name  string
		req   [][2]string
		lines []hdr
		creds string
	}{
		{"lower", xa, []hdr{acah("x-a")}, ""},
		{"upper", xa, []hdr{acah("X-A")}, ""},
		{"absent", xa, nil, ""},
		{"other", xa, []hdr{acah("x-b")}, ""},
		{"list", xab, []hdr{acah("x-b, x-a")}, ""},
		{"list-partial", xab, []hdr{acah("x-a")}, ""},
		{"two-lines", xab, []hdr{acah("x-a"), acah("x-b")}, ""},
		{"star-omit", xab, []hdr{acah("*")}, ""},
		{"star-include", xab, []hdr{acac, acah("*")}, "include"},
		{"listed-include", xab, []hdr{acac, acah("X-A, X-B")}, "include"},
		{"nontoken-space", xa, []hdr{acah("x-a, x b")}, ""},
		{"nontoken-slash", xa, []hdr{acah("x-a, x/b")}, ""},
		{"content-type-json", [][2]string{{"Content-Type", "application/json"}}, []hdr{acah("content-type")}, ""},
		{"content-type-json-absent", [][2]string{{"Content-Type", "application/json"}}, nil, ""},
	}
	for _, f := range acahForms {
		lines := append([]hdr{}, f.lines...)
		actual := okActual
		if f.creds == "include" {
			actual = okActualCred
		}
		add(&tcase{id: "acah-" + f.name, method: "POST", headers: f.req, creds: f.creds,
			preflight: pfOK(lines...), hops: actual})
	}

	// Authorization and ACAH "*": Fetch says * never covers it; browsers
	// still allow it for anonymous requests (documented divergences).
	auth := [][2]string{{"Authorization", "Bearer t0ken"}}
	authX := [][2]string{{"Authorization", "Bearer t0ken"}, {"X-A", "1"}}
	add(&tcase{id: "auth-acah-star-omit", headers: auth, preflight: pfOK(acah("*")), hops: okActual, diverge: authUnderWildcard})
	add(&tcase{id: "auth-x-acah-star-omit", headers: authX, preflight: pfOK(acah("*")), hops: okActual, diverge: authUnderWildcard})
	add(&tcase{id: "auth-put-acam-acah-star-omit", method: "PUT", headers: auth,
		preflight: pfOK(acam("*"), acah("*")), hops: okActual, diverge: authUnderWildcard})
	add(&tcase{id: "auth-acah-star-include", creds: "include", headers: auth, preflight: pfOK(acac, acah("*")), hops: okActualCred})
	add(&tcase{id: "auth-acah-listed", headers: auth, preflight: pfOK(acah("authorization")), hops: okActual})
	add(&tcase{id: "auth-acah-star-and-listed", headers: authX, preflight: pfOK(acah("*, Authorization")), hops: okActual})
	add(&tcase{id: "auth-acah-other", headers: auth, preflight: pfOK(acah("x-a")), hops: okActual})

	// Safelisted or not: the preflight answers 404, so a request the model
	// says needs no preflight is blocked if the browser sends one anyway.
	no404 := &resp{status: 404, lines: []hdr{acaoPage, acam("PUT"), acah("*")}}
	safelist := []struct {
		name   string
		method string
		req    [][2]string
	}{
		{"post-text-plain", "POST", [][2]string{{"Content-Type", "text/plain"}}},
		{"post-text-plain-charset", "POST", [][2]string{{"Content-Type", "text/plain; charset=utf-8"}}},
		{"post-form", "POST", [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}},
		{"post-ct-unsafe-byte", "POST", [][2]string{{"Content-Type", "text/plain; a={b}"}}},
		{"accept-long", "GET", [][2]string{{"Accept", strings.Repeat("a", 129)}}},
		{"accept-short", "GET", [][2]string{{"Accept", "text/plain"}}},
		{"content-language", "GET", [][2]string{{"Content-Language", "en-US"}}},
		{"content-language-bad", "GET", [][2]string{{"Content-Language", "en_US"}}},
		{"accept-language", "GET", [][2]string{{"Accept-Language", "de, en;q=0.5"}}},
	}
	for _, f := range safelist {
		add(&tcase{id: "safelist-" + f.name, method: f.method, headers: f.req, preflight: no404,
			hops: []resp{{status: 200, lines: []hdr{acaoPage}}}})
	}

	// Redirects: the CORS check runs on every hop; a redirect to another
	// origin taints the request, whose next hops send Origin: null.
	redir := func(st int, lines ...hdr) resp { return resp{status: st, lines: lines} }
	add(&tcase{id: "redir-cross-star", hops: []resp{redir(302, acaoPage), {status: 200, on: roleAPI2, lines: []hdr{acao("*")}}}})
	add(&tcase{id: "redir-cross-acao-page", hops: []resp{redir(302, acaoPage), {status: 200, on: roleAPI2, lines: []hdr{acaoPage}}}})
	add(&tcase{id: "redir-cross-acao-null", hops: []resp{redir(302, acaoPage), {status: 200, on: roleAPI2, lines: []hdr{acao("null")}}}})
	add(&tcase{id: "redir-307-cross-null", hops: []resp{redir(307, acao("*")), {status: 200, on: roleAPI2, lines: []hdr{acao("null")}}}})
	add(&tcase{id: "redir-hop-no-acao", hops: []resp{redir(302), {status: 200, on: roleAPI2, lines: []hdr{acao("*")}}}})
	add(&tcase{id: "redir-hop-acao-other", hops: []resp{redir(301, acao("{api}")), {status: 200, on: roleAPI2, lines: []hdr{acao("*")}}}})
	add(&tcase{id: "redir-same-origin", hops: []resp{redir(302, acaoPage), {status: 200, lines: []hdr{acaoPage}}}})
	add(&tcase{id: "redir-same-origin-then-cross", hops: []resp{redir(302, acaoPage), redir(302, acaoPage),
		{status: 200, on: roleAPI2, lines: []hdr{acao("null")}}}})
	add(&tcase{id: "redir-to-page-origin", hops: []resp{redir(302, acaoPage), {status: 200, on: rolePageA, lines: []hdr{acao("null")}}}})
	add(&tcase{id: "redir-userinfo", hops: []resp{{status: 302, lines: []hdr{acaoPage}, userinfo: "u:p@"},
		{status: 200, on: roleAPI2, lines: []hdr{acao("*")}}}})
	add(&tcase{id: "redir-include-null", creds: "include", hops: []resp{redir(302, acaoPage, acac),
		{status: 200, on: roleAPI2, lines: []hdr{acao("null"), acac}}}})
	add(&tcase{id: "redir-include-star", creds: "include", hops: []resp{redir(302, acaoPage, acac),
		{status: 200, on: roleAPI2, lines: []hdr{acao("*"), acac}}}})
	add(&tcase{id: "redir-include-hop-star", creds: "include", hops: []resp{redir(302, acao("*"), acac),
		{status: 200, on: roleAPI2, lines: []hdr{acao("null"), acac}}}})

	// The browser's own HTTP cache: a response stored for page A's Origin
	// is reused for page B when it does not Vary on Origin. Pages A and B
	// are different origins of the same site, so they share a cache
	// partition.
	stored := []hdr{acao("{origin}"), h("Cache-Control", "max-age=600")}
	varied := []hdr{acao("{origin}"), h("Cache-Control", "max-age=600"), h("Vary", "Origin")}
	add(&tcase{id: "cache-no-vary-a", path: "/k/no-vary", cache: true, wantServed: 1, hops: []resp{{status: 200, lines: stored}}})
	add(&tcase{id: "cache-no-vary-b", page: rolePageB, path: "/k/no-vary", cache: true, wantServed: 1, hops: []resp{{status: 200, lines: stored}}})
	add(&tcase{id: "cache-vary-a", path: "/k/vary", cache: true, wantServed: 1, hops: []resp{{status: 200, lines: varied}}})
	add(&tcase{id: "cache-vary-b", page: rolePageB, path: "/k/vary", cache: true, wantServed: 2, hops: []resp{{status: 200, lines: varied}}})
	add(&tcase{id: "cache-star-a", path: "/k/star", cache: true, wantServed: 1,
		hops: []resp{{status: 200, lines: []hdr{acao("*"), h("Cache-Control", "max-age=600")}}}})
	add(&tcase{id: "cache-star-b", page: rolePageB, path: "/k/star", cache: true, wantServed: 1,
		hops: []resp{{status: 200, lines: []hdr{acao("*"), h("Cache-Control", "max-age=600")}}}})
	return out
}
