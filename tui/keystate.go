package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
)

// syncKeys enables exactly the keys that do something now, so the help
// lists only those.
func (m *Model) syncKeys() {
	k := m.c.keys
	sel := m.selected()
	// The help lists the keys of the screen it covers.
	base := m.screen
	if base == screenHelp {
		base = m.helpFrom
	}
	main := base == screenMain
	detail := base == screenDetail
	hasSel := sel != nil
	hasRep := hasSel && m.matrix.rep != nil
	live := !m.readOnly
	focusM := main && m.focus == paneMatrix
	focusF := main && m.focus == paneFindings
	purged := base == screenPurged
	moving := main || detail || base == screenConfirm || purged

	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End} {
		b.SetEnabled(moving)
	}
	k.Left.SetEnabled(focusM || (detail && m.detailVar))
	k.Right.SetEnabled(focusM || (detail && m.detailVar))
	k.ScrollLeft.SetEnabled(detail && m.detail.Wide())
	k.ScrollRight.SetEnabled(detail && m.detail.Wide())
	k.NextPane.SetEnabled(main)
	k.PrevPane.SetEnabled(main)
	k.Open.SetEnabled(purged || main && (m.focus == paneTargets && hasSel || focusM && hasRep || focusF && m.findings.count() > 0))
	k.Back.SetEnabled(m.screen != screenMain || m.targets.filter != "" || m.focus != paneTargets)
	k.Filter.SetEnabled(main && len(m.s.targets) > 0)
	k.AddURL.SetEnabled(main && live)
	k.AddOrigin.SetEnabled(main && live)
	k.Reprobe.SetEnabled(main && live && hasSel)
	k.ReprobeAll.SetEnabled(main && live && len(m.s.targets) > 0)
	k.Cancel.SetEnabled(main && len(m.runs) > 0)
	k.Mode.SetEnabled(main && live && len(m.modes) > 1)
	k.Isolate.SetEnabled(main && live && hasSel && slices.Contains(m.modes, ModeIsolate))
	canPurge := main && live && m.opt.Purger != nil && hasSel && sel.current != nil && !m.purge.busy
	k.Purge.SetEnabled(canPurge)
	k.PurgeAll.SetEnabled(canPurge)
	k.Transpose.SetEnabled(main && hasRep)
	k.Rounds.SetEnabled(main && hasRep)
	k.Diff.SetEnabled(main && hasSel && (sel.previous != nil || m.diff))
	k.Export.SetEnabled(main && m.hasAnyReport())
	k.CopyCurl.SetEnabled(detail && m.detail.curl != "" && m.opt.Clipboard != nil)
	k.Theme.SetEnabled(len(m.themes) > 1)
	k.Help.SetEnabled(true)
	k.Quit.SetEnabled(true)
	// Purge everything is confirmed by typing, never by y.
	k.Confirm.SetEnabled(m.screen == screenConfirm && !m.purge.typed())
	k.Deny.SetEnabled(m.screen == screenConfirm)
	prompt := m.prompt != promptNone
	k.Submit.SetEnabled(prompt)
	k.Dismiss.SetEnabled(prompt)
	k.Interrupt.SetEnabled(prompt)
}

func (m *Model) hasAnyReport() bool {
	for _, t := range m.s.targets {
		if t.current != nil {
			return true
		}
	}
	return false
}

// ShortHelp is the status bar's key list for the current screen and pane.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.keys
	switch m.screen {
	case screenHelp:
		return []key.Binding{k.Back, k.Help, k.Quit}
	case screenDetail:
		return append(m.detail.ShortHelp(), k.Help, k.Quit)
	case screenConfirm, screenPurged:
		return m.purge.ShortHelp()
	}
	var own []key.Binding
	switch m.focus {
	case paneTargets:
		own = m.targets.ShortHelp()
	case paneMatrix:
		own = m.matrix.ShortHelp()
	case paneFindings:
		own = m.findings.ShortHelp()
	}
	// Domain actions first: at 80 columns the footer is cut from the
	// right, and every user already knows the arrow keys.
	out := []key.Binding{k.Cancel, k.Purge, k.Isolate, k.Mode, k.Diff, k.Reprobe}
	out = append(out, own...)
	return append(out, k.NextPane, k.Help, k.Quit)
}

// FullHelp is every binding, grouped; disabled ones are left out by the
// help renderer.
func (m Model) FullHelp() [][]key.Binding { return m.c.keys.FullHelp() }
