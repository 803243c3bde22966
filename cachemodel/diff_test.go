package cachemodel

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestDiffVariants(t *testing.T) {
	const noO, a, b = "(no Origin)", "https://a.example", "https://b.example"
	cell := func(label string, round int, h ...Header) DiffCell {
		return DiffCell{Label: label, Round: round, Headers: h}
	}
	acaoH := func(v string) Header { return Header{"Access-Control-Allow-Origin", v} }
	xc := func(v string) Header { return Header{"X-Cache", v} }
	date := func(v string) Header { return Header{"Date", v} }
	never := func(string) bool { return false }

	cases := []struct {
		name   string
		cells  []DiffCell
		ignore func(string) bool
		want   []HeaderDiff
	}{
		{"identical", []DiffCell{cell(a, 1, xc("MISS")), cell(b, 1, xc("MISS"))}, nil, nil},
		{"nothing to compare", []DiffCell{cell(a, 1, xc("MISS"))}, nil, nil},
		{"empty input", nil, nil, nil},
		{
			"ACAO per variant, absent for no Origin",
			[]DiffCell{cell(noO, 1, xc("MISS")), cell(a, 1, acaoH(a), xc("MISS")), cell(b, 1, acaoH(b), xc("MISS"))},
			nil,
			[]HeaderDiff{{Name: "Access-Control-Allow-Origin", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{
				{noO, 1, "", false}, {a, 1, a, true}, {b, 1, b, true}}}},
		},
		{
			"failed cell is not an absent header",
			[]DiffCell{cell(a, 1, acaoH("*")), {Label: b, Round: 1, Failed: true}, cell(noO, 1, acaoH("*"))},
			nil, nil,
		},
		{
			"failed cell left out of Values",
			[]DiffCell{cell(a, 1, acaoH(a)), {Label: noO, Round: 1, Failed: true}, cell(b, 1, acaoH(b))},
			nil,
			[]HeaderDiff{{Name: "Access-Control-Allow-Origin", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{
				{a, 1, a, true}, {b, 1, b, true}}}},
		},
		{
			"empty value is not absence",
			[]DiffCell{cell(a, 1, Header{"Vary", ""}), cell(b, 1)},
			nil,
			[]HeaderDiff{{Name: "Vary", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{{a, 1, "", true}, {b, 1, "", false}}}},
		},
		{
			"duplicate lines compare combined, names case-insensitive",
			[]DiffCell{
				cell(a, 1, Header{"Vary", "Origin"}, Header{"vary", "Accept-Encoding"}),
				cell(b, 1, Header{"VARY", "Origin, Accept-Encoding"}),
			},
			nil, nil,
		},
		{
			"duplicate lines in another order differ",
			[]DiffCell{
				cell(a, 1, acaoH(a)),
				cell(b, 1, acaoH(b), acaoH(a)),
			},
			nil,
			[]HeaderDiff{{Name: "Access-Control-Allow-Origin", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{
				{a, 1, a, true}, {b, 1, b + ", " + a, true}}}},
		},
		{
			"volatile headers ignored by default",
			[]DiffCell{cell(a, 1, date("Mon"), Header{"Age", "0"}, Header{"CF-Ray", "1"}), cell(b, 1, date("Tue"), Header{"Age", "7"}, Header{"CF-Ray", "2"})},
			nil, nil,
		},
		{
			"custom ignore compares everything",
			[]DiffCell{cell(a, 1, date("Mon")), cell(b, 1, date("Tue"))},
			never,
			[]HeaderDiff{{Name: "Date", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{{a, 1, "Mon", true}, {b, 1, "Tue", true}}}},
		},
		{
			"rounds: cache status flips, ACAO stays",
			[]DiffCell{
				cell(a, 1, acaoH(a), xc("MISS")), cell(b, 1, acaoH(a), xc("HIT")),
				cell(a, 2, acaoH(a), xc("HIT")), cell(b, 2, acaoH(a), xc("HIT")),
			},
			nil,
			[]HeaderDiff{
				{Name: "X-Cache", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{{a, 1, "MISS", true}, {b, 1, "HIT", true}}},
				{Name: "X-Cache", Scope: DiffAcrossRounds, Label: a, Values: []DiffValue{{a, 1, "MISS", true}, {a, 2, "HIT", true}}},
			},
		},
		{
			"order: variants by round, then rounds by first appearance, names sorted",
			[]DiffCell{
				cell(b, 2, Header{"Z-Last", "p"}, Header{"a-first", "p"}),
				cell(a, 2, Header{"Z-Last", "q"}),
				cell(b, 1, Header{"A-First", "x"}),
				cell(a, 1),
			},
			nil,
			[]HeaderDiff{
				{Name: "a-first", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{{b, 1, "x", true}, {a, 1, "", false}}},
				{Name: "a-first", Scope: DiffAcrossVariants, Round: 2, Values: []DiffValue{{b, 2, "p", true}, {a, 2, "", false}}},
				{Name: "Z-Last", Scope: DiffAcrossVariants, Round: 2, Values: []DiffValue{{b, 2, "p", true}, {a, 2, "q", true}}},
				{Name: "a-first", Scope: DiffAcrossRounds, Label: b, Values: []DiffValue{{b, 2, "p", true}, {b, 1, "x", true}}},
				{Name: "Z-Last", Scope: DiffAcrossRounds, Label: b, Values: []DiffValue{{b, 2, "p", true}, {b, 1, "", false}}},
				{Name: "Z-Last", Scope: DiffAcrossRounds, Label: a, Values: []DiffValue{{a, 2, "q", true}, {a, 1, "", false}}},
			},
		},
		{
			// Per-fetch counters differ on every fetch by nature: never a
			// difference, present or not, in any case of the name.
			"per-fetch counters left out",
			[]DiffCell{
				cell(a, 1, Header{"X-Hits", "1"}, Header{"X-Seq", " 42 "}, Header{"X-Num", "7"}),
				cell(b, 1, Header{"x-hits", "2"}, Header{"X-Seq", "43"}),
				cell(a, 2, Header{"X-Hits", "18446744073709551615"}),
			},
			nil, nil,
		},
		{
			"a number and a word are not a counter",
			[]DiffCell{
				cell(a, 1, Header{"X-Hits", "1"}, Header{"X-Big", "18446744073709551616"}),
				cell(b, 1, Header{"X-Hits", "none"}, Header{"X-Big", "1"}),
			},
			nil,
			[]HeaderDiff{
				{Name: "X-Big", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{{a, 1, "18446744073709551616", true}, {b, 1, "1", true}}},
				{Name: "X-Hits", Scope: DiffAcrossVariants, Round: 1, Values: []DiffValue{{a, 1, "1", true}, {b, 1, "none", true}}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DiffVariants(c.cells, c.ignore)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got\n%+v\nwant\n%+v", got, c.want)
			}
			// Deterministic despite map iteration.
			for range 5 {
				if again := DiffVariants(c.cells, c.ignore); !reflect.DeepEqual(again, got) {
					t.Fatalf("non-deterministic output")
				}
			}
		})
	}
}

func TestVolatileHeader(t *testing.T) {
	for _, n := range []string{"date", "age", "x-varnish", "cf-ray", "x-amz-cf-id", "x-request-id", "x-served-by",
		"x-timer", "server-timing", "x-cache-hits", "report-to", "nel", "set-cookie"} {
		if !VolatileHeader(n) {
			t.Errorf("%q should be volatile", n)
		}
	}
	for _, n := range []string{"access-control-allow-origin", "vary", "x-cache", "cf-cache-status", "cache-status",
		"cache-control", "etag", "content-length", "Date"} {
		if VolatileHeader(n) {
			t.Errorf("%q should be compared", n)
		}
	}
}

func diffBenchCells(variants, rounds, headers int) []DiffCell {
	var cells []DiffCell
	for r := 1; r <= rounds; r++ {
		for v := range variants {
			h := make(Headers, 0, headers)
			for k := range headers {
				val := "same"
				if k%5 == 0 {
					val = fmt.Sprintf("v%d-r%d", v, r) // a fifth of the headers differ
				}
				h = append(h, Header{fmt.Sprintf("X-Header-%02d", k), val})
			}
			cells = append(cells, DiffCell{Label: fmt.Sprintf("https://o%d.example", v), Round: r, Headers: h})
		}
	}
	return cells
}

func TestDiffVariantsScale(t *testing.T) {
	cells := diffBenchCells(8, 2, 40)
	got := DiffVariants(cells, nil)
	// 8 differing headers per round across variants (2 rounds) and across
	// rounds for each of the 8 variants.
	if want := 8*2 + 8*8; len(got) != want {
		t.Fatalf("got %d diffs, want %d", len(got), want)
	}
	for _, d := range got {
		wantLen := 8
		if d.Scope == DiffAcrossRounds {
			wantLen = 2
		}
		if len(d.Values) != wantLen {
			t.Fatalf("%s %s: %d values, want %d", d.Scope, d.Name, len(d.Values), wantLen)
		}
	}
}

func BenchmarkDiffVariants(b *testing.B) {
	cells := diffBenchCells(8, 2, 40)
	b.ReportAllocs()
	for b.Loop() {
		DiffVariants(cells, nil)
	}
}

// Past the names a linear search handles (a map then finds them), names
// still compare case-insensitively and keep their first spelling.
func TestDiffVariantsManyNamesFoldCase(t *testing.T) {
	var ha, hb Headers
	for k := range 3 * maxLinearNames {
		ha = append(ha, Header{fmt.Sprintf("X-Name-%03d", k), "same"})
		hb = append(hb, Header{fmt.Sprintf("x-NAME-%03d", k), "same"})
	}
	hb[len(hb)-1].Value = "other"
	got := DiffVariants([]DiffCell{{Label: "a", Round: 1, Headers: ha}, {Label: "b", Round: 1, Headers: hb}}, nil)
	want := []HeaderDiff{{Name: ha[len(ha)-1].Name, Scope: DiffAcrossVariants, Round: 1,
		Values: []DiffValue{{"a", 1, "same", true}, {"b", 1, "other", true}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// CounterValue is a whole number as strconv reads one: decimal digits that
// fit 64 bits, around them any white space strings.TrimSpace drops.
func FuzzCounterValue(f *testing.F) {
	for _, s := range []string{"", "0", " 42 ", "\u00a07\u0085", "18446744073709551615", "18446744073709551616", "-1", "+1", "1_0", "0x1", "one", "\t9\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if got := CounterValue(s); got != (err == nil) {
			t.Fatalf("CounterValue(%q) = %v, strconv says %v", s, got, err)
		}
	})
}
