package cachemodel

import "strings"

// EdgeOf names the CDN edge (PoP) that served a response, read from the
// provider's own headers, or "" when the response does not say:
//
//   - Cloudflare: the CF-Ray suffix after the last "-" ("8f1c2e3a4b5c6d7e-AMS" → AMS)
//   - CloudFront: X-Amz-Cf-Pop ("FRA56-P1" → FRA56-P1)
//   - Fastly: the last POP of X-Served-By ("cache-fra-etou8220119-FRA, cache-ams21-AMS" → AMS)
//   - others: X-Edge-Pop as sent
//
// The value is server text: callers escape it before it reaches a
// terminal. It is bounded to 64 bytes so a hostile header cannot bloat
// every row it is shown in.
func EdgeOf(h Headers) string {
	if v, ok := h.Get("CF-Ray"); ok {
		v = strings.TrimSpace(v)
		if i := strings.LastIndexByte(v, '-'); i > 0 && i < len(v)-1 {
			return boundEdge(v[i+1:])
		}
	}
	if v, ok := h.Get("X-Amz-Cf-Pop"); ok {
		if v = strings.TrimSpace(v); v != "" {
			return boundEdge(v)
		}
	}
	if v, ok := h.Combined("X-Served-By"); ok {
		// Comma list of nodes, edge last; each node ends in "-POP".
		nodes := strings.Split(v, ",")
		last := strings.TrimSpace(nodes[len(nodes)-1])
		if i := strings.LastIndexByte(last, '-'); i > 0 && i < len(last)-1 {
			return boundEdge(last[i+1:])
		}
	}
	if v, ok := h.Get("X-Edge-Pop"); ok {
		if v = strings.TrimSpace(v); v != "" {
			return boundEdge(v)
		}
	}
	return ""
}

const maxEdgeLen = 64

func boundEdge(s string) string {
	if len(s) > maxEdgeLen {
		s = s[:maxEdgeLen]
	}
	return s
}
