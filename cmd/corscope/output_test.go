package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// closedPipe returns the write end of a pipe whose read end is closed.
func closedPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

func devFull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		// Linux always has it (CI runs there); elsewhere wait for a
		// system that has a device whose writes fail with ENOSPC.
		if runtime.GOOS == "linux" {
			t.Fatalf("no /dev/full on Linux: %v", err)
		}
		t.Skipf("waits for /dev/full (a device whose writes fail with ENOSPC), which %s lacks", runtime.GOOS)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestOutputFailureExits5 writes every kind of output to a closed pipe and
// to a full device: each exits 5 with one line naming the cause (before,
// json and markdown exited 2, table 3, and a closed pipe killed the
// process with SIGPIPE).
func TestOutputFailureExits5(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.Header().Set("Vary", "Origin")
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	target := srv.URL + "/a.js"

	// A report for view to print.
	res := runBin(t, nil, nil, time.Minute, "check", "--mode", "observe", "--rounds", "1", "--format", "json", "-o", "https://app.example.com", target)
	if res.code != exitOK {
		t.Fatalf("check to a buffer: exit %d, stderr %s", res.code, res.stderr)
	}
	reportFile := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(reportFile, []byte(res.stdout), 0o600); err != nil {
		t.Fatal(err)
	}

	commands := map[string][]string{
		"check json":     {"check", "--mode", "observe", "--rounds", "1", "--format", "json", target},
		"check table":    {"check", "--mode", "observe", "--rounds", "1", "--format", "table", target},
		"check markdown": {"check", "--mode", "observe", "--rounds", "1", "--format", "markdown", target},
		"demo --check":   {"demo", "--check"},
		"view":           {"view", reportFile},
		"view diff":      {"view", reportFile, reportFile},
		"config check":   {"config", "check"},
		"purge dry run":  {"purge", "--provider", "http", "--dry-run", target},
		"version":        {"version"},
	}
	sinks := map[string]struct {
		open func(*testing.T) *os.File
		want string
	}{
		"closed pipe": {closedPipe, "corscope: cannot write the output: standard output: broken pipe"},
		"/dev/full":   {devFull, "corscope: cannot write the output: standard output: no space left on device"},
	}
	for sinkName, sink := range sinks {
		for name, args := range commands {
			t.Run(sinkName+"/"+name, func(t *testing.T) {
				res := runBin(t, nil, sink.open(t), 2*time.Minute, args...)
				lines := stderrLines(res.stderr)
				if res.code != exitOutput || len(lines) != 1 || lines[0] != sink.want {
					t.Fatalf("exit %d, stderr:\n%s\nwant exit 5 and the one line %q", res.code, res.stderr, sink.want)
				}
			})
		}
	}
}
