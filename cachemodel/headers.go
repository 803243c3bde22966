package cachemodel

import "strings"

// Header is one header line exactly as it was sent or received: original
// name case, value untouched.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Headers is an ordered header list that keeps duplicates. Caches and CORS
// bugs live in the details (two ACAO lines, odd casing), so nothing is merged
// or normalised on the way in.
type Headers []Header

// Get returns the first value of the named header (case-insensitive).
func (h Headers) Get(name string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns every value of the named header, in order.
func (h Headers) Values(name string) []string {
	// Count first: one exact allocation, none when the header is absent.
	n := h.Count(name)
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// Count reports how many lines carry the named header.
func (h Headers) Count(name string) int {
	n := 0
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			n++
		}
	}
	return n
}

// Combined returns the header's value as the Fetch standard's "get" sees it:
// all lines joined with ", ". ok is false when the header is absent.
func (h Headers) Combined(name string) (value string, ok bool) {
	for _, f := range h {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		if ok {
			// A second line (rare): join them all.
			return strings.Join(h.Values(name), ", "), true
		}
		value, ok = f.Value, true
	}
	return value, ok
}

// Clone returns a copy that shares no backing array with h.
func (h Headers) Clone() Headers {
	if h == nil {
		return nil
	}
	out := make(Headers, len(h))
	copy(out, h)
	return out
}
