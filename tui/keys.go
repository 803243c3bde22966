package tui

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap is every key binding, one field per intent. Bindings are turned
// on and off by state (syncKeys), so the help only lists keys that work
// right now. The `action` tag is the name users rebind it by.
type KeyMap struct {
	Up       key.Binding `action:"up"`
	Down     key.Binding `action:"down"`
	Left     key.Binding `action:"left"`
	Right    key.Binding `action:"right"`
	PageUp   key.Binding `action:"page-up"`
	PageDown key.Binding `action:"page-down"`
	Home     key.Binding `action:"home"`
	End      key.Binding `action:"end"`
	NextPane key.Binding `action:"next-pane"`
	PrevPane key.Binding `action:"prev-pane"`
	Open     key.Binding `action:"open"`
	Back     key.Binding `action:"back"`
	// ScrollLeft and ScrollRight move a line wider than the detail view
	// (the curl reproducer, never wrapped) sideways.
	ScrollLeft  key.Binding `action:"scroll-left"`
	ScrollRight key.Binding `action:"scroll-right"`

	Filter     key.Binding `action:"filter"`
	AddURL     key.Binding `action:"add-url"`
	AddOrigin  key.Binding `action:"add-origin"`
	Reprobe    key.Binding `action:"reprobe"`
	ReprobeAll key.Binding `action:"reprobe-all"`
	Cancel     key.Binding `action:"cancel"`
	Mode       key.Binding `action:"mode"`
	Isolate    key.Binding `action:"isolate"`
	Purge      key.Binding `action:"purge"`
	PurgeAll   key.Binding `action:"purge-everything"`
	Transpose  key.Binding `action:"transpose"`
	Rounds     key.Binding `action:"rounds"`
	Diff       key.Binding `action:"diff"`
	Export     key.Binding `action:"export"`
	CopyCurl   key.Binding `action:"copy-curl"`
	Theme      key.Binding `action:"theme"`
	Help       key.Binding `action:"help"`
	Quit       key.Binding `action:"quit"`

	// Confirm and Deny answer a confirmation prompt (purge).
	Confirm key.Binding `action:"confirm"`
	Deny    key.Binding `action:"deny"`

	// Submit, Dismiss and Interrupt work while a text prompt (filter, add,
	// export) has the keyboard; every other key is text for it.
	Submit    key.Binding `action:"submit"`
	Dismiss   key.Binding `action:"dismiss"`
	Interrupt key.Binding `action:"interrupt"`
}

// DefaultKeyMap returns a fresh key map with every binding enabled.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		Left:     b("←/h", "left", "left", "h"),
		Right:    b("→/l", "right", "right", "l"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Home:     b("home/g", "first", "home", "g"),
		End:      b("end/G", "last", "end", "G"),
		NextPane: b("tab", "next pane", "tab"),
		PrevPane: b("shift+tab", "prev pane", "shift+tab"),
		Open:     b("enter", "open", "enter"),
		Back:     b("esc", "back", "esc"),

		ScrollLeft:  b("<", "scroll left", "<", "shift+left"),
		ScrollRight: b(">", "scroll right", ">", "shift+right"),

		Filter:     b("/", "filter", "/"),
		AddURL:     b("u", "add URL", "u"),
		AddOrigin:  b("o", "add origin", "o"),
		Reprobe:    b("r", "re-probe", "r"),
		ReprobeAll: b("R", "re-probe all", "R"),
		Cancel:     b("c", "cancel runs", "c"),
		Mode:       b("m", "switch mode", "m"),
		Isolate:    b("x", "run isolate", "x"),
		Purge:      b("p", "purge", "p"),
		PurgeAll:   b("P", "purge all", "P"),
		Transpose:  b("T", "transpose", "T"),
		Rounds:     b("H", "rounds", "H"),
		Diff:       b("d", "diff vs previous", "d"),
		Export:     b("e", "export", "e"),
		CopyCurl:   b("y", "copy curl", "y"),
		Theme:      b("t", "next theme", "t"),
		Help:       b("?", "help", "?"),
		Quit:       b("q", "quit", "q", "ctrl+c"),

		Confirm: b("y", "yes", "y"),
		Deny:    b("n/esc", "no", "n", "esc"),

		Submit:    b("enter", "apply", "enter"),
		Dismiss:   b("esc", "cancel", "esc"),
		Interrupt: b("ctrl+c", "quit", "ctrl+c"),
	}
}

// bindings returns every binding with its action name, in field order.
func (k *KeyMap) bindings() []namedBinding {
	v := reflect.ValueOf(k).Elem()
	t := v.Type()
	out := make([]namedBinding, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, namedBinding{t.Field(i).Tag.Get("action"), v.Field(i).Addr().Interface().(*key.Binding)})
	}
	return out
}

type namedBinding struct {
	action string
	b      *key.Binding
}

// ActionNames lists every action a key can be bound to, sorted.
func ActionNames() []string {
	km := DefaultKeyMap()
	var out []string
	for _, nb := range km.bindings() {
		out = append(out, nb.action)
	}
	sort.Strings(out)
	return out
}

// Rebind replaces the keys of the named actions; an unknown action name is
// an error, so a typo in a config file is caught at startup.
func (k *KeyMap) Rebind(actions map[string][]string) error {
	byName := map[string]*key.Binding{}
	for _, nb := range k.bindings() {
		byName[nb.action] = nb.b
	}
	names := make([]string, 0, len(actions))
	for name := range actions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b, ok := byName[name]
		if !ok {
			return fmt.Errorf("unknown key action %q; actions are %s", name, strings.Join(ActionNames(), ", "))
		}
		keys := actions[name]
		if len(keys) == 0 {
			return fmt.Errorf("key action %q: no keys given", name)
		}
		b.SetKeys(keys...)
		h := b.Help()
		b.SetHelp(strings.Join(keys, "/"), h.Desc)
	}
	return k.clash()
}

// promptOnly are the actions that only work in the purge confirmation or
// a text prompt, where nothing else does: they may share keys with
// anything.
var promptOnly = map[string]bool{"confirm": true, "deny": true, "submit": true, "dismiss": true, "interrupt": true}

// clash reports a key bound to two actions that work at the same time.
func (k *KeyMap) clash() error {
	owner := map[string]string{}
	for _, nb := range k.bindings() {
		if promptOnly[nb.action] {
			continue
		}
		for _, key := range nb.b.Keys() {
			if other, taken := owner[key]; taken {
				return fmt.Errorf("key %q is bound to both %q and %q", key, other, nb.action)
			}
			owner[key] = nb.action
		}
	}
	return nil
}

// FullHelp groups the bindings for the help screen: moving, looking,
// acting, general. Disabled bindings are skipped by the help renderer.
func (k *KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Left, k.Right, k.PageUp, k.PageDown, k.Home, k.End, k.NextPane, k.PrevPane},
		{k.Open, k.Back, k.ScrollLeft, k.ScrollRight, k.Filter, k.Transpose, k.Rounds, k.Diff, k.CopyCurl},
		{k.Reprobe, k.ReprobeAll, k.Cancel, k.Mode, k.Isolate, k.Purge, k.PurgeAll, k.AddURL, k.AddOrigin},
		{k.Export, k.Theme, k.Help, k.Quit},
	}
}

// moveLinear applies a vertical movement key to a position in a list of
// last+1 lines: up/down by one, page by page, home/end to the ends. The
// caller clamps. ok is false when km is not a movement key.
func (k *KeyMap) moveLinear(km tea.KeyMsg, pos, page, last int) (next int, ok bool) {
	switch {
	case key.Matches(km, k.Up):
		return pos - 1, true
	case key.Matches(km, k.Down):
		return pos + 1, true
	case key.Matches(km, k.PageUp):
		return pos - page, true
	case key.Matches(km, k.PageDown):
		return pos + page, true
	case key.Matches(km, k.Home):
		return 0, true
	case key.Matches(km, k.End):
		return last, true
	}
	return pos, false
}
