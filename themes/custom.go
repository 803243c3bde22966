package themes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/corscope/corscope/internal/suggest"
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
		if s := suggest.Closest(base, Names()); s != "" {
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
			if s := suggest.Closest(name, SlotNames()); s != "" {
				reason += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return Palette{}, &SlotError{Slot: name, Value: value, Reason: reason}
		}
		p = next
	}
	return p, nil
}
