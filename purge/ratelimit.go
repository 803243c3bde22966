package purge

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rateLimitWait says how long a 429 asks to wait, from (in order)
// Retry-After (seconds or an HTTP date), the IETF-draft Ratelimit header
// Cloudflare sends ("default";r=0;t=30: t seconds to reset) and the older
// X-RateLimit-Reset (seconds or an HTTP date). ok is false when none says.
func rateLimitWait(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := parseDelay(h.Get("Retry-After"), now); ok {
		return d, true
	}
	if _, reset, ok := parseRatelimit(h.Values("Ratelimit")); ok {
		return reset, true
	}
	if d, ok := parseDelay(h.Get("X-Ratelimit-Reset"), now); ok {
		return d, true
	}
	return 0, false
}

// budgetSpent reports, for a successful response, that the rate-limit
// budget is used up and how long until it refills, so the next request
// waits instead of earning a 429.
func budgetSpent(h http.Header) (time.Duration, bool) {
	if remaining, reset, ok := parseRatelimit(h.Values("Ratelimit")); ok && remaining == 0 && reset > 0 {
		return reset, true
	}
	return 0, false
}

// parseRatelimit reads `"name";r=R;t=T` items (comma-separated, possibly
// over several lines) and returns the smallest remaining count and the
// reset of that item.
func parseRatelimit(lines []string) (remaining int64, reset time.Duration, ok bool) {
	for _, line := range lines {
		for _, item := range strings.Split(line, ",") {
			r, t := int64(-1), int64(-1)
			for _, param := range strings.Split(item, ";") {
				k, v, found := strings.Cut(strings.TrimSpace(param), "=")
				if !found {
					continue
				}
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				switch strings.ToLower(k) {
				case "r":
					r = n
				case "t":
					t = n
				}
			}
			if t < 0 || t > 1e7 {
				continue
			}
			if r < 0 {
				r = 0 // a reset without a count: assume spent
			}
			if !ok || r < remaining {
				remaining, reset, ok = r, time.Duration(t)*time.Second, true
			}
		}
	}
	return remaining, reset, ok
}

// parseDelay reads delta-seconds or an HTTP date.
func parseDelay(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 1e7 { // far beyond any MaxWait; rejects overflow
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
