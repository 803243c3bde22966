// Package cftest is a loopback stand-in for the CloudFront invalidation
// API, shared by the purge package's tests and the command's: it checks
// every request the way AWS documents it (SigV4 recomputed with the secret
// key, the session token, the InvalidationBatch body, URL-encoded paths,
// CallerReference reuse) and answers like CloudFront does: 201 with an
// Invalidation for CreateInvalidation, the invalidation's status for
// GetInvalidation, <ErrorResponse> XML for errors. It listens on
// 127.0.0.1 only and is for tests.
package cftest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Account is what the stand-in expects: the access key id and secret key
// requests are signed with, the session token (when not empty) and the
// one distribution that exists.
type Account struct {
	AKID, SecretKey, Session string
	Dist                     string
}

// Server is the stand-in. Set the hooks before the first request.
type Server struct {
	*httptest.Server
	Account
	t testing.TB

	// Create, if set, may answer CreateInvalidation number n (0-based)
	// itself; returning false answers normally.
	Create func(n int, w http.ResponseWriter) bool
	// Status answers GetInvalidation number n (0-based) of an id; the
	// default is InProgress twice, then Completed.
	Status func(id string, n int) string
	// Get, if set, may answer a GetInvalidation itself.
	Get func(n int, w http.ResponseWriter) bool
	// OnCompleted, if set, runs the first time an invalidation is reported
	// Completed, with its paths: the edges finishing (a test purges a real
	// cache there).
	OnCompleted func(paths []string)

	mu       sync.Mutex
	problems []string
	creates  []Create
	polls    map[string]int
	refs     map[string]string   // CallerReference -> the body it came with
	paths    map[string][]string // invalidation id -> its paths
	events   []string            // "create I1", "get I1 InProgress", ...
}

// Create is one CreateInvalidation the stand-in received.
type Create struct {
	Paths     []string
	CallerRef string
	Body      []byte
}

type batchXML struct {
	XMLName         xml.Name `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ InvalidationBatch"`
	CallerReference string   `xml:"CallerReference"`
	Paths           struct {
		Quantity *int     `xml:"Quantity"`
		Items    []string `xml:"Items>Path"`
	} `xml:"Paths"`
}

var (
	amzDateRE = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	createRE  = regexp.MustCompile(`^/2020-05-31/distribution/([A-Z0-9]+)/invalidation$`)
	getRE     = regexp.MustCompile(`^/2020-05-31/distribution/([A-Z0-9]+)/invalidation/([A-Z0-9]+)$`)
	// UnsafePath finds what CloudFront wants percent-encoded in a path
	// but was not: controls, space, non-ASCII, RFC 1738 unsafe characters,
	// and a % that starts no escape.
	UnsafePath = regexp.MustCompile("[\\x00-\\x20\\x7f-\\xff\"<>\\\\^`{|}\\[\\]#]|%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)")
)

// New starts a stand-in for acct, closed when the test ends.
func New(t testing.TB, acct Account) *Server {
	s := &Server{Account: acct, t: t, polls: map[string]int{}, refs: map[string]string{}, paths: map[string][]string{}}
	s.Status = func(_ string, n int) string {
		if n < 2 {
			return "InProgress"
		}
		return "Completed"
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) authRE() *regexp.Regexp {
	return regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=` + regexp.QuoteMeta(s.AKID) + `/(\d{8})/us-east-1/cloudfront/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)
}

func (s *Server) fail(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// Check fails the test with everything the stand-in objected to.
func (s *Server) Check() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		s.t.Error("stand-in: " + p)
	}
}

// Log is what happened, in order: "create <id>", "get <id> <status>",
// "get <id> error".
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// Created lists every CreateInvalidation received, refused ones included.
func (s *Server) Created() []Create {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Create(nil), s.creates...)
}

// Error answers as CloudFront does when it refuses a request.
func Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>f1e2d3c4-0000-4000-8000-standin</RequestId></ErrorResponse>`, code, msg)
}

func invalidationXML(id, status string, b batchXML) string {
	var items strings.Builder
	for _, p := range b.Paths.Items {
		items.WriteString("<Path>" + p + "</Path>")
	}
	return fmt.Sprintf(`<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>%s</Id><Status>%s</Status><CreateTime>2026-12-06T21:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>%d</Quantity><Items>%s</Items></Paths><CallerReference>%s</CallerReference></InvalidationBatch></Invalidation>`,
		id, status, len(b.Paths.Items), items.String(), b.CallerReference)
}

// checkSignature checks the SigV4 header's form and recomputes the
// signature over the request as received.
func (s *Server) checkSignature(r *http.Request, body []byte) {
	date := r.Header.Get("X-Amz-Date")
	if !amzDateRE.MatchString(date) {
		s.fail("%s %s: X-Amz-Date %q, want YYYYMMDDTHHMMSSZ", r.Method, r.URL.Path, date)
		return
	}
	authRE := s.authRE()
	m := authRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		s.fail("%s %s: Authorization %q is not AWS4-HMAC-SHA256 Credential=%s/date/us-east-1/cloudfront/aws4_request, SignedHeaders=..., Signature=...", r.Method, r.URL.Path, r.Header.Get("Authorization"), s.AKID)
		return
	}
	if m[1] != date[:8] {
		s.fail("credential scope date %s is not X-Amz-Date's %s", m[1], date[:8])
	}
	signed := strings.Split(m[2], ";")
	for _, must := range []string{"host", "x-amz-date"} {
		if !slices.Contains(signed, must) {
			s.fail("SignedHeaders %q lacks %s", m[2], must)
		}
	}
	if s.Session != "" {
		if got := r.Header.Get("X-Amz-Security-Token"); got != s.Session {
			s.fail("X-Amz-Security-Token is not the session token")
		}
		if !slices.Contains(signed, "x-amz-security-token") {
			s.fail("SignedHeaders %q lacks x-amz-security-token", m[2])
		}
	}
	// Recompute: the same method, URL and signed headers, signed with the
	// secret key at X-Amz-Date, must give the same signature.
	req, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			req.Header.Set(h, r.Header.Get(h))
		}
	}
	req.ContentLength = int64(len(body))
	req.Header.Del("Authorization")
	at, _ := time.Parse("20060102T150405Z", date)
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: s.AKID, SecretAccessKey: s.SecretKey, SessionToken: s.Session},
		req, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", at)
	if err != nil {
		s.fail("re-signing: %v", err)
		return
	}
	if want := authRE.FindStringSubmatch(req.Header.Get("Authorization")); want == nil || want[3] != m[3] {
		s.fail("%s %s: signature does not verify with the secret key", r.Method, r.URL.Path)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	var completed []string
	defer func() {
		s.mu.Unlock()
		if completed != nil && s.OnCompleted != nil {
			s.OnCompleted(completed) // outside the lock: it may take a while
		}
	}()
	s.checkSignature(r, body)
	if m := createRE.FindStringSubmatch(r.URL.EscapedPath()); m != nil {
		s.serveCreate(w, r, body, m[1])
		return
	}
	if m := getRE.FindStringSubmatch(r.URL.EscapedPath()); m != nil {
		if r.Method != http.MethodGet {
			s.fail("%s on an invalidation, want GET", r.Method)
		}
		if len(body) != 0 {
			s.fail("GetInvalidation with a body")
		}
		n := s.polls[m[2]]
		s.polls[m[2]]++
		if s.Get != nil && s.Get(n, w) {
			s.events = append(s.events, "get "+m[2]+" error")
			return
		}
		st := s.Status(m[2], n)
		if st == "Completed" {
			if p, ok := s.paths[m[2]]; ok {
				completed = append([]string{}, p...)
				delete(s.paths, m[2])
			}
		}
		s.events = append(s.events, "get "+m[2]+" "+st)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, invalidationXML(m[2], st, batchXML{CallerReference: "x"}))
		return
	}
	s.fail("unexpected %s %s", r.Method, r.URL.RequestURI())
	Error(w, 404, "NotFound", "no such resource")
}

func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request, body []byte, dist string) {
	if r.Method != http.MethodPost {
		s.fail("%s on the invalidation collection, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/xml" && ct != "text/xml" {
		s.fail("Content-Type %q, want application/xml", ct)
	}
	if r.URL.RawQuery != "" {
		s.fail("CreateInvalidation with a query %q", r.URL.RawQuery)
	}
	var b batchXML
	if err := xml.Unmarshal(body, &b); err != nil {
		s.fail("body is not an InvalidationBatch in the 2020-05-31 namespace: %v: %s", err, body)
		Error(w, 400, "MalformedInput", "bad body")
		return
	}
	if b.Paths.Quantity == nil || *b.Paths.Quantity != len(b.Paths.Items) {
		s.fail("Quantity %v, but %d Items", b.Paths.Quantity, len(b.Paths.Items))
	}
	if len(b.Paths.Items) == 0 || len(b.Paths.Items) > 3000 {
		s.fail("%d paths in one invalidation", len(b.Paths.Items))
	}
	for _, p := range b.Paths.Items {
		if !strings.HasPrefix(p, "/") {
			s.fail("path %q does not start with /", p)
		}
		if UnsafePath.MatchString(p) {
			s.fail("path %q is not URL-encoded as CloudFront requires", p)
		}
	}
	if b.CallerReference == "" {
		s.fail("no CallerReference")
	} else if prev, ok := s.refs[b.CallerReference]; ok && prev != string(body) {
		s.fail("CallerReference %q reused for another batch", b.CallerReference)
	}
	n := len(s.creates)
	s.creates = append(s.creates, Create{Paths: b.Paths.Items, CallerRef: b.CallerReference, Body: body})
	if dist != s.Dist {
		Error(w, 404, "NoSuchDistribution", "The specified distribution does not exist.")
		return
	}
	if s.Create != nil && s.Create(n, w) {
		return
	}
	if _, ok := s.refs[b.CallerReference]; !ok {
		s.refs[b.CallerReference] = string(body)
	}
	id := fmt.Sprintf("I%013d", len(s.refs))
	s.paths[id] = b.Paths.Items
	s.events = append(s.events, "create "+id)
	w.Header().Set("Location", "https://cloudfront.amazonaws.com/2020-05-31/distribution/"+s.Dist+"/invalidation/"+id)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, invalidationXML(id, "InProgress", b))
}
