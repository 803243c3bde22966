package demo

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CDNOptions configures [NewCDN]. The zero value gives the defaults below.
//
// Path lists (KeyOnOrigin, HonourVary) hold exact paths; an entry ending in
// "/" matches every path below it. nil means the default; an empty non-nil
// slice means "no path".
type CDNOptions struct {
	// KeyOnOrigin lists paths whose cache key also includes the request's
	// Origin header, like Cloudflare's default key. Default: /cors/keyed.json.
	KeyOnOrigin []string
	// HonourVary lists paths on which a stored response's Vary header is
	// honoured. Default: every path ("/"). Only paths that send Vary are
	// affected, so honouring it everywhere keeps /cors/vary.json correct and
	// leaves the Vary-less bug paths buggy. Use []string{} to model a cache
	// that ignores Vary.
	HonourVary []string
	// MaxBodyBytes caps a stored body; bigger responses stream through
	// uncached. Default 1 MiB.
	MaxBodyBytes int64
	// MaxObjects caps the number of stored objects (cache-busting probes
	// create many); expired then oldest objects are evicted. Default 10000.
	MaxObjects int
	// DefaultTTL applies to "public" responses without max-age/s-maxage.
	// Default 2h, Cloudflare's edge TTL for 200 responses.
	DefaultTTL time.Duration
	// Now is the clock used for Age and expiry. Default time.Now.
	Now func() time.Time
	// Transport reaches the upstream. Default: a private http.Transport
	// without proxy or compression (released by CloseIdleConnections).
	Transport http.RoundTripper
}

// Cache statuses, as Cloudflare spells them in CF-Cache-Status.
const (
	StatusHit     = "HIT"
	StatusMiss    = "MISS"
	StatusExpired = "EXPIRED"
	StatusBypass  = "BYPASS"
	StatusDynamic = "DYNAMIC"
)

// CDNServerName is the Server header the demo CDN sends.
const CDNServerName = "corscope-demo-cdn"

// CDN is a tiny in-memory shared cache in front of one upstream. It stores
// GET 200 responses that are shared-cacheable and serves them until their
// max-age runs out. Concurrent misses for the same key each go to the
// upstream (no request coalescing): simple, and visible in X-Origin-Hits.
type CDN struct {
	upstream    *url.URL
	upstreamErr error
	opts        CDNOptions
	client      *http.Client

	mu      sync.Mutex
	objects map[cacheKey][]*object // one slice entry per Vary variant
	count   int
}

// cacheKey is the primary key. origin fields are only set on paths keyed on
// Origin.
type cacheKey struct {
	host, uri   string
	keyOnOrigin bool
	hasOrigin   bool
	origin      string
}

// varyField records one request header a stored response varies on, as the
// request that filled the cache sent it.
type varyField struct {
	name    string // canonical header name
	present bool
	value   string // all lines joined with ", "
}

type object struct {
	host, path string // for host and prefix purges
	vary       []varyField
	status     int
	header     http.Header
	body       []byte
	tags       []string
	stored     time.Time
	initialAge time.Duration // Age the upstream already reported
	ttl        time.Duration
}

// NewCDN returns a CDN in front of upstream (a base URL such as
// "http://127.0.0.1:8080"). An invalid upstream does not panic: every
// request then gets a 502 naming the problem.
func NewCDN(upstream string, opts CDNOptions) *CDN {
	c := &CDN{objects: make(map[cacheKey][]*object)}
	u, err := url.Parse(upstream)
	switch {
	case err != nil:
		c.upstreamErr = fmt.Errorf("bad upstream URL %q: %w", upstream, err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		c.upstreamErr = fmt.Errorf("bad upstream URL %q: want http(s)://host[:port]", upstream)
	}
	c.upstream = u
	if opts.KeyOnOrigin == nil {
		opts.KeyOnOrigin = []string{"/cors/keyed.json"}
	}
	if opts.HonourVary == nil {
		opts.HonourVary = []string{"/"}
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxObjects <= 0 {
		opts.MaxObjects = 10000
	}
	if opts.DefaultTTL <= 0 {
		opts.DefaultTTL = 2 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Transport == nil {
		opts.Transport = &http.Transport{
			Proxy:                 nil, // never send demo traffic through a configured proxy
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			DisableCompression:    true, // stay transparent: forward the client's Accept-Encoding as is
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       30 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
		}
	}
	c.opts = opts
	c.client = &http.Client{
		Transport: opts.Transport,
		// A cache relays redirects; it does not follow them.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// CloseIdleConnections releases the upstream connections kept alive for
// reuse, so no transport goroutines outlive the demo.
func (c *CDN) CloseIdleConnections() { c.client.CloseIdleConnections() }

func (c *CDN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.upstreamErr != nil {
		stamp(w.Header(), "")
		http.Error(w, "demo cdn: "+c.upstreamErr.Error(), http.StatusBadGateway)
		return
	}
	if r.Method != http.MethodGet {
		c.passThrough(w, r, StatusDynamic)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	key := c.keyFor(normHost(scheme, r.Host), r.URL.Path, r.URL.RequestURI(), requestOrigin(r.Header))
	now := c.opts.Now()
	obj, expired := c.lookup(key, r.Header, now)
	if obj != nil {
		serveHit(w, obj, now)
		return
	}
	miss := StatusMiss
	if expired {
		miss = StatusExpired
	}
	c.fetchAndStore(w, r, key, miss, now)
}

func requestOrigin(h http.Header) *string {
	vals, ok := h["Origin"]
	if !ok {
		return nil
	}
	v := strings.Join(vals, ", ")
	return &v
}

func (c *CDN) keyFor(host, path, uri string, origin *string) cacheKey {
	k := cacheKey{host: host, uri: uri}
	if matchPath(c.opts.KeyOnOrigin, path) {
		k.keyOnOrigin = true
		if origin != nil {
			k.hasOrigin, k.origin = true, *origin
		}
	}
	return k
}

func matchPath(list []string, path string) bool {
	for _, p := range list {
		if p == path || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// lookup returns the fresh variant matching the request, or reports that a
// matching variant had expired (and removes it).
func (c *CDN) lookup(key cacheKey, req http.Header, now time.Time) (obj *object, expired bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, o := range c.objects[key] {
		if !o.matches(req) {
			continue
		}
		if o.age(now) < o.ttl {
			return o, false
		}
		c.removeAt(key, i)
		return nil, true
	}
	return nil, false
}

func (o *object) matches(req http.Header) bool {
	for _, f := range o.vary {
		vals, ok := req[f.name]
		if ok != f.present || strings.Join(vals, ", ") != f.value {
			return false
		}
	}
	return true
}

func (o *object) age(now time.Time) time.Duration {
	d := now.Sub(o.stored)
	if d < 0 {
		d = 0
	}
	return o.initialAge + d
}

// removeAt drops variant i of key; c.mu must be held.
func (c *CDN) removeAt(key cacheKey, i int) {
	vs := c.objects[key]
	vs = append(vs[:i:i], vs[i+1:]...)
	if len(vs) == 0 {
		delete(c.objects, key)
	} else {
		c.objects[key] = vs
	}
	c.count--
}

func serveHit(w http.ResponseWriter, o *object, now time.Time) {
	h := w.Header()
	for k, vv := range o.header {
		h[k] = append([]string(nil), vv...)
	}
	h.Set("Age", strconv.FormatInt(int64(o.age(now)/time.Second), 10))
	h.Set("Content-Length", strconv.Itoa(len(o.body)))
	stamp(h, StatusHit)
	w.WriteHeader(o.status)
	_, _ = w.Write(o.body)
}

// fetchAndStore forwards a GET miss, stores the response when it may, and
// streams it to the client.
func (c *CDN) fetchAndStore(w http.ResponseWriter, r *http.Request, key cacheKey, miss string, now time.Time) {
	resp, ok := c.forward(w, r)
	if !ok {
		return
	}
	defer resp.Body.Close()

	ttl, class := classify(r, resp, c.opts.DefaultTTL)
	if class != "" {
		relay(w, resp, class, nil)
		return
	}
	initialAge := upstreamAge(resp.Header)
	vary, varyStar := c.varyFields(r, resp.Header)
	// Vary: * never matches a later request, so storing it would be waste;
	// a body known to be too big streams straight through.
	if varyStar || initialAge >= ttl || resp.ContentLength > c.opts.MaxBodyBytes {
		relay(w, resp, miss, nil)
		return
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		if r.Context().Err() == nil {
			stamp(w.Header(), "")
			http.Error(w, "demo cdn: reading upstream body: "+err.Error(), http.StatusBadGateway)
		}
		return
	}
	if int64(len(buf)) > c.opts.MaxBodyBytes {
		relay(w, resp, miss, buf) // too big after all: send what we read, then the rest
		return
	}
	header := cleanHeader(resp.Header)
	c.store(key, &object{
		host:       key.host,
		path:       r.URL.EscapedPath(),
		vary:       vary,
		status:     resp.StatusCode,
		header:     header,
		body:       buf,
		tags:       parseTags(resp.Header.Values("Cache-Tag")),
		stored:     now,
		initialAge: initialAge,
		ttl:        ttl,
	})
	h := w.Header()
	for k, vv := range header {
		h[k] = append([]string(nil), vv...)
	}
	h.Set("Content-Length", strconv.Itoa(len(buf)))
	stamp(h, miss)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(buf)
}

// passThrough relays a request the cache never stores (non-GET).
func (c *CDN) passThrough(w http.ResponseWriter, r *http.Request, status string) {
	resp, ok := c.forward(w, r)
	if !ok {
		return
	}
	defer resp.Body.Close()
	relay(w, resp, status, nil)
}

// forward sends r to the upstream. On failure it answers 502 itself (unless
// the client is already gone) and returns ok=false.
func (c *CDN) forward(w http.ResponseWriter, r *http.Request) (*http.Response, bool) {
	target := *c.upstream
	target.Path = strings.TrimSuffix(c.upstream.Path, "/") + r.URL.Path
	target.RawPath = ""
	if r.URL.RawPath != "" {
		target.RawPath = strings.TrimSuffix(c.upstream.EscapedPath(), "/") + r.URL.RawPath
	}
	target.RawQuery = r.URL.RawQuery

	var body io.Reader
	if r.ContentLength != 0 {
		body = r.Body
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), body)
	if err != nil {
		stamp(w.Header(), "")
		http.Error(w, "demo cdn: "+err.Error(), http.StatusBadGateway)
		return nil, false
	}
	out.ContentLength = r.ContentLength
	for k, vv := range r.Header {
		if !hopByHop(k, r.Header) {
			out.Header[k] = append([]string(nil), vv...)
		}
	}
	resp, err := c.client.Do(out)
	if err != nil {
		if r.Context().Err() == nil {
			stamp(w.Header(), "")
			http.Error(w, "demo cdn: upstream unreachable: "+err.Error(), http.StatusBadGateway)
		}
		return nil, false
	}
	return resp, true
}

// relay copies an upstream response to the client without storing it:
// prefix (already read) first, then the rest of the body, chunk by chunk.
func relay(w http.ResponseWriter, resp *http.Response, status string, prefix []byte) {
	h := w.Header()
	for k, vv := range cleanHeader(resp.Header) {
		h[k] = vv
	}
	h.Del("Content-Length")
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	stamp(h, status)
	w.WriteHeader(resp.StatusCode)
	if len(prefix) > 0 {
		if _, err := w.Write(prefix); err != nil {
			return
		}
	}
	_, _ = io.Copy(w, resp.Body) // stops at the first write error: client gone
}

// stamp adds the headers that make the demo look like Cloudflare.
func stamp(h http.Header, status string) {
	h.Set("Server", CDNServerName)
	h.Set("CF-Ray", fmt.Sprintf("%016x-DEMO", rand.Uint64()))
	if status != "" {
		h.Set("CF-Cache-Status", status)
	}
}

var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// hopByHop reports whether a header is connection-specific: the fixed list
// plus anything named in Connection.
func hopByHop(name string, h http.Header) bool {
	if hopHeaders[name] {
		return true
	}
	for _, v := range h.Values("Connection") {
		for _, f := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == name {
				return true
			}
		}
	}
	return false
}

// cleanHeader copies an upstream header without hop-by-hop fields and
// without Cache-Tag, which Cloudflare strips before the client.
func cleanHeader(src http.Header) http.Header {
	dst := make(http.Header, len(src))
	for k, vv := range src {
		if hopByHop(k, src) || k == "Cache-Tag" {
			continue
		}
		dst[k] = append([]string(nil), vv...)
	}
	return dst
}

// classify decides whether a GET response may be stored. class is "" when it
// may (with its TTL), else the CF-Cache-Status to relay it with.
func classify(req *http.Request, resp *http.Response, defaultTTL time.Duration) (ttl time.Duration, class string) {
	if resp.StatusCode != http.StatusOK {
		return 0, StatusDynamic
	}
	cc := parseCacheControl(resp.Header.Values("Cache-Control"))
	if cc.has("no-store") || cc.has("private") || cc.has("no-cache") || len(resp.Header.Values("Set-Cookie")) > 0 {
		return 0, StatusBypass
	}
	// RFC 9111 section 3.5: shared caches store answers to authenticated
	// requests only when the response explicitly allows it.
	if req.Header.Get("Authorization") != "" && !cc.has("public") && !cc.has("s-maxage") && !cc.has("must-revalidate") {
		return 0, StatusBypass
	}
	for _, d := range []string{"s-maxage", "max-age"} {
		if secs, ok := cc.seconds(d); ok {
			if secs <= 0 {
				return 0, StatusBypass
			}
			return time.Duration(secs) * time.Second, ""
		}
	}
	if cc.has("public") {
		return defaultTTL, ""
	}
	return 0, StatusDynamic
}

// cacheControl maps lower-cased directive names to their (unquoted) values.
type cacheControl map[string]string

func parseCacheControl(lines []string) cacheControl {
	cc := cacheControl{}
	for _, line := range lines {
		for _, part := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if _, dup := cc[name]; !dup { // first occurrence wins
				cc[name] = strings.Trim(strings.TrimSpace(value), `"`)
			}
		}
	}
	return cc
}

func (cc cacheControl) has(name string) bool { _, ok := cc[name]; return ok }

func (cc cacheControl) seconds(name string) (int64, bool) {
	v, ok := cc[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false // malformed: ignore the directive
	}
	return n, true
}

func upstreamAge(h http.Header) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// varyFields records the request values of the headers the response varies
// on, when this path honours Vary.
func (c *CDN) varyFields(r *http.Request, resp http.Header) (fields []varyField, star bool) {
	if !matchPath(c.opts.HonourVary, r.URL.Path) {
		return nil, false
	}
	seen := map[string]bool{}
	for _, line := range resp.Values("Vary") {
		for _, f := range strings.Split(line, ",") {
			name := strings.TrimSpace(f)
			if name == "*" {
				return nil, true
			}
			if name == "" {
				continue
			}
			name = http.CanonicalHeaderKey(name)
			if seen[name] {
				continue
			}
			seen[name] = true
			vals, ok := r.Header[name]
			fields = append(fields, varyField{name: name, present: ok, value: strings.Join(vals, ", ")})
		}
	}
	return fields, false
}

func parseTags(lines []string) []string {
	var tags []string
	for _, line := range lines {
		for _, t := range strings.Split(line, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	return tags
}

// store replaces the variants the new object supersedes (those that would
// match the request that produced it) and adds it.
func (c *CDN) store(key cacheKey, o *object) {
	req := make(http.Header, len(o.vary))
	for _, f := range o.vary {
		if f.present {
			req[f.name] = []string{f.value}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	vs := c.objects[key]
	for i := len(vs) - 1; i >= 0; i-- {
		// A response without Vary supersedes every variant of its key.
		if len(o.vary) == 0 || vs[i].matches(req) {
			c.removeAt(key, i)
			vs = c.objects[key]
		}
	}
	if c.count >= c.opts.MaxObjects {
		c.evict(o.stored)
	}
	c.objects[key] = append(c.objects[key], o)
	c.count++
}

// evict makes room for one object: expired objects first, else the oldest.
// c.mu must be held. Linear scans are fine at demo sizes.
func (c *CDN) evict(now time.Time) {
	c.removeWhere(func(o *object) bool { return o.age(now) >= o.ttl })
	if c.count < c.opts.MaxObjects {
		return
	}
	var oldest *object
	for _, vs := range c.objects {
		for _, o := range vs {
			if oldest == nil || o.stored.Before(oldest.stored) {
				oldest = o
			}
		}
	}
	c.removeWhere(func(o *object) bool { return o == oldest })
}

// removeWhere drops every object for which drop is true and returns how
// many it dropped. c.mu must be held.
func (c *CDN) removeWhere(drop func(*object) bool) int {
	n := 0
	for key, vs := range c.objects {
		for i := len(vs) - 1; i >= 0; i-- {
			if drop(vs[i]) {
				c.removeAt(key, i)
				vs = c.objects[key]
				n++
			}
		}
	}
	return n
}

// Len reports how many objects (counting every Vary variant) are stored.
func (c *CDN) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Purge removes the objects stored for rawURL (scheme, host, path and query
// must match; the default port may be given or not). On paths keyed on
// Origin only the object keyed with origin goes (nil = the request had no
// Origin header), as with Cloudflare's files[].headers.Origin; elsewhere
// origin is ignored and every Vary variant goes. It returns how many
// objects were removed; an unparsable URL removes nothing.
func (c *CDN) Purge(rawURL string, origin *string) int {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return 0
	}
	key := c.keyFor(normHost(strings.ToLower(u.Scheme), u.Host), u.Path, u.RequestURI(), origin)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.objects[key])
	delete(c.objects, key)
	c.count -= n
	return n
}

// PurgeAll removes every object and returns how many there were.
func (c *CDN) PurgeAll() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.count
	c.objects = make(map[cacheKey][]*object)
	c.count = 0
	return n
}

// PurgeHosts removes every object stored for the given hosts. A host
// without a port matches that host on any port ("127.0.0.1"); with a port
// it must match exactly ("127.0.0.1:8080"). Case-insensitive.
func (c *CDN) PurgeHosts(hosts []string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removeWhere(func(o *object) bool {
		for _, h := range hosts {
			if hostMatches(h, o.host) {
				return true
			}
		}
		return false
	})
}

// PurgePrefixes removes every object under the given prefixes, written as
// Cloudflare wants them: "host/path" without scheme or query. The path part
// is a plain, case-sensitive string prefix of the stored path, whatever the
// query string.
func (c *CDN) PurgePrefixes(prefixes []string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removeWhere(func(o *object) bool {
		for _, p := range prefixes {
			host, path, _ := strings.Cut(p, "/")
			if hostMatches(host, o.host) && strings.HasPrefix(o.path, "/"+path) {
				return true
			}
		}
		return false
	})
}

// PurgeTags removes every object whose Cache-Tag (set by the origin) holds
// one of tags, case-insensitively.
func (c *CDN) PurgeTags(tags []string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removeWhere(func(o *object) bool {
		for _, want := range tags {
			for _, have := range o.tags {
				if strings.EqualFold(want, have) {
					return true
				}
			}
		}
		return false
	})
}

func hostMatches(want, stored string) bool {
	if strings.EqualFold(want, stored) {
		return true
	}
	if _, _, err := net.SplitHostPort(want); err == nil {
		return false // a port was given: exact match only
	}
	name, _, err := net.SplitHostPort(stored)
	return err == nil && strings.EqualFold(strings.Trim(want, "[]"), name)
}

// normHost lower-cases a host and drops the scheme's default port, so
// "http://h:80/x" and a request for "h/x" share a key.
func normHost(scheme, host string) string {
	host = strings.ToLower(host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return host
}
