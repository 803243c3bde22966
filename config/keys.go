package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/corscope/corscope/internal/suggest"
)

// ValidateKeys checks the [keys] table against the TUI's action names:
// an unknown action, or one key bound to two actions in the file, is an
// error. Bindings the file does not mention keep their defaults; clashes
// between a rebinding and another action's default are the TUI's to check,
// since only it knows the defaults.
func (c Config) ValidateKeys(actions []string) error {
	file := c.Source
	if file == "" {
		file = "config"
	}
	names := make([]string, 0, len(c.Keys))
	for a := range c.Keys {
		names = append(names, a)
	}
	sort.Strings(names)

	var errs []*Error
	owner := map[string]string{} // key -> first action bound to it
	for _, action := range names {
		path := "keys." + quoteKey(action)
		if !slices.Contains(actions, action) {
			msg := fmt.Sprintf("unknown action %q", action)
			if s := suggest.Closest(action, actions); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			sorted := slices.Clone(actions)
			sort.Strings(sorted)
			msg += "; actions are " + strings.Join(sorted, ", ")
			errs = append(errs, errorAt(file, c.pos, path, msg))
			continue
		}
		for _, k := range c.Keys[action] {
			if other, taken := owner[k]; taken {
				errs = append(errs, errorAt(file, c.pos, path, fmt.Sprintf("%q is also bound to %q", k, other)))
				continue
			}
			owner[k] = action
		}
	}
	return sortedErrors(errs)
}
