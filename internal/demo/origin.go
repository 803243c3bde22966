package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// PathInfo describes one origin path for the demo's help text and tests.
type PathInfo struct {
	Path      string `json:"path"`      // URL path on the origin and on the CDN
	Behaviour string `json:"behaviour"` // what the origin does, in one line
	// Expected names, comma-separated, the finding rule ids this path exists
	// to demonstrate when checked through the demo CDN in isolate mode;
	// "none" for the correct setups. A checker may add related findings
	// (for example each origin-bypass-* kind under reflect-any).
	Expected string `json:"expected"`
}

// Paths lists every origin path in display order. Targets in [Env] follow
// this order (without /cors/big.bin).
var Paths = []PathInfo{
	{"/cors/vary.json", "reflects allowed Origins with Vary: Origin on every response (correct)", "none"},
	{"/cors/no-vary.json", "reflects allowed Origins but never sends Vary (missing-Vary bug)", "vary-origin-missing, cache-served-wrong-origin, cache-served-without-acao"},
	{"/cors/no-acao-without-origin.js", "ACAO only when an allowed Origin is sent, no Vary (cached without ACAO, breaks fonts/scripts)", "vary-origin-missing, cache-served-without-acao, cache-served-wrong-origin"},
	{"/cors/wildcard.json", "static ACAO: * (fine)", "wildcard-origin"},
	{"/cors/wildcard-credentials.json", "ACAO: * with ACAC: true (browsers block it)", "wildcard-with-credentials, credentialed-response-shared-cacheable"},
	{"/cors/reflect-any.json", "reflects any Origin with credentials and Vary: Origin (trust bug)", "origin-reflected-any, credentialed-response-shared-cacheable"},
	{"/cors/null.json", "allows Origin: null with credentials, Vary: Origin", "origin-null-allowed, credentialed-response-shared-cacheable"},
	{"/cors/private.json", "reflects allowed Origins, Cache-Control: private, no Vary (not shared-cacheable)", "none"},
	{"/cors/keyed.json", "reflects allowed Origins without Vary; the demo CDN keys it on Origin (correct there)", "none"},
	{"/cors/big.bin", "ACAO: *, 1 GiB streamed body (not a target)", "wildcard-origin"},
}

// BigPath is the streaming path, left out of [Env.Targets].
const BigPath = "/cors/big.bin"

// BigSize is the length of the /cors/big.bin body.
const BigSize int64 = 1 << 30

const (
	sharedCacheable = "public, max-age=300"
	allowMethods    = "GET, POST"
	allowHeaders    = "content-type, x-token"
	preflightMaxAge = "600"
)

// grant says which request Origins a path answers with ACAO.
type grant int

const (
	grantAllowList        grant = iota // ACAO = Origin when it is in the allow-list
	grantAllowListAndNull              // the allow-list plus the opaque "null" origin
	grantAny                           // any Origin at all (reflection)
	grantWildcard                      // ACAO: * regardless of Origin
)

type route struct {
	slug         string // short name for ETag and Cache-Tag
	grant        grant
	credentials  bool // ACAC: true (with ACAO * too: that is the bug)
	vary         bool // Vary: Origin on every response
	cacheControl string
	contentType  string
	stream       bool // body is BigSize bytes generated on the fly
}

var routes = map[string]route{
	"/cors/vary.json":                 {slug: "vary", grant: grantAllowList, vary: true},
	"/cors/no-vary.json":              {slug: "no-vary", grant: grantAllowList},
	"/cors/no-acao-without-origin.js": {slug: "no-acao-without-origin", grant: grantAllowList, contentType: "text/javascript; charset=utf-8"},
	"/cors/wildcard.json":             {slug: "wildcard", grant: grantWildcard},
	"/cors/wildcard-credentials.json": {slug: "wildcard-credentials", grant: grantWildcard, credentials: true},
	"/cors/reflect-any.json":          {slug: "reflect-any", grant: grantAny, credentials: true, vary: true},
	"/cors/null.json":                 {slug: "null", grant: grantAllowListAndNull, credentials: true, vary: true},
	"/cors/private.json":              {slug: "private", grant: grantAllowList, cacheControl: "private, max-age=300"},
	"/cors/keyed.json":                {slug: "keyed", grant: grantAllowList},
	BigPath:                           {slug: "big", grant: grantWildcard, contentType: "application/octet-stream", stream: true},
}

// origin is the handler behind OriginHandler. Counters are atomics in a map
// built once, so requests never contend on a lock.
type origin struct {
	allowed  map[string]bool
	hits     map[string]*atomic.Int64
	modified string // Last-Modified, fixed at start

	streams  atomic.Int64 // big.bin responses still being written
	streamed atomic.Int64 // big.bin body bytes written, all responses
}

// OriginHandler returns the demo origin. allowed is the allow-list of
// origins (exact, case-sensitive serialisations such as
// "https://app.example.com").
func OriginHandler(allowed []string) http.Handler {
	o := &origin{
		allowed:  make(map[string]bool, len(allowed)),
		hits:     make(map[string]*atomic.Int64, len(routes)),
		modified: time.Now().UTC().Truncate(time.Second).Format(http.TimeFormat),
	}
	for _, a := range allowed {
		o.allowed[a] = true
	}
	for p := range routes {
		o.hits[p] = new(atomic.Int64)
	}
	return o
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := routes[r.URL.Path]
	if !ok {
		o.serveOther(w, r)
		return
	}
	n := o.hits[r.URL.Path].Add(1)
	h := w.Header()
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("X-Origin-Hits", strconv.FormatInt(n, 10))
	h.Set("ETag", fmt.Sprintf(`"%s-%d"`, rt.slug, n))
	h.Set("Last-Modified", o.modified)
	o.setCORS(h, rt, r.Header)

	switch r.Method {
	case http.MethodOptions:
		if h.Get("Access-Control-Allow-Origin") != "" {
			h.Set("Access-Control-Allow-Methods", allowMethods)
			h.Set("Access-Control-Allow-Headers", allowHeaders)
			h.Set("Access-Control-Max-Age", preflightMaxAge)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		h.Set("Allow", "GET, HEAD, POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	cc := rt.cacheControl
	if cc == "" {
		cc = sharedCacheable
	}
	h.Set("Cache-Control", cc)
	h.Set("Cache-Tag", "corscope-demo,"+rt.slug)
	ct := rt.contentType
	if ct == "" {
		ct = "application/json"
	}
	h.Set("Content-Type", ct)

	if rt.stream {
		o.serveBig(w, r)
		return
	}
	var body string
	if strings.HasSuffix(r.URL.Path, ".js") {
		body = fmt.Sprintf("// corscope demo script, origin response %d\nwindow.corscopeDemo = %d;\n", n, n)
	} else {
		body = fmt.Sprintf("{\"path\":%q,\"origin_response\":%d}\n", r.URL.Path, n)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// setCORS applies the route's ACAO/ACAC/Vary logic for the request's Origin.
func (o *origin) setCORS(h http.Header, rt route, req http.Header) {
	if rt.vary {
		h.Set("Vary", "Origin")
	}
	vals, present := req["Origin"]
	reqOrigin := ""
	if present && len(vals) > 0 {
		reqOrigin = vals[0]
	}
	var acao string
	switch rt.grant {
	case grantWildcard:
		acao = "*"
	case grantAny:
		if present {
			acao = reqOrigin
		}
	case grantAllowListAndNull:
		if present && (reqOrigin == "null" || o.allowed[reqOrigin]) {
			acao = reqOrigin
		}
	case grantAllowList:
		if present && o.allowed[reqOrigin] {
			acao = reqOrigin
		}
	}
	if acao == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", acao)
	if rt.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// bigChunk is the repeated pattern for /cors/big.bin; read-only, shared by
// every stream.
var bigChunk = []byte(strings.Repeat("corscope demo big body 0123456789abcdefghijklmnopqrstuvwxyz\n", 512))

// serveBig writes BigSize bytes in chunks, never holding more than one
// chunk, and stops as soon as the client goes away.
func (o *origin) serveBig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", strconv.FormatInt(BigSize, 10))
	if r.Method == http.MethodHead {
		return
	}
	o.streams.Add(1)
	defer o.streams.Add(-1)
	done := r.Context().Done()
	for left := BigSize; left > 0; {
		select {
		case <-done:
			return
		default:
		}
		chunk := bigChunk
		if int64(len(chunk)) > left {
			chunk = chunk[:left]
		}
		n, err := w.Write(chunk)
		o.streamed.Add(int64(n))
		if err != nil {
			return
		}
		left -= int64(n)
	}
}

// serveOther answers "/" with the path index and everything else with 404.
func (o *origin) serveOther(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path != "/" {
		http.Error(w, "not found: try one of the /cors/ paths listed at /", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Paths)
}
