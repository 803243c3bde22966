package purge

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps purge below config and the terminal UI: config
// produces purge.Settings, so purge needs nothing of config, and through it
// would pull in the TOML parser and the UI libraries (issue 13, item 6).
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/corscope/corscope/config",
		"github.com/corscope/corscope/themes",
		"github.com/corscope/corscope/tui",
		"github.com/BurntSushi/toml",
		"github.com/charmbracelet/",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
				t.Errorf("purge depends on %s", dep)
			}
		}
	}
}
