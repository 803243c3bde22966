package main

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/themes"
)

// useColor decides whether table output is coloured: never with NO_COLOR
// or --no-color or color = "never"; with color = "always" even when piped;
// otherwise only on a terminal.
func (a *app) useColor(noColorFlag bool, setting string) bool {
	switch {
	case noColorFlag, a.getenv("NO_COLOR") != "", setting == config.ColorNever:
		return false
	case setting == config.ColorAlways:
		return true
	}
	return a.stdoutTTY
}

// tablePainter colours table text with the theme's style for its class
// (themes.Styles.Class). Every class also has a text cue in the table
// itself (HIT, ✗ wrong ACAO, [HIGH]), so output without colour loses nothing.
func tablePainter(w io.Writer, p themes.Palette) func(class, s string) string {
	r := lipgloss.NewRenderer(w)
	if r.ColorProfile() == termenv.Ascii {
		r.SetColorProfile(termenv.ANSI256) // colour was asked for (color = "always")
	}
	st := themes.NewStyles(r, p)
	return func(class, s string) string { return st.Class(class).Render(s) }
}
