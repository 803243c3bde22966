package cachemodel

import (
	"math"
	"slices"
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
// Per-fetch counters (PerFetchCounter: a whole number in every cell that
// has the header) differ by nature and are skipped too.
//
// Output order: variant-scope diffs by round, then round-scope diffs by the
// variant's first appearance in cells, each group by lower-cased name.
//
// The work is the sort of the header lines by name plus one pass over each
// group's cells: names become small integers once, the lines of a name in
// one cell are joined in one go (a hostile server can repeat a line a few
// hundred thousand times), and every scratch table is a slice.
func DiffVariants(cells []DiffCell, ignore func(lowerName string) bool) []HeaderDiff {
	lines := 0
	for _, c := range cells {
		if !c.Failed {
			lines += len(c.Headers)
		}
	}
	if lines == 0 {
		return nil
	}
	// One allocation for the line offsets of the cells and the lines.
	t := diffTable{cells: cells, ignore: ignore}
	both := make([]int32, len(cells)+1+lines)
	t.start, t.line = both[:len(cells)+1:len(cells)+1], both[len(cells)+1:]
	for i, c := range cells {
		t.start[i+1] = t.start[i]
		if !c.Failed {
			t.start[i+1] += int32(len(c.Headers))
		}
	}
	for i, c := range cells {
		if !c.Failed {
			t.readCell(i, c.Headers)
		}
	}
	t.rankNames()

	// Scratch: rounds and group members, labels, and per group the names
	// touched and those that differ.
	ints := make([]int, 2*len(cells)+2*len(t.names))
	rounds, members := ints[:0:len(cells)], ints[len(cells):len(cells):2*len(cells)]
	t.touched, t.differ = ints[2*len(cells):2*len(cells):2*len(cells)+len(t.names)], ints[2*len(cells)+len(t.names):][:0]
	labels := make([]string, 0, len(cells))
	for _, c := range cells {
		if c.Failed {
			continue
		}
		if !slices.Contains(rounds, c.Round) {
			rounds = append(rounds, c.Round)
		}
		if !slices.Contains(labels, c.Label) {
			labels = append(labels, c.Label)
		}
	}
	slices.Sort(rounds)
	var out []HeaderDiff
	for _, r := range rounds {
		members = members[:0]
		for i, c := range cells {
			if !c.Failed && c.Round == r {
				members = append(members, i)
			}
		}
		out = t.compare(out, members, HeaderDiff{Scope: DiffAcrossVariants, Round: r})
	}
	for _, l := range labels {
		members = members[:0]
		for i, c := range cells {
			if !c.Failed && c.Label == l {
				members = append(members, i)
			}
		}
		out = t.compare(out, members, HeaderDiff{Scope: DiffAcrossRounds, Label: l})
	}
	return out
}

// Marks in diffTable.line for lines that start no entry.
const (
	diffIgnored  = -1 // the header is ignored
	diffContinue = -2 // a later line of a header already seen in the cell
)

// diffTable numbers the header names of the cells (case-insensitive) and
// marks, for each line, the name whose entry it starts in its cell.
type diffTable struct {
	cells  []DiffCell
	ignore func(string) bool
	start  []int32 // cell i's lines are line[start[i]:start[i+1]]
	line   []int32 // per line: the name id, diffIgnored or diffContinue
	names  []diffName
	// byLower finds a name once there are too many for a linear search
	// (a hostile server can send thousands of distinct names).
	byLower map[string]int
	// joined holds the combined value of a header repeated in a cell, by
	// the entry's first line; nil until a header repeats.
	joined map[int]string
	// Per-group scratch.
	group           int32
	touched, differ []int
}

// diffName is one header name and its scratch state for the current group
// (valid only when group equals the table's group number, so nothing is
// cleared between groups).
type diffName struct {
	key      string // the name as compared: ASCII case folded; other names lower-cased
	spelling string // the first spelling seen in the input
	first    string // per group: the first value seen
	// rank is the position in lower-cased name order; lastCell is 1 + the
	// last cell that used the name, lastLine its first line there.
	rank, lastCell, lastLine int32
	// Per group.
	group, count, out int32
	ignored, differ   bool
	measure           bool // a number that describes the response, never a counter (measuresResponse)
	counter           counterCheck
}

// maxLinearNames is how many names are searched one by one before the
// table switches to a map.
const maxLinearNames = 32

func (t *diffTable) readCell(i int, h Headers) {
	// Repeated lines are collected and joined once the cell is read:
	// appending to the value line by line would be quadratic in the number
	// of lines, and a hostile server can send a few hundred thousand.
	var more map[int][]string // first line -> the later lines' values
	for p, f := range h {
		k := int(t.start[i]) + p
		id := t.intern(f.Name)
		nm := &t.names[id]
		switch {
		case nm.ignored:
			t.line[k] = diffIgnored
		case int(nm.lastCell) == i+1:
			if more == nil {
				more = map[int][]string{}
			}
			more[int(nm.lastLine)] = append(more[int(nm.lastLine)], f.Value)
			t.line[k] = diffContinue
		default:
			nm.lastCell, nm.lastLine = int32(i+1), int32(k)
			t.line[k] = int32(id)
		}
	}
	for first, rest := range more {
		if t.joined == nil {
			t.joined = map[int]string{}
		}
		t.joined[first] = h[first-int(t.start[i])].Value + ", " + strings.Join(rest, ", ")
	}
}

// value is the combined value of the entry line k starts.
func (t *diffTable) value(i, k int) string {
	if t.joined != nil {
		if v, ok := t.joined[k]; ok {
			return v
		}
	}
	return t.cells[i].Headers[k-int(t.start[i])].Value
}

// intern returns the id of a header name, adding it when new.
func (t *diffTable) intern(name string) int {
	// Most cells spell a name as the first one did.
	if t.byLower == nil {
		for id := range t.names {
			if t.names[id].spelling == name {
				return id
			}
		}
	} else if id, ok := t.byLower[name]; ok {
		return id // this spelling was seen before
	}
	key := name
	if !isASCII(key) {
		key = strings.ToLower(key)
	}
	if t.byLower == nil {
		for id := range t.names {
			if k := t.names[id].key; len(k) == len(key) && compareFoldASCII(k, key) == 0 {
				return id
			}
		}
	} else if id, ok := t.lookupLower(key); ok {
		t.byLower[key] = id // remember the spelling
		return id
	}
	id := len(t.names)
	nm := diffName{key: key, spelling: name, measure: measuresResponse(key)}
	if t.ignore == nil {
		nm.ignored = volatileFold(key)
	} else {
		nm.ignored = t.ignore(strings.ToLower(name))
	}
	if t.names == nil {
		// Most cells carry the same names: the first cell's count is a
		// good guess.
		t.names = make([]diffName, 0, max(4, int(t.start[1]-t.start[0])+2))
	}
	t.names = append(t.names, nm)
	switch {
	case t.byLower != nil:
		t.byLower[lowerASCII(key)] = id
		t.byLower[key] = id
	case len(t.names) > maxLinearNames:
		// byLower maps each name lower-cased, and each spelling seen.
		t.byLower = make(map[string]int, 4*len(t.names))
		for j := range t.names {
			t.byLower[lowerASCII(t.names[j].key)] = j
			t.byLower[t.names[j].key] = j
		}
	}
	return id
}

// lookupLower finds key in byLower, lower-casing it in a stack buffer
// (the map lookup of a converted buffer does not allocate).
func (t *diffTable) lookupLower(key string) (int, bool) {
	if len(key) > 64 {
		id, ok := t.byLower[lowerASCII(key)]
		return id, ok
	}
	var buf [64]byte
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	id, ok := t.byLower[string(buf[:len(key)])]
	return id, ok
}

// lowerASCII lower-cases the ASCII letters of s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// rankNames numbers the names in lower-cased name order (the output
// order within a group).
func (t *diffTable) rankNames() {
	var buf [32]int
	var order []int
	if len(t.names) > len(buf) {
		order = make([]int, len(t.names))
	} else {
		order = buf[:len(t.names)]
	}
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareFoldASCII(t.names[a].key, t.names[b].key) })
	for r, id := range order {
		t.names[id].rank = int32(r)
	}
}

// compare appends to out one HeaderDiff per name whose value or presence is
// not the same in every member cell, unless it is a per-fetch counter.
func (t *diffTable) compare(out []HeaderDiff, members []int, template HeaderDiff) []HeaderDiff {
	if len(members) < 2 {
		return out
	}
	t.group++
	t.touched, t.differ = t.touched[:0], t.differ[:0]
	for _, i := range members {
		base, h := int(t.start[i]), t.cells[i].Headers
		for p, id := range t.line[base:t.start[i+1]] {
			if id < 0 {
				continue
			}
			nm, v := &t.names[id], h[p].Value
			if t.joined != nil {
				v = t.value(i, base+p)
			}
			if nm.group != t.group {
				nm.group, nm.count, nm.out, nm.first, nm.differ, nm.counter = t.group, 1, -1, v, false, counterCheck{other: nm.measure}
				nm.counter.add(v)
				t.touched = append(t.touched, int(id))
				continue
			}
			nm.count++
			nm.differ = nm.differ || v != nm.first
			if !nm.counter.other {
				nm.counter.add(v)
			}
		}
	}
	for _, id := range t.touched {
		if nm := &t.names[id]; (nm.differ || int(nm.count) < len(members)) && !nm.counter.counter() {
			t.differ = append(t.differ, id)
		}
	}
	if len(t.differ) == 0 {
		return out
	}
	slices.SortFunc(t.differ, func(a, b int) int { return int(t.names[a].rank - t.names[b].rank) })
	values := make([]DiffValue, len(t.differ)*len(members))
	for n, id := range t.differ {
		t.names[id].out = int32(len(out))
		hd := template
		hd.Name = t.names[id].spelling
		hd.Values = values[n*len(members) : (n+1)*len(members) : (n+1)*len(members)]
		for m, i := range members {
			hd.Values[m] = DiffValue{Label: t.cells[i].Label, Round: t.cells[i].Round}
		}
		out = append(out, hd)
	}
	for m, i := range members {
		base := int(t.start[i])
		for p, id := range t.line[base:t.start[i+1]] {
			if id >= 0 && t.names[id].out >= 0 {
				v := &out[t.names[id].out].Values[m]
				v.Value, v.Present = t.value(i, base+p), true
			}
		}
	}
	return out
}

// counterCheck applies PerFetchCounter's value rule one value at a time.
type counterCheck struct{ number, other bool }

func (c *counterCheck) add(v string) {
	switch {
	case v == "":
	case CounterValue(v):
		c.number = true
	default:
		c.other = true
	}
}

func (c counterCheck) counter() bool { return c.number && !c.other }

// CounterValue reports whether a header value is a whole number (decimal
// digits fitting 64 bits, surrounding white space allowed): a hit count,
// a per-node sequence, an age.
func CounterValue(v string) bool {
	if v == "" || v[0] < 0x80 && !asciiSpace(v[0]) && (v[0] < '0' || v[0] > '9') {
		return false // a word: the common case, decided by its first byte
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	var n uint64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return false
		}
		n = n*10 + d
	}
	return true
}

// asciiSpace: the ASCII bytes strings.TrimSpace trims.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// responseMeasures are number-valued headers that measure the response
// itself rather than count fetches: a Content-Length or
// Access-Control-Max-Age that differs between Origin variants means the
// variants got different answers, so it stays a difference even though
// every value is a whole number.
var responseMeasures = [...]string{"content-length", "access-control-max-age", "content-range"}

// measuresResponse reports whether name (any case) is one of
// responseMeasures, without lower-casing it.
func measuresResponse(name string) bool {
	for _, m := range responseMeasures {
		if len(name) == len(m) && strings.EqualFold(name, m) {
			return true
		}
	}
	return false
}

// PerFetchCounter reports whether a header changes on every fetch by
// nature, given its lower-cased name and its values in the cells that
// have it: Age, or a header whose every non-empty value is a whole number
// (an origin's hit counter, a per-node sequence), except the headers that
// measure the response (responseMeasures). Such headers are never
// reported as differences: DiffVariants leaves them out, and the TUI
// shows them without its ≠ and Δ marks.
func PerFetchCounter(lowerName string, values []string) bool {
	if lowerName == "age" {
		return true
	}
	if measuresResponse(lowerName) {
		return false
	}
	var c counterCheck
	for _, v := range values {
		c.add(v)
	}
	return c.counter()
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
	return slices.Contains(volatileHeaders, lowerName)
}

// volatileHeaders are VolatileHeader's names, lower-case.
var volatileHeaders = []string{
	"date", "age",
	"x-varnish", "x-served-by", "x-timer", "x-cache-hits", "server-timing",
	"cf-ray", "x-amz-cf-id", "x-amz-request-id", "x-amz-id-2", "x-azure-ref",
	"x-request-id", "request-id", "x-correlation-id", "x-trace-id", "traceparent",
	"x-cloud-trace-context", "x-vercel-id", "x-nf-request-id", "x-github-request-id",
	"x-runtime", "x-response-time", "report-to", "nel", "set-cookie",
}

// volatileFold is VolatileHeader for a name compared like diffLine.key:
// ASCII letters in any case, without lower-casing a copy.
func volatileFold(key string) bool {
	for _, v := range volatileHeaders {
		if len(v) == len(key) && compareFoldASCII(key, v) == 0 {
			return true
		}
	}
	return false
}

// compareFoldASCII compares a and b byte by byte with ASCII letters
// lower-cased: for ASCII strings, the order of their lower-cased forms.
func compareFoldASCII(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}
