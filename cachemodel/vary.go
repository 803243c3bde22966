package cachemodel

import "strings"

// Vary is the response's Vary header: the request headers a cache must
// match before reusing the response.
type Vary struct {
	Present bool
	Fields  []string // every element, all lines, in order, case kept
	Star    bool     // "Vary: *": the response can never be reused
}

// ParseVary reads all Vary lines.
func ParseVary(h Headers) Vary {
	var v Vary
	// Line by line rather than through Values and ParseFieldList: this runs
	// several times per response, and the fields slice is then the only
	// allocation.
	for _, f := range h {
		if !strings.EqualFold(f.Name, hdrVary) {
			continue
		}
		v.Present = true
		v.Fields = appendFieldList(v.Fields, f.Value)
	}
	for _, f := range v.Fields {
		if f == "*" {
			v.Star = true
			break
		}
	}
	return v
}

// Has reports whether the Vary list names the header (case-insensitive).
// "*" does not count as naming any header; check Star for that.
func (v Vary) Has(name string) bool {
	for _, f := range v.Fields {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}
