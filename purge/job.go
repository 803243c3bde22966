package purge

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/corscope/corscope/cachemodel"
)

// Error classes. The CLI maps ErrConfig to exit 2 and ErrAPI to exit 3;
// callers test with errors.Is.
var (
	ErrConfig = errors.New("purge configuration")
	ErrAPI    = errors.New("purge failed")
)

// Item is one cached copy: a URL as requested with one Origin variant.
type Item struct {
	URL     string
	Variant cachemodel.Variant
}

// Skip is a copy a provider cannot target, and why.
type Skip struct {
	Item
	Reason string
}

// Request is one HTTP request a purge sends. It holds no credential: the
// auth header is added only while sending, and shown redacted.
type Request struct {
	Method  string
	URL     string
	Headers cachemodel.Headers // every header but the credential, in order
	Body    []byte             // nil for no body
	// Covers are the copies this request purges (URL scope); Values the
	// hosts, prefixes or tags (other scopes).
	Covers []Item
	Values []string

	auth *authHeader     // nil when no credential is sent
	cf   *cfInvalidation // cloudfront: the invalidation the SDK sends
}

// authHeader is a credential header: Name: Scheme + token.
type authHeader struct {
	name, scheme string
	token        *secret
	// shown, if set, is the whole redacted value a dry run shows (AWS
	// SigV4: computed per request when sent).
	shown string
}

func (a *authHeader) value() string { return a.scheme + a.token.value() }

// DisplayHeaders are the headers as a dry run shows them: the credential
// header included, its value redacted.
func (r *Request) DisplayHeaders() cachemodel.Headers {
	h := make(cachemodel.Headers, 0, len(r.Headers)+1)
	switch {
	case r.auth != nil && r.auth.shown != "":
		h = append(h, cachemodel.Header{Name: r.auth.name, Value: r.auth.shown})
	case r.auth != nil:
		h = append(h, cachemodel.Header{Name: r.auth.name, Value: r.auth.scheme + r.auth.token.placeholder()})
	}
	return append(h, r.Headers...)
}

// Batch is everything one configured provider does for a job.
type Batch struct {
	Provider string // ProviderCloudflare, ProviderFastly, ProviderHTTP or ProviderCloudFront
	// Account is the zone ID (cloudflare), service ID (fastly) or
	// distribution ID (cloudfront): what a
	// user types to confirm purge-everything. "" for http.
	Account string
	// Entry is the position of the [[purge]] entry in the config, -1 for a
	// default entry chosen by --provider alone.
	Entry    int
	Scope    cachemodel.PurgeScope
	Soft     bool
	Values   []string
	Targets  []cachemodel.PurgeTarget // purged (URL scope) or re-probed (others)
	Requests []*Request
	Skipped  []Skip
	Notes    []string // facts a user should know before confirming

	token     *secret
	needToken bool // the provider refuses requests without one
	// interpret reads an answer: body as received, shown the same with
	// every secret removed (what it may quote).
	interpret func(status int, h http.Header, body, shown []byte) reply
	cf        *cloudFrontBatch // cloudfront only
}

// Label names the batch for people: "cloudflare zone 023e…", "fastly
// service SU1Z…", "http PURGE".
func (b *Batch) Label() string {
	switch b.Provider {
	case ProviderCloudflare:
		return "cloudflare zone " + b.Account
	case ProviderCloudFront:
		return "cloudfront distribution " + b.Account
	case ProviderFastly:
		if b.Account == "" {
			return "fastly"
		}
		return "fastly service " + b.Account
	}
	if len(b.Requests) > 0 {
		return "http " + b.Requests[0].Method
	}
	return "http"
}

// Job is a prepared purge: the plan and the requests, per provider.
// Nothing has been sent.
type Job struct {
	Plan    cachemodel.PurgePlan
	Batches []*Batch

	getenv func(string) string // Options.Getenv, for the AWS credential chain
}

// RequestCount is how many requests Execute will send (before retries).
func (j *Job) RequestCount() int {
	n := 0
	for _, b := range j.Batches {
		n += len(b.Requests)
	}
	return n
}

// CheckTokens reports the token variables that must be set before the job
// can run. A dry run needs none.
func (j *Job) CheckTokens() error {
	var missing []string
	for _, b := range j.Batches {
		if b.token.present() && len(b.token.value()) < MinTokenLen {
			return fmt.Errorf("%w: the token in $%s is shorter than %d characters (value not shown): no API issues tokens that short, and corscope could not keep one out of what servers answer; put the real token there", ErrConfig, b.token.env, MinTokenLen)
		}
		if b.needToken && !b.token.present() && !containsStr(missing, b.token.env) {
			missing = append(missing, b.token.env)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: set $%s (the API token; it is read only from the environment)", ErrConfig, strings.Join(missing, ", $"))
}

func (j *Job) secrets() []*secret {
	var out []*secret
	for _, b := range j.Batches {
		if b.token.present() {
			out = append(out, b.token)
		}
		if b.cf != nil {
			b.cf.mu.Lock()
			for _, s := range []*secret{b.cf.secretKey, b.cf.session} {
				if s.present() {
					out = append(out, s)
				}
			}
			b.cf.mu.Unlock()
		}
	}
	return out
}

// Options say how to route a plan.
type Options struct {
	// Providers are the config's [[purge]] entries, in file order: the
	// first whose hosts match a target serves it.
	Providers []Settings
	// Provider (--provider) restricts routing to entries of that kind; when
	// there is none, a default entry of that kind serves every host (only
	// possible for fastly and http: cloudflare needs a zone_id).
	Provider string
	// Getenv reads token variables; default os.Getenv.
	Getenv func(string) string
	// UserAgent is sent with every request; default "corscope".
	UserAgent string
	// AWSCredentials, if set, replaces the AWS credential chain for
	// cloudfront entries (tests).
	AWSCredentials aws.CredentialsProvider
}

// Prepare routes a plan to providers and lays out every request. It sends
// nothing and reads tokens only to know whether they are set.
func Prepare(plan cachemodel.PurgePlan, opt Options) (*Job, error) {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "corscope"
	}
	entries, err := candidateEntries(opt)
	if err != nil {
		return nil, err
	}
	choose := func(host string) (string, bool) {
		if host == "" { // tags/everything with no URL: only an unambiguous provider
			if len(entries) == 1 {
				return strconv.Itoa(0), true
			}
			return "", false
		}
		for i, e := range entries {
			if e.Matches(host) {
				return strconv.Itoa(i), true
			}
		}
		return "", false
	}
	groups, err := plan.GroupByProvider(choose)
	if err != nil {
		if len(entries) == 0 {
			return nil, fmt.Errorf("%w: no purge provider configured: add a [[purge]] entry to the config file, or pass --provider http", ErrConfig)
		}
		if plan.Scope == cachemodel.PurgeTags || plan.Scope == cachemodel.PurgeEverything {
			if _, ok := choose(""); !ok && len(plan.Targets) == 0 {
				return nil, fmt.Errorf("%w: %d purge providers are configured; give a URL of the zone or service to pick one, or --provider", ErrConfig, len(entries))
			}
		}
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	job := &Job{Plan: plan, getenv: opt.Getenv}
	for _, g := range groups {
		i, _ := strconv.Atoi(g.Provider)
		e := entries[i]
		b := &Batch{Provider: e.entry.Provider, Entry: e.index, Scope: plan.Scope, Values: g.Values, Targets: g.Targets}
		if err := build(b, e.entry, opt); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		job.Batches = append(job.Batches, b)
	}
	return job, nil
}

// routeEntry is a config entry with its position in the file.
type routeEntry struct {
	entry Settings
	index int
}

func (r routeEntry) Matches(host string) bool { return r.entry.Matches(host) }

func candidateEntries(opt Options) ([]routeEntry, error) {
	var out []routeEntry
	switch opt.Provider {
	case "", ProviderCloudflare, ProviderFastly, ProviderHTTP, ProviderCloudFront:
	default:
		return nil, fmt.Errorf("%w: unknown provider %q: want cloudflare, fastly, http or cloudfront", ErrConfig, opt.Provider)
	}
	for i, e := range opt.Providers {
		if opt.Provider == "" || e.Provider == opt.Provider {
			out = append(out, routeEntry{entry: e, index: i})
		}
	}
	if opt.Provider != "" && len(out) == 0 {
		switch opt.Provider {
		case ProviderCloudflare:
			return nil, fmt.Errorf("%w: --provider cloudflare needs a [[purge]] entry with provider = \"cloudflare\" and the zone_id", ErrConfig)
		case ProviderCloudFront:
			return nil, fmt.Errorf("%w: --provider cloudfront needs a [[purge]] entry with provider = \"cloudfront\" and the distribution_id", ErrConfig)
		case ProviderFastly:
			out = append(out, routeEntry{entry: Settings{Provider: ProviderFastly, APIBase: DefaultFastlyAPI}, index: -1})
		case ProviderHTTP:
			out = append(out, routeEntry{entry: Settings{Provider: ProviderHTTP, Method: DefaultHTTPPurgeMethod}, index: -1})
		}
	}
	return out, nil
}

// build fills a batch's requests with its provider's layout.
func build(b *Batch, e Settings, opt Options) error {
	switch e.Provider {
	case ProviderCloudflare:
		return buildCloudflare(b, e, opt)
	case ProviderFastly:
		return buildFastly(b, e, opt)
	case ProviderHTTP:
		return buildHTTP(b, e, opt)
	case ProviderCloudFront:
		return buildCloudFront(b, e, opt)
	}
	return fmt.Errorf("unknown provider %q", e.Provider)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// baseHeaders are sent with every API request.
func baseHeaders(ua string) cachemodel.Headers {
	return cachemodel.Headers{{Name: "User-Agent", Value: ua}, {Name: "Accept", Value: "application/json"}}
}
