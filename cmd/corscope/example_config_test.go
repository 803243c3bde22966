package main

import (
	"os"
	"strings"
	"testing"

	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/tui"
)

// TestExampleConfigMatchesTheTUI keeps config.example.toml honest about
// the interactive view: its [keys] rebind real actions without clashes,
// and its comment lists every action there is.
func TestExampleConfigMatchesTheTUI(t *testing.T) {
	cfg, err := config.Load("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ValidateKeys(tui.ActionNames()); err != nil {
		t.Fatalf("example [keys]: %v", err)
	}
	km := tui.DefaultKeyMap()
	if err := km.Rebind(cfg.Keys); err != nil {
		t.Fatalf("example [keys] do not rebind: %v", err)
	}
	raw, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Keys) == 0 {
		t.Error("config.example.toml rebinds no key: its [keys] example is gone")
	}
	// The action list is the comment of the [keys] table itself, not any
	// word anywhere in the file ("up" and "quit" appear elsewhere too).
	section := string(raw)
	start := strings.Index(section, "\n[keys]\n")
	if start < 0 {
		t.Fatal("config.example.toml has no [keys] table")
	}
	section = section[start+len("\n[keys]\n"):]
	if end := strings.Index(section, "\n["); end >= 0 {
		section = section[:end]
	}
	text := strings.Join(strings.Fields(section), " ")
	for _, a := range tui.ActionNames() {
		if !strings.Contains(text, " "+a+",") && !strings.Contains(text, " "+a+".") {
			t.Errorf("config.example.toml's [keys] comment does not list the action %q", a)
		}
	}
	for _, name := range cfg.ThemeNames() {
		if _, err := cfg.Palette(name); err != nil {
			t.Errorf("theme %q: %v", name, err)
		}
	}
}
