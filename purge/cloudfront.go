package purge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// CloudFront's API lives in us-east-1: every request is signed for it,
// whatever region the distribution's origins are in.
const cloudFrontRegion = "us-east-1"

// ErrPending means the purge was accepted but did not finish within the
// wait (a CloudFront invalidation still in progress, or its status could
// not be read): what is cached now is unknown. The CLI maps it to exit 4.
var ErrPending = errors.New("purge not known to be complete")

// cloudFrontBatch is what a cloudfront batch needs to send: the
// distribution, where the API is, and (once resolved by CheckCredentials)
// the credentials from the AWS chain.
type cloudFrontBatch struct {
	distribution string
	baseEndpoint string // "" for the SDK's own endpoint resolution
	userAgent    string
	provider     aws.CredentialsProvider // nil: the AWS credential chain

	mu        sync.Mutex
	creds     *aws.Credentials // nil until resolved
	secretKey *secret
	session   *secret
}

// cfInvalidation is one CreateInvalidation call: its paths and its
// CallerReference (unique per request; a retry reuses it, so CloudFront
// answers a repeated request with the invalidation it already created
// instead of creating a second one).
type cfInvalidation struct {
	distribution string
	paths        []string
	callerRef    string
}

func (c *cfInvalidation) input() *cloudfront.CreateInvalidationInput {
	return &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(c.distribution),
		InvalidationBatch: &cftypes.InvalidationBatch{
			CallerReference: aws.String(c.callerRef),
			Paths:           &cftypes.Paths{Quantity: aws.Int32(int32(len(c.paths))), Items: c.paths},
		},
	}
}

func buildCloudFront(b *Batch, e Settings, opt Options) error {
	if e.DistributionID == "" {
		return fmt.Errorf("purge[%d]: the cloudfront provider needs distribution_id", b.Entry)
	}
	b.Account = e.DistributionID
	cf := &cloudFrontBatch{distribution: e.DistributionID, userAgent: opt.UserAgent, provider: opt.AWSCredentials}
	if base := strings.TrimSuffix(e.APIBase, "/"); base != "" && base != DefaultCloudFrontAPI {
		cf.baseEndpoint = base
	}
	b.cf = cf
	batch := e.BatchSize
	if batch <= 0 {
		batch = DefaultCloudFrontBatch
	}
	batch = min(batch, MaxCloudFrontBatch)
	newReq := func(paths []string) (*Request, error) {
		inv := &cfInvalidation{distribution: e.DistributionID, paths: paths, callerRef: newCallerReference()}
		r, err := cf.dryRequest(inv)
		if err != nil {
			return nil, err
		}
		b.Requests = append(b.Requests, r)
		return r, nil
	}
	waitNote := "CloudFront invalidations are asynchronous: corscope waits until CloudFront reports the invalidation Completed (--wait) before it re-probes"
	switch b.Scope {
	case cachemodel.PurgeURLs:
		b.Notes = append(b.Notes, "CloudFront invalidates by path: one path per URL removes every cached variant of it, whatever the Origin, so the plan sends one path per URL, not one per Origin variant", waitNote)
		var paths []string
		var covers []Item
		seen := map[string]bool{}
		flush := func() error {
			if len(paths) == 0 {
				return nil
			}
			r, err := newReq(paths)
			if err != nil {
				return err
			}
			r.Covers, r.Values = covers, paths
			paths, covers, seen = nil, nil, map[string]bool{}
			return nil
		}
		for _, t := range b.Targets {
			u, err := url.Parse(t.URL)
			if err != nil {
				return fmt.Errorf("bad URL %q: %v", t.URL, err)
			}
			p, why := cloudFrontPath(u)
			if why != "" {
				for _, v := range t.Variants {
					b.Skipped = append(b.Skipped, Skip{Item: Item{URL: t.URL, Variant: v}, Reason: why})
				}
				continue
			}
			if !seen[p] { // two URLs of one distribution may share a path (other host names)
				seen[p] = true
				paths = append(paths, p)
			}
			for _, v := range t.Variants {
				covers = append(covers, Item{URL: t.URL, Variant: v})
			}
			if len(paths) == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		for _, r := range b.Requests {
			for _, p := range r.cf.paths {
				if strings.Contains(p, "?") {
					b.Notes = append(b.Notes, "a path with a query string matches only when the cache policy puts the query string in the cache key; if it does not, invalidate the path without it (--prefix host/path)")
					return nil
				}
			}
		}
		return nil
	case cachemodel.PurgePrefixes:
		b.Notes = append(b.Notes, "a prefix becomes a wildcard path (/path*): it removes every object below it, whatever its query string or Origin", waitNote)
		var paths []string
		for _, v := range b.Values {
			_, path, _ := strings.Cut(v, "/")
			p, why := cloudFrontPath(&url.URL{Path: "/" + path})
			if why != "" {
				return fmt.Errorf("--prefix %q: %s", v, why)
			}
			paths = append(paths, p+"*")
		}
		for start := 0; start < len(paths); start += batch {
			r, err := newReq(paths[start:min(start+batch, len(paths))])
			if err != nil {
				return err
			}
			r.Values = r.cf.paths
		}
		return nil
	case cachemodel.PurgeEverything, cachemodel.PurgeHosts:
		if b.Scope == cachemodel.PurgeHosts {
			b.Notes = append(b.Notes, "CloudFront invalidates per distribution, not per host name: --host invalidates the path /* , every object of distribution "+e.DistributionID)
		} else {
			b.Notes = append(b.Notes, "the path /* removes every cached object of distribution "+e.DistributionID)
		}
		b.Notes = append(b.Notes, waitNote)
		r, err := newReq([]string{"/*"})
		if err != nil {
			return err
		}
		r.Values = []string{"/*"}
		return nil
	}
	return fmt.Errorf("the cloudfront provider cannot purge by %s: CloudFront invalidates paths; use URLs, --prefix or --everything", strings.TrimSuffix(string(b.Scope), "s"))
}

// newCallerReference is unique per invalidation request: a time and 64
// random bits.
func newCallerReference() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return "corscope-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:])
}

// cloudFrontPath is the invalidation path of a URL: its path and query as
// a client sends them (CloudFront caches objects under that form), which
// starts with "/". CloudFront wants non-ASCII and RFC 1738 unsafe
// characters percent-encoded and nothing else (encoding more would miss
// the cached object); url.URL keeps the path as written when that is a
// valid encoding, and what it left raw is encoded here. A non-empty why
// says the URL cannot be named by a path.
func cloudFrontPath(u *url.URL) (path, why string) {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	if strings.Contains(p, "*") {
		return "", "a * in a CloudFront invalidation path is a wildcard, so this URL cannot be named exactly; invalidate it with --prefix"
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1:i+3]):
			b.WriteByte(c) // an escape already
		case c <= ' ' || c >= 0x7f || strings.IndexByte("\"#%<>[\\]^`{|}", c) >= 0:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// errCaptured stops the SDK once it has built and signed a request.
var errCaptured = errors.New("captured")

// captureClient is an SDK HTTP client that records the request instead of
// sending it.
type captureClient struct {
	req  *http.Request
	body []byte
}

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	c.req = r
	if r.Body != nil { // the SDK's stream is gone once Do returns
		c.body, _ = io.ReadAll(r.Body)
	}
	return nil, errCaptured
}

// dryRequest runs the SDK's own pipeline (serialisation, endpoint, signing
// with a throw-away key) up to the wire and records what it would send:
// the dry run shows the exact method, URL, headers and XML body, and
// Execute sends the same input through the same pipeline.
func (cf *cloudFrontBatch) dryRequest(inv *cfInvalidation) (*Request, error) {
	cap := &captureClient{}
	client := cf.client(aws.Credentials{AccessKeyID: "AKIDCORSCOPEDRYRUN", SecretAccessKey: "corscope-dry-run-not-a-key"}, cap)
	_, err := client.CreateInvalidation(context.Background(), inv.input())
	if cap.req == nil {
		return nil, fmt.Errorf("building the CloudFront request: %v", err)
	}
	if len(cap.body) == 0 || int64(len(cap.body)) != cap.req.ContentLength {
		return nil, fmt.Errorf("building the CloudFront request: the SDK produced no body")
	}
	r := &Request{Method: cap.req.Method, URL: cap.req.URL.String(), Body: cap.body, cf: inv}
	for _, name := range []string{"Content-Type", "User-Agent", "Amz-Sdk-Request"} {
		for _, v := range cap.req.Header.Values(name) {
			r.Headers = append(r.Headers, cachemodel.Header{Name: name, Value: v})
		}
	}
	r.Headers = append(r.Headers,
		cachemodel.Header{Name: "Content-Length", Value: fmt.Sprint(cap.req.ContentLength)},
		cachemodel.Header{Name: "Amz-Sdk-Invocation-Id", Value: "(a random UUID per request)"},
		cachemodel.Header{Name: "X-Amz-Date", Value: "(the time of sending, YYYYMMDDTHHMMSSZ)"})
	// The signature covers the time of sending, so it is computed then;
	// show its form with the access key and signature redacted.
	signed := ""
	if _, rest, ok := strings.Cut(cap.req.Header.Get("Authorization"), "SignedHeaders="); ok {
		signed, _, _ = strings.Cut(rest, ",")
	}
	r.auth = &authHeader{name: "Authorization", shown: "AWS4-HMAC-SHA256 Credential=" + Redacted + " (access key from the AWS credential chain)/YYYYMMDD/" +
		cloudFrontRegion + "/cloudfront/aws4_request, SignedHeaders=" + signed + ", Signature=" + Redacted}
	if cf.session.present() {
		r.Headers = append(r.Headers, cachemodel.Header{Name: "X-Amz-Security-Token", Value: cf.session.placeholder()})
	}
	return r, nil
}

// client is a CloudFront client that signs with creds, sends through
// httpClient and never retries by itself: Execute's retry policy bounds
// and records every attempt.
func (cf *cloudFrontBatch) client(creds aws.Credentials, httpClient cloudfront.HTTPClient) *cloudfront.Client {
	o := cloudfront.Options{
		Region:      cloudFrontRegion,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		HTTPClient:  httpClient,
		Retryer:     aws.NopRetryer{},
		AppID:       strings.ReplaceAll(cf.userAgent, "/", "_"),
	}
	if cf.baseEndpoint != "" {
		o.BaseEndpoint = aws.String(cf.baseEndpoint)
	}
	return cloudfront.New(o)
}

// resolve reads the credentials from the AWS chain once: the environment
// variables first (read through getenv, like every other token), then the
// SDK's default chain (shared config and credentials files, AWS_PROFILE,
// SSO, web identity, container and instance roles).
func (cf *cloudFrontBatch) resolve(ctx context.Context, getenv func(string) string) error {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if cf.creds != nil {
		return nil
	}
	prov := cf.provider
	if prov == nil {
		id, key := strings.TrimSpace(getenv(EnvAWSAccessKeyID)), strings.TrimSpace(getenv(EnvAWSSecretAccessKey))
		if id != "" && key != "" {
			prov = credentials.NewStaticCredentialsProvider(id, key, strings.TrimSpace(getenv(EnvAWSSessionToken)))
		} else {
			cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cloudFrontRegion))
			if err != nil {
				return fmt.Errorf("%w: loading the AWS configuration: %s", ErrConfig, termsafe.Line(err.Error(), 200))
			}
			prov = cfg.Credentials
		}
	}
	if prov == nil {
		return fmt.Errorf("%w: %s", ErrConfig, noAWSCredentials)
	}
	c, err := prov.Retrieve(ctx)
	if err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
		// The chain's own error lists every source it tried; it holds no
		// secret (there is none), but keep it short.
		reason := ""
		if err != nil {
			reason = " (" + termsafe.Line(err.Error(), 160) + ")"
		}
		return fmt.Errorf("%w: %s%s", ErrConfig, noAWSCredentials, reason)
	}
	if len(c.SecretAccessKey) < MinTokenLen || (c.SessionToken != "" && len(c.SessionToken) < MinTokenLen) {
		return fmt.Errorf("%w: the AWS secret access key or session token is shorter than %d characters (value not shown): AWS issues none that short; check the credential chain", ErrConfig, MinTokenLen)
	}
	cf.creds = &c
	cf.secretKey = secretValue(EnvAWSSecretAccessKey, c.SecretAccessKey)
	if c.SessionToken != "" {
		cf.session = secretValue(EnvAWSSessionToken, c.SessionToken)
	}
	return nil
}

const noAWSCredentials = "no AWS credentials found: the cloudfront provider reads them only from the AWS credential chain; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or AWS_PROFILE with a shared config or SSO login; they need cloudfront:CreateInvalidation and cloudfront:GetInvalidation"

// CheckCredentials is CheckTokens plus, for cloudfront batches, reading
// the credentials from the AWS credential chain (nothing is sent to
// CloudFront). getenv reads the AWS_* variables; nil means os.Getenv.
func (j *Job) CheckCredentials(ctx context.Context, getenv func(string) string) error {
	if err := j.CheckTokens(); err != nil {
		return err
	}
	if getenv == nil {
		getenv = j.getenv
	}
	for _, b := range j.Batches {
		if b.cf != nil {
			if err := b.cf.resolve(ctx, getenv); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendCloudFront runs one CreateInvalidation through the SDK, retrying
// throttling (400 Throttling, 429), 5xx and lost connections with the
// house backoff up to the retry policy's attempts. Retries reuse the
// request's CallerReference, so CloudFront never creates two
// invalidations for one request.
func (x *executor) sendCloudFront(ctx context.Context, b *Batch, r *Request) RequestResult {
	rr := RequestResult{Request: r}
	pol := x.opt.Retry
	cf := b.cf
	client := cf.client(*cf.creds, x.opt.Client)
	for attempt := 1; ; attempt++ {
		rr.Attempts = attempt
		actx, cancel := context.WithTimeout(ctx, x.opt.Timeout)
		out, err := client.CreateInvalidation(actx, r.cf.input())
		cancel()
		if err == nil {
			rr.OK, rr.Status = true, rawStatus(out.ResultMetadata, http.StatusCreated)
			id, status := "", ""
			if out.Invalidation != nil {
				id, status = aws.ToString(out.Invalidation.Id), aws.ToString(out.Invalidation.Status)
			}
			if id == "" {
				rr.OK = false
				rr.Message = fmt.Sprintf("malformed response from the CloudFront API (HTTP %d): no invalidation Id", rr.Status)
				rr.Err = errors.New(rr.Message)
				return rr
			}
			rr.IDs = []string{x.say(id)}
			rr.Message = x.say(fmt.Sprintf("created invalidation %s (%s)", id, status))
			return rr
		}
		status, hdr, code, msg := awsErrorParts(err)
		var wait time.Duration
		var why string
		switch {
		case ctx.Err() != nil:
			rr.Interrupted = true
			rr.Message = OutcomeUnknown + ": interrupted with the request in flight; the API may have received it"
			rr.Err = fmt.Errorf("%s (%w)", rr.Message, ctx.Err())
			return rr
		case status == 0:
			why = x.describeTransport(err)
			wait = pol.backoff(attempt)
		case isThrottling(status, code):
			rr.Status = status
			why = fmt.Sprintf("HTTP %d %s: throttled", status, x.say(code))
			if d, ok := rateLimitWait(hdr, x.opt.Now()); ok {
				wait = d
				why += fmt.Sprintf(" (asked to wait %s)", d)
			} else {
				wait = pol.backoff(attempt)
			}
		case status >= 500:
			rr.Status = status
			why = fmt.Sprintf("HTTP %d %s: %s", status, x.say(code), x.say(termsafe.Line(msg, 200)))
			wait = pol.backoff(attempt)
		default:
			rr.Status = status
			rr.Message = x.say(cloudFrontRefusal(status, code, msg, cf.distribution, "CreateInvalidation"))
			rr.Err = errors.New(rr.Message)
			return rr
		}
		if err := pol.stop(attempt, wait, why); err != nil {
			rr.Err, rr.Message = err, err.Error()
			return rr
		}
		if err := x.opt.Sleep(ctx, wait); err != nil {
			// Throttled (4xx) is known not done; a 5xx or a lost
			// connection may still have created the invalidation.
			rr.interruptedWaiting(status == 0 || status >= 500, why, err)
			return rr
		}
		rr.Waited += wait
	}
}

// cloudFrontRefusal is one line for an error CloudFront answered.
func cloudFrontRefusal(status int, code, msg, dist, op string) string {
	switch code {
	case "AccessDenied":
		return fmt.Sprintf("CloudFront refused (HTTP %d AccessDenied): the AWS credentials lack the cloudfront:%s permission on distribution %s", status, op, dist)
	case "NoSuchDistribution":
		return fmt.Sprintf("CloudFront has no distribution %s (HTTP %d NoSuchDistribution): check distribution_id and the AWS account of the credentials", dist, status)
	case "TooManyInvalidationsInProgress":
		return fmt.Sprintf("CloudFront refused (HTTP %d TooManyInvalidationsInProgress): distribution %s has too many invalidations in progress; wait for them to complete and try again", status, dist)
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidSignatureException":
		return fmt.Sprintf("CloudFront refused the AWS credentials (HTTP %d %s): check the credential chain", status, code)
	}
	if code == "" {
		code = "no error code"
	}
	return fmt.Sprintf("CloudFront refused the %s (HTTP %d %s): %s", op, status, code, termsafe.Line(msg, 200))
}

func isThrottling(status int, code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown":
		return true
	}
	return status == http.StatusTooManyRequests
}

// awsErrorParts reads what the server said out of an SDK error: HTTP
// status (0 when no response came), headers, error code and message.
func awsErrorParts(err error) (status int, h http.Header, code, msg string) {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		status, h = re.HTTPStatusCode(), re.Response.Header
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
		if code == "UnknownError" && status == 0 {
			code = ""
		}
	}
	return status, h, code, msg
}

func rawStatus(md middleware.Metadata, def int) int {
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		return resp.StatusCode
	}
	return def
}

// Invalidation is the wait for one CloudFront invalidation to complete.
type Invalidation struct {
	Batch    int
	ID       string
	Status   string // the last status CloudFront reported; "" when none was read
	Complete bool
	Waited   time.Duration
	Polls    int
	// Err says why completion is not known (the wait ran out, the status
	// could not be read); nil exactly when Complete.
	Err error
}

// WaitProgress is one poll of an invalidation's status, for progress
// lines.
type WaitProgress struct {
	Batch   int
	ID      string
	Status  string // "InProgress", "Completed", or "" when the poll failed
	Elapsed time.Duration
	Done    bool   // the last report for this invalidation
	Note    string // why a poll failed, or why the wait ended without Completed
}

// Line is the progress line people see.
func (p WaitProgress) Line() string {
	st := p.Status
	if st == "" {
		st = "status unknown"
	}
	s := fmt.Sprintf("waiting for CloudFront invalidation %s: %s (%d s)", p.ID, st, int(p.Elapsed.Round(time.Second)/time.Second))
	if p.Note != "" {
		s += ": " + p.Note
	}
	return termsafe.String(s)
}

// waitCloudFront polls GetInvalidation for each invalidation the batch
// created until CloudFront says Completed, with backoff, for at most
// ExecOptions.Wait in all.
func (x *executor) waitCloudFront(ctx context.Context, bi int, b *Batch, results []RequestResult) []Invalidation {
	var out []Invalidation
	client := b.cf.client(*b.cf.creds, x.opt.Client)
	start := x.opt.Now()
	deadline := start.Add(x.opt.Wait)
	for _, rr := range results {
		for _, id := range rr.IDs {
			inv := x.pollInvalidation(ctx, client, bi, b, id, start, deadline)
			out = append(out, inv)
			x.opt.Audit.waited(b, inv)
		}
	}
	return out
}

func (x *executor) pollInvalidation(ctx context.Context, client *cloudfront.Client, bi int, b *Batch, id string, start, deadline time.Time) Invalidation {
	inv := Invalidation{Batch: bi, ID: id}
	report := func(p WaitProgress) {
		p.Batch, p.ID, p.Elapsed = bi, id, x.opt.Now().Sub(start)
		inv.Waited = p.Elapsed
		if x.opt.OnWait != nil {
			x.opt.OnWait(p)
		}
	}
	delay := x.opt.PollBase
	failures := 0
	for {
		inv.Polls++
		actx, cancel := context.WithTimeout(ctx, x.opt.Timeout)
		out, err := client.GetInvalidation(actx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(b.cf.distribution), Id: aws.String(id)})
		cancel()
		note := ""
		switch {
		case ctx.Err() != nil:
			inv.Err = fmt.Errorf("interrupted while waiting for invalidation %s: %w", id, ctx.Err())
			report(WaitProgress{Status: inv.Status, Done: true, Note: "interrupted"})
			return inv
		case err == nil && out.Invalidation != nil:
			failures = 0
			inv.Status = x.say(aws.ToString(out.Invalidation.Status))
			if inv.Status == string("Completed") {
				inv.Complete = true
				report(WaitProgress{Status: inv.Status, Done: true})
				return inv
			}
		case err == nil:
			note = "malformed answer: no invalidation"
			failures++
		default:
			status, _, code, msg := awsErrorParts(err)
			switch {
			case status == 0:
				note = x.describeTransport(err)
				failures++
			case isThrottling(status, code) || status >= 500:
				note = x.say(fmt.Sprintf("HTTP %d %s", status, code))
				failures++
			default:
				// The invalidation was created; only its status is unreadable.
				inv.Err = errors.New(x.say(cloudFrontRefusal(status, code, msg, b.cf.distribution, "GetInvalidation")))
				report(WaitProgress{Status: inv.Status, Done: true, Note: inv.Err.Error()})
				return inv
			}
		}
		if failures >= 5 {
			inv.Err = fmt.Errorf("could not read the status of invalidation %s %d times in a row; last: %s", id, failures, note)
			report(WaitProgress{Status: inv.Status, Done: true, Note: inv.Err.Error()})
			return inv
		}
		now := x.opt.Now()
		if !now.Before(deadline) {
			inv.Err = fmt.Errorf("invalidation %s still %s after %s (--wait): CloudFront has not finished removing the copies", id, orUnknown(inv.Status), x.opt.Wait)
			report(WaitProgress{Status: inv.Status, Done: true, Note: "gave up waiting"})
			return inv
		}
		report(WaitProgress{Status: inv.Status, Note: note})
		d := min(delay, deadline.Sub(now))
		if err := x.opt.Sleep(ctx, d); err != nil {
			inv.Err = fmt.Errorf("interrupted while waiting for invalidation %s: %w", id, err)
			report(WaitProgress{Status: inv.Status, Done: true, Note: "interrupted"})
			return inv
		}
		delay = min(delay*3/2, x.opt.PollMax)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}
