package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestREADMELayerOrder keeps README's architecture section true (issue 13,
// item 9): in its package list, from cmd/corscope down to
// internal/termsafe, no package imports one listed above it.
func TestREADMELayerOrder(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "## Architecture")
	if start < 0 {
		t.Fatal("README has no Architecture section")
	}
	block := text[start:]
	open := strings.Index(block, "```\n")
	end := strings.Index(block[open+4:], "```")
	if open < 0 || end < 0 {
		t.Fatal("the Architecture section has no package list")
	}
	var order []string
	for _, line := range strings.Split(block[open+4:open+4+end], "\n") {
		if line == "" || line[0] == ' ' {
			continue
		}
		name := strings.TrimSuffix(strings.Fields(line)[0], "/")
		order = append(order, name)
		if name == "internal/termsafe" {
			break
		}
	}
	if len(order) < 8 || order[0] != "cmd/corscope" || order[len(order)-1] != "internal/termsafe" {
		t.Fatalf("package list reads %q, want cmd/corscope ... internal/termsafe", order)
	}
	const mod = "github.com/corscope/corscope/"
	for i, pkg := range order {
		out, err := exec.Command("go", "list", "-deps", "../../"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, above := range order[:i] {
			if deps[mod+above] {
				t.Errorf("README lists %s below %s, but %s imports it", pkg, above, pkg)
			}
		}
	}
}
