package cachemodel

import "strings"

// respFacts is what the analysis reads from one response's CORS and cache
// headers, read in one pass over the header list. The step analysis, the
// finding rules and the cache-key inference share it instead of each
// looking the headers up again: a run analyses every response, so this
// is on the path of every request.
type respFacts struct {
	// ACAO and ACAC: the number of lines and, when present, every line
	// joined with ", " (the Fetch "get" value, lines untrimmed).
	acaoN, acacN int
	acao, acac   string
	// Vary: the number of lines, the first one, and what its elements name.
	varyN      int
	varyFirst  string
	varyOrigin bool // Vary names Origin or is "*": the cache keeps Origins apart
	varyStar   bool
	varyCookie bool
	cc         ccFlags
	hints      storeHints
	age        int64
	hasAge     bool
}

// readFacts reads h once. It allocates only for headers sent on several
// lines (their values are joined) and for Cache-Control's rare forms
// (upper-case names, escaped quotes, private="...").
func readFacts(h Headers) respFacts {
	var f respFacts
	for _, x := range h {
		switch len(x.Name) {
		case len(hdrAge):
			if !f.hasAge && strings.EqualFold(x.Name, hdrAge) {
				f.age, f.hasAge = firstDeltaSeconds(x.Value)
			}
		case len(hdrVary):
			if strings.EqualFold(x.Name, hdrVary) {
				if f.varyN == 0 {
					f.varyFirst = x.Value
				}
				f.varyN++
				f.readVary(x.Value)
			}
		case len("Expires"):
			f.hints.expires = f.hints.expires || strings.EqualFold(x.Name, "Expires")
		case len("Set-Cookie"):
			f.hints.setCookie = f.hints.setCookie || strings.EqualFold(x.Name, "Set-Cookie")
		case len("Cache-Control"): // and Last-Modified
			switch {
			case strings.EqualFold(x.Name, "Cache-Control"):
				f.cc.readLine(x.Value)
			case strings.EqualFold(x.Name, "Last-Modified"):
				f.hints.lastModified = true
			}
		case len(hdrACAO):
			if strings.EqualFold(x.Name, hdrACAO) {
				f.acaoN++
				f.acao = x.Value
			}
		case len(hdrACAC):
			if strings.EqualFold(x.Name, hdrACAC) {
				f.acacN++
				f.acac = x.Value
			}
		}
	}
	if f.acaoN > 1 {
		f.acao = strings.Join(h.Values(hdrACAO), ", ")
	}
	if f.acacN > 1 {
		f.acac = strings.Join(h.Values(hdrACAC), ", ")
	}
	return f
}

// readVary notes what one Vary line's elements name (the elements
// appendFieldList would return).
func (f *respFacts) readVary(v string) {
	for rest, more := v, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		switch part = strings.Trim(part, " \t"); {
		case part == "*":
			f.varyStar, f.varyOrigin = true, true
		case strings.EqualFold(part, "Origin"):
			f.varyOrigin = true
		case strings.EqualFold(part, "Cookie"):
			f.varyCookie = true
		}
	}
}

// acacTrue: exactly one ACAC line, byte-equal to "true" (what
// ParseAllowCredentials calls True).
func (f *respFacts) acacTrue() bool { return f.acacN == 1 && f.acac == "true" }

// acaoWildcard: exactly one ACAO line, byte-equal to "*".
func (f *respFacts) acaoWildcard() bool { return f.acaoN == 1 && f.acao == "*" }

// sharedCacheable is ccFlags.sharedCacheable for this response.
func (f *respFacts) sharedCacheable(status int, wantWhy bool) (bool, string) {
	return f.cc.sharedCacheable(status, f.hints, wantWhy)
}
