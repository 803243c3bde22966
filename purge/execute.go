package purge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/corscope/corscope/internal/termsafe"
)

// reply is a provider's reading of one response.
type reply struct {
	ok        bool
	notCached bool     // http provider: the cache had nothing under that key
	ids       []string // purge ids the API returned
	message   string   // short outcome for people
	errText   string   // why it failed; set exactly when !ok
}

// interruptedWaiting records an interrupt during the wait before a retry:
// when the failed attempt may still have purged, the outcome is unknown
// (Interrupted); otherwise the copy is known not purged.
func (rr *RequestResult) interruptedWaiting(mayHavePurged bool, why string, err error) {
	if mayHavePurged {
		rr.Interrupted = true
		rr.Message = fmt.Sprintf("%s: interrupted while waiting to retry after %s", OutcomeUnknown, why)
	} else {
		rr.Message = fmt.Sprintf("not purged: interrupted while waiting to retry after %s", why)
	}
	rr.Err = fmt.Errorf("%s (%w)", rr.Message, err)
}

// RequestResult is what happened to one request.
type RequestResult struct {
	Batch   int // index into Job.Batches
	Index   int // index into the batch's Requests
	Request *Request
	// Attempts counts sends, retries included; 0 when never sent.
	Attempts int
	Status   int // the last HTTP status; 0 when no response came
	OK       bool
	// NotCached is set when a cache said it held nothing under the purge
	// key (404/412 from ngx_cache_purge or Squid). It is not a failure, but
	// for an Origin variant it can mean the purge key misses the cache key.
	NotCached bool
	IDs       []string      // purge ids
	Message   string        // the outcome in words; server text made terminal-safe, secrets removed
	Err       error         // non-nil exactly when !OK
	Waited    time.Duration // time spent waiting for Retry-After, rate limits and backoff
	// Interrupted is set when the run was cancelled with this request in
	// flight or between its retries: the API may have acted on it, so its
	// outcome is unknown (Message says so). OK is false.
	Interrupted bool
}

// Result is the outcome of Execute.
type Result struct {
	Started, Finished time.Time
	Requests          []RequestResult // in job order; requests never sent are absent
	// Invalidations are the waits for CloudFront invalidations to
	// complete, in job order.
	Invalidations []Invalidation
}

// Failed counts requests that did not succeed.
func (r Result) Failed() int {
	n := 0
	for _, q := range r.Requests {
		if !q.OK {
			n++
		}
	}
	return n
}

// Covering returns the results of the requests that purged the copy.
func (r Result) Covering(it Item) []RequestResult {
	var out []RequestResult
	for _, q := range r.Requests {
		for _, c := range q.Request.Covers {
			if c == it {
				out = append(out, q)
				break
			}
		}
	}
	return out
}

// RetryPolicy bounds retries. Zero fields take the defaults.
type RetryPolicy struct {
	Attempts int           // sends per request, first included; default 4
	Base     time.Duration // first backoff, doubled per retry; default 1s
	Max      time.Duration // longest backoff; default 30s
	// MaxWait is the longest Retry-After or rate-limit reset honoured; a
	// server asking for more fails the request instead. Default 2m.
	MaxWait time.Duration
}

// stop says why a failed send is not retried: the attempts are used up,
// or the server asks for a longer wait than corscope gives; nil when the
// send may be retried after wait.
func (pol RetryPolicy) stop(attempt int, wait time.Duration, why string) error {
	if attempt >= pol.Attempts {
		return fmt.Errorf("gave up after %d attempts: %s", attempt, why)
	}
	if wait > pol.MaxWait {
		return fmt.Errorf("%s: that is longer than the %s corscope waits; try again later", why, pol.MaxWait)
	}
	return nil
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 2 * time.Minute
	}
	return p
}

func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// ExecOptions tune Execute. Zero values take defaults.
type ExecOptions struct {
	// Client sends the requests. Default: a private transport honouring
	// HTTP(S)_PROXY that never follows redirects (a redirect must not carry
	// a credential elsewhere).
	Client  *http.Client
	Timeout time.Duration // per attempt; default 30s
	Retry   RetryPolicy
	// Sleep waits between attempts; default a timer that stops early when
	// ctx ends. Tests inject one that records and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// OnResult, if set, sees each request's result as it completes.
	OnResult func(RequestResult)
	// Audit, if set, gets a "sending" line just before each request goes
	// out and a "result" line when its outcome is known.
	Audit *AuditLog
	// Wait bounds the wait for CloudFront invalidations to complete, per
	// batch; default 15m. PollBase is the first pause between status
	// polls (default 2s), growing by half each poll up to PollMax
	// (default 20s).
	Wait, PollBase, PollMax time.Duration
	// OnWait, if set, sees each status poll of an invalidation.
	OnWait func(WaitProgress)
}

const maxResponseBytes = 1 << 20

// Execute sends every request of the job, batch by batch, in order. It
// retries 429 (after Retry-After or the Ratelimit reset), 5xx and transport
// failures with exponential backoff, up to RetryPolicy.Attempts, and pauses
// when a response says the rate-limit budget is spent.
//
// The error is nil when every request succeeded; otherwise it wraps ErrAPI
// (some request failed), ErrConfig (a required token is not set: nothing
// is sent) or the context's error. The Result is valid in every case.
func Execute(ctx context.Context, job *Job, opt ExecOptions) (Result, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleepCtx
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	opt.Retry = opt.Retry.withDefaults()
	if opt.Wait <= 0 {
		opt.Wait = 15 * time.Minute
	}
	if opt.PollBase <= 0 {
		opt.PollBase = 2 * time.Second
	}
	if opt.PollMax <= 0 {
		opt.PollMax = 20 * time.Second
	}
	if opt.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		opt.Client = &http.Client{Transport: tr, CheckRedirect: noRedirects}
	}
	res := Result{Started: opt.Now()}
	if err := job.CheckCredentials(ctx, nil); err != nil {
		res.Finished = opt.Now()
		return res, err
	}
	x := executor{opt: opt, secrets: job.secrets()}
	var firstErr, pending error
	n, total := 0, job.RequestCount()
	for bi, b := range job.Batches {
		x.pause = 0
		var batchResults []RequestResult
		for ri, r := range b.Requests {
			if err := ctx.Err(); err != nil {
				res.Finished = opt.Now()
				return res, fmt.Errorf("purge interrupted: %w", err)
			}
			if x.pause > 0 {
				if err := opt.Sleep(ctx, x.pause); err != nil {
					res.Finished = opt.Now()
					return res, fmt.Errorf("purge interrupted: %w", err)
				}
				x.pause = 0
			}
			n++
			opt.Audit.sending(b, r, n, total)
			var rr RequestResult
			if r.cf != nil {
				rr = x.sendCloudFront(ctx, b, r)
			} else {
				rr = x.send(ctx, b, r)
			}
			rr.Batch, rr.Index = bi, ri
			batchResults = append(batchResults, rr)
			opt.Audit.result(b, rr, n, total)
			res.Requests = append(res.Requests, rr)
			if opt.OnResult != nil {
				opt.OnResult(rr)
			}
			if rr.Err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %s %s: %w", b.Label(), r.Method, r.URL, rr.Err)
			}
		}
		// CloudFront invalidates asynchronously: wait for every invalidation
		// of the batch to complete, or verification would re-probe copies
		// still being removed. Only when the whole batch was accepted: a
		// failed batch fails the purge, and nothing is verified.
		if b.cf != nil && firstErr == nil && ctx.Err() == nil {
			invs := x.waitCloudFront(ctx, bi, b, batchResults)
			res.Invalidations = append(res.Invalidations, invs...)
			for _, inv := range invs {
				if inv.Err != nil && pending == nil {
					pending = fmt.Errorf("%s: %w", b.Label(), inv.Err)
				}
			}
		}
	}
	res.Finished = opt.Now()
	if ctx.Err() != nil {
		return res, fmt.Errorf("purge interrupted: %w", ctx.Err())
	}
	if firstErr != nil {
		return res, fmt.Errorf("%w: %d of %d requests failed; first: %v", ErrAPI, res.Failed(), len(res.Requests), firstErr)
	}
	if pending != nil {
		return res, fmt.Errorf("%w: the purge was accepted, but %v", ErrPending, pending)
	}
	return res, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type executor struct {
	opt     ExecOptions
	secrets []*secret
	pause   time.Duration // wait before the next request of this batch
}

// send runs one request with retries.
func (x *executor) send(ctx context.Context, b *Batch, r *Request) RequestResult {
	rr := RequestResult{Request: r}
	pol := x.opt.Retry
	for attempt := 1; ; attempt++ {
		rr.Attempts = attempt
		status, hdr, body, err := x.roundTrip(ctx, r)
		var wait time.Duration
		var why string
		switch {
		case err != nil:
			if ctx.Err() != nil {
				rr.Interrupted = true
				rr.Message = OutcomeUnknown + ": interrupted with the request in flight; the API may have received it"
				rr.Err = fmt.Errorf("%s (%w)", rr.Message, ctx.Err())
				return rr
			}
			why = x.describeTransport(err)
			wait = pol.backoff(attempt)
		case status == http.StatusTooManyRequests:
			rr.Status = status
			why = "HTTP 429 rate limited"
			if d, ok := rateLimitWait(hdr, x.opt.Now()); ok {
				wait = d
				why += fmt.Sprintf(" (asked to wait %s)", d)
			} else {
				wait = pol.backoff(attempt)
			}
		case status >= 500:
			rr.Status = status
			why = fmt.Sprintf("HTTP %d: %s", status, snippet(x.redact(body)))
			wait = pol.backoff(attempt)
		default:
			rr.Status = status
			// The provider reads the answer as the server sent it (redacting
			// first could turn JSON into something else); only what it
			// quotes or decodes for people is redacted, below.
			rep := b.interpret(status, hdr, body, x.redact(body))
			// Provider answers are server text: redact and escape them
			// here, once, so every consumer (CLI, TUI, audit log) gets
			// secret-free, terminal-safe messages whatever the provider's
			// JSON decoded to.
			rr.OK, rr.NotCached, rr.IDs, rr.Message = rep.ok, rep.notCached, rep.ids, x.say(rep.message)
			for i, id := range rr.IDs {
				rr.IDs[i] = x.say(id)
			}
			if !rep.ok {
				rr.Message = x.say(rep.errText)
				rr.Err = errors.New(rr.Message)
			}
			if d, ok := budgetSpent(hdr); ok {
				x.pause = min(d, pol.MaxWait)
			}
			return rr
		}
		if err := pol.stop(attempt, wait, why); err != nil {
			rr.Err, rr.Message = err, err.Error()
			return rr
		}
		if err := x.opt.Sleep(ctx, wait); err != nil {
			// A 429 was refused, not done; a 5xx or a lost connection may
			// still have purged.
			rr.interruptedWaiting(status != http.StatusTooManyRequests, why, err)
			return rr
		}
		rr.Waited += wait
	}
}

// redact is body with every secret removed: what a provider may quote.
func (x *executor) redact(body []byte) []byte { return []byte(scrubAll(string(body), x.secrets)) }

// say makes text a provider read from an answer fit to show: secrets
// removed (also where the server escaped or encoded them), then escaped
// for terminals.
func (x *executor) say(text string) string { return termsafe.String(scrubAll(text, x.secrets)) }

// roundTrip sends one attempt and returns the body as received: callers
// redact what they show (redact, say).
func (x *executor) roundTrip(ctx context.Context, r *Request) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, x.opt.Timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return 0, nil, nil, err
	}
	for _, h := range r.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	if r.auth != nil && r.auth.token.present() {
		req.Header.Set(r.auth.name, r.auth.value())
	}
	resp, err := x.opt.Client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, data, nil
}

func (x *executor) describeTransport(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("no answer within %s (timeout)", x.opt.Timeout)
	}
	return termsafe.Line(scrubAll(err.Error(), x.secrets), 300)
}

// snippet is a short, terminal-safe excerpt of an untrusted response body.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty body)"
	}
	return termsafe.Line(s, 200)
}
