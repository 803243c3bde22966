// Package har reads a browser's network capture (HAR 1.2, as exported by
// the network panel of Chromium, Firefox and Safari) into check targets:
// every request that carried an Origin header or failed (status 0 or an
// _error) becomes a target with the origins seen and what the browser got.
//
// The file is decoded as a stream: entry by entry, into small structs that
// leave out bodies (response.content.text may be megabytes), cookies and
// every header but the few CORS and cache headers kept. Cookie and
// Authorization request headers are kept only when the caller asks to
// replay them, and never in the observations.
//
// HAR 1.2: http://www.softwareishard.com/blog/har-12-spec/ (log, entries,
// request, response, headers, cache, serverIPAddress); the W3C Web
// Performance WG's draft of it: https://w3c.github.io/web-performance/specs/HAR/Overview.html.
// Custom fields start with "_": Chromium writes response._error
// ("net::ERR_FAILED" for a CORS failure, with status 0) and _fromCache
// ("memory" or "disk").
package har

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// Limits.
const (
	// MaxFileSize is the largest HAR file read (a HAR of a long session
	// with bodies can reach gigabytes; the targets fit in far less).
	MaxFileSize = 256 << 20
	// MaxTargets bounds the distinct URLs taken from one file.
	MaxTargets = 10000
	// maxOrigins bounds the origins kept per target.
	maxOrigins = 16
)

// Options shape Read.
type Options struct {
	// MaxSize overrides MaxFileSize (tests); 0 means MaxFileSize.
	MaxSize int64
	// ReplayCredentials keeps the Cookie and Authorization request headers
	// of each target's first entry that had them, to send them again.
	ReplayCredentials bool
}

// Target is one URL from the capture.
type Target struct {
	URL     *url.URL // validated by cachemodel.ParseTargetURL
	Origins []string // as cachemodel.ParseOrigin serialises them; may be empty
	// Credentials are the Cookie and Authorization headers to replay; nil
	// unless Options.ReplayCredentials.
	Credentials cachemodel.Headers
	Capture     cachemodel.HARCapture
}

// Capture is what Read found.
type Capture struct {
	Targets []Target
	Entries int // entries read
	// Skipped counts entries not taken: neither an Origin nor a failure
	// (Plain), not http(s) (Scheme: data:, blob:, chrome-extension:, ws:),
	// or a URL corscope does not accept (BadURL).
	Plain, Scheme, BadURL int
	// BadOrigins counts entries whose Origin header is not an origin
	// (ignored).
	BadOrigins int
	// OverTargets counts URLs beyond MaxTargets (ignored).
	OverTargets int
	// Credentials counts the entries taken that carried a Cookie or
	// Authorization request header (kept only with ReplayCredentials).
	Credentials int
}

// Read reads the HAR file at path.
func Read(path string, opt Options) (*Capture, error) {
	max := opt.MaxSize
	if max <= 0 {
		max = MaxFileSize
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open HAR file: %w", errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read HAR file: %v", err)
	}
	if st.IsDir() {
		return nil, errors.New("HAR file is a directory")
	}
	if st.Size() > max {
		return nil, fmt.Errorf("HAR file is %s, over the %s limit: export only the failing requests (filter the network panel) or without content", size(st.Size()), size(max))
	}
	// The limit also holds for files that grow or lie about their size.
	return Decode(io.LimitReader(f, max+1), max, opt)
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// countingReader counts bytes read, to tell a truncated read from a file
// over the limit.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// nv is a HAR header (or cookie) record.
type nv struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// entry is the part of a HAR entry corscope reads. Fields not listed here
// (response.content.text, postData, cookies, timings) are skipped by the
// decoder without being kept.
type entry struct {
	StartedDateTime string `json:"startedDateTime"`
	Request         struct {
		Method  string `json:"method"`
		URL     string `json:"url"`
		Headers []nv   `json:"headers"`
	} `json:"request"`
	Response struct {
		Status  int    `json:"status"`
		Headers []nv   `json:"headers"`
		Error   string `json:"_error"`
	} `json:"response"`
	Cache struct {
		BeforeRequest *struct{} `json:"beforeRequest"`
	} `json:"cache"`
	ServerIPAddress string `json:"serverIPAddress"`
	FromCache       string `json:"_fromCache"`
}

// Decode reads a HAR document from r (at most max bytes).
func Decode(r io.Reader, max int64, opt Options) (*Capture, error) {
	cr := &countingReader{r: r}
	dec := json.NewDecoder(cr)
	c := &Capture{}
	b := newBuilder(c, opt)
	fail := func(err error) (*Capture, error) {
		if cr.n > max {
			return nil, fmt.Errorf("HAR file is over the %s limit", size(max))
		}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("not a HAR file: bad JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &te):
			return nil, fmt.Errorf("not a HAR file: %s has the wrong type (%s) at byte %d", te.Field, te.Value, te.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return nil, errors.New("not a HAR file: it ends early (truncated?)")
		}
		return nil, fmt.Errorf("not a HAR file: %v", err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	sawLog, sawEntries := false, false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return fail(err)
		}
		if key != "log" {
			if err := skip(dec); err != nil {
				return fail(err)
			}
			continue
		}
		sawLog = true
		if err := expectDelim(dec, '{'); err != nil {
			return fail(err)
		}
		for dec.More() {
			key, err := objectKey(dec)
			if err != nil {
				return fail(err)
			}
			if key != "entries" {
				if err := skip(dec); err != nil {
					return fail(err)
				}
				continue
			}
			sawEntries = true
			if err := expectDelim(dec, '['); err != nil {
				return fail(err)
			}
			for dec.More() {
				var e entry
				if err := dec.Decode(&e); err != nil {
					return fail(fmt.Errorf("entry %d: %w", c.Entries+1, err))
				}
				c.Entries++
				b.add(&e)
			}
			if _, err := dec.Token(); err != nil { // ]
				return fail(err)
			}
		}
		if _, err := dec.Token(); err != nil { // } of log
			return fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // } of the document
		return fail(err)
	}
	if cr.n > max {
		return nil, fmt.Errorf("HAR file is over the %s limit", size(max))
	}
	if !sawLog || !sawEntries {
		return nil, errors.New(`not a HAR file: no "log" with "entries" (HAR 1.2 has {"log":{"entries":[...]}})`)
	}
	return c, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("expected %q, found %v", string(d), tok)
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected a key, found %v", tok)
	}
	return k, nil
}

// skip reads one value token by token, keeping nothing.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// builder turns entries into targets.
type builder struct {
	c     *Capture
	opt   Options
	index map[string]int // URL → index in c.Targets
}

func newBuilder(c *Capture, opt Options) *builder {
	return &builder{c: c, opt: opt, index: map[string]int{}}
}

func header(h []nv, name string) (string, bool) {
	var vals []string
	for _, f := range h {
		if strings.EqualFold(strings.TrimSpace(f.Name), name) {
			vals = append(vals, f.Value)
		}
	}
	if len(vals) == 0 {
		return "", false
	}
	return strings.Join(vals, ", "), true
}

func ptr(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}

func (b *builder) add(e *entry) {
	raw := strings.TrimSpace(e.Request.URL)
	if i := strings.IndexByte(raw, ':'); i < 0 || !strings.EqualFold(raw[:i], "http") && !strings.EqualFold(raw[:i], "https") {
		b.c.Scheme++
		return
	}
	failed := e.Response.Status <= 0 || e.Response.Error != ""
	origin, hasOrigin := header(e.Request.Headers, "Origin")
	if !hasOrigin && !failed {
		b.c.Plain++
		return
	}
	u, err := cachemodel.ParseTargetURL(raw)
	if err != nil {
		b.c.BadURL++
		return
	}
	// The fragment is never sent; cachemodel keeps what it is given.
	u.Fragment, u.RawFragment = "", ""
	var sent *string
	if hasOrigin {
		norm, err := cachemodel.ParseOrigin(strings.TrimSpace(origin))
		if err != nil {
			// Not an origin a browser sends: the entry cannot be replayed
			// as it was, and showing it as "no Origin" would be false.
			b.c.BadOrigins++
			return
		}
		sent = &norm
	}
	// A failed request recorded without its Origin (provisional headers):
	// the Referer's origin, when it is another site, is who asked.
	probeOrigin := ""
	if sent != nil {
		probeOrigin = *sent
	} else if failed {
		if ref, ok := header(e.Request.Headers, "Referer"); ok {
			if ru, err := url.Parse(strings.TrimSpace(ref)); err == nil && (ru.Scheme == "http" || ru.Scheme == "https") && ru.Host != "" {
				if o := cachemodel.OriginOf(ru); o != cachemodel.OriginOf(u) {
					if norm, err := cachemodel.ParseOrigin(o); err == nil {
						probeOrigin = norm
					}
				}
			}
		}
	}
	key := u.String()
	i, ok := b.index[key]
	if !ok {
		if len(b.c.Targets) >= MaxTargets {
			b.c.OverTargets++
			return
		}
		i = len(b.c.Targets)
		b.index[key] = i
		b.c.Targets = append(b.c.Targets, Target{URL: u, Origins: []string{}})
	}
	t := &b.c.Targets[i]
	if probeOrigin != "" && probeOrigin != cachemodel.OriginOf(u) && len(t.Origins) < maxOrigins && !contains(t.Origins, probeOrigin) {
		t.Origins = append(t.Origins, probeOrigin)
	}
	_, hasCookie := header(e.Request.Headers, "Cookie")
	_, hasAuth := header(e.Request.Headers, "Authorization")
	if hasCookie || hasAuth {
		b.c.Credentials++
	}
	if b.opt.ReplayCredentials && t.Credentials == nil {
		var creds cachemodel.Headers
		for _, name := range []string{"Cookie", "Authorization"} {
			if v, ok := header(e.Request.Headers, name); ok && v != "" && !strings.ContainsAny(v, "\r\n\x00") {
				creds = append(creds, cachemodel.Header{Name: name, Value: v})
			}
		}
		if len(creds) > 0 {
			t.Credentials = creds
		}
	}
	t.Capture.Add(observe(e, sent))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// observe is what the browser got, without anything secret.
func observe(e *entry, origin *string) cachemodel.HARObservation {
	h := make(cachemodel.Headers, 0, len(e.Response.Headers))
	for _, f := range e.Response.Headers {
		h = append(h, cachemodel.Header{Name: f.Name, Value: f.Value})
	}
	o := cachemodel.HARObservation{
		Origin: origin, Method: strings.ToUpper(e.Request.Method), Status: max(e.Response.Status, 0), Error: e.Response.Error,
		ACAO:     ptr(h.Combined("Access-Control-Allow-Origin")),
		ACAC:     ptr(h.Combined("Access-Control-Allow-Credentials")),
		Vary:     ptr(h.Combined("Vary")),
		ServerIP: strings.Trim(e.ServerIPAddress, "[]"),
		First:    e.StartedDateTime,
		Count:    1,
	}
	switch {
	case e.FromCache != "":
		o.BrowserCache = e.FromCache
	case e.Cache.BeforeRequest != nil:
		o.BrowserCache = "cache"
	}
	v := cachemodel.NormalizeCacheStatus(h)
	o.Cache, o.CacheSource = v.Status, v.Source
	return o
}
