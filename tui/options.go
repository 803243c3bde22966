// Package tui is corscope's interactive interface: a targets pane with a
// live state per URL, the variant matrix of the selected target, its
// findings, a detail view per variant, and the actions that re-probe,
// compare and export. All network and file work runs in tea.Cmds; results
// stream in tagged with run IDs so a superseded run can never overwrite a
// newer one.
package tui

import (
	"context"
	"io"
	"net/url"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/themes"
)

// Mode is how targets are probed; the PlanBuilder decides what each mode
// sends.
type Mode string

// Modes the TUI knows how to switch between.
const (
	ModeObserve Mode = "observe"
	ModeIsolate Mode = "isolate"
)

// PlanRequest asks for the plan of one target.
type PlanRequest struct {
	Index   int      // the plan's position in its run (TargetPlan.Index)
	URL     *url.URL // the target
	Mode    Mode
	Origins []string // configured origins, including those added at runtime
}

// PlanBuilder builds one target's plan. The TUI never hard-codes what a
// mode sends, so isolate mode (or any later mode) plugs in here.
type PlanBuilder func(PlanRequest) (cachemodel.TargetPlan, error)

// Theme is a named palette the t key cycles through.
type Theme struct {
	Name    string
	Palette themes.Palette
}

// Options configure a Model. The zero value is an empty read-only viewer.
type Options struct {
	// URLs are the targets probed when the program starts.
	URLs []*url.URL
	// Origins are the configured origins (already validated).
	Origins []string

	// Engine runs plans; nil makes the model read-only (corscope view):
	// every key that would send a request is disabled.
	Engine runner.Engine
	// Plan builds each target's plan; required when Engine is set.
	Plan PlanBuilder
	// Analyze turns a finished target into its report; nil means
	// cachemodel.Analyze with default options.
	Analyze runner.Analyzer
	// Modes lists the modes Plan supports, in the order m cycles through
	// them; nil means observe only. Mode is the starting one ("" means the
	// first of Modes).
	Modes []Mode
	Mode  Mode

	// Reports are results to show from the start (corscope view).
	Reports []cachemodel.TargetReport
	// Previous are older results to diff against, matched by URL (corscope
	// view old.json new.json). Diffing starts switched on when set.
	Previous []cachemodel.TargetReport
	// Title replaces "corscope" in the header, e.g. "view report.json".
	Title string

	// Themes are the palettes t cycles through (nil means the built-ins);
	// Theme names the starting one.
	Themes []Theme
	Theme  string
	// Renderer styles are built for; nil means lipgloss's default.
	Renderer *lipgloss.Renderer
	// Keys replaces DefaultKeyMap().
	Keys *KeyMap
	// Timeout is the engine's per-request timeout, shown beside the time
	// a request has been in flight; 0 shows the time alone.
	Timeout time.Duration
	// Now is the clock (tests freeze it); nil means time.Now.
	Now func() time.Time
	// Clipboard receives the OSC 52 sequence that y writes; nil disables
	// copying.
	Clipboard io.Writer
	// ClipboardEnv reads environment variables that decide how OSC 52 is
	// wrapped (TMUX, TERM); nil means none set.
	ClipboardEnv func(string) string
	// ExportDir is where e proposes to write; "" means the working
	// directory.
	ExportDir string
	// Tool names the program in exported reports, e.g. "corscope v1.2".
	Tool string
	// Purger enables the purge action; see Purger.
	Purger Purger
	// Context is the parent of every run; cancelling it stops them. nil
	// means context.Background().
	Context context.Context
}

// defaultThemes is every built-in palette in cycling order.
func defaultThemes() []Theme {
	var out []Theme
	for _, name := range themes.Names() {
		p, _ := themes.Builtin(name)
		out = append(out, Theme{Name: name, Palette: p})
	}
	return out
}
