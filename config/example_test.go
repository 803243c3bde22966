package config

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/corscope/corscope/themes"
)

func readExample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestExampleLoads(t *testing.T) {
	cfg, err := Load("../config.example.toml")
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if cfg.Source != "../config.example.toml" {
		t.Fatalf("Source = %q", cfg.Source)
	}
	// Every purge provider is shown, and the example's theme resolves.
	providers := map[string]bool{}
	for _, p := range cfg.Purge {
		providers[p.Provider] = true
	}
	for _, p := range []string{PurgeCloudflare, PurgeFastly, PurgeHTTP} {
		if !providers[p] {
			t.Errorf("example has no [[purge]] for %s", p)
		}
	}
	if _, err := cfg.Palette("mine"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.ValidateKeys([]string{"quit", "reprobe"}); err != nil {
		t.Fatal(err)
	}
}

// TestExampleDocumentsEveryKey walks the schema (derived from what Parse
// decodes) so a new key cannot be added without documenting it.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data := readExample(t)
	lines := strings.Split(string(data), "\n")
	pos := scanPositions(data)
	leaves := schemaLeaves()
	if len(leaves) < 30 {
		t.Fatalf("schema has only %d keys; walker is broken", len(leaves))
	}
	for _, leaf := range leaves {
		pattern := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(leaf), `\*`, `[^.]+`) + "$")
		first := keyPos{}
		for plain, entries := range pos.plain {
			if pattern.MatchString(plain) && (first.line == 0 || entries[0].pos.line < first.line) {
				first = entries[0].pos
			}
		}
		if first.line == 0 {
			t.Errorf("config.example.toml does not set %s", leaf)
			continue
		}
		line := lines[first.line-1]
		prev := ""
		for i := first.line - 2; i >= 0; i-- {
			if s := strings.TrimSpace(lines[i]); s != "" {
				prev = s
				break
			}
		}
		if !strings.HasPrefix(prev, "#") && !strings.Contains(line, " # ") {
			t.Errorf("config.example.toml:%d: %s has no comment", first.line, leaf)
		}
	}
	for _, slot := range themes.SlotNames() {
		if !regexp.MustCompile(`#.*\b` + slot + `\b`).Match(data) {
			t.Errorf("config.example.toml does not mention theme slot %s", slot)
		}
	}
}

func TestStarterIsTheDefaults(t *testing.T) {
	cfg, err := Parse(StarterFile(), "starter.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Source = "starter.toml"
	cfg.pos = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("starter differs from Default()\n got %+v\nwant %+v", cfg, want)
	}
}

var (
	starterHeaderRE = regexp.MustCompile(`^#?\s*\[\[?([a-z_.]+)\]\]?\s*$`)
	starterKeyRE    = regexp.MustCompile(`^#?\s*([a-z_]+)\s*=`)
)

// uncomment turns the starter's commented-out examples into live TOML.
func uncomment(starter []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(starter))
	for sc.Scan() {
		line := sc.Text()
		if starterHeaderRE.MatchString(line) || starterKeyRE.MatchString(line) {
			line = strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ")
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}

func TestStarterKeysAreDocumentedInExample(t *testing.T) {
	live := uncomment(StarterFile())
	if bytes.Equal(live, StarterFile()) {
		t.Fatal("starter has no commented-out examples; uncomment found nothing")
	}
	// The commented examples are valid once uncommented...
	cfg, err := Parse(live, "starter-uncommented.toml")
	if err != nil {
		t.Fatalf("starter's commented examples are broken: %v\n%s", err, live)
	}
	if len(cfg.Targets) != 1 || len(cfg.Purge) != 1 || len(cfg.Keys) != 2 || len(cfg.Themes) != 1 {
		t.Fatalf("uncommented starter lost sections: %+v", cfg)
	}
	// ...and every key they use is documented in config.example.toml.
	example := scanPositions(readExample(t))
	starter := scanPositions(live)
	if len(starter.plain) < 30 {
		t.Fatalf("found only %d starter keys", len(starter.plain))
	}
	for plain := range starter.plain {
		if _, ok := example.plain[plain]; !ok {
			t.Errorf("starter key %s is not in config.example.toml", plain)
		}
	}
}
