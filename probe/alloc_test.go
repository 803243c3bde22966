package probe

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"strconv"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// quietServer answers every request on a connection with the same canned
// response, reading and writing through fixed buffers, so the allocations
// the test process makes per request are the probe's own.
func quietServer(t testing.TB) *rawServer {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: 11\r\n" +
		"Cache-Control: public, max-age=60\r\nAge: 12\r\nX-Cache: HIT\r\nVary: Origin\r\n" +
		"Access-Control-Allow-Origin: https://app.example.com\r\n\r\n{\"ok\":true}")
	return newRawServer(t, func(c net.Conn) {
		buf := make([]byte, 16<<10)
		n := 0
		for {
			m, err := c.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
			for {
				end := bytes.Index(buf[:n], []byte("\r\n\r\n"))
				if end < 0 {
					break
				}
				if _, err := c.Write(resp); err != nil {
					return
				}
				n = copy(buf, buf[end+4:n])
			}
		}
	})
}

// allocPlans is targets × 5 steps shaped like an observe plan.
func allocPlans(base string, targets int) []cachemodel.TargetPlan {
	origins := []string{"", "https://app.example.com", "https://admin.example.com", "http://" + base, "null"}
	plans := make([]cachemodel.TargetPlan, targets)
	for i := range plans {
		u := "http://" + base + "/t/" + strconv.Itoa(i) + ".js"
		plans[i] = cachemodel.TargetPlan{Index: i, URL: u, Steps: make([]cachemodel.Step, 0, len(origins))}
		for _, o := range origins {
			h := cachemodel.Headers{{Name: "User-Agent", Value: "corscope-bench"}, {Name: "Accept", Value: "*/*"}}
			if o != "" {
				h = append(h, cachemodel.Header{Name: "Origin", Value: o})
			}
			plans[i].Steps = append(plans[i].Steps, cachemodel.Step{Method: "GET", URL: u, Headers: h})
		}
	}
	return plans
}

// probeAllocs runs plans once and returns the allocations and bytes per
// request of the whole process (the server allocates nothing per request).
func probeAllocs(t testing.TB, e *Engine, plans []cachemodel.TargetPlan) (allocs, bytes float64) {
	t.Helper()
	reqs := 0
	for _, p := range plans {
		reqs += len(p.Steps)
	}
	runOnce := func() {
		out := make(chan cachemodel.Observation, 64)
		errc := make(chan error, 1)
		go func() { errc <- e.Run(context.Background(), plans, out) }()
		for o := range out {
			if o.Err != nil {
				t.Fatalf("request failed: %v", o.Err)
			}
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	runOnce() // warm up: connections, pools
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	runOnce()
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(reqs), float64(after.TotalAlloc-before.TotalAlloc) / float64(reqs)
}

// TestProbeAllocationsPerRequest pins what the probe allocates per request
// on a kept-alive loopback connection: the response it reports and little
// else. The report of this 7-header response is 4 allocations and 608 B
// (the Response, its header list, the names and values, the body hash);
// the URL, parsed once per target, adds about 0.3 allocations and 30 B
// per request (4.3 and 653 B in all here; a read buffer the GC took from
// its pool and made again adds up to 32 B). Before the engine kept its
// buffers per worker it was 26 allocations and 1.9 KB; with requests
// queueing for a host's slots, a channel per wait made it 5.5.
func TestProbeAllocationsPerRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("waits for a build without -race (scripts/test.sh runs it so): allocation counts under -race include the detector's")
	}
	srv := quietServer(t)
	for _, cfg := range []Config{
		{Concurrency: 4},
		// More targets than the host's slots: requests queue for a slot
		// (each worker waits on its own channel, made once).
		{Concurrency: 16, HostConcurrency: 2},
	} {
		e := newEngine(t, cfg)
		allocs, bytes := probeAllocs(t, e, allocPlans(srv.addr(), 200))
		t.Logf("concurrency %d, host %d: %.2f allocations, %.0f B per request", cfg.Concurrency, cfg.HostConcurrency, allocs, bytes)
		if allocs > 5 || bytes > 750 {
			t.Errorf("concurrency %d, host %d: %.2f allocations and %.0f B per request; want <= 5 and <= 750",
				cfg.Concurrency, cfg.HostConcurrency, allocs, bytes)
		}
	}
}

// BenchmarkProbeQuiet is BenchmarkRun against a server that allocates
// nothing per request: its allocs/op and B/op (per request) are the probe's.
func BenchmarkProbeQuiet(b *testing.B) {
	srv := quietServer(b)
	e := newEngine(b, Config{Concurrency: 4})
	plans := allocPlans(srv.addr(), 200)
	reqs := 0
	for _, p := range plans {
		reqs += len(p.Steps)
	}
	b.ReportAllocs()
	for b.Loop() {
		out := make(chan cachemodel.Observation, 64)
		errc := make(chan error, 1)
		go func() { errc <- e.Run(context.Background(), plans, out) }()
		for range out {
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*reqs), "ns/req")
}
