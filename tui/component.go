package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// component is what every child of the root model is, as soft-serve's
// Component is: it takes the box the root's layout gives it, handles the
// messages the root routes to it, draws itself into that box, and names
// its keys for the status bar. T is the child's own type: Update returns
// the child, as the bubbles components do, so the root keeps it by value.
//
// The root keeps only what the children share: the targets, the runs, the
// screen shown, the focus, the prompt and the status line.
type component[T any] interface {
	SetSize(w, h int)
	Update(msg tea.Msg) (T, tea.Cmd)
	View() string
	ShortHelp() []key.Binding
}

var (
	_ component[targetsModel]  = (*targetsModel)(nil)
	_ component[matrixModel]   = (*matrixModel)(nil)
	_ component[findingsModel] = (*findingsModel)(nil)
	_ component[detailModel]   = (*detailModel)(nil)
	_ component[purgeScreen]   = (*purgeScreen)(nil)
)
