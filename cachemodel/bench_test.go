package cachemodel

import (
	"net/url"
	"strconv"
	"testing"
)

// Benchmarks of the analysis hot paths: what every target of a large run
// goes through once its observations are in. bench/run.sh runs them.

var benchOrigins = []string{"https://app.example.com", "https://admin.example.com"}

// benchResponse is a CDN-shaped response to a request with origin ("" for
// none): Varnish-style cache headers, reflected ACAO, Vary: Origin.
func benchResponse(origin string, hit bool) *Response {
	h := Headers{
		{Name: "Date", Value: "Thu, 26 Nov 2026 05:00:00 GMT"},
		{Name: "Content-Type", Value: "application/javascript"},
		{Name: "Content-Length", Value: "1234"},
		{Name: "Cache-Control", Value: "public, max-age=300"},
		{Name: "ETag", Value: `"abc123"`},
		{Name: "Vary", Value: "Origin, Accept-Encoding"},
		{Name: "Via", Value: "1.1 varnish (Varnish/7.1)"},
		{Name: "X-Varnish", Value: "32770 32768"},
		{Name: "Age", Value: "12"},
	}
	if !hit {
		h[7].Value, h[8].Value = "32770", "0"
	}
	if origin != "" {
		h = append(h, Header{Name: "Access-Control-Allow-Origin", Value: origin},
			Header{Name: "Access-Control-Allow-Credentials", Value: "true"})
	}
	return &Response{Status: 200, Proto: "HTTP/1.1", Headers: h, RemoteAddr: "127.0.0.1:6081", BodyBytes: 1234}
}

// benchTarget is one observe-mode target (5 variants, one round) with its
// observations.
func benchTarget(b testing.TB, i int) (TargetPlan, []Observation) {
	b.Helper()
	u, err := url.Parse("https://cdn.example.com/assets/" + strconv.Itoa(i) + "/app.js")
	if err != nil {
		b.Fatal(err)
	}
	plan := BuildObservePlan(i, u, PlanOptions{Origins: benchOrigins, Rounds: 1, UserAgent: "corscope-bench"})
	obs := make([]Observation, len(plan.Steps))
	for s, st := range plan.Steps {
		origin, _ := st.Headers.Get("Origin")
		obs[s] = Observation{Target: i, Step: s, Response: benchResponse(origin, s > 0)}
	}
	return plan, obs
}

func BenchmarkAnalyzeTarget(b *testing.B) {
	plan, obs := benchTarget(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		_ = Analyze(plan, obs, AnalyzeOptions{})
	}
}

// BenchmarkAnalyze10kTargets is the whole analysis of a 10,000-target run:
// per-target reports, findings and the summary.
func BenchmarkAnalyze10kTargets(b *testing.B) {
	const n = 10000
	plans := make([]TargetPlan, n)
	obs := make([][]Observation, n)
	for i := range plans {
		plans[i], obs[i] = benchTarget(b, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var sum Summary
		for i := range plans {
			sum.Add(Analyze(plans[i], obs[i], AnalyzeOptions{}))
		}
		if sum.Requests != n*5 {
			b.Fatalf("summary counted %d requests", sum.Requests)
		}
	}
}

func BenchmarkDiagnose(b *testing.B) {
	plan, obs := benchTarget(b, 0)
	rep := Analyze(plan, obs, AnalyzeOptions{})
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = diagnose(rep.Variants, rep.Provider, Policy{})
	}
}

func BenchmarkCheckCORS(b *testing.B) {
	h := benchResponse("https://app.example.com", true).Headers
	b.ReportAllocs()
	for b.Loop() {
		if !CheckCORS("https://app.example.com", h, Credentialed).Allowed {
			b.Fatal("not allowed")
		}
	}
}

func BenchmarkParseVary(b *testing.B) {
	h := benchResponse("", true).Headers
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseVary(h)
	}
}

func BenchmarkDetectProvider(b *testing.B) {
	h := benchResponse("", true).Headers
	b.ReportAllocs()
	for b.Loop() {
		_ = DetectProvider(h)
	}
}

func BenchmarkCurlCommand(b *testing.B) {
	plan, _ := benchTarget(b, 0)
	st := plan.Steps[1]
	b.ReportAllocs()
	for b.Loop() {
		_ = CurlCommand(st.Method, st.URL, st.Headers, CurlOptions{})
	}
}

// BenchmarkDetectProductManyHeaders: a response with a thousand headers
// costs one name lookup per header, not one match per table signal.
func BenchmarkDetectProductManyHeaders(b *testing.B) {
	var h Headers
	for i := range 1000 {
		h = append(h, Header{"X-Junk-" + strconv.Itoa(i), "HIT from somewhere, 1.1 varnish (Varnish/6)"})
	}
	h = append(h, Header{"Via", "1.1 a, 1.1 b, 1.1 c"})
	b.ReportAllocs()
	for b.Loop() {
		DetectProduct(h)
	}
}

func BenchmarkBuildObservePlan(b *testing.B) {
	u := mustURL("https://cdn.example.com/static/app.js?v=12")
	opt := PlanOptions{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Rounds: 1, UserAgent: "corscope/test"}
	b.ReportAllocs()
	for b.Loop() {
		_ = BuildObservePlan(0, u, opt)
	}
}
