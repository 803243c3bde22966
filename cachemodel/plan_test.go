package cachemodel

import (
	"reflect"
	"testing"
)

func TestObserveVariants(t *testing.T) {
	u, _ := ParseTargetURL("https://cdn.example.com/a.js")
	got := ObserveVariants(u, []string{"https://app.example.com", "https://cdn.example.com", "null", "https://app.example.com"})
	want := []Variant{
		{Kind: KindNoOrigin},
		{Kind: KindConfigured, Origin: "https://app.example.com"},
		{Kind: KindConfigured, Origin: "https://cdn.example.com"},
		{Kind: KindNull, Origin: "null"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestBuildObservePlan(t *testing.T) {
	u, _ := ParseTargetURL("https://cdn.example.com/a.js")
	p := BuildObservePlan(3, u, PlanOptions{
		Origins: []string{"https://app.example.com"}, Rounds: 2, UserAgent: "corscope/test",
		Headers:   Headers{{"X-Debug", "1"}, {"Cookie", "s=1"}},
		Preflight: true, RequestMethod: "PUT", RequestHeaders: []string{"X-Token", "content-type", "x-token"},
	})
	if p.Index != 3 || p.URL != "https://cdn.example.com/a.js" {
		t.Fatalf("plan header wrong: %+v", p)
	}
	// 4 variants + 3 preflights (no preflight without Origin), twice.
	if len(p.Steps) != 14 {
		t.Fatalf("want 14 steps, got %d", len(p.Steps))
	}
	first := p.Steps[0]
	if first.Variant.HasOrigin() || first.Round != 1 || first.Method != "GET" {
		t.Fatalf("first step should be a no-Origin GET in round 1: %+v", first)
	}
	if _, ok := first.Headers.Get("Origin"); ok {
		t.Fatal("no-Origin step carries an Origin header")
	}
	wantHdr := Headers{{"User-Agent", "corscope/test"}, {"Accept", "*/*"}, {"Origin", "https://app.example.com"}, {"X-Debug", "1"}, {"Cookie", "s=1"}}
	if !reflect.DeepEqual(p.Steps[1].Headers, wantHdr) {
		t.Fatalf("headers of an Origin step:\n got %v\nwant %v", p.Steps[1].Headers, wantHdr)
	}
	pf := p.Steps[4]
	if !pf.Preflight || pf.Method != "OPTIONS" {
		t.Fatalf("step 4 should be a preflight: %+v", pf)
	}
	wantPF := Headers{{"User-Agent", "corscope/test"}, {"Accept", "*/*"}, {"Origin", "https://app.example.com"},
		{"Access-Control-Request-Method", "PUT"}, {"Access-Control-Request-Headers", "content-type,x-token"}, {"X-Debug", "1"}}
	if !reflect.DeepEqual(pf.Headers, wantPF) {
		t.Fatalf("preflight headers:\n got %v\nwant %v", pf.Headers, wantPF)
	}
	if p.Steps[7].Round != 2 || p.Steps[7].Variant.HasOrigin() {
		t.Fatalf("round 2 should start with no Origin: %+v", p.Steps[7])
	}
}

func TestUserHeadersOverrideDefaults(t *testing.T) {
	u, _ := ParseTargetURL("http://x.example/")
	s := SimpleStep(u.String(), Variant{Kind: KindNoOrigin}, 1, PlanOptions{UserAgent: "ua", Headers: Headers{{"user-agent", "mine"}, {"accept", "text/css"}}})
	want := Headers{{"user-agent", "mine"}, {"accept", "text/css"}}
	if !reflect.DeepEqual(s.Headers, want) {
		t.Fatalf("got %v want %v", s.Headers, want)
	}
}
