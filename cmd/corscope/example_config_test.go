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
	text := strings.Join(strings.Fields(string(raw)), " ")
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
