package purge

import (
	"net/url"
	"strings"
)

// Settings is one purge provider and the hosts it serves: plain data that
// config produces from the file (config.Purge is this type) and Prepare
// consumes. Fields that do not apply to the provider are always zero.
type Settings struct {
	Provider string   // ProviderCloudflare, ProviderFastly, ProviderHTTP or ProviderCloudFront
	Hosts    []string // host patterns ("example.com", "*.example.com"); empty means every host
	// TokenEnv names the environment variable holding the credential. The
	// config file never holds the credential itself.
	TokenEnv    string
	APIBase     string // cloudflare, fastly, cloudfront: API root URL
	ZoneID      string // cloudflare
	BatchSize   int    // cloudflare, cloudfront: URLs (paths) per purge request
	Soft        bool   // cloudflare, fastly: mark stale instead of evicting
	ServiceID   string // fastly: needed only for surrogate-key and purge-all requests
	Method      string // http: request method
	URLTemplate string // http: purge endpoint; "" sends Method to the target URL itself
	// DistributionID is the CloudFront distribution whose edges are
	// invalidated (cloudfront).
	DistributionID string
}

// Provider names, as written in the config file and --provider.
const (
	ProviderCloudflare = "cloudflare"
	ProviderFastly     = "fastly"
	ProviderHTTP       = "http"
	ProviderCloudFront = "cloudfront"
)

// Provider defaults.
const (
	DefaultCloudflareAPI   = "https://api.cloudflare.com/client/v4"
	DefaultCloudflareBatch = 30 // URL purge limit per request on most plans
	DefaultFastlyAPI       = "https://api.fastly.com"
	DefaultHTTPPurgeMethod = "PURGE"
	// DefaultCloudFrontAPI is CloudFront's global endpoint; requests to it
	// are signed for us-east-1.
	DefaultCloudFrontAPI = "https://cloudfront.amazonaws.com"
	// DefaultCloudFrontBatch is the paths per invalidation: CloudFront
	// accepts up to 3,000 in progress per distribution.
	DefaultCloudFrontBatch = 1000
	// MaxCloudFrontBatch is CloudFront's limit of file paths in progress.
	MaxCloudFrontBatch = 3000
)

// Matches reports whether a purge provider serves host. A pattern
// "*.example.com" matches any subdomain (not example.com itself); no
// patterns match every host.
func (p Settings) Matches(host string) bool {
	if len(p.Hosts) == 0 {
		return true
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.Hosts {
		if pat == "*" || pat == host {
			return true
		}
		if suffix, ok := strings.CutPrefix(pat, "*"); ok && strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
			return true
		}
	}
	return false
}

// URLPlaceholders are the placeholders of the http provider's URLTemplate.
var URLPlaceholders = []string{"{url}", "{scheme}", "{host}", "{path}"}

// ExpandURL fills in an http provider's URLTemplate for one target:
// {url} is the whole target URL query-escaped (to pass it as a parameter),
// {scheme} and {host} (with any port) are as in the URL, {path} is the
// path and query as sent. With no template the target URL itself is the
// purge URL.
func (p Settings) ExpandURL(target *url.URL) string {
	if p.URLTemplate == "" {
		return target.String()
	}
	return strings.NewReplacer(
		"{url}", url.QueryEscape(target.String()),
		"{scheme}", target.Scheme,
		"{host}", target.Host,
		"{path}", target.RequestURI(),
	).Replace(p.URLTemplate)
}
