package probe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// endlessHeaders answers every request with a status line and then header
// lines forever: each request makes the probe fill its header buffer up
// to MaxHeaderBytes before it gives up.
func endlessHeaders(c net.Conn) {
	if _, err := readRequestHead(bufio.NewReader(c)); err != nil {
		return
	}
	_ = c.SetWriteDeadline(time.Now().Add(60 * time.Second))
	line := []byte("X-Pad: " + strings.Repeat("v", 16<<10) + "\r\n")
	if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\n")); err != nil {
		return
	}
	for {
		if _, err := c.Write(line); err != nil {
			return
		}
	}
}

const budgetChildEnv = "CORSCOPE_HEADER_BUDGET_CHILD"

// TestHeaderBudgetChild is the measured process of
// TestHeaderBytesBoundedAcrossTargets: 16 targets at once, each sent to a
// server whose header block never ends, with --max-header-bytes 64MiB. It
// prints its peak RSS (VmHWM) and the outcome of every request.
func TestHeaderBudgetChild(t *testing.T) {
	addr := os.Getenv(budgetChildEnv)
	if addr == "" {
		t.Skip("run by TestHeaderBytesBoundedAcrossTargets")
	}
	eng, err := New(Config{MaxHeaderBytes: 64 << 20, Concurrency: 16, HostConcurrency: 16, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var plans []cachemodel.TargetPlan
	for i := range 16 {
		plans = append(plans, cachemodel.TargetPlan{Index: i, URL: fmt.Sprintf("http://%s/%d", addr, i),
			Steps: []cachemodel.Step{{Method: "GET", URL: fmt.Sprintf("http://%s/%d", addr, i)}}})
	}
	out := make(chan cachemodel.Observation, 16)
	go func() { _ = eng.Run(context.Background(), plans, out) }()
	for o := range out {
		if o.Err == nil {
			fmt.Printf("OUTCOME ok\n")
		} else {
			fmt.Printf("OUTCOME %s %s\n", o.Err.Kind, o.Err.Message)
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println(l)
		}
	}
}

// A hostile server sending endless header blocks to 16 targets at once
// with --max-header-bytes 64MiB made corscope hold 16 buffers growing to
// 64 MiB each (and copies while they grew): 2.6 GB. The engine's header
// budget lets only a few responses grow past 1 MiB at once, so the peak
// stays bounded whatever the concurrency; every request still ends in the
// same honest error (too large). Measured in a child process (VmHWM).
func TestHeaderBytesBoundedAcrossTargets(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		if runtime.GOOS == "linux" {
			t.Fatalf("no /proc/self/status on Linux: %v", err)
		}
		t.Skipf("waits for /proc/self/status (VmHWM, the peak RSS it measures), which %s lacks", runtime.GOOS)
	}
	srv := newRawServer(t, endlessHeaders)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeaderBudgetChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), budgetChildEnv+"="+srv.ln.Addr().String(), "GOMAXPROCS=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var hwm int64 = -1
	tooLarge := 0
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "VmHWM:"):
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), " kB"), 10, 64)
			hwm = kb >> 10
		case strings.HasPrefix(l, "OUTCOME "):
			if strings.HasPrefix(l, "OUTCOME too-large response header block is larger than 64 MiB") {
				tooLarge++
			} else {
				t.Errorf("request outcome: %s", l)
			}
		}
	}
	if tooLarge != 16 {
		t.Errorf("%d of 16 requests refused as too large:\n%s", tooLarge, out)
	}
	const limitMiB = 600
	t.Logf("peak RSS %d MiB for 16 endless header blocks at --max-header-bytes 64MiB (bound %d MiB)", hwm, limitMiB)
	if raceEnabled {
		t.Logf("race detector on: the bound is asserted only in a normal build (scripts/test.sh runs one)")
		return
	}
	if hwm < 0 || hwm > limitMiB {
		t.Errorf("peak RSS %d MiB, want at most %d MiB", hwm, limitMiB)
	}
}

// Header blocks over 1 MiB are read whole (body and connection reuse
// included) through the budget; a budget too small for one of them is a
// clear error naming the memory needed, while smaller blocks are not
// affected by the budget at all.
func TestHeaderBudgetBigBlocks(t *testing.T) {
	big := strings.TrimSuffix(headerBlock(30000, 100), "Content-Length: 0\r\n\r\n") + "Content-Length: 5\r\n\r\nhello" // ~3.3 MiB
	srv := newRawServer(t, serveCanned(big, false))
	e := newEngine(t, Config{MaxHeaderBytes: 4 << 20, Timeout: 10 * time.Second})
	obs, err := run(t, t.Context(), e, plan(0, get(srv.url()+"/"), get(srv.url()+"/")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		r := mustResponse(t, o)
		if len(r.Headers) != 30001 || r.Headers[29999].Name != "X-Pad-29999" || r.BodyBytes != 5 || r.BodyTruncated {
			t.Errorf("step %d: %d headers, body %d/%v", o.Step, len(r.Headers), r.BodyBytes, r.BodyTruncated)
		}
	}
	if srv.accepted() != 1 {
		t.Errorf("%d connections, want 1", srv.accepted())
	}
	if n := e.headers.sem.TryAcquire(e.headers.total); !n {
		t.Error("header budget not given back after the exchanges")
	}

	small := newEngine(t, Config{MaxHeaderBytes: 4 << 20, HeaderBudget: 1 << 20, Timeout: 10 * time.Second})
	o := runOne(t, small, get(srv.url()+"/"))
	wantErrKind(t, o, cachemodel.ErrTooLarge, "a header block of up to 4 MiB (MaxHeaderBytes) needs 12 MiB of memory, more than the header budget of 1 MiB")
	srv2 := newRawServer(t, serveCanned(headerBlock(2000, 90), false))
	if r := mustResponse(t, runOne(t, small, get(srv2.url()+"/"))); len(r.Headers) != 2001 {
		t.Errorf("a 200 KiB block through a small budget: %d headers", len(r.Headers))
	}
	if _, err := New(Config{HeaderBudget: -1}); err == nil || !strings.Contains(err.Error(), "header budget must not be negative") {
		t.Errorf("negative budget: %v", err)
	}
}

// While other responses hold the budget, a huge one waits for it within
// its own timeout, then says what it was waiting for; once the budget is
// free the same response is read.
func TestHeaderBudgetWaitTimesOut(t *testing.T) {
	resp := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("v", 1536<<10) + "\r\nContent-Length: 0\r\n\r\n"
	srv := newRawServer(t, serveCanned(resp, false))
	e := newEngine(t, Config{MaxHeaderBytes: 2 << 20, Timeout: 500 * time.Millisecond})
	if !e.headers.sem.TryAcquire(e.headers.total) { // what other huge responses would hold
		t.Fatal("budget not free")
	}
	o := runOne(t, e, get(srv.url()+"/"))
	wantErrKind(t, o, cachemodel.ErrTimeout, "timed out waiting for memory to read a header block over 1 MiB: other responses with huge header blocks held the header budget (256 MiB, set by MaxHeaderBytes)")
	e.headers.sem.Release(e.headers.total)
	if r := mustResponse(t, runOne(t, e, get(srv.url()+"/"))); len(r.Headers) != 2 || len(r.Headers[0].Value) != 1536<<10 {
		t.Errorf("after the budget was freed: %d headers", len(r.Headers))
	}
}
