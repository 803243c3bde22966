package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// whyOff says, in a few words a user can act on, why the binding of
// action is off right now ("" when it is on, or when it never applies on
// this screen and pressing it cannot surprise anyone). Bindings are turned
// on and off by syncKeys; this is the other half, read only when a key of
// a disabled binding is pressed and for the help screen.
func (m *Model) whyOff(action string) string {
	k := m.c.keys
	sel := m.selected()
	main := m.screen == screenMain || m.screen == screenHelp && m.helpFrom == screenMain
	hasRep := sel != nil && sel.current != nil
	readOnly := "read-only: a saved report cannot send requests (run corscope on the URL instead)"
	onMain := func(what string) string {
		if main {
			return ""
		}
		return what + " works on the main screen: " + k.Back.Help().Key + " goes back"
	}
	switch action {
	case "diff":
		if s := onMain("diff"); s != "" {
			return s
		}
		if sel == nil {
			return "no target selected"
		}
		return "no previous run yet: " + k.Reprobe.Help().Key + " re-probes, then " + k.Diff.Help().Key + " compares"
	case "cancel":
		return "nothing is running to cancel"
	case "copy-curl":
		switch {
		case m.screen != screenDetail:
			return "copies a variant's curl command: " + k.Open.Help().Key + " on a variant opens it first"
		case m.opt.Clipboard == nil:
			return "no terminal to send the clipboard sequence to"
		}
		return "this page has no curl command (open a variant)"
	case "reprobe", "reprobe-all", "add-url", "add-origin", "mode", "isolate":
		if m.readOnly {
			return readOnly
		}
		if s := onMain(action); s != "" {
			return s
		}
		if action == "isolate" && !slices.Contains(m.modes, ModeIsolate) {
			return "isolate mode is not available in this view"
		}
		if action == "mode" {
			return "only one mode is available"
		}
		return "no target selected"
	case "purge", "purge-everything":
		switch {
		case m.readOnly:
			return readOnly
		case m.opt.Purger == nil:
			return "no purge provider: add a [[purge]] entry for this host to the configuration"
		case m.purge.busy:
			return "a purge is already in flight"
		case !main:
			return onMain("purge")
		case sel == nil:
			return "no target selected"
		case !hasRep:
			return "probe this target first: the purge needs its variants"
		}
	case "transpose", "rounds":
		if s := onMain(action); s != "" {
			return s
		}
		return "no results for this target yet"
	case "export":
		if s := onMain("export"); s != "" {
			return s
		}
		return "nothing to export yet: no target has a result"
	case "filter":
		if s := onMain("filter"); s != "" {
			return s
		}
		return "no targets to filter"
	}
	return ""
}

// disabledMatch returns the action of a disabled binding that msg would
// trigger, when no enabled binding takes msg.
func (m *Model) disabledMatch(msg tea.KeyMsg) (string, bool) {
	var off string
	for _, nb := range m.c.keys.bindings() {
		if !slices.Contains(nb.b.Keys(), msg.String()) {
			continue
		}
		if nb.b.Enabled() {
			return "", false
		}
		if off == "" {
			off = nb.action
		}
	}
	return off, off != ""
}

// offBindings lists the disabled bindings that say why, for the help.
func (m *Model) offBindings() []offBinding {
	var out []offBinding
	for _, nb := range m.c.keys.bindings() {
		if nb.b.Enabled() || len(nb.b.Keys()) == 0 {
			continue
		}
		if why := m.whyOff(nb.action); why != "" {
			out = append(out, offBinding{nb.b.Help(), why})
		}
	}
	return out
}

type offBinding struct {
	help key.Help
	why  string
}
