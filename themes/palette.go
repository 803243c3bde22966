// Package themes turns a small semantic colour palette into the lipgloss
// styles the TUI draws with. Palettes name what a colour means (a cache HIT,
// a poisoned cell), never where it is used, so a theme only has to pick
// nineteen colours and every view stays consistent.
//
// Colour is decoration only: every state the TUI shows must also carry a
// word or glyph, so the mono theme (and NO_COLOR) loses nothing.
package themes

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Palette is the set of semantic colour slots. Each field's `slot` tag is
// its snake_case name in TOML ([themes.NAME] tables).
type Palette struct {
	Text      lipgloss.TerminalColor `slot:"text"`      // normal text
	Muted     lipgloss.TerminalColor `slot:"muted"`     // secondary text, hints
	Border    lipgloss.TerminalColor `slot:"border"`    // separators in the key help
	Accent    lipgloss.TerminalColor `slot:"accent"`    // titles, focused pane, key names
	Selection lipgloss.TerminalColor `slot:"selection"` // background of the selected row
	Hit       lipgloss.TerminalColor `slot:"hit"`       // cache HIT
	Miss      lipgloss.TerminalColor `slot:"miss"`      // cache MISS / EXPIRED
	Stale     lipgloss.TerminalColor `slot:"stale"`     // STALE / UPDATING / REVALIDATED
	Bypass    lipgloss.TerminalColor `slot:"bypass"`    // BYPASS / DYNAMIC / PASS
	Error     lipgloss.TerminalColor `slot:"error"`     // failures, blocked verdicts
	Warn      lipgloss.TerminalColor `slot:"warn"`      // warnings
	OK        lipgloss.TerminalColor `slot:"ok"`        // success, allowed verdicts
	Info      lipgloss.TerminalColor `slot:"info"`      // neutral notices
	Diff      lipgloss.TerminalColor `slot:"diff"`      // a cell that differs across Origin variants
	Problem   lipgloss.TerminalColor `slot:"problem"`   // a poisoned cell (wrong variant served)

	SeverityHigh   lipgloss.TerminalColor `slot:"severity_high"`
	SeverityMedium lipgloss.TerminalColor `slot:"severity_medium"`
	SeverityLow    lipgloss.TerminalColor `slot:"severity_low"`
	SeverityInfo   lipgloss.TerminalColor `slot:"severity_info"`
}

// slotFields maps slot names to Palette field indexes, in declaration order.
var slotFields = func() []slotField {
	t := reflect.TypeOf(Palette{})
	out := make([]slotField, 0, t.NumField())
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("slot")
		if name == "" {
			panic("themes: Palette field " + t.Field(i).Name + " has no slot tag")
		}
		out = append(out, slotField{name: name, index: i})
	}
	return out
}()

type slotField struct {
	name  string
	index int
}

// SlotNames returns the TOML names of every palette slot, in declaration
// order. The slice is fresh on each call.
func SlotNames() []string {
	out := make([]string, len(slotFields))
	for i, f := range slotFields {
		out[i] = f.name
	}
	return out
}

// Slot returns the colour in the named slot.
func (p Palette) Slot(name string) (lipgloss.TerminalColor, bool) {
	for _, f := range slotFields {
		if f.name == name {
			c, _ := reflect.ValueOf(p).Field(f.index).Interface().(lipgloss.TerminalColor)
			return c, true
		}
	}
	return nil, false
}

// withSlot returns a copy of p with the named slot set; ok is false for an
// unknown slot name.
func (p Palette) withSlot(name string, c lipgloss.TerminalColor) (Palette, bool) {
	for _, f := range slotFields {
		if f.name == name {
			reflect.ValueOf(&p).Elem().Field(f.index).Set(reflect.ValueOf(&c).Elem())
			return p, true
		}
	}
	return p, false
}

// ParseColor parses a colour as written in a theme table: "#rrggbb" (hex,
// any case) or an ANSI colour number 0-255. The same colour is used on
// light and dark backgrounds.
func ParseColor(s string) (lipgloss.TerminalColor, error) {
	want := `want "#rrggbb" or an ANSI colour number 0-255`
	if strings.HasPrefix(s, "#") {
		hex := s[1:]
		if len(hex) != 6 {
			return nil, fmt.Errorf("%q is not a colour: hex colours have 6 digits; %s", s, want)
		}
		if _, err := strconv.ParseUint(hex, 16, 32); err != nil {
			return nil, fmt.Errorf("%q is not a colour: bad hex digit; %s", s, want)
		}
		return lipgloss.Color("#" + strings.ToLower(hex)), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a colour; %s", s, want)
	}
	if n < 0 || n > 255 || strconv.Itoa(n) != s { // rejects "+3", "007"
		return nil, fmt.Errorf("%q is not a colour: ANSI numbers run from 0 to 255; %s", s, want)
	}
	return lipgloss.ANSIColor(n), nil
}
