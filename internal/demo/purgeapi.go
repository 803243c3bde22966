package demo

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// PurgeAPI is a local endpoint shaped like Cloudflare's cache purge API,
// wired to a [CDN]:
//
//	POST /client/v4/zones/{zone_id}/purge_cache       (purge)
//	POST /client/v4/zones/{zone_id}/invalidate_cache  (soft purge; here the same as purge)
//
// with Authorization: Bearer <token>, Content-Type: application/json and one
// selector per body: files, purge_everything, hosts, prefixes or tags. Set
// the exported limits before serving.
type PurgeAPI struct {
	MaxFiles     int   // files[] entries per request; default 30 (Cloudflare's URL batch)
	MaxItems     int   // hosts, prefixes or tags per request; default 100
	MaxBodyBytes int64 // request body cap; default 1 MiB

	cdn    *CDN
	zoneID string
	token  string

	mu  sync.Mutex
	log []PurgeRequest
}

// PurgeRequest records one request the API received, for tests and the demo
// UI. It never holds the token.
type PurgeRequest struct {
	Time        time.Time
	Method      string
	Path        string
	Action      string // "purge_cache", "invalidate_cache", or "" when no route matched
	ZoneID      string // as given in the path
	Authorized  bool   // a correct bearer token was presented
	ContentType string
	Body        string // raw body, at most 64 KiB
	Status      int    // HTTP status answered
	Success     bool
	ErrorCodes  []int
	Removed     int // objects removed from the CDN
}

const (
	purgeLogCap     = 1000
	purgeBodyLogCap = 64 << 10
	apiPrefix       = "/client/v4/zones/"
)

// Error codes. 1014, 1100, 1315, 6003/6111, 7003 and 10000 follow codes seen
// from Cloudflare (see the facts sheet); the rest, 6105 included, are the
// demo's own.
const (
	codeBadJSON        = 1012
	codeBodyTooLarge   = 1013
	codeNotArray       = 1014
	codeSelector       = 1015
	codeTooMany        = 1017
	codeBadFile        = 1018
	codeBadPrefix      = 1019
	codeBadHost        = 1020
	codeTagTooLong     = 1100
	codeTagChars       = 1315
	codeBadHeaders     = 6003
	codeBadContentType = 6105
	codeBadAuthFormat  = 6111
	codeMethod         = 7001
	codeNoRoute        = 7003
	codeAuth           = 10000
)

// apiError is one errors[] item of Cloudflare's envelope.
type apiError struct {
	Code       int        `json:"code"`
	Message    string     `json:"message"`
	ErrorChain []apiError `json:"error_chain,omitempty"`
}

type envelope struct {
	Success  bool         `json:"success"`
	Errors   []apiError   `json:"errors"`
	Messages []apiError   `json:"messages"`
	Result   *purgeResult `json:"result"`
}

type purgeResult struct {
	ID string `json:"id"`
}

// NewPurgeAPI returns the API for one zone and token, purging cdn.
func NewPurgeAPI(cdn *CDN, zoneID, token string) *PurgeAPI {
	return &PurgeAPI{MaxFiles: 30, MaxItems: 100, MaxBodyBytes: 1 << 20, cdn: cdn, zoneID: zoneID, token: token}
}

// Requests returns a copy of the request log, oldest first (the newest
// 1000 are kept).
func (p *PurgeAPI) Requests() []PurgeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PurgeRequest, len(p.log))
	for i, r := range p.log {
		r.ErrorCodes = append([]int(nil), r.ErrorCodes...)
		out[i] = r
	}
	return out
}

func (p *PurgeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := PurgeRequest{Time: time.Now(), Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type")}
	status, env := p.handle(r, &rec)
	rec.Status, rec.Success = status, env.Success
	for _, e := range env.Errors {
		rec.ErrorCodes = append(rec.ErrorCodes, e.Code)
	}
	p.record(rec)

	if env.Errors == nil {
		env.Errors = []apiError{}
	}
	env.Messages = []apiError{}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(env)
}

func (p *PurgeAPI) record(rec PurgeRequest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.log) >= purgeLogCap {
		p.log = append(p.log[:0:0], p.log[1:]...)
	}
	p.log = append(p.log, rec)
}

func fail(status int, errs ...apiError) (int, envelope) {
	return status, envelope{Success: false, Errors: errs}
}

// handle validates in Cloudflare's order (route, method, auth, zone,
// headers, body) and purges.
func (p *PurgeAPI) handle(r *http.Request, rec *PurgeRequest) (int, envelope) {
	zone, action, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, apiPrefix), "/")
	if !strings.HasPrefix(r.URL.Path, apiPrefix) || !ok || zone == "" || (action != "purge_cache" && action != "invalidate_cache") {
		return fail(http.StatusNotFound, noRoute(r.URL.Path))
	}
	rec.Action, rec.ZoneID = action, zone
	if r.Method != http.MethodPost {
		return fail(http.StatusMethodNotAllowed, apiError{Code: codeMethod, Message: "Method " + r.Method + " not allowed for this endpoint; use POST"})
	}

	if status, err := p.authenticate(r.Header); err != nil {
		return fail(status, *err)
	}
	rec.Authorized = true
	if subtle.ConstantTimeCompare([]byte(zone), []byte(p.zoneID)) != 1 {
		return fail(http.StatusNotFound, noRoute(r.URL.Path))
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fail(http.StatusBadRequest, apiError{Code: codeBadHeaders, Message: "Invalid request headers",
			ErrorChain: []apiError{{Code: codeBadContentType, Message: "Invalid Content-Type header, valid values are application/json"}}})
	}

	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, p.MaxBodyBytes))
	rec.Body = string(body[:min(len(body), purgeBodyLogCap)])
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(http.StatusRequestEntityTooLarge, apiError{Code: codeBodyTooLarge, Message: fmt.Sprintf("Request body larger than %d bytes", p.MaxBodyBytes)})
		}
		return fail(http.StatusBadRequest, apiError{Code: codeBadJSON, Message: "Could not read the request body"})
	}
	purge, status, errs := p.parse(body)
	if len(errs) > 0 {
		return fail(status, errs...)
	}
	rec.Removed = purge(p.cdn)
	return http.StatusOK, envelope{Success: true, Result: &purgeResult{ID: randomHex(16)}}
}

func noRoute(path string) apiError {
	return apiError{Code: codeNoRoute, Message: fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", clip(path))}
}

// authenticate accepts exactly "Authorization: Bearer <token>". It returns
// a nil error when the token is right.
func (p *PurgeAPI) authenticate(h http.Header) (int, *apiError) {
	authErr := &apiError{Code: codeAuth, Message: "Authentication error"}
	auth := h.Get("Authorization")
	if auth == "" {
		if h.Get("X-Auth-Key") != "" || h.Get("X-Auth-Email") != "" {
			return http.StatusForbidden, authErr // the demo only knows API tokens
		}
		return http.StatusUnauthorized, authErr
	}
	scheme, token, ok := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return http.StatusBadRequest, &apiError{Code: codeBadHeaders, Message: "Invalid request headers",
			ErrorChain: []apiError{{Code: codeBadAuthFormat, Message: "Invalid format for Authorization header"}}}
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(p.token)) != 1 {
		return http.StatusForbidden, authErr
	}
	return 0, nil
}

// purgeFunc applies a validated request to the CDN and returns how many
// objects went.
type purgeFunc func(*CDN) int

// parse validates a purge body. Like the real API, a body that is JSON but
// not a valid purge is refused with HTTP 200 and success:false; a body that
// is not JSON at all gets 400.
func (p *PurgeAPI) parse(body []byte) (purgeFunc, int, []apiError) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, http.StatusBadRequest, []apiError{{Code: codeBadJSON, Message: "Request body is not a valid JSON object"}}
	}
	refuse := func(errs ...apiError) (purgeFunc, int, []apiError) { return nil, http.StatusOK, errs }

	var selectors []string
	for _, name := range []string{"files", "hosts", "prefixes", "tags"} {
		if _, ok := top[name]; ok {
			selectors = append(selectors, name)
		}
	}
	if raw, ok := top["purge_everything"]; ok {
		var everything bool
		if err := json.Unmarshal(raw, &everything); err != nil {
			return refuse(apiError{Code: codeNotArray, Message: `"purge_everything" must be a boolean`})
		}
		if everything {
			selectors = append(selectors, "purge_everything")
		}
	}
	switch len(selectors) {
	case 0:
		return refuse(apiError{Code: codeSelector, Message: `Request must contain one of "files", "tags", "hosts", "prefixes" or "purge_everything": true`})
	case 1:
	default:
		return refuse(apiError{Code: codeSelector, Message: "Only one of " + strings.Join(selectors, ", ") + " may be sent per request"})
	}

	sel := selectors[0]
	if sel == "purge_everything" {
		return func(c *CDN) int { return c.PurgeAll() }, 0, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(top[sel], &items); err != nil || items == nil {
		return refuse(apiError{Code: codeNotArray, Message: `"files", "tags", "hosts" or "prefixes" must be an array`})
	}
	limit := p.MaxItems
	if sel == "files" {
		limit = p.MaxFiles
	}
	switch {
	case len(items) == 0:
		return refuse(apiError{Code: codeSelector, Message: fmt.Sprintf("%q must not be empty", sel)})
	case len(items) > limit:
		return refuse(apiError{Code: codeTooMany, Message: fmt.Sprintf("Exceeded maximum of %d %s per request (got %d)", limit, sel, len(items))})
	}
	if sel == "files" {
		return p.parseFiles(items)
	}

	values := make([]string, 0, len(items))
	var errs []apiError
	for i, raw := range items {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			errs = append(errs, apiError{Code: codeNotArray, Message: fmt.Sprintf("%s[%d] must be a string", sel, i)})
			continue
		}
		if e := checkItem(sel, v); e != nil {
			errs = append(errs, *e)
			continue
		}
		values = append(values, v)
	}
	if len(errs) > 0 {
		return refuse(errs...)
	}
	switch sel {
	case "hosts":
		return func(c *CDN) int { return c.PurgeHosts(values) }, 0, nil
	case "prefixes":
		return func(c *CDN) int { return c.PurgePrefixes(values) }, 0, nil
	default:
		return func(c *CDN) int { return c.PurgeTags(values) }, 0, nil
	}
}

// checkItem validates one host, prefix or tag.
func checkItem(sel, v string) *apiError {
	switch sel {
	case "tags":
		if v == "" || len(v) > 1024 {
			return &apiError{Code: codeTagTooLong, Message: "Tag must be 1 to 1024 characters long"}
		}
		for i := 0; i < len(v); i++ {
			if v[i] <= ' ' || v[i] > '~' {
				return &apiError{Code: codeTagChars, Message: "Non-printable characters and spaces are forbidden in tags: " + clip(v)}
			}
		}
	case "hosts":
		if v == "" || strings.ContainsAny(v, "/?#@ ") {
			return &apiError{Code: codeBadHost, Message: "Host must be a bare hostname (no scheme or path): " + clip(v)}
		}
	case "prefixes":
		switch {
		case v == "" || strings.Contains(v, "://"):
			return &apiError{Code: codeBadPrefix, Message: "Prefix must be host/path without a scheme: " + clip(v)}
		case strings.ContainsAny(v, "?#"):
			return &apiError{Code: codeBadPrefix, Message: "Prefix must not contain a query string or fragment: " + clip(v)}
		case strings.Count(v, "/") > 31:
			return &apiError{Code: codeBadPrefix, Message: "Prefix has more than 31 path separators: " + clip(v)}
		}
	}
	return nil
}

// fileEntry is the object form of a files[] item.
type fileEntry struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

type filePurge struct {
	url    string
	origin *string
}

func (p *PurgeAPI) parseFiles(items []json.RawMessage) (purgeFunc, int, []apiError) {
	var errs []apiError
	purges := make([]filePurge, 0, len(items))
	for i, raw := range items {
		var e fileEntry
		if err := json.Unmarshal(raw, &e.URL); err != nil {
			if err := json.Unmarshal(raw, &e); err != nil {
				errs = append(errs, apiError{Code: codeBadFile, Message: fmt.Sprintf(`files[%d] must be a URL string or {"url": ..., "headers": {...}} with string header values`, i)})
				continue
			}
		}
		if msg := checkFileURL(e.URL); msg != "" {
			errs = append(errs, apiError{Code: codeBadFile, Message: fmt.Sprintf("files[%d]: %s", i, msg)})
			continue
		}
		fp := filePurge{url: e.URL}
		for name, value := range e.Headers {
			if !strings.EqualFold(name, "Origin") {
				continue // the demo CDN keys on Origin only; other key headers match trivially
			}
			if msg := checkOrigin(value); msg != "" {
				errs = append(errs, apiError{Code: codeBadFile, Message: fmt.Sprintf("files[%d]: %s", i, msg)})
				continue
			}
			fp.origin = &value
		}
		purges = append(purges, fp)
	}
	if len(errs) > 0 {
		return nil, http.StatusOK, errs
	}
	return func(c *CDN) int {
		n := 0
		for _, fp := range purges {
			n += c.Purge(fp.url, fp.origin)
		}
		return n
	}, 0, nil
}

func checkFileURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "not an absolute http(s) URL: " + clip(raw)
	}
	if strings.ContainsAny(raw, "*") {
		return "wildcards are not supported: " + clip(raw)
	}
	return ""
}

// checkOrigin wants what Cloudflare documents for headers.Origin: scheme and
// host, port only when not the default. "null" is accepted because the
// demo CDN keys it like any other value.
func checkOrigin(v string) string {
	if v == "null" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return `headers.Origin must be scheme://host[:port] with nothing after it: ` + clip(v)
	}
	return ""
}

// clip bounds untrusted text echoed back in messages.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
