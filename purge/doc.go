// Package purge removes cached copies of URLs from CDNs and caches, one
// copy per Origin variant, and then proves it by re-probing.
//
// A URL purge often misses the copies a cache stored per Origin: Cloudflare
// keys on Origin by default, and nginx's and Squid's purge remove only the
// variant matching the purge request's own headers. So a purge here is
// planned per URL × Origin variant (cachemodel.PurgePlan) and each provider
// turns that plan into the requests its API needs:
//
//   - cloudflare: POST {api_base}/zones/{zone}/purge_cache (invalidate_cache
//     when soft) with one files[] entry per URL × Origin variant, batched;
//     or hosts, prefixes, tags, purge_everything.
//   - fastly: POST {api_base}/purge/{host}{path} per URL (Fastly drops every
//     Vary variant of a URL), surrogate-key purges and purge_all.
//   - http: the configured method (PURGE, BAN, ...) sent to the URL or a URL
//     template once per Origin variant, carrying that Origin.
//   - cloudfront: CreateInvalidation through the AWS SDK for Go v2 (POST
//     /2020-05-31/distribution/{Id}/invalidation, SigV4 for us-east-1) with
//     one path per URL (an invalidation drops every variant of a path),
//     batched; then GetInvalidation is polled until Completed, so
//     verification never races the invalidation.
//
// The flow is Prepare (route and lay out requests; nothing is sent),
// DescribePlan / WriteDryRun (show it), TakeBaseline (fingerprint every
// copy just before the purge), Execute (send, with bounded retries and
// rate-limit handling), Verify (re-probe every variant and compare it with
// its own pre-purge fingerprint; both through an injected runner.Engine, so
// this package never depends on the probe engine itself) and AppendAudit
// (one JSON line per provider batch). Flow runs those steps in order for
// both `corscope purge` and the interactive view (credentials, a
// confirmation the caller supplies, fingerprints, the requests inside the
// audit log, the re-probe at every edge) and Outcome.Verdict is the one
// answer both give: the CLI's exit code and the view's headline.
//
// Credentials come only from environment variables (cloudfront: the AWS
// credential chain, whose secret key and session token are treated the
// same way once read). They are held in a
// closure that no fmt verb can print, added to a request only while it is
// sent, shown as [REDACTED] in dry runs, and scrubbed from anything a server
// says back before it reaches an error, a result or the audit log.
package purge
