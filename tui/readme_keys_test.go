package tui

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's key table is checked against the KeyMap: every action's
// default keys are in it, and every key it names is bound, so a new key or
// a rebinding of a default cannot leave the README behind.
func TestReadmeKeyTableMatchesKeyMap(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(raw), "| keys | action |")
	if start < 0 {
		t.Fatal("README has no key table")
	}
	table := string(raw[start:])
	table = table[:strings.Index(table, "\n\n")]
	// The table spells some keys as glyphs or in groups.
	spelled := map[string][]string{
		"up": {"↑"}, "down": {"↓"}, "left": {"←"}, "right": {"→"},
		"k": {"hjkl"}, "j": {"hjkl"}, "h": {"hjkl"}, "l": {"hjkl"},
		"pgdown": {"pgdn"},
	}
	// The keys are the first cell of each row.
	var named []string
	for _, row := range strings.Split(table, "\n")[2:] {
		cells := strings.Split(row, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[1], -1) {
			named = append(named, m[1])
		}
	}
	has := func(k string) bool {
		for _, n := range named {
			if n == k || strings.Contains(n, k) && len([]rune(k)) == 1 && strings.ContainsRune("↑↓←→", []rune(k)[0]) {
				return true
			}
			for _, alt := range spelled[k] {
				if strings.Contains(n, alt) {
					return true
				}
			}
		}
		return false
	}
	km := DefaultKeyMap()
	// Prompt keys (submit, dismiss, interrupt, confirm, deny) are told by
	// the prompts themselves; ctrl+ aliases and shift+ variants are extras.
	skip := []string{"submit", "dismiss", "interrupt", "confirm", "deny"}
	var bound []string
	for _, nb := range km.bindings() {
		for _, k := range nb.b.Keys() {
			bound = append(bound, k)
		}
		if slices.Contains(skip, nb.action) {
			continue
		}
		primary := nb.b.Keys()[0]
		if !has(primary) {
			t.Errorf("README key table lacks %q (action %s)", primary, nb.action)
		}
	}
	for _, n := range named {
		for _, part := range strings.Split(n, "/") {
			if part == "" || part == "hjkl" || part == "pgdn" || strings.ContainsAny(part, "↑↓←→") {
				continue
			}
			if !slices.Contains(bound, part) {
				t.Errorf("README key table names %q, which no action is bound to", part)
			}
		}
	}
}
