package cachemodel

import (
	"runtime"
	"strings"
	"testing"
)

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A hostile server can repeat one header name a few hundred thousand times
// within the header size limit. Joining the lines must cost about their
// size, not their count squared (20,000 lines joined one by one would
// allocate some 600 MB).
func TestDiffRepeatedHeaderIsLinear(t *testing.T) {
	const lines = 20000
	mk := func(v string) Headers {
		h := make(Headers, lines)
		for i := range h {
			h[i] = Header{Name: "X-Rep", Value: v}
		}
		return h
	}
	cells := []DiffCell{{Label: "a", Round: 1, Headers: mk("a")}, {Label: "b", Round: 1, Headers: mk("b")}}
	var d []HeaderDiff
	n := allocated(func() { d = DiffVariants(cells, nil) })
	if n > 8<<20 {
		t.Errorf("diffing 2 × %d repeated lines allocated %d MiB", lines, n>>20)
	}
	if len(d) != 1 || d[0].Name != "X-Rep" {
		t.Fatalf("diffs %+v", d)
	}
	want := strings.TrimSuffix(strings.Repeat("a, ", lines), ", ")
	if got := d[0].Values[0].Value; got != want {
		t.Errorf("joined value has %d bytes, want %d", len(got), len(want))
	}
}

func TestLastListMembers(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a, b, c", 3, "a, b, c"},
		{"a, b, c", 2, " b, c"},
		{"a, b, c", 1, " c"},
		{`a, "x,y", c`, 2, ` "x,y", c`},
		{`a, "x\",y", c`, 2, ` "x\",y", c`},
		{"", 2, ""},
	}
	for _, tt := range tests {
		if got := lastListMembers(tt.in, tt.n); got != tt.want {
			t.Errorf("lastListMembers(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// A Cache-Status header listing 50,000 caches costs a bounded parse, and
// its last member still gives the status.
func TestHugeCacheStatusIsBounded(t *testing.T) {
	raw := strings.Repeat("edge; fwd=miss, ", 50000) + "final; hit"
	h := Headers{{Name: "Cache-Status", Value: raw}}
	var v CacheVerdict
	n := allocated(func() { v = NormalizeCacheStatus(h) })
	if v.Status != StatusHit || len(v.Layers) != maxCacheLayers || v.Layers[len(v.Layers)-1].Name != "final" {
		t.Errorf("status %s, %d layers", v.Status, len(v.Layers))
	}
	if n > 1<<20 {
		t.Errorf("allocated %d KiB", n>>10)
	}
}
