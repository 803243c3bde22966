// Package probe is corscope's HTTP engine: it executes cachemodel.TargetPlan
// steps over HTTP/1.1 and reports one cachemodel.Observation per step.
//
// What goes out is exactly the step's method, URL and headers (names and
// paths untouched) plus a Host header. What comes back is recorded exactly:
// header order, name case and duplicates. Bodies are never downloaded whole:
// at most Config.BodyLimit bytes are read, then the connection is dropped.
//
// The engine writes the request bytes itself and copies the response header
// lines out of the read buffer; fasthttp only parses the same header block
// for framing (Content-Length, chunked, keep-alive) and streams the body.
// The engine owns connections (keep-alive pool, dialing, proxies, TLS,
// deadlines) so that it can abort a request the moment its context is
// cancelled, time each phase, and leave no goroutine behind. No fasthttp type
// appears in the API.
package probe
