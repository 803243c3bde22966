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
