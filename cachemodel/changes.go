package cachemodel

import (
	"sort"
	"strconv"
	"strings"
)

// Change is one difference between two runs of the same targets: a field
// of one variant, or a target or variant present in only one run. Values
// are as the reports hold them, not escaped: a caller that prints them to
// a terminal escapes them there.
type Change struct {
	URL string
	// Variant names the variant as the matrix heads its column: where it
	// was seen, experiment and kind words, method, then the Origin, e.g.
	// "configured https://a.example". "" for a whole target.
	Variant string
	// Field is the row: Status, Cache, Edge, ACAO, ACAC, Vary,
	// Cache-Control, Verdict or a header name; "target" or "variant" when
	// one run lacks it (Old and New are then "present" or "absent").
	Field string
	Old   string
	New   string
}

// Changes compares two runs target by target (matched by URL) and variant
// by variant (matched by where, experiment, method and Origin: the rounds
// of a variant are one, its Cache field their statuses in order, the other
// fields the last round's). Age and headers whose values are whole numbers
// in both runs (hit counters, sequence numbers) change on every fetch and
// are not compared. Headers compared are those either run found differing
// across its variants (TargetReport.Diffs). It is the run-to-run diff of
// `corscope view old.json new.json`.
func Changes(older, newer []TargetReport) []Change {
	oldByURL := make(map[string]*TargetReport, len(older))
	for i := range older {
		if _, ok := oldByURL[older[i].URL]; !ok {
			oldByURL[older[i].URL] = &older[i]
		}
	}
	seen := make(map[string]bool, len(newer))
	var out []Change
	for i := range newer {
		cur := &newer[i]
		if seen[cur.URL] {
			continue
		}
		seen[cur.URL] = true
		prev, ok := oldByURL[cur.URL]
		if !ok {
			out = append(out, Change{URL: cur.URL, Field: "target", Old: "absent", New: "present"})
			continue
		}
		out = append(out, targetChanges(prev, cur)...)
	}
	for i := range older {
		if !seen[older[i].URL] {
			seen[older[i].URL] = true
			out = append(out, Change{URL: older[i].URL, Field: "target", Old: "present", New: "absent"})
		}
	}
	return out
}

// changeGroup is one variant across its rounds.
type changeGroup struct {
	name     string
	variants []int // indexes into the report's Variants, in order
}

// changeGroups groups a report's variants as the matrix's columns do.
func changeGroups(rep *TargetReport) (keys []string, groups map[string]*changeGroup) {
	groups = map[string]*changeGroup{}
	for i, v := range rep.Variants {
		k := v.Vantage + "|" + v.EdgeAddr + "|" + v.Experiment + "|" + v.Method + "|" + strconv.FormatBool(v.Preflight) + "|" + v.Label
		g, ok := groups[k]
		if !ok {
			g = &changeGroup{name: variantName(v)}
			groups[k] = g
			keys = append(keys, k)
		}
		g.variants = append(g.variants, i)
	}
	return keys, groups
}

func variantName(v VariantResult) string {
	var parts []string
	if v.Vantage != "" {
		parts = append(parts, "["+v.Vantage+"]")
	}
	if v.EdgeAddr != "" {
		parts = append(parts, "@"+v.EdgeAddr)
	}
	parts = append(parts, v.Experiment, string(v.Kind))
	if v.Preflight {
		parts = append(parts, "OPTIONS")
	} else if v.Method != "" && v.Method != "GET" {
		parts = append(parts, v.Method)
	}
	parts = append(parts, v.Label)
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " ")
}

func targetChanges(prev, cur *TargetReport) []Change {
	headers := changedHeaderNames(prev, cur)
	oldKeys, oldGroups := changeGroups(prev)
	keys, groups := changeGroups(cur)
	var out []Change
	for _, k := range keys {
		g := groups[k]
		og, ok := oldGroups[k]
		if !ok {
			out = append(out, Change{URL: cur.URL, Variant: g.name, Field: "variant", Old: "absent", New: "present"})
			continue
		}
		was, now := groupFields(prev, og, headers), groupFields(cur, g, headers)
		for i := range now {
			o, n := was[i], now[i]
			if o.value == n.value || (o.counter && n.counter) {
				continue
			}
			out = append(out, Change{URL: cur.URL, Variant: g.name, Field: n.name, Old: o.value, New: n.value})
		}
	}
	for _, k := range oldKeys {
		if _, ok := groups[k]; !ok {
			out = append(out, Change{URL: cur.URL, Variant: oldGroups[k].name, Field: "variant", Old: "present", New: "absent"})
		}
	}
	return out
}

// changedHeaderNames is every header either run found differing across
// its variants, but those the fixed fields show, in the spelling first
// seen, sorted case-insensitively.
func changedHeaderNames(reps ...*TargetReport) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range reps {
		for _, d := range r.Diffs {
			lower := strings.ToLower(d.Name)
			switch lower {
			case "access-control-allow-origin", "access-control-allow-credentials", "vary", "cache-control", "age":
				continue
			}
			if !seen[lower] {
				seen[lower] = true
				names = append(names, d.Name)
			}
		}
	}
	sort.Slice(names, func(a, b int) bool { return strings.ToLower(names[a]) < strings.ToLower(names[b]) })
	return names
}

type changeField struct {
	name    string
	value   string
	counter bool // a whole number: a per-fetch counter
}

const (
	noResponse = "(no response)"
	absentText = "-"
)

// groupFields is the compared fields of one variant, always in the same
// order and number for the same headers.
func groupFields(rep *TargetReport, g *changeGroup, headers []string) []changeField {
	v := rep.Variants[g.variants[len(g.variants)-1]]
	statuses := make([]string, 0, len(g.variants))
	for _, i := range g.variants {
		if w := rep.Variants[i]; w.Response == nil {
			statuses = append(statuses, "ERR")
		} else {
			statuses = append(statuses, cacheWord(w.Cache.Status))
		}
	}
	fields := []changeField{
		{name: "Status"},
		{name: "Cache", value: strings.Join(statuses, "→")},
		{name: "Edge"}, {name: "ACAO"}, {name: "ACAC"}, {name: "Vary"}, {name: "Cache-Control"},
		{name: "Verdict", value: verdictWords(v)},
	}
	for _, h := range headers {
		fields = append(fields, changeField{name: h})
	}
	if v.Response == nil {
		kind := "failed"
		if v.Error != nil {
			kind = string(v.Error.Kind)
		}
		fields[0].value = "error (" + kind + ")"
		for i := range fields {
			if i != 0 && fields[i].name != "Cache" && fields[i].name != "Verdict" {
				fields[i].value = noResponse
			}
		}
		return fields
	}
	fields[0].value = strconv.Itoa(v.Response.Status)
	fields[2].value = orAbsent(v.Edge, v.Edge != "")
	if v.CORS.ACAO != nil {
		acao := *v.CORS.ACAO
		if v.CORS.ACAOCount > 1 {
			acao += " (×" + strconv.Itoa(v.CORS.ACAOCount) + ")"
		}
		fields[3].value = acao
	} else {
		fields[3].value = absentText
	}
	fields[4].value = absentText
	if v.CORS.ACAC != nil {
		fields[4].value = *v.CORS.ACAC
	}
	vary, ok := v.Response.Headers.Combined("Vary")
	if lines := v.Response.Headers.Values("Vary"); len(lines) > 1 {
		// As sent: several lines are not one (some caches read only the
		// first).
		vary = strings.Join(lines, " ‖ ") + " (" + strconv.Itoa(len(lines)) + " lines)"
	}
	fields[5].value = orAbsent(vary, ok)
	cc, ok := v.Response.Headers.Combined("Cache-Control")
	fields[6].value = orAbsent(cc, ok)
	for i, h := range headers {
		f := &fields[8+i]
		val, ok := v.Response.Headers.Combined(h)
		f.value = orAbsent(val, ok)
		if _, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64); ok && err == nil {
			f.counter = true
		}
	}
	return fields
}

func orAbsent(s string, ok bool) string {
	if !ok {
		return absentText
	}
	return s
}

// cacheWord is a cache status as a word; unknown reads "?".
func cacheWord(s CacheStatus) string {
	if s == "" || s == StatusUnknown {
		return "?"
	}
	return string(s)
}

// verdictWords is the browser's answer in words.
func verdictWords(v VariantResult) string {
	switch {
	case v.Response == nil:
		return "failed"
	case !v.CORS.Applicable && v.Kind == KindSameOrigin:
		return "same-origin"
	case !v.CORS.Applicable:
		return "not CORS"
	case v.CORS.Allowed == nil:
		return "unknown"
	case !*v.CORS.Allowed:
		return "blocked: " + v.CORS.Reason
	case v.CORS.AllowedWithCredentials != nil && !*v.CORS.AllowedWithCredentials:
		return "allowed without credentials, blocked with: " + v.CORS.ReasonWithCredentials
	}
	return "allowed"
}
