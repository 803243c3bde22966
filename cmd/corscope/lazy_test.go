package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/corscope/corscope/internal/runner"
)

// check builds each plan as probing reaches it: when target k's first
// request arrives, at most the reorder window of plans past k exists, and
// never more targets than --concurrency are probed at once. Building every
// plan before probing (which made 100,000 isolate URLs peak at 2 GB) fails
// the first request already.
func TestCheckBuildsPlansAsItProbes(t *testing.T) {
	const n, conc = 200, 4
	window := int64(runner.ReorderWindow(conc))
	base := plansBuilt.Load()
	var mu sync.Mutex
	var worst int64 = -1 << 62
	active := map[int]int{} // target -> requests in flight
	maxActive := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/item/"))
		if err != nil {
			http.Error(w, "bad path", 400)
			return
		}
		built := plansBuilt.Load() - base
		mu.Lock()
		worst = max(worst, built-int64(k))
		active[k]++
		maxActive = max(maxActive, len(active))
		mu.Unlock()
		defer func() {
			mu.Lock()
			if active[k]--; active[k] == 0 {
				delete(active, k)
			}
			mu.Unlock()
		}()
		w.Header().Set("Cache-Control", "no-store")
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Vary", "Origin")
		}
	}))
	defer srv.Close()
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, "%s/item/%d\n", srv.URL, i)
	}
	code, out, errs := runCLI(t, in.String(), "check", "--mode", "isolate", "--format", "json",
		"--concurrency", strconv.Itoa(conc), "-o", "https://app.example", "-")
	if code != exitOK && code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) != n {
		t.Fatalf("%d targets reported, want %d", len(rep.Targets), n)
	}
	for i, tg := range rep.Targets {
		if want := fmt.Sprintf("%s/item/%d", srv.URL, i); tg.URL != want {
			t.Fatalf("target %d is %s, want %s (input order)", i, tg.URL, want)
		}
	}
	if got := plansBuilt.Load() - base; got != n {
		t.Errorf("%d plans built, want %d", got, n)
	}
	if worst > window {
		t.Errorf("a target's request came when %d plans past it were built; want at most the window (%d)", worst, window)
	}
	if maxActive > conc {
		t.Errorf("%d targets probed at once, want at most --concurrency %d", maxActive, conc)
	}
	t.Logf("plans ahead of the probing: at most %d (window %d); targets at once: %d", worst, window, maxActive)
}
