package themes

import "github.com/charmbracelet/lipgloss"

// Built-in theme names, in the order the TUI cycles through them.
const (
	NameDefault      = "default"
	NameDark         = "dark"
	NameLight        = "light"
	NameHighContrast = "high-contrast"
	NameMono         = "mono"
)

// Names returns the built-in theme names in cycling order. The slice is
// fresh on each call.
func Names() []string {
	return []string{NameDefault, NameDark, NameLight, NameHighContrast, NameMono}
}

// Builtin returns a built-in palette by name. Each call builds a new value,
// so callers may modify the result freely.
func Builtin(name string) (Palette, bool) {
	switch name {
	case NameDefault:
		return fromPairs(func(p pair) lipgloss.TerminalColor {
			return lipgloss.AdaptiveColor{Light: p.light, Dark: p.dark}
		}), true
	case NameDark:
		return fromPairs(func(p pair) lipgloss.TerminalColor { return lipgloss.Color(p.dark) }), true
	case NameLight:
		return fromPairs(func(p pair) lipgloss.TerminalColor { return lipgloss.Color(p.light) }), true
	case NameHighContrast:
		return highContrast(), true
	case NameMono:
		return mono(), true
	}
	return Palette{}, false
}

// pair is one slot's colour for light and dark backgrounds. The light and
// dark themes are the two halves of the default theme, so the three can
// never drift apart.
type pair struct{ light, dark string }

// softPairs is the default theme, one entry per slot name.
var softPairs = map[string]pair{
	"text":            {"#1f2328", "#e6edf3"},
	"muted":           {"#6e7781", "#8b949e"},
	"border":          {"#afb8c1", "#484f58"},
	"accent":          {"#0550ae", "#79c0ff"},
	"selection":       {"#ddf4ff", "#1c3a5e"},
	"hit":             {"#1a7f37", "#3fb950"},
	"miss":            {"#9a6700", "#e3b341"},
	"stale":           {"#bc4c00", "#f0883e"},
	"bypass":          {"#8250df", "#bc8cff"},
	"error":           {"#cf222e", "#f85149"},
	"warn":            {"#9a6700", "#d29922"},
	"ok":              {"#116329", "#56d364"},
	"info":            {"#0969da", "#58a6ff"},
	"diff":            {"#953800", "#ffa657"},
	"problem":         {"#a40e26", "#ff7b72"},
	"severity_high":   {"#a40e26", "#ff7b72"},
	"severity_medium": {"#bc4c00", "#f0883e"},
	"severity_low":    {"#7d4e00", "#e3b341"},
	"severity_info":   {"#0969da", "#58a6ff"},
}

func fromPairs(pick func(pair) lipgloss.TerminalColor) Palette {
	var p Palette
	for _, name := range SlotNames() {
		c, ok := softPairs[name]
		if !ok {
			panic("themes: default palette has no colour for slot " + name)
		}
		p, _ = p.withSlot(name, pick(c))
	}
	return p
}

// highContrast uses only the 16 basic ANSI colours, which the user's
// terminal scheme controls, with black or white text depending on the
// background: normal colours on light backgrounds, bright ones on dark.
func highContrast() Palette {
	a := func(light, dark string) lipgloss.TerminalColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	return Palette{
		Text:           a("0", "15"),
		Muted:          a("8", "7"),
		Border:         a("0", "15"),
		Accent:         a("4", "14"),
		Selection:      a("14", "4"),
		Hit:            a("2", "10"),
		Miss:           a("5", "11"),
		Stale:          a("3", "13"),
		Bypass:         a("4", "12"),
		Error:          a("1", "9"),
		Warn:           a("3", "11"),
		OK:             a("2", "10"),
		Info:           a("4", "14"),
		Diff:           a("5", "13"),
		Problem:        a("1", "9"),
		SeverityHigh:   a("1", "9"),
		SeverityMedium: a("5", "13"),
		SeverityLow:    a("3", "11"),
		SeverityInfo:   a("4", "14"),
	}
}

// mono sets no colour at all; styles fall back to bold, underline and
// reverse video, and the TUI's words and glyphs carry the meaning.
func mono() Palette {
	var p Palette
	for _, name := range SlotNames() {
		p, _ = p.withSlot(name, lipgloss.NoColor{})
	}
	return p
}
