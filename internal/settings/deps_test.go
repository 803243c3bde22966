package settings

import (
	"os/exec"
	"strings"
	"testing"
)

// settings is shared by config, cmd and probe, so it stays below all of
// them: no TOML, flag, HTTP client or terminal library, and no corscope
// package but cachemodel and suggest (probe must not reach config through
// it, nor purge toml or lipgloss).
func TestSettingsStaysPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"BurntSushi/toml", "spf13/", "valyala/fasthttp", "charmbracelet/", "corscope/config", "corscope/probe", "corscope/cmd", "corscope/tui", "corscope/purge"} {
			if strings.Contains(dep, bad) {
				t.Errorf("settings depends on %s", dep)
			}
		}
	}
}
