package cachemodel

// CacheStatus is a cache outcome normalised across vendors.
type CacheStatus string

// Normalised cache statuses.
const (
	StatusHit         CacheStatus = "HIT"
	StatusMiss        CacheStatus = "MISS"
	StatusExpired     CacheStatus = "EXPIRED"
	StatusStale       CacheStatus = "STALE"
	StatusRevalidated CacheStatus = "REVALIDATED"
	StatusUpdating    CacheStatus = "UPDATING"
	StatusBypass      CacheStatus = "BYPASS"
	StatusDynamic     CacheStatus = "DYNAMIC"
	StatusPass        CacheStatus = "PASS"
	StatusUnknown     CacheStatus = "UNKNOWN"
)

// ServedFromCache reports whether the status means the body came from a
// stored object (fresh, stale or revalidated) rather than a new origin fetch.
func (s CacheStatus) ServedFromCache() bool {
	switch s {
	case StatusHit, StatusStale, StatusRevalidated, StatusUpdating:
		return true
	}
	return false
}

// CacheLayer is one cache on the path as a status header describes it.
// Layers are ordered as RFC 9211 orders them: closest to the origin first,
// closest to the user last.
type CacheLayer struct {
	Name   string      // cache id from Cache-Status, node from X-Cache, or ""
	Status CacheStatus // normalised
	Raw    string      // the member or list entry as received
}

// CacheVerdict is the normalised cache status of one response and where it
// came from.
type CacheVerdict struct {
	Status CacheStatus
	// Source is the header the status was read from ("CF-Cache-Status",
	// "Cache-Status", "X-Cache", "X-Varnish", "Age", ...), "" when nothing
	// told us.
	Source string
	Raw    string // the source header's value as received
	// Weak is true when the status rests only on a weak hint (Age).
	Weak   bool
	Layers []CacheLayer
}

// Provider is the CDN or cache product a response appears to come from.
type Provider string

// Known providers.
const (
	ProviderCloudflare    Provider = "cloudflare"
	ProviderFastly        Provider = "fastly"
	ProviderCloudFront    Provider = "cloudfront"
	ProviderAkamai        Provider = "akamai"
	ProviderVarnish       Provider = "varnish"
	ProviderNginx         Provider = "nginx"
	ProviderSquid         Provider = "squid"
	ProviderTrafficServer Provider = "trafficserver"
	ProviderVercel        Provider = "vercel"
	ProviderNetlify       Provider = "netlify"
	ProviderUnknown       Provider = "unknown"
)

// CredentialsMode is the request's credentials mode as far as the CORS check
// cares: credentials are either included or not.
type CredentialsMode bool

// Credentials modes.
const (
	Anonymous    CredentialsMode = false // "omit" / "same-origin": cookies not sent cross-origin
	Credentialed CredentialsMode = true  // "include"
)

// BlockReason says why a browser would block a response. The empty reason
// means allowed.
type BlockReason string

// Reasons the CORS check fails, worded for a user.
const (
	ReasonNone            BlockReason = ""
	ReasonMissingACAO     BlockReason = "missing-acao"
	ReasonDuplicateACAO   BlockReason = "duplicate-acao"
	ReasonACAOMismatch    BlockReason = "acao-mismatch"
	ReasonWildcardCreds   BlockReason = "wildcard-with-credentials"
	ReasonACACMissing     BlockReason = "acac-missing"
	ReasonACACNotTrue     BlockReason = "acac-not-true"
	ReasonPreflightStatus BlockReason = "preflight-status"
	ReasonMethodDenied    BlockReason = "method-not-allowed"
	ReasonHeaderDenied    BlockReason = "header-not-allowed"
	ReasonBadAllowList    BlockReason = "unparsable-allow-list"
)

// CORSCheck is the browser's verdict on one response for one credentials
// mode.
type CORSCheck struct {
	Allowed bool
	Reason  BlockReason
	// Detail is a short human explanation, e.g.
	// `ACAO "https://a.example" does not match Origin "https://b.example"`.
	Detail string
}
