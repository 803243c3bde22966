package config

import (
	"errors"
	"testing"
)

var tuiActions = []string{"quit", "reprobe", "help", "filter", "theme"}

func TestValidateKeys(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" for no error
	}{
		{"no [keys]", "theme = \"dark\"\n", ""},
		{"valid rebinding", "[keys]\nquit = [\"q\", \"ctrl+c\"]\nreprobe = \"R\"\n", ""},
		{"same key twice for one action", "[keys]\nquit = [\"q\", \"q\"]\n", ""},
		{"unknown action with suggestion", "[keys]\nquit = \"q\"\nreprob = \"r\"\n",
			`keys.toml:3:1: keys.reprob: unknown action "reprob" (did you mean "reprobe"?); actions are filter, help, quit, reprobe, theme`},
		{"unknown action", "[keys]\n\nlaunch = \"l\"\n",
			`keys.toml:3:1: keys.launch: unknown action "launch"; actions are filter, help, quit, reprobe, theme`},
		{"key bound twice", "[keys]\nquit = [\"q\", \"r\"]\nreprobe = \"r\"\n",
			`keys.toml:3:1: keys.reprobe: "r" is also bound to "quit"`},
		{"both problems, in file order", "[keys]\nhelp = \"?\"\nfilter = \"?\"\nlaunch = \"l\"\n",
			"keys.toml:2:1: keys.help: \"?\" is also bound to \"filter\"\n" +
				`keys.toml:4:1: keys.launch: unknown action "launch"; actions are filter, help, quit, reprobe, theme`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.in), "keys.toml")
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.ValidateKeys(tuiActions)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("ValidateKeys error:\n%s\nwant:\n%s", got, tt.want)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("want *Error inside, got %T", err)
			}
		})
	}
}

func TestValidateKeysWithoutFile(t *testing.T) {
	cfg := Default()
	cfg.Keys = map[string][]string{"nope": {"x"}}
	err := cfg.ValidateKeys(tuiActions)
	if err == nil || err.Error() != `config: keys.nope: unknown action "nope"; actions are filter, help, quit, reprobe, theme` {
		t.Fatalf("error = %v", err)
	}
}
