package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestWindow(t *testing.T) {
	ten := func(int) int { return 9 } // every item is 9 wide, 10 with its separator
	cases := []struct {
		name                 string
		n, off, cursor, room int
		wantOff, wantEnd     int
	}{
		{"all fit", 5, 0, 0, 50, 0, 5},
		{"cursor to the right scrolls", 5, 0, 4, 30, 2, 5},
		{"cursor to the left scrolls back", 5, 3, 1, 30, 1, 4},
		{"a wider screen scrolls back to use the room", 5, 3, 4, 50, 0, 5},
		{"no cursor keeps the offset", 5, 2, -1, 20, 2, 4},
		{"an item wider than the room still shows", 3, 0, 0, 5, 0, 1},
		{"empty", 0, 0, 0, 10, 0, 0},
	}
	for _, c := range cases {
		off, end := window(c.n, c.off, c.cursor, c.room, ten)
		if off != c.wantOff || end != c.wantEnd {
			t.Errorf("%s: window = [%d, %d), want [%d, %d)", c.name, off, end, c.wantOff, c.wantEnd)
		}
	}
}

// Transposed, the variant labels take the width the fields leave unused
// instead of being cut while columns stay blank.
func TestTransposedLabelsUseSpareWidth(t *testing.T) {
	m := start(t, newTestModel(t, poisonedCDN(), 220, 60, urlA))
	m = keys(t, m, "tab", "T")
	v := ansi.Strip(m.View())
	if strings.Contains(v, "http://127.0.0.1:8080 (s…") {
		t.Errorf("a variant label is cut although the row has room:\n%s", v)
	}
	if !strings.Contains(v, "http://127.0.0.1:8080 (same-origin)") && !strings.Contains(v, "http://127.0.0.1:8080 (same") {
		t.Errorf("the same-origin label is not shown whole:\n%s", v)
	}
}

// Issue 12, item 5: at 80 and 120 columns no isolate column header is cut.
// Generated origins differ at their end (…admin.example.com.corscope-x.
// example vs …app.example.com…), so a long Origin wraps in its column.
func TestIsolateColumnHeadersNotCut(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := keys(t, isolateModel(t, size[0], size[1]), "tab", "home")
		nl := m.matrix.labelLines()
		if nl < 2 {
			t.Fatalf("%dx%d: no Origin needs a second header line: the test proves nothing", size[0], size[1])
		}
		seen := map[string]bool{}
		for range m.matrix.g.cols {
			lines := strings.Split(ansi.Strip(m.matrix.View()), "\n")
			for _, l := range lines[:1+nl] {
				if strings.Contains(l, "…") {
					t.Errorf("%dx%d: a column header is cut: %q", size[0], size[1], l)
				}
			}
			col := m.matrix.g.cols[m.matrix.cursor]
			seen[col.label] = true
			m = keys(t, m, "l")
		}
		if len(seen) < 10 {
			t.Errorf("%dx%d: walked %d distinct columns", size[0], size[1], len(seen))
		}
	}
}
