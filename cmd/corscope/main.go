// Command corscope debugs CORS behind caches and CDNs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/charmbracelet/x/term"
	"github.com/mattn/go-isatty"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// Exit codes shared by every command.
//
// When a command cannot establish an answer it says so with exitUnknown,
// never with exitOK: a "0" must mean every answer given is known.
const (
	exitOK          = 0   // ran fine, nothing at or above --fail-on
	exitFindings    = 1   // findings at or above --fail-on (purge: a variant still cached)
	exitUsage       = 2   // usage or configuration error
	exitFailed      = 3   // every request failed (purge: the API failed)
	exitUnknown     = 4   // some answer is unknown (check: a target failed or got no 2xx; purge: a copy's state could not be verified)
	exitOutput      = 5   // the report could not be written (stdout closed or full)
	exitInterrupted = 130 // stopped by SIGINT, SIGTERM or SIGHUP; what was done is reported, the rest marked canceled
)

// app carries the process's streams and environment so commands can be run
// in-process by tests.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdoutTTY      bool
	stdinTTY       bool
	// width reports the terminal's columns (0 when unknown).
	width func() int
}

func (a *app) termWidth() int {
	if a.width == nil || !a.stdoutTTY {
		return 80
	}
	if w := a.width(); w > 0 {
		return w
	}
	return 80
}

// exitError carries an exit code up to main without printing twice.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func main() {
	// SIGHUP (the terminal closed) stops a run like Ctrl-C: the report is
	// closed with the rest marked canceled.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// A closed stdout pipe must not kill the process silently: the write
	// fails with EPIPE instead and run reports exitOutput.
	signal.Ignore(syscall.SIGPIPE)
	a := &app{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdoutTTY: isatty.IsTerminal(os.Stdout.Fd()),
		stdinTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		width: func() int {
			w, _, err := term.GetSize(os.Stdout.Fd())
			if err != nil {
				return 0
			}
			return w
		},
	}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code. Errors are
// printed as one line on stderr, never as a stack trace.
func (a *app) run(ctx context.Context, args []string) int {
	var out *outputWriter
	if _, wrapped := a.stdout.(*outputWriter); !wrapped && !a.stdoutTTY {
		// Not on a terminal (the interactive view needs the real file):
		// remember the first failed write, whichever command made it.
		b := *a
		out = &outputWriter{w: a.stdout}
		b.stdout = out
		a = &b
	}
	code := a.execute(ctx, args)
	if out != nil && code == exitOutput {
		if err := out.failed(); err != nil {
			fmt.Fprintf(a.stderr, "corscope: cannot write the output: %s\n", oneLine(writeErrText(err)))
		}
	}
	return code
}

// execute runs the command and prints its error. A failed write to stdout
// gives exitOutput (unless the run was interrupted) and no message of its
// own: the command's error is a consequence of it, and run reports it.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	if o, ok := a.stdout.(*outputWriter); ok && o.failed() != nil {
		if !errors.As(err, &ee) || ee.code != exitInterrupted {
			return exitOutput
		}
	}
	if err == nil {
		return exitOK
	}
	code := exitUsage // cobra's own errors (unknown flag, bad value) are usage errors
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code // already reported
		}
	}
	for _, line := range errorLines(err.Error()) {
		fmt.Fprintf(a.stderr, "corscope: %s\n", line)
	}
	return code
}

// maxErrorLines bounds how many problems one error prints (a config file
// can have hundreds).
const maxErrorLines = 30

// errorLines splits an error into its one-line problems: a configuration
// file reports one per line, and each stays on its own line. Control
// characters are escaped, so no part of an error drives the terminal.
func errorLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, termsafe.String(cachemodel.RedactCredentials(l)))
		}
	}
	if len(out) > maxErrorLines {
		out = append(out[:maxErrorLines], fmt.Sprintf("... and %d more", len(out)-maxErrorLines))
	}
	if len(out) == 0 {
		out = []string{"error"}
	}
	return out
}

// oneLine keeps a message on a single line and escapes what is left of
// control characters: warnings quote paths and errors from elsewhere.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return termsafe.String(cachemodel.RedactCredentials(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)))
}

// outputWriter passes writes to stdout and keeps the first error: once
// stdout is closed or full every later write fails at once, so a command
// stops instead of producing a report nobody receives, and run exits with
// exitOutput whatever the command made of the error.
type outputWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (o *outputWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	o.err = err
	return n, err
}

func (o *outputWriter) failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// writeErrText is a write error without the file name ("write
// /dev/stdout: broken pipe" reads "broken pipe").
func writeErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "standard output: " + err.Error()
}
