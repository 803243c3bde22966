package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCIMatrixDocFlags: every flag the example workflow in
// docs/ci-matrix.md passes to corscope exists on that command, and the
// workflow labels each report and merges them with view.
func TestCIMatrixDocFlags(t *testing.T) {
	data, err := os.ReadFile("../../docs/ci-matrix.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	_, yaml, ok := strings.Cut(doc, "```yaml\n")
	if !ok {
		t.Fatal("no yaml block")
	}
	yaml, _, _ = strings.Cut(yaml, "```")
	// Join shell continuation lines.
	yaml = strings.ReplaceAll(yaml, "\\\n", " ")
	root := (&app{getenv: func(string) string { return "" }}).newRootCmd()
	flagRE := regexp.MustCompile(`(?:^|\s)(--[a-z-]+)`)
	seen := map[string]bool{}
	for _, line := range strings.Split(yaml, "\n") {
		_, rest, ok := strings.Cut(line, "/corscope\" ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd == root {
			t.Fatalf("workflow runs unknown command %q", name)
		}
		seen[name] = true
		for _, m := range flagRE.FindAllStringSubmatch(rest, -1) {
			if cmd.Flags().Lookup(strings.TrimPrefix(m[1], "--")) == nil && root.PersistentFlags().Lookup(strings.TrimPrefix(m[1], "--")) == nil {
				t.Errorf("corscope %s has no flag %s", name, m[1])
			}
		}
		if name == "check" && !strings.Contains(rest, `--label "$CORSCOPE_LABEL" --format json`) {
			t.Errorf("check does not record the label in a JSON report: %s", rest)
		}
	}
	if !seen["check"] || !seen["view"] {
		t.Errorf("workflow must run check and view, runs %v", seen)
	}
}
