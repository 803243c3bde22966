// Package demo is corscope's self-contained showcase and test fixture: an
// origin with one CORS behaviour per path, a tiny Cloudflare-like shared
// cache in front of it, and a local endpoint shaped like Cloudflare's
// purge_cache API wired to that cache. Everything listens on 127.0.0.1
// ephemeral ports and uses only net/http. It is deliberately small and is not
// a product cache.
//
// # Origin paths
//
// Every /cors/ response carries Cache-Control: public, max-age=300 (unless
// noted), X-Origin-Hits (how often the origin served that path), Date, an ETag
// that changes on every origin response, Last-Modified and a Cache-Tag (which
// the demo CDN strips, as Cloudflare does). "Allowed" means the Origin is in
// the allow-list given to [OriginHandler].
//
//	/cors/vary.json                    ACAO = Origin if allowed; Vary: Origin on every response. Correct.
//	/cors/no-vary.json                 ACAO = Origin if allowed; never Vary. The missing-Vary bug.
//	/cors/no-acao-without-origin.js    ACAO = Origin only for an allowed Origin; no Vary. The no-Origin response
//	                                   has no ACAO and, once cached, breaks fonts/scripts loaded with CORS.
//	/cors/wildcard.json                ACAO: * on every response, no Vary. Fine.
//	/cors/wildcard-credentials.json    ACAO: * and ACAC: true. Browsers block credentialed requests.
//	/cors/reflect-any.json             ACAO = any Origin (null too), ACAC: true, Vary: Origin. A trust bug.
//	/cors/null.json                    ACAO = Origin for "null" and the allowed list, ACAC: true, Vary: Origin.
//	/cors/private.json                 ACAO = Origin if allowed, Cache-Control: private, no Vary. Not shared-cacheable.
//	/cors/keyed.json                   ACAO = Origin if allowed, no Vary; correct only behind a cache keyed on Origin
//	                                   (the demo CDN keys this path on Origin by default, like Cloudflare).
//	/cors/big.bin                      ACAO: *, a 1 GiB body generated on the fly; stops when the client leaves.
//
// /cors/no-vary.json and /cors/no-acao-without-origin.js send identical
// headers; they differ in the story they tell (a JSON API versus a script or
// font) and in which experiment a checker leads with.
//
// OPTIONS on any /cors/ path answers 204 with the path's ACAO, ACAC and Vary
// logic and, when the path grants the Origin, Access-Control-Allow-Methods
// "GET, POST", Access-Control-Allow-Headers "content-type, x-token" and
// Access-Control-Max-Age 600. Preflights carry no Cache-Control: responses to
// OPTIONS are not cacheable (RFC 9110, section 9.3.7) and the demo CDN never
// stores them.
//
// GET, HEAD and POST get the same response; other methods get 405. "/" returns
// the path list as JSON; anything else is 404. Neither is cacheable.
//
// # CDN
//
// [CDN] keys objects on host + path + query; paths listed in
// [CDNOptions.KeyOnOrigin] also key on the request's Origin header, like
// Cloudflare's default cache key. Vary is honoured on the paths listed in
// [CDNOptions.HonourVary] (every path by default: only /cors/vary.json,
// /cors/reflect-any.json and /cors/null.json send Vary, so honouring it
// everywhere makes the correct setup look correct and changes nothing for the
// buggy paths). Responses carry CF-Cache-Status, Age on hits, CF-Ray and
// Server: corscope-demo-cdn so corscope's provider detection sees Cloudflare.
//
// # Purge API
//
// [PurgeAPI] serves POST /client/v4/zones/{zone_id}/purge_cache and
// invalidate_cache with Cloudflare's envelope, bearer-token auth and body
// shapes. Error codes 1014 (selector must be an array), 1100 and 1315 (tag
// checks), 6003/6111 (bad Authorization format), 7003 (no route) and 10000
// (authentication) follow codes observed from Cloudflare; the other codes
// are the demo's own.
package demo
