package tui

import (
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func TestMoveLinear(t *testing.T) {
	km := DefaultKeyMap()
	cases := []struct {
		key    string
		want   int
		wantOK bool
	}{
		{"up", 4, true},
		{"down", 6, true},
		{"pgup", 2, true},
		{"pgdown", 8, true},
		{"home", 0, true},
		{"end", 9, true},
		{"enter", 5, false}, // not a movement key: the position is kept
		{"q", 5, false},
	}
	for _, c := range cases {
		got, ok := km.moveLinear(keyMsg(c.key), 5, 3, 9)
		if got != c.want || ok != c.wantOK {
			t.Errorf("%s from 5 (page 3, last 9) = %d, %v; want %d, %v", c.key, got, ok, c.want, c.wantOK)
		}
	}
}

// The findings pane pages with pgup/pgdn (listed in the help while it has
// focus) and stays within its findings.
func TestFindingsPaging(t *testing.T) {
	km := DefaultKeyMap()
	rep := &cachemodel.TargetReport{URL: "https://a.example/", Findings: make([]cachemodel.Finding, 10)}
	f := newFindings(&common{keys: &km})
	f.SetSize(40, 4)
	f.SetReport(rep)
	steps := []struct {
		key  string
		want int
	}{
		{"pgdown", 3},
		{"pgdown", 6},
		{"pgdown", 9},
		{"pgdown", 9}, // clamped at the last finding
		{"pgup", 6},
		{"home", 0},
		{"pgup", 0}, // clamped at the first
		{"end", 9},
	}
	for i, s := range steps {
		f, _ = f.Update(keyMsg(s.key))
		if f.cursor != s.want {
			t.Fatalf("step %d (%s): cursor %d, want %d", i, s.key, f.cursor, s.want)
		}
	}
	// No findings: every key leaves the cursor at 0.
	f.SetReport(&cachemodel.TargetReport{URL: "https://b.example/"})
	for _, k := range []string{"pgdown", "end", "down"} {
		if f, _ = f.Update(keyMsg(k)); f.cursor != 0 {
			t.Fatalf("%s with no findings: cursor %d, want 0", k, f.cursor)
		}
	}
}
