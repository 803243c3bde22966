package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this file run the real binary as a subprocess: signals,
// closed pipes and full devices act on the process, not on a function.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	// Tests talk to 127.0.0.1 only: the AWS credential chain must never
	// reach for an instance role at 169.254.169.254.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// corscopeBin builds cmd/corscope once per test process and returns the
// binary's path.
func corscopeBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("waits for a run without -short: it builds the corscope binary (CI runs without -short)")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "corscope-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "corscope")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// procEnv is a minimal environment: no user config, no colour.
func procEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"), "NO_COLOR=1"}
}

// procResult is what a finished subprocess left.
type procResult struct {
	code           int
	stdout, stderr string
}

// runBin runs the binary with stdout going to out (nil: captured) and
// returns its exit code and output, failing after timeout.
func runBin(t *testing.T, stdin io.Reader, out *os.File, timeout time.Duration, args ...string) procResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, corscopeBin(t), args...)
	cmd.Env = procEnv(t)
	cmd.Stdin = stdin
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if out != nil {
		cmd.Stdout = out
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v did not finish within %s; stderr: %s", args, timeout, se.String())
	}
	return procResult{code: cmd.ProcessState.ExitCode(), stdout: so.String(), stderr: se.String()}
}

// stderrLines splits stderr into its non-empty lines.
func stderrLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
