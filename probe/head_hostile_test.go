package probe

import (
	"runtime"
	"strings"
	"testing"
)

// Obsolete line folding lets a server continue one header over a few
// hundred thousand lines. Unfolding must cost about the block's size, not
// the line count squared.
func TestParseHeadManyContinuationLinesIsLinear(t *testing.T) {
	const lines = 20000
	block := "HTTP/1.1 200 OK\r\nX-Fold: a\r\n" + strings.Repeat(" b\r\n", lines) + "X-After: c\r\n\r\n"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := parseHead([]byte(block))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("unfolding %d lines allocated %d MiB", lines, n>>20)
	}
	want := "a" + strings.Repeat(" b", lines)
	if len(p.headers) != 2 || p.headers[0].Value != want || p.headers[1].Value != "c" {
		t.Errorf("headers: %d, first value %d bytes (want %d), second %q", len(p.headers), len(p.headers[0].Value), len(want), p.headers[1].Value)
	}
}
