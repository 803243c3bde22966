package themes

import (
	"maps"
	"slices"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles is every style the TUI uses, grouped by component. Build it with
// NewStyles; the zero value renders plain text.
type Styles struct {
	Text   lipgloss.Style // ordinary text
	Muted  lipgloss.Style // secondary text; a cell with no verdict to give
	Accent lipgloss.Style // emphasis, titles
	Error  lipgloss.Style // a failed request, a target without a complete verdict

	Header    HeaderStyles
	StatusBar StatusBarStyles
	Targets   TargetStyles
	Matrix    MatrixStyles
	Cache     CacheStyles
	Verdict   VerdictStyles
	Severity  SeverityStyles
	Detail    DetailStyles
	Help      help.Styles // ready for bubbles' help.Model.Styles
}

// HeaderStyles is the top bar.
type HeaderStyles struct {
	Title, Subtitle lipgloss.Style
}

// StatusBarStyles is the bottom bar and its flash levels.
type StatusBarStyles struct {
	Text, Info, Warn, Error, OK, Spinner lipgloss.Style
}

// TargetStyles is the list of target URLs.
type TargetStyles struct {
	Item     lipgloss.Style
	Selected lipgloss.Style
	Cursor   lipgloss.Style // the cursor glyph itself
	Dim      lipgloss.Style // pending or skipped targets
	Error    lipgloss.Style // a target whose probe failed
}

// MatrixStyles is the variants x responses matrix.
type MatrixStyles struct {
	Header   lipgloss.Style // column headings
	RowLabel lipgloss.Style // the variant (Origin) column
	Cell     lipgloss.Style
	Diff     lipgloss.Style // a value that differs across variants
	Problem  lipgloss.Style // a poisoned cell: another variant's response
	Selected lipgloss.Style
}

// CacheStyles colour normalised cache statuses (an unknown one is Muted).
type CacheStyles struct {
	Hit, Miss, Stale, Bypass lipgloss.Style
}

// VerdictStyles colour the browser's CORS verdict.
type VerdictStyles struct {
	Allowed, Blocked lipgloss.Style
}

// SeverityStyles colour findings.
type SeverityStyles struct {
	High, Medium, Low, Info lipgloss.Style
}

// DetailStyles is the response detail pane.
type DetailStyles struct {
	Title, Section, Key, Value lipgloss.Style
}

// NewStyles builds a fresh Styles from a palette for one renderer (nil means
// lipgloss's default renderer). Nothing shared is modified, so several
// renderers or themes can coexist.
func NewStyles(r *lipgloss.Renderer, p Palette) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	fg := func(c lipgloss.TerminalColor) lipgloss.Style { return r.NewStyle().Foreground(orNone(c)) }

	selected := r.NewStyle().Bold(true)
	if isNoColor(p.Selection) {
		// Without a background colour, reverse video is what shows the row.
		selected = selected.Reverse(true)
	} else {
		selected = selected.Foreground(orNone(p.Text)).Background(p.Selection)
	}

	var s Styles
	s.Text = fg(p.Text)
	s.Muted = fg(p.Muted)
	s.Accent = fg(p.Accent).Bold(true)
	s.Error = fg(p.Error).Bold(true)

	s.Header = HeaderStyles{
		Title:    fg(p.Accent).Bold(true),
		Subtitle: fg(p.Muted),
	}
	s.StatusBar = StatusBarStyles{
		Text:    fg(p.Muted),
		Info:    fg(p.Info),
		Warn:    fg(p.Warn).Bold(true),
		Error:   fg(p.Error).Bold(true),
		OK:      fg(p.OK),
		Spinner: fg(p.Accent),
	}
	s.Targets = TargetStyles{
		Item:     fg(p.Text),
		Selected: selected,
		Cursor:   fg(p.Accent).Bold(true),
		Dim:      fg(p.Muted),
		Error:    fg(p.Error),
	}
	s.Matrix = MatrixStyles{
		Header:   fg(p.Accent).Bold(true),
		RowLabel: fg(p.Text),
		Cell:     fg(p.Text),
		Diff:     fg(p.Diff).Bold(true),
		Problem:  fg(p.Problem).Bold(true).Underline(true),
		Selected: selected,
	}
	s.Cache = CacheStyles{
		Hit:    fg(p.Hit),
		Miss:   fg(p.Miss),
		Stale:  fg(p.Stale),
		Bypass: fg(p.Bypass),
	}
	s.Verdict = VerdictStyles{
		Allowed: fg(p.OK),
		Blocked: fg(p.Error).Bold(true),
	}
	s.Severity = SeverityStyles{
		High:   fg(p.SeverityHigh).Bold(true),
		Medium: fg(p.SeverityMedium).Bold(true),
		Low:    fg(p.SeverityLow),
		Info:   fg(p.SeverityInfo),
	}
	s.Detail = DetailStyles{
		Title:   fg(p.Accent).Bold(true),
		Section: fg(p.Accent).Underline(true),
		Key:     fg(p.Muted),
		Value:   fg(p.Text),
	}
	s.Help = help.Styles{
		Ellipsis:       fg(p.Muted),
		ShortKey:       fg(p.Accent),
		ShortDesc:      fg(p.Muted),
		ShortSeparator: fg(p.Border),
		FullKey:        fg(p.Accent),
		FullDesc:       fg(p.Muted),
		FullSeparator:  fg(p.Border),
	}
	return s
}

// Class picks the style for a class name: the classes cachemodel gives
// its labels (cachemodel.Class: "hit", "bad", "high", ...) and "accent" for
// headings. themes does not import cachemodel (nor cachemodel themes): the
// names are the contract, and a test in the TUI checks that every class
// cachemodel declares has a style here. Anything else is plain text.
func (s Styles) Class(name string) lipgloss.Style {
	if f, ok := classStyles[name]; ok {
		return f(s)
	}
	return s.Text
}

// ClassNames lists the class names Class knows, sorted.
func ClassNames() []string {
	return slices.Sorted(maps.Keys(classStyles))
}

var classStyles = map[string]func(Styles) lipgloss.Style{
	"neutral": func(s Styles) lipgloss.Style { return s.Text },
	"muted":   func(s Styles) lipgloss.Style { return s.Muted },
	"accent":  func(s Styles) lipgloss.Style { return s.Accent },
	"good":    func(s Styles) lipgloss.Style { return s.Verdict.Allowed },
	"bad":     func(s Styles) lipgloss.Style { return s.Verdict.Blocked },
	"error":   func(s Styles) lipgloss.Style { return s.Error },
	"problem": func(s Styles) lipgloss.Style { return s.Matrix.Problem },
	"hit":     func(s Styles) lipgloss.Style { return s.Cache.Hit },
	"miss":    func(s Styles) lipgloss.Style { return s.Cache.Miss },
	"stale":   func(s Styles) lipgloss.Style { return s.Cache.Stale },
	"bypass":  func(s Styles) lipgloss.Style { return s.Cache.Bypass },
	"high":    func(s Styles) lipgloss.Style { return s.Severity.High },
	"medium":  func(s Styles) lipgloss.Style { return s.Severity.Medium },
	"low":     func(s Styles) lipgloss.Style { return s.Severity.Low },
	"info":    func(s Styles) lipgloss.Style { return s.Severity.Info },
}

func isNoColor(c lipgloss.TerminalColor) bool {
	if c == nil {
		return true
	}
	_, ok := c.(lipgloss.NoColor)
	return ok
}

// orNone keeps a hand-built palette with unset slots from panicking.
func orNone(c lipgloss.TerminalColor) lipgloss.TerminalColor {
	if c == nil {
		return lipgloss.NoColor{}
	}
	return c
}
