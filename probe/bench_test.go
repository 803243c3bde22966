package probe

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// BenchmarkRun probes 200 targets × 5 steps against one local server and
// reports requests per second.
func BenchmarkRun(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Vary", "Origin")
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("X-Cache", "HIT")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()

	const targets, steps = 200, 5
	plans := make([]cachemodel.TargetPlan, targets)
	for i := range plans {
		plans[i].Index = i
		for s := 0; s < steps; s++ {
			plans[i].Steps = append(plans[i].Steps, get(srv.URL+"/t/"+strconv.Itoa(i)+"?cb="+strconv.Itoa(s),
				"Origin", "https://o"+strconv.Itoa(s)+".test", "User-Agent", "corscope-bench", "Accept", "*/*"))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		out := make(chan cachemodel.Observation, 64)
		errc := make(chan error, 1)
		go func() { errc <- e.Run(b.Context(), plans, out) }()
		n := 0
		for o := range out {
			if o.Err != nil {
				b.Fatalf("request failed: %v", o.Err)
			}
			n++
		}
		if err := <-errc; err != nil || n != targets*steps {
			b.Fatalf("run: %v, %d observations", err, n)
		}
	}
	elapsed := time.Since(began)
	b.ReportMetric(float64(b.N*targets*steps)/elapsed.Seconds(), "req/s")
}
