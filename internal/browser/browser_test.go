package browser

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A stand-in browser whose child escapes into its own session (as a
// daemonising helper would): Stop must still kill it, and remove the
// profile.
func TestStopKillsEscapedChildrenAndRemovesProfile(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-browser")
	script := "#!/bin/sh\nsetsid sleep 300 &\nsleep 300 &\nwait\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := Start(Chromium, bin, dir, "http://127.0.0.1:9/")
	if err != nil {
		t.Fatal(err)
	}
	var procs []proc
	deadline := time.Now().Add(10 * time.Second)
	for len(procs) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		procs = descendants(b.PID())
	}
	if len(procs) < 3 {
		b.Stop()
		t.Fatalf("stand-in browser started %d processes, want 3 (sh and two sleeps)", len(procs))
	}
	if err := b.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, p := range procs {
		if p.alive() {
			t.Errorf("process %d still alive after Stop", p.pid)
		}
	}
	if _, err := os.Stat(b.Profile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("profile %s still there (%v)", b.Profile, err)
	}
	if err := b.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
