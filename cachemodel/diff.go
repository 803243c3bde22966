package cachemodel

import (
	"sort"
	"strings"
)

// DiffCell is one response to compare: the headers a variant got in one
// round.
type DiffCell struct {
	Label   string // identifies the variant, e.g. Variant.Label()
	Round   int
	Headers Headers
	// Failed means the request produced no response. A failed cell is left
	// out of every comparison: no headers is not the same as "header
	// absent".
	Failed bool
}

// DiffScope says what a HeaderDiff compares.
type DiffScope string

// Diff scopes.
const (
	DiffAcrossVariants DiffScope = "variants" // Origin variants of one round
	DiffAcrossRounds   DiffScope = "rounds"   // rounds of one variant
)

// DiffValue is one cell's value of a differing header.
type DiffValue struct {
	Label   string `json:"label"`
	Round   int    `json:"round"`
	Value   string `json:"value"` // every line of the header joined with ", "
	Present bool   `json:"present"`
}

// HeaderDiff is one header whose value (or presence) differs within a group
// of cells.
type HeaderDiff struct {
	Name  string    `json:"name"` // spelling of the first line seen in the input
	Scope DiffScope `json:"scope"`
	Round int       `json:"round,omitempty"` // the round compared, for DiffAcrossVariants
	Label string    `json:"label,omitempty"` // the variant compared, for DiffAcrossRounds
	// Values holds every non-failed cell of the group, in input order.
	Values []DiffValue `json:"values"`
}

// DiffVariants finds the response headers that differ across Origin
// variants within each round, and across rounds for each variant. Header
// names compare case-insensitively; several lines of one header compare as
// their combined value, so "a" + "b" equals "a, b". Headers for which
// ignore(lowerName) is true are skipped; a nil ignore means VolatileHeader.
//
// Output order: variant-scope diffs by round, then round-scope diffs by the
// variant's first appearance in cells, each group by lower-cased name.
//
// The work is linear in the number of header lines plus the size of the
// output: names are interned to small integers once, and each group is
// compared in one pass over its cells with per-name scratch slots.
func DiffVariants(cells []DiffCell, ignore func(lowerName string) bool) []HeaderDiff {
	if ignore == nil {
		ignore = VolatileHeader
	}
	d := diffState{rawID: map[string]int{}, lowerID: map[string]int{}}
	entries := make([][]diffEntry, len(cells))
	var rounds []int
	byRound := map[int][]int{}
	var labels []string
	byLabel := map[string][]int{}
	for i, c := range cells {
		if c.Failed {
			continue
		}
		entries[i] = d.cellEntries(i, c.Headers, ignore)
		if _, ok := byRound[c.Round]; !ok {
			rounds = append(rounds, c.Round)
		}
		byRound[c.Round] = append(byRound[c.Round], i)
		if _, ok := byLabel[c.Label]; !ok {
			labels = append(labels, c.Label)
		}
		byLabel[c.Label] = append(byLabel[c.Label], i)
	}
	sort.Ints(rounds)

	g := newDiffGroups(len(d.lower))
	var out []HeaderDiff
	for _, r := range rounds {
		out = g.compare(out, cells, entries, byRound[r], &d, HeaderDiff{Scope: DiffAcrossVariants, Round: r})
	}
	for _, l := range labels {
		out = g.compare(out, cells, entries, byLabel[l], &d, HeaderDiff{Scope: DiffAcrossRounds, Label: l})
	}
	return out
}

// diffEntry is one header of one cell: its interned name and combined
// value.
type diffEntry struct {
	id    int
	value string
}

// diffState interns header names: ids index lower and spelling.
type diffState struct {
	rawID    map[string]int // name as received -> id, or -1 when ignored
	lowerID  map[string]int
	lower    []string // lower-cased name per id
	spelling []string // first spelling seen per id
	lastCell []int    // per id: 1 + index of the last cell that used it
	lastPos  []int    // per id: its position in that cell's entries
}

// cellEntries turns cell i's header lines into entries, one per name, in
// first-appearance order, joining repeated lines with ", ".
func (d *diffState) cellEntries(i int, h Headers, ignore func(string) bool) []diffEntry {
	es := make([]diffEntry, 0, len(h))
	// Repeated lines are collected and joined once at the end: appending
	// to the value line by line would be quadratic in the number of lines,
	// and a hostile server can send a few hundred thousand.
	var more map[int][]string // entry position -> its second and later lines
	for _, f := range h {
		id, ok := d.rawID[f.Name]
		if !ok {
			id = d.intern(f.Name, ignore)
			d.rawID[f.Name] = id
		}
		if id < 0 {
			continue
		}
		if d.lastCell[id] == i+1 {
			if more == nil {
				more = map[int][]string{}
			}
			pos := d.lastPos[id]
			more[pos] = append(more[pos], f.Value)
			continue
		}
		d.lastCell[id], d.lastPos[id] = i+1, len(es)
		es = append(es, diffEntry{id, f.Value})
	}
	for pos, rest := range more {
		es[pos].value = es[pos].value + ", " + strings.Join(rest, ", ")
	}
	return es
}

func (d *diffState) intern(name string, ignore func(string) bool) int {
	lower := strings.ToLower(name)
	if ignore(lower) {
		return -1
	}
	if id, ok := d.lowerID[lower]; ok {
		return id
	}
	id := len(d.lower)
	d.lowerID[lower] = id
	d.lower = append(d.lower, lower)
	d.spelling = append(d.spelling, name)
	d.lastCell = append(d.lastCell, 0)
	d.lastPos = append(d.lastPos, 0)
	return id
}

// diffGroups holds per-name scratch slots reused by every group; a slot
// belongs to the current group only when its stamp equals the group number,
// so nothing is cleared between groups.
type diffGroups struct {
	group              int
	seen, differs, out []int // stamps, and the output index of a differing name
	first              []string
	count              []int
	differ             []bool
}

func newDiffGroups(n int) *diffGroups {
	return &diffGroups{seen: make([]int, n), differs: make([]int, n), out: make([]int, n),
		first: make([]string, n), count: make([]int, n), differ: make([]bool, n)}
}

// compare appends to out one HeaderDiff per name whose value or presence is
// not the same in every member cell.
func (g *diffGroups) compare(out []HeaderDiff, cells []DiffCell, entries [][]diffEntry, members []int, d *diffState, template HeaderDiff) []HeaderDiff {
	if len(members) < 2 {
		return out
	}
	g.group++
	var touched []int
	for _, i := range members {
		for _, e := range entries[i] {
			if g.seen[e.id] != g.group {
				g.seen[e.id] = g.group
				g.first[e.id], g.count[e.id], g.differ[e.id] = e.value, 1, false
				touched = append(touched, e.id)
				continue
			}
			g.count[e.id]++
			g.differ[e.id] = g.differ[e.id] || e.value != g.first[e.id]
		}
	}
	var ids []int
	for _, id := range touched {
		if g.differ[id] || g.count[id] < len(members) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out
	}
	sort.Slice(ids, func(a, b int) bool { return d.lower[ids[a]] < d.lower[ids[b]] })
	for _, id := range ids {
		g.differs[id], g.out[id] = g.group, len(out)
		hd := template
		hd.Name = d.spelling[id]
		hd.Values = make([]DiffValue, len(members))
		for k, i := range members {
			hd.Values[k] = DiffValue{Label: cells[i].Label, Round: cells[i].Round}
		}
		out = append(out, hd)
	}
	for k, i := range members {
		for _, e := range entries[i] {
			if g.differs[e.id] == g.group {
				v := &out[g.out[e.id]].Values[k]
				v.Value, v.Present = e.value, true
			}
		}
	}
	return out
}

// VolatileHeader is the default ignore list of DiffVariants: headers that
// differ between any two responses by nature (timestamps, per-request ids,
// per-node counters and timings), so showing them would bury real
// differences.
//
// Age is volatile here even though the cache status it hints at is not;
// status headers (X-Cache, CF-Cache-Status, Cache-Status) are compared.
// Set-Cookie is ignored too: bot-management and load-balancer cookies
// (__cf_bm, AWSALB) carry a fresh value on every response, and a cookie on
// a cached response is a cache finding, not a variant difference.
func VolatileHeader(lowerName string) bool {
	switch lowerName {
	case "date", "age",
		"x-varnish", "x-served-by", "x-timer", "x-cache-hits", "server-timing",
		"cf-ray", "x-amz-cf-id", "x-amz-request-id", "x-amz-id-2", "x-azure-ref",
		"x-request-id", "request-id", "x-correlation-id", "x-trace-id", "traceparent",
		"x-cloud-trace-context", "x-vercel-id", "x-nf-request-id", "x-github-request-id",
		"x-runtime", "x-response-time", "report-to", "nel", "set-cookie":
		return true
	}
	return false
}
