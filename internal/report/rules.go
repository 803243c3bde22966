package report

import (
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// RuleInfo is a finding rule as the SARIF writer describes it: the
// catalogue of docs/findings.md in short.
type RuleInfo struct {
	ID    string
	Short string // one line: what the rule reports
	Full  string // when it fires and why it matters
	Fix   string // the general fix (each finding carries its own as well)
	// Severity is the highest severity the rule reports; findings may be
	// rated lower (see docs/findings.md).
	Severity cachemodel.Severity
}

// Name is the rule id in PascalCase (SARIF's reportingDescriptor.name).
func (r RuleInfo) Name() string {
	var b strings.Builder
	for _, part := range strings.Split(r.ID, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

const (
	fixVary  = "Send Vary: Origin on every response of the URL (also to requests without Origin and to disallowed origins), or one fixed ACAO such as * and no Vary; on the cache, keep Origin in the cache key, then purge."
	fixTrust = "Compare the Origin with an exact allow-list of serialized origins (scheme://host[:port]) by byte equality: no prefix or suffix matching, no unanchored or unescaped regular expressions, never null, only https://, port included; list subdomains explicitly; send Vary: Origin."
)

// ruleNoVerdict is the SARIF rule of a target without a complete verdict
// (state failed, partial, non-2xx or canceled): no finding is not "clean".
const ruleNoVerdict = "target-no-verdict"

// Rules is the rule catalogue, in the order of docs/findings.md.
var Rules = []RuleInfo{
	{cachemodel.RuleEdgesDisagree, "Edges or vantage points disagree: one served a poisoned copy, another did not",
		"The same URL and Origin variants, sent through several edge addresses (--edge) or merged from several vantage points, got a copy stored for another request at one and not at another: users who reach that edge are broken while others are fine, which is why such reports read \"CORS fails randomly\".",
		fixVary + " Purge at every edge (a managed CDN's purge is global; a cache you run needs one purge per edge).", cachemodel.SevHigh},
	{cachemodel.RuleBrowserDisagrees, "A real browser decided otherwise than corscope's verdict",
		"With --confirm-in, a headless browser fetched the target from a page at the origin and was allowed where corscope's verdict blocks, or blocked where it allows: the cache or server answered the browser differently, or corscope's reading is wrong.",
		"Re-run in observe mode with --rounds 3 to see whether the answer changes between requests; report it with the JSON report if it does not.", cachemodel.SevMedium},
	{cachemodel.RuleVaryOriginMissing, "ACAO depends on the Origin but a shared-cacheable response lacks Vary: Origin",
		"Two of the server's own answers for different Origins carry different Access-Control-Allow-Origin, and a shared-cacheable response lacks Vary: Origin: a cache stores one Origin's copy (or the no-Origin copy) and serves it to everyone.",
		fixVary, cachemodel.SevMedium},
	{cachemodel.RuleCacheServedWrongOrigin, "A cache served a copy whose ACAO names another origin",
		"A CORS request got a stored copy whose Access-Control-Allow-Origin names another origin while the server's own answer differs: browsers block it, and whoever fills the cache decides for whom the resource works.",
		fixVary + " When the response already says Vary: Origin, make the cache honour it or key on Origin.", cachemodel.SevHigh},
	{cachemodel.RuleCacheServedWithoutACAO, "A cache served a copy without ACAO to an Origin the server grants",
		"A CORS request got a stored copy without Access-Control-Allow-Origin while the server grants that Origin when asked fresh: CORS works until someone loads the file without CORS.",
		fixVary, cachemodel.SevMedium},
	{cachemodel.RuleCachedCopyWithoutACAO, "Every answer to a given origin was a cached copy without ACAO",
		"No request from a given origin got Access-Control-Allow-Origin and every 2xx answer was a stored copy or came through a cache: it may be a resource without CORS, or a no-Origin copy served to every Origin.",
		"Run isolate mode (--mode isolate): it asks the server on fresh cache keys.", cachemodel.SevLow},
	{cachemodel.RuleCDNIgnoresVary, "The cache ignores Vary: Origin",
		"The stored response says Vary: Origin, yet it was served to a request with a different Origin, or carries CORS headers made for another Origin.",
		"Make the cache honour Vary: Origin or add Origin to its cache key (cache policy, vcl_hash, proxy_cache_key, Cache ID Modification), then purge.", cachemodel.SevMedium},
	{cachemodel.RulePreflightCacheableNoVary, "A cacheable preflight answer depends on the Origin without Vary: Origin",
		"Preflight answers for different Origins carry different ACAO, and a preflight response without Vary: Origin is explicitly cacheable or was served from cache.",
		"Send Vary: Origin (and Access-Control-Request-Method/-Headers where the answer depends on them) on preflights, or Cache-Control: no-store on OPTIONS.", cachemodel.SevMedium},
	{cachemodel.RuleCredentialedSharedCache, "A credentialed CORS response is shared-cacheable",
		"A response grants an origin with Access-Control-Allow-Credentials: true and is shared-cacheable without Vary: Cookie: a shared cache may hand one user's response to others.",
		"Cache-Control: private (or no-store) on responses to credentialed requests, or Vary: Cookie; bypass the CDN cache for requests with Cookie or Authorization.", cachemodel.SevMedium},
	{cachemodel.RuleCORSInconsistent, "The same request got different CORS headers at different times",
		"The same request (same Origin, request type and status) got different ACAO, ACAC or Vary: Origin: CORS works intermittently, typically several backends or a layer rewriting headers.",
		"Make every backend and cache layer answer the same Origin the same way; compare Server/Via to find the odd one out.", cachemodel.SevLow},
	{cachemodel.RuleCacheBusterIneffective, "The cache-busting parameter does not give fresh cache keys",
		"Isolate mode's first request on a fresh key was already served from cache, so the experiments are inconclusive and generated origins were not sent.",
		"Choose a --cache-buster the cache keeps in its key, or use --mode observe.", cachemodel.SevInfo},
	{cachemodel.RuleOriginReflectedAny, "The server allows any Origin (reflection)",
		"An unrelated generated origin was granted: the server reflects any Origin.", fixTrust, cachemodel.SevHigh},
	{cachemodel.RuleOriginNullAllowed, "The server allows Origin: null",
		"Origin null is granted: null is every sandboxed iframe and data:/file: page, not one site.", fixTrust, cachemodel.SevHigh},
	{cachemodel.RuleOriginBypassSuffix, "The origin check accepts look-alike suffixes",
		"An origin ending with the allowed host (evilapp.example.com) was granted: the check uses endsWith.", fixTrust, cachemodel.SevHigh},
	{cachemodel.RuleOriginBypassPrefix, "The origin check accepts look-alike prefixes",
		"An origin starting with the allowed origin (app.example.com.attacker.example) was granted: the check uses startsWith.", fixTrust, cachemodel.SevHigh},
	{cachemodel.RuleOriginBypassUnescapedDot, "The origin check has an unescaped dot",
		"An origin with a letter in place of a dot was granted: a regular expression with an unescaped dot.", fixTrust, cachemodel.SevHigh},
	{cachemodel.RuleOriginBypassSpecialChar, "The origin check stops at special characters",
		"An origin with a special character after the allowed host was granted: the pattern stops at it.", fixTrust, cachemodel.SevHigh},
	{cachemodel.RuleOriginSubdomainAllowed, "Any subdomain is allowed",
		"A generated subdomain of the allowed origin was granted.", fixTrust, cachemodel.SevLow},
	{cachemodel.RuleOriginInsecureScheme, "The http:// origin is allowed",
		"The http:// version of the allowed origin was granted: the scheme is not compared, so a network attacker can read the resource.", fixTrust, cachemodel.SevMedium},
	{cachemodel.RuleOriginAnyPort, "Any port of the origin is allowed",
		"The allowed host on another port was granted: the port is not compared.", fixTrust, cachemodel.SevLow},
	{cachemodel.RuleWildcardWithCredentials, "ACAO * together with credentials",
		"Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true: browsers refuse every credentialed request.",
		"Echo the allowed Origin with ACAC: true and Vary: Origin, or drop ACAC and keep *.", cachemodel.SevLow},
	{cachemodel.RuleWildcardOrigin, "ACAO * (public resource)",
		"Access-Control-Allow-Origin: * without credentials: fine for public resources.",
		"Nothing, unless the data is not public (intranet, IP-based access).", cachemodel.SevInfo},
	{cachemodel.RuleACAOInvalid, "Access-Control-Allow-Origin a browser cannot accept",
		"ACAO on several lines, a list, a trailing slash, a path, a pattern, upper case or a default port: browsers block the response.",
		"One ACAO line with one serialized origin, null or *.", cachemodel.SevLow},
	{cachemodel.RuleACACInvalid, "Access-Control-Allow-Credentials not exactly true",
		"ACAC is not exactly one line \"true\" (True, duplicates): browsers refuse credentialed reads.",
		"Access-Control-Allow-Credentials: true, once, or no header.", cachemodel.SevLow},
	{cachemodel.RuleVarySplitLines, "Vary sent on several header lines",
		"Vary came on several header lines; HTTP combines them but some caches and CDNs read only the first line.",
		"One line: Vary: accept-encoding, origin.", cachemodel.SevLow},
	{cachemodel.RuleMaxAgeOverBrowserCap, "Access-Control-Max-Age above the browser's cap",
		"A preflight's Access-Control-Max-Age is above 7200 (Chromium's cap; Firefox caps at 86400).",
		"At most 7200.", cachemodel.SevInfo},
	{cachemodel.RulePreflightMethodDenied, "The preflight does not allow the request method",
		"A configured origin's preflight does not allow --request-method.",
		"List the method in Access-Control-Allow-Methods (* only without credentials).", cachemodel.SevLow},
	{cachemodel.RulePreflightHeaderDenied, "The preflight does not allow a request header",
		"A configured origin's preflight does not allow a --request-headers header.",
		"List the header in Access-Control-Allow-Headers (* only without credentials, never for Authorization).", cachemodel.SevLow},
	{cachemodel.RuleAuthorizationWildcard, "Authorization allowed only through Access-Control-Allow-Headers: *",
		"A preflight lets Authorization through only by Access-Control-Allow-Headers: *: allowed by today's browsers with a deprecation warning, blocked by the Fetch standard.",
		"List Authorization in Access-Control-Allow-Headers by name.", cachemodel.SevLow},
	{cachemodel.RulePolicyAllowedOriginBlocked, "An --allow origin is blocked",
		"An origin the policy (--allow) says should be allowed fails the browser's CORS check.",
		"Make the server's allow-list match the policy exactly (origins as browsers send them), or correct --allow.", cachemodel.SevMedium},
	{cachemodel.RulePolicyUnexpectedAllowed, "An origin outside --allow is allowed",
		"An origin outside the policy (a configured, generated or null origin) passes the browser's CORS check.",
		"Make the server's allow-list match the policy exactly, or correct --allow.", cachemodel.SevHigh},
	{cachemodel.RuleCORSNotEnabled, "CORS is not enabled for the given origins",
		"The server answered the given origins with a fresh 2xx but none carried Access-Control-Allow-Origin: browsers block every cross-origin read from them.",
		"If pages on these origins must read it, send ACAO (the request's Origin from an exact allow-list with Vary: Origin, or * for public data); otherwise nothing is wrong.", cachemodel.SevMedium},
	{ruleNoVerdict, "No complete verdict for the target",
		"The target's requests failed, partly failed, got no 2xx or were canceled: corscope has no complete verdict, which is not the same as no finding.",
		"Check the state detail (connection errors, error pages), fix reachability or the URL, and run again.", cachemodel.SevHigh},
}

// ruleIndex maps a rule id to its index in Rules.
var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(Rules))
	for i, r := range Rules {
		m[r.ID] = i
	}
	return m
}()
