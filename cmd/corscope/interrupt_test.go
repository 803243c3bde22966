package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// slowServer answers every request after delay and counts the answers.
func slowServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer n.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.Header().Set("Vary", "Origin")
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// interruptCheck starts `check` on slow targets, sends sig once the server
// has seen a few requests, and returns what the process left.
func interruptCheck(t *testing.T, sig syscall.Signal, format string) procResult {
	t.Helper()
	srv, n := slowServer(t, 150*time.Millisecond)
	args := []string{"check", "--mode", "observe", "--rounds", "1", "--concurrency", "1", "--format", format, "-o", "https://app.example.com"}
	for i := range 8 {
		args = append(args, fmt.Sprintf("%s/t%d.js", srv.URL, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, corscopeBin(t), args...)
	cmd.Env = procEnv(t)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// 8 targets × 4 variants × 150 ms is 4.8 s; interrupt once the first
	// target's 4 requests are answered and the second's first is too.
	for deadline := time.Now().Add(30 * time.Second); n.Load() < 5; {
		if time.Now().After(deadline) {
			t.Fatal("the server saw no requests")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("check did not exit after %v; stderr %s", sig, se.String())
	}
	return procResult{code: cmd.ProcessState.ExitCode(), stdout: so.String(), stderr: se.String()}
}

// TestCheckInterruptClosesTheReport: SIGINT or SIGHUP mid-run gives a
// complete JSON document, every target listed, those not finished marked
// canceled, and exit 130 (before: truncated JSON, exit 3; SIGHUP killed
// the process).
func TestCheckInterruptClosesTheReport(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			res := interruptCheck(t, sig, "json")
			if res.code != exitInterrupted {
				t.Fatalf("exit %d, want 130; stderr %s", res.code, res.stderr)
			}
			var rep cachemodel.Report
			if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, res.stdout)
			}
			if len(rep.Targets) != 8 || rep.Summary.Targets != 8 {
				t.Fatalf("%d targets listed, summary %d: want all 8", len(rep.Targets), rep.Summary.Targets)
			}
			canceled := 0
			for _, tr := range rep.Targets {
				if tr.State != cachemodel.StateCanceled {
					// A target reported as done must really be done.
					for _, v := range tr.Variants {
						if v.Error != nil && v.Error.Kind == cachemodel.ErrCanceled {
							t.Errorf("%s is not marked canceled but has a canceled request", tr.URL)
						}
					}
					continue
				}
				canceled++
			}
			if canceled == 0 || rep.Summary.States[cachemodel.StateCanceled] != canceled || rep.Targets[7].State != cachemodel.StateCanceled {
				t.Fatalf("%d targets canceled, summary says %d; last target state %q", canceled, rep.Summary.States[cachemodel.StateCanceled], rep.Targets[7].State)
			}
			if rep.Targets[0].State == cachemodel.StateCanceled {
				t.Errorf("the first target finished before the signal but is marked canceled")
			}
			lines := stderrLines(res.stderr)
			want := fmt.Sprintf("corscope: interrupted (%s signal received): %d of 8 targets canceled", sigName(sig), canceled)
			if len(lines) != 1 || lines[0] != want {
				t.Fatalf("stderr %q, want the one line %q", res.stderr, want)
			}
		})
	}
}

func sigName(sig syscall.Signal) string {
	if sig == syscall.SIGINT {
		return "interrupt"
	}
	return sig.String()
}

// TestCheckInterruptEndsTableAndMarkdownWithSummary: the text formats end
// with their summary line, which says the run was interrupted.
func TestCheckInterruptEndsTableAndMarkdownWithSummary(t *testing.T) {
	for _, format := range []string{"table", "markdown"} {
		t.Run(format, func(t *testing.T) {
			res := interruptCheck(t, syscall.SIGINT, format)
			if res.code != exitInterrupted {
				t.Fatalf("exit %d; stderr %s", res.code, res.stderr)
			}
			// The summary line, then (table) the line naming the targets
			// without a verdict.
			lines := strings.Split(strings.TrimRight(res.stdout, "\n"), "\n")
			summary := lines[len(lines)-1]
			if format == "table" && len(lines) > 1 {
				if !strings.HasPrefix(summary, "targets not ok: ") || !strings.Contains(summary, " canceled") {
					t.Errorf("last line %q does not name the canceled targets", summary)
				}
				summary = lines[len(lines)-2]
			}
			if !strings.HasPrefix(summary, "8 targets · ") || !strings.Contains(summary, "canceled, their results are incomplete") {
				t.Fatalf("summary line %q is not the summary of an interrupted run:\n%s", summary, res.stdout)
			}
			if strings.Count(res.stdout, "t7.js") == 0 {
				t.Fatalf("the last target is missing:\n%s", res.stdout)
			}
		})
	}
}

// TestStdinReadIsInterruptible: `check -` waiting for URLs on a stdin that
// never ends exits 130 on SIGINT (before, the signal was swallowed until
// stdin closed).
func TestStdinReadIsInterruptible(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, corscopeBin(t), "check", "-")
			cmd.Env = procEnv(t)
			stdin, err := cmd.StdinPipe() // kept open: no EOF
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var se bytes.Buffer
			cmd.Stderr = &se
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			_, _ = io.WriteString(stdin, "http://127.0.0.1:1/a\n")
			time.Sleep(300 * time.Millisecond)
			_ = cmd.Process.Signal(sig)
			_ = cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("still reading stdin after %v", sig)
			}
			want := fmt.Sprintf("corscope: interrupted (%s signal received): reading URLs from standard input", sigName(sig))
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || strings.TrimSpace(se.String()) != want {
				t.Fatalf("exit %d, stderr %q; want 130 and %q", code, se.String(), want)
			}
		})
	}
}

// TestPurgePromptIsInterruptible: a canceled context (what a signal does)
// ends the Proceed? prompt at once with exit 130, and nothing is purged.
func TestPurgePromptIsInterruptible(t *testing.T) {
	api := newFakeCloudflare(t, 200, cfSuccess)
	env := purgeEnv(t)
	cfg := cloudflareConfig(t, api.URL+"/client/v4")
	pr, pw := io.Pipe() // a terminal nobody types into
	defer pw.Close()
	var out, errb bytes.Buffer
	a := &app{stdin: pr, stdout: &out, stderr: &errb, stdinTTY: true, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(200*time.Millisecond, func() { cancel(fmt.Errorf("interrupt signal received")) })
	done := make(chan int, 1)
	go func() {
		done <- a.run(ctx, []string{"purge", "--config", cfg, "--no-verify", "https://cdn.example.com/a.js"})
	}()
	select {
	case code := <-done:
		lines := stderrLines(errb.String())
		last := lines[len(lines)-1]
		if code != exitInterrupted || last != "corscope: interrupted (interrupt signal received): at the prompt; nothing was purged" {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
		if !strings.Contains(errb.String(), "Proceed? [y/N] \n") {
			t.Errorf("the message is not on its own line: %q", errb.String())
		}
		if api.count() != 0 {
			t.Fatalf("%d purge requests sent after an interrupted prompt", api.count())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt ignored the cancellation")
	}
}

// TestConfigFIFOIsRefusedNotWaitedOn: a config file that is a FIFO used to
// block the command (and swallow Ctrl-C) until a writer appeared; now it
// is refused at once with one line and exit 2.
func TestConfigFIFOIsRefusedNotWaitedOn(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "config.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	res := runBin(t, nil, nil, 20*time.Second, "--config", fifo, "check", "http://127.0.0.1:1/")
	want := "corscope: " + fifo + ": not a regular file (a FIFO); a config file must be a regular file"
	if res.code != exitUsage || strings.TrimSpace(res.stderr) != want {
		t.Fatalf("exit %d, stderr %q; want 2 and %q", res.code, res.stderr, want)
	}
}
