package themes

import (
	"fmt"
	"sort"
	"strings"
)

// Custom is a user theme: a built-in base with some slots overridden. It is
// what a [themes.NAME] table in the config file holds.
type Custom struct {
	Base   string            // built-in theme name; "" means "default"
	Colors map[string]string // slot name -> "#rrggbb" or ANSI number "0".."255"
}

// SlotError says which part of a custom theme is wrong. Slot is "base" for
// a bad base theme.
type SlotError struct {
	Slot   string
	Value  string
	Reason string // complete sentence fragment naming the value, e.g. `unknown slot (did you mean "accent"?)`
}

func (e *SlotError) Error() string { return fmt.Sprintf("theme slot %q: %s", e.Slot, e.Reason) }

// Resolve builds the palette: the base theme with every override applied.
// Overrides are checked in name order, so the first error is deterministic.
func (c Custom) Resolve() (Palette, error) {
	base := c.Base
	if base == "" {
		base = NameDefault
	}
	p, ok := Builtin(base)
	if !ok {
		reason := fmt.Sprintf("unknown base theme %q; built-ins are %s", base, strings.Join(Names(), ", "))
		if s := closest(base, Names()); s != "" {
			reason = fmt.Sprintf("unknown base theme %q (did you mean %q?); built-ins are %s", base, s, strings.Join(Names(), ", "))
		}
		return Palette{}, &SlotError{Slot: "base", Value: base, Reason: reason}
	}
	names := make([]string, 0, len(c.Colors))
	for name := range c.Colors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		value := c.Colors[name]
		col, err := ParseColor(value)
		if err != nil {
			// Check the name first: a typo'd slot is the likelier mistake.
			if _, known := p.Slot(name); known {
				return Palette{}, &SlotError{Slot: name, Value: value, Reason: err.Error()}
			}
		}
		next, known := p.withSlot(name, col)
		if !known {
			reason := "unknown palette slot"
			if s := closest(name, SlotNames()); s != "" {
				reason += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return Palette{}, &SlotError{Slot: name, Value: value, Reason: reason}
		}
		p = next
	}
	return p, nil
}

// closest returns the candidate nearest to s by edit distance when it is
// close enough to be a plausible typo, else "".
func closest(s string, candidates []string) string {
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 2
	if len(s) <= 3 {
		limit = 1
	}
	if bestDist <= limit {
		return best
	}
	return ""
}

// editDistance is the optimal-string-alignment distance between a and b
// (bytes): insertions, deletions, substitutions and swaps of neighbours
// ("drak" -> "dark") each cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
