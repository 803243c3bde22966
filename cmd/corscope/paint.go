package main

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/report"
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

// tablePainter colours table text with the theme's styles. Every tone also
// has a text cue in the table itself (HIT, ✗ mismatch, [HIGH]), so output
// without colour loses nothing.
func tablePainter(w io.Writer, p themes.Palette) func(report.Tone, string) string {
	r := lipgloss.NewRenderer(w)
	if r.ColorProfile() == termenv.Ascii {
		r.SetColorProfile(termenv.ANSI256) // colour was asked for (color = "always")
	}
	st := themes.NewStyles(r, p)
	styles := map[report.Tone]lipgloss.Style{
		report.ToneHeading: st.Accent.Bold(true),
		report.ToneMuted:   st.Muted,
		report.ToneHit:     st.Cache.Hit,
		report.ToneMiss:    st.Cache.Miss,
		report.ToneStale:   st.Cache.Stale,
		report.ToneBypass:  st.Cache.Bypass,
		report.ToneAllowed: st.Verdict.Allowed,
		report.ToneBlocked: st.Verdict.Blocked,
		report.ToneError:   st.StatusBar.Error,
		report.ToneHigh:    st.Severity.High,
		report.ToneMedium:  st.Severity.Medium,
		report.ToneLow:     st.Severity.Low,
		report.ToneInfo:    st.Severity.Info,
	}
	return func(t report.Tone, s string) string {
		if style, ok := styles[t]; ok {
			return style.Render(s)
		}
		return s
	}
}
