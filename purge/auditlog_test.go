package purge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readAuditLines reads the audit log as generic JSON objects.
func readAuditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestAuditBeforeEachRequest is issue 11 item 13: the stand-in API holds
// the purge request while the test cancels the run. The log already has
// the "sending" line while the request is in flight (a kill at that point
// would leave it), and after the cancel a result line whose outcome is
// "outcome unknown" with a reason.
func TestAuditBeforeEachRequest(t *testing.T) {
	arrived := make(chan struct{})
	api := newFakeAPI(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			writeJSON(w, 200, cfOK("first-id"))
			return
		}
		close(arrived)
		<-r.Context().Done() // hold it until the client gives up
	})
	e := cfEntry(api)
	e.BatchSize = 2
	job := cfPrepare(t, urlPlan(t, twoURLs, twoOrigins...), e) // 6 copies, 3 requests
	path := filepath.Join(t.TempDir(), "state", "purge.log")
	log, err := OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inFlight := make(chan []map[string]any, 1)
	go func() {
		<-arrived
		inFlight <- readAuditLines(t, path) // what a kill now would leave
		cancel()
	}()
	res, err := Execute(ctx, job, ExecOptions{Retry: fastRetry, Timeout: 10 * time.Second, Audit: log})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	if err := log.Append(AuditEntries(job, res)); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	during := <-inFlight
	if len(during) != 3 || during[0]["event"] != EventSending || during[1]["event"] != EventResult || during[1]["outcome"] != "ok" ||
		during[2]["event"] != EventSending || during[2]["request"] != float64(2) || during[2]["of"] != float64(3) {
		t.Fatalf("log while request 2 was in flight: %v", during)
	}
	if c, _ := during[2]["copies"].([]any); len(c) != 2 || c[1] != twoURLs[1]+" [(no Origin)]" {
		t.Errorf("sending line names %v", during[2]["copies"])
	}

	lines := readAuditLines(t, path)
	if len(lines) != 5 {
		t.Fatalf("%d lines: %v", len(lines), lines)
	}
	last := lines[3]
	reason, _ := last["reason"].(string)
	if last["event"] != EventResult || last["outcome"] != OutcomeUnknown || last["request"] != float64(2) ||
		!strings.Contains(reason, "interrupted with the request in flight; the API may have received it") {
		t.Errorf("result line of the interrupted request: %v", last)
	}
	if b := lines[4]; b["event"] != EventBatch || b["outcome"] != "interrupted" || b["run"] != lines[0]["run"] {
		t.Errorf("batch line %v", b)
	}
	if rr := res.Requests[1]; !rr.Interrupted || rr.OK || !strings.HasPrefix(rr.Message, OutcomeUnknown) {
		t.Errorf("result %+v", rr)
	}
	if len(api.requests()) != 2 {
		t.Errorf("server saw %d requests after the cancel", len(api.requests()))
	}
	data, _ := os.ReadFile(path)
	assertNoToken(t, "audit log", string(data))
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v)", info.Mode(), err)
	}
}
