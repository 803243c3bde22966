package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer the test may read while check writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// stdinCheck runs check with args on a stdin pipe the test writes; the
// exit code arrives on the returned channel.
func stdinCheck(t *testing.T, args ...string) (stdin *os.File, stdout, stderr *lockedBuffer, exit <-chan int) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.Close(); pr.Close() })
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	a := &app{stdin: pr, stdout: stdout, stderr: stderr, getenv: func(string) string { return "" }}
	ch := make(chan int, 1)
	go func() { ch <- a.run(context.Background(), append([]string{"check"}, args...)) }()
	return pw, stdout, stderr, ch
}

// TestCheckStdinFirstRequestSoonAfterFirstURL: `check -` probes a URL as
// soon as its line is read, while stdin is still open, and holds the report
// until stdin ends. The time from the first line written to the first
// request arriving at a loopback server is held to 2 ms (20 ms under
// -race), best of three. Before, check read stdin to its end first, so the
// request came only after the test closed stdin (after 2 s).
func TestCheckStdinFirstRequestSoonAfterFirstURL(t *testing.T) {
	best := time.Hour
	for range 3 {
		best = min(best, stdinFirstRequestLatency(t))
	}
	t.Logf("first request %v after the first URL line was written (best of 3)", best)
	if best > stdinFirstRequestBound {
		t.Errorf("first request %v after the first URL line; want within %v", best, stdinFirstRequestBound)
	}
}

func stdinFirstRequestLatency(t *testing.T) time.Duration {
	var first atomic.Int64 // unix nanoseconds of the first request line's arrival
	arrived := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if first.CompareAndSwap(0, time.Now().UnixNano()) {
						close(arrived)
					}
					for line != "\r\n" {
						if line, err = br.ReadString('\n'); err != nil {
							return
						}
					}
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	base := "http://" + ln.Addr().String()
	stdin, stdout, stderr, exit := stdinCheck(t, "--mode", "observe", "--rounds", "1", "--format", "jsonl", "-")
	time.Sleep(50 * time.Millisecond) // check is set up and waiting for its first line
	written := time.Now()
	if _, err := io.WriteString(stdin, base+"/t/0.js\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(2 * time.Second):
	}
	if out := stdout.String(); out != "" {
		t.Errorf("report written before stdin ended: %.200q", out)
	}
	if _, err := io.WriteString(stdin, base+"/t/1.js\n"+base+"/t/2.js\n"); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	select {
	case code := <-exit:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("check did not end after stdin closed")
	}
	// jsonl: the three targets in input order, then the summary.
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "/t/0.js") || !strings.Contains(lines[2], "/t/2.js") {
		t.Fatalf("report:\n%s", stdout)
	}
	if first.Load() == 0 {
		t.Fatal("no request arrived")
	}
	return time.Duration(first.Load() - written.UnixNano())
}

// TestCheckStdinBadLineAfterGoodOnes: a bad URL line after good ones that
// are already being probed (stdin held open before and after it) ends check
// at once, without waiting for stdin's end or for the requests in flight
// (the server never answers): exit 2, the line's one-line error and
// nothing on stdout.
func TestCheckStdinBadLineAfterGoodOnes(t *testing.T) {
	got := make(chan struct{}, 16)
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- struct{}{}:
		default:
		}
		select { // hold the request until the client gives up on it
		case <-r.Context().Done():
		case <-stuck:
		}
	}))
	defer srv.Close()
	defer close(stuck)
	stdin, stdout, stderr, exit := stdinCheck(t, "--mode", "observe", "--rounds", "1", "--format", "json", "--timeout", "20s", "-")
	if _, err := io.WriteString(stdin, srv.URL+"/a\n"+srv.URL+"/b\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got: // probing started; without streaming it starts only at EOF
	case <-time.After(2 * time.Second):
		t.Error("no request while stdin was open")
	}
	if _, err := io.WriteString(stdin, "not a url\n"); err != nil {
		t.Fatal(err)
	}
	var code int
	select {
	case code = <-exit:
	case <-time.After(5 * time.Second):
		stdin.Close()
		code = <-exit
		t.Errorf("check went on after the bad line until stdin was closed")
	}
	if code != exitUsage {
		t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
	}
	if out := stdout.String(); out != "" {
		t.Errorf("wrote to stdout: %.200q", out)
	}
	errs := stderr.String()
	if want := "corscope: bad URL \"not a url\""; !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 {
		t.Errorf("stderr %q, want one line starting %q", errs, want)
	}
}

// TestCheckStdinReportStreamsOnceStdinEnds: once stdin has ended with every
// line valid, the held report is written and the rest streams as targets
// complete, even while probing is far from the input's end (here it is
// stuck at target 10 of 60, with the reorder window far smaller than the
// input): the jsonl line of target 0 is out before target 10 is answered.
func TestCheckStdinReportStreamsOnceStdinEnds(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/t/10.") {
			select {
			case <-release:
			case <-time.After(20 * time.Second):
			}
		}
	}))
	defer srv.Close()
	stdin, stdout, stderr, exit := stdinCheck(t, "--mode", "observe", "--rounds", "1", "--format", "jsonl", "--concurrency", "2", "-")
	var in strings.Builder
	for i := range 60 {
		in.WriteString(srv.URL + "/t/" + strconv.Itoa(i) + ".js\n")
	}
	if _, err := io.WriteString(stdin, in.String()); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stdout.String(), "/t/0.js") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "/t/0.js") {
		t.Error("nothing of the report written while a target was stuck, after stdin had ended")
	}
	open()
	if code := <-exit; code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if lines := strings.Count(stdout.String(), "\n"); lines != 61 {
		t.Errorf("%d jsonl lines, want 60 targets and the summary", lines)
	}
}
