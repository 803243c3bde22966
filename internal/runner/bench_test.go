package runner_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/probe"
)

// The benchmarks here time what `corscope check --mode observe --rounds 1
// --format json` does per target, without process start-up: plans, probe,
// ordered streaming, analysis and the JSON writer.

var benchOrigins = []string{"https://app.example.com", "https://admin.example.com"}

func benchPlans(b *testing.B, base string, n int) []cachemodel.TargetPlan {
	b.Helper()
	opt := cachemodel.PlanOptions{Rounds: 1, Origins: benchOrigins, UserAgent: "corscope-bench"}
	plans := make([]cachemodel.TargetPlan, n)
	for i := range plans {
		u, err := url.Parse(base + "/t/" + strconv.Itoa(i) + ".js")
		if err != nil {
			b.Fatal(err)
		}
		plans[i] = cachemodel.BuildObservePlan(i, u, opt)
	}
	return plans
}

func analyzeObserve(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
	return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
}

// streamJSON runs plans through eng into a JSON writer on io.Discard and
// returns the number of requests reported.
func streamJSON(b *testing.B, eng runner.Engine, plans []cachemodel.TargetPlan) int {
	b.Helper()
	w := report.NewWriter("json", io.Discard, report.Options{Tool: "corscope bench", Mode: "observe"})
	var sum cachemodel.Summary
	if err := w.Begin(); err != nil {
		b.Fatal(err)
	}
	err := runner.Stream(context.Background(), eng, plans, analyzeObserve, runner.Hooks{OnTarget: func(t cachemodel.TargetReport) error {
		sum.Add(t)
		return w.Target(t)
	}})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.End(sum); err != nil {
		b.Fatal(err)
	}
	if sum.Failed > 0 {
		b.Fatalf("%d of %d requests failed", sum.Failed, sum.Requests)
	}
	return sum.Requests
}

// benchOrigin serves CORS responses shaped like a CDN's on 127.0.0.1.
func benchOrigin(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"ok":true}`)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		if o := ctx.Request.Header.Peek("Origin"); o != nil {
			h.SetBytesV("Access-Control-Allow-Origin", o)
		}
		h.Set("Vary", "Origin")
		h.Set("Cache-Control", "public, max-age=60")
		h.Set("Age", "12")
		h.Set("X-Cache", "HIT")
		h.SetContentType("application/javascript")
		ctx.SetBody(body)
	}}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// cpuTime is the process's user and system CPU time so far. Per request
// it is the figure bench/run.sh reports; on a shared machine it moves far
// less than wall time (the origin's share is included here: it runs in
// the same process).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPipeline is scenario 1 of bench/run.sh inside one process:
// 2,000 targets × 5 variants at concurrency 64 against a local origin.
func BenchmarkPipeline(b *testing.B) {
	base := benchOrigin(b)
	plans := benchPlans(b, base, 2000)
	eng, err := probe.New(probe.Config{Concurrency: 64, Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	b.ReportAllocs()
	b.ResetTimer()
	began, cpu := time.Now(), cpuTime()
	reqs := 0
	for b.Loop() {
		reqs += streamJSON(b, eng, plans)
	}
	b.ReportMetric(float64(reqs)/time.Since(began).Seconds(), "req/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(reqs), "cpu-us/req")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(reqs)/1e3, "us/req")
}

// replayEngine answers every step at once with a canned response, so the
// benchmark times the runner, Analyze and the writer, not the network.
type replayEngine struct{}

func (replayEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	defer close(out)
	for _, p := range plans {
		for i, st := range p.Steps {
			h := cachemodel.Headers{
				{Name: "Content-Type", Value: "application/javascript"},
				{Name: "Content-Length", Value: "11"},
				{Name: "Cache-Control", Value: "public, max-age=60"},
				{Name: "Age", Value: "12"},
				{Name: "X-Cache", Value: "HIT"},
				{Name: "Vary", Value: "Origin"},
			}
			if o, ok := st.Headers.Get("Origin"); ok {
				h = append(h, cachemodel.Header{Name: "Access-Control-Allow-Origin", Value: o})
			}
			o := cachemodel.Observation{Target: p.Index, Step: i, Start: time.Now(),
				Response: &cachemodel.Response{Status: 200, Proto: "HTTP/1.1", Headers: h, RemoteAddr: "127.0.0.1:80", BodyBytes: 11}}
			select {
			case out <- o:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// BenchmarkStreamAnalyzeJSON is the per-target cost after the network:
// 2,000 targets × 5 variants through Stream, Analyze and the JSON writer.
func BenchmarkStreamAnalyzeJSON(b *testing.B) {
	plans := benchPlans(b, "http://127.0.0.1:8080", 2000)
	b.ReportAllocs()
	b.ResetTimer()
	began, cpu := time.Now(), cpuTime()
	n := 0
	for b.Loop() {
		n += streamJSON(b, replayEngine{}, plans)
	}
	b.ReportMetric(float64(n)/time.Since(began).Seconds(), "req/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n), "cpu-us/req")
}

// The probe engine takes the runner's one-message-per-target path.
var _ runner.TargetEngine = (*probe.Engine)(nil)
