package main

import (
	"io"

	"github.com/charmbracelet/lipgloss"

	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/themes"
)

// tablePainter colours table text with the theme's styles. Every tone also
// has a text cue in the table itself (HIT, ✗ mismatch, [HIGH]), so output
// without colour loses nothing.
func tablePainter(w io.Writer, themeName string) func(report.Tone, string) string {
	p, ok := themes.Builtin(themeName)
	if !ok {
		p, _ = themes.Builtin("default")
	}
	st := themes.NewStyles(lipgloss.NewRenderer(w), p)
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
