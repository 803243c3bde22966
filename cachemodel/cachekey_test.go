package cachemodel

import (
	"strings"
	"testing"
	"time"
)

func factsString(k *CacheKeyFacts) string {
	if k == nil {
		return "nil"
	}
	return "key=" + boolStr(k.OriginInKey) + " vary=" + boolStr(k.VaryHonoured) + " cacheable=" + boolStr(k.Cacheable)
}

func TestCacheKeyFacts(t *testing.T) {
	vary := Header{"Vary", "Origin"}
	cases := []struct {
		name  string
		cache *simCache
		srv   simServer
		want  string
		how   string // a phrase the evidence must contain
	}{
		{"shared cache, no Vary", &simCache{}, corsServer(allowList),
			"key=false vary=null cacheable=true", "HIT via X-Cache"},
		{"shared cache honouring Vary", &simCache{}, corsServer(allowList, vary),
			"key=null vary=true cacheable=true", "Vary: Origin honoured"},
		{"Origin in the key, no Vary", &simCache{keyOnOrigin: true}, corsServer(allowList),
			"key=true vary=null cacheable=true", "Origin in the key"},
		{"cache ignoring Vary", &simCache{ignoreVary: true}, corsServer(allowList, vary),
			"key=false vary=false cacheable=true", "Vary: Origin ignored"},
		{"not cacheable", &simCache{}, corsServer(allowList, Header{"Cache-Control", "private"}),
			"key=null vary=null cacheable=false", "MISS via X-Cache"},
		{"Cache-Status (RFC 9211) only", &simCache{statusHeader: "Cache-Status"}, corsServer(allowList),
			"key=false vary=null cacheable=true", "via Cache-Status"},
		{"no status header: Age", &simCache{statusHeader: "-"}, corsServer(allowList),
			"key=false vary=null cacheable=true", "Age 3"},
		{"no status header, no Age: ETag", &simCache{statusHeader: "-", noAge: true}, corsServer(allowList),
			"key=false vary=null cacheable=true", "ETag"},
		{"no cache at all: ETag changes", &simCache{none: true}, corsServer(allowList),
			"key=null vary=null cacheable=false", "ETag changed"},
		{"no cache, a static ETag proves nothing", &simCache{none: true}, staticETag(corsServer(allowList)),
			"key=null vary=null cacheable=null", "unknown"},
		{"no cache, no ETag: Date moves on", &simCache{none: true}, dated(corsServer(allowList)),
			"key=null vary=null cacheable=false", "Date later"},
		{"query string ignored", &simCache{ignoreQuery: true}, corsServer(allowList),
			"key=null vary=null cacheable=null", "no cache-key conclusions"},
	}
	for _, c := range cases {
		rep := simRun(t, isolatePlan(PlanOptions{}), c.cache, c.srv, Policy{})
		if got := factsString(rep.CacheKey); got != c.want {
			t.Errorf("%s: %s, want %s\n%v", c.name, got, c.want, rep.CacheKey)
			continue
		}
		if ev := strings.Join(rep.CacheKey.Evidence, "\n"); !strings.Contains(ev, c.how) {
			t.Errorf("%s: evidence lacks %q:\n%s", c.name, c.how, ev)
		}
	}
}

// staticETag replaces the per-response ETag with a constant one, like a
// static file server.
func staticETag(srv simServer) simServer {
	return func(method, origin string, has bool, fetch int) (int, Headers) {
		st, h := srv(method, origin, has, fetch)
		for i := range h {
			if h[i].Name == "ETag" {
				h[i].Value = `"static"`
			}
		}
		return st, h
	}
}

// dated drops the ETag and stamps each origin response with a Date one
// second after the previous one.
func dated(srv simServer) simServer {
	return func(method, origin string, has bool, fetch int) (int, Headers) {
		st, h := srv(method, origin, has, fetch)
		out := Headers{{"Date", simDate.Add(time.Duration(fetch) * time.Second).Format(httpDateLayout)}}
		for _, f := range h {
			if f.Name != "ETag" {
				out = append(out, f)
			}
		}
		return st, out
	}
}

func TestDateEvidence(t *testing.T) {
	// Key k1 is used twice with another key's request in between; the
	// in-between response is newer, so an unchanged Date on the second k1
	// response means the stored copy.
	date := func(sec int) Header {
		return Header{"Date", simDate.Add(time.Duration(sec) * time.Second).Format(httpDateLayout)}
	}
	none := Variant{Kind: KindNoOrigin}
	app := Variant{Kind: KindConfigured, Origin: "https://app.example.com"}
	step := func(v Variant, key string) Step {
		s := SimpleStep(simTarget.String()+"&corscope="+key, v, 1, PlanOptions{})
		s.Experiment, s.CacheKey = ExperimentRepeat, key
		return s
	}
	plan := TargetPlan{Steps: []Step{step(none, "k1"), step(app, "k2"), step(none, "k1"), step(app, "k2")}}
	resp := func(sec int) Observation {
		return Observation{Response: &Response{Status: 200, Headers: Headers{date(sec), {"Cache-Control", "max-age=60"}}}}
	}
	rep := Analyze(plan, []Observation{resp(1), resp(2), resp(1), resp(5)}, AnalyzeOptions{})
	if got := factsString(rep.CacheKey); got != "key=null vary=null cacheable=true" {
		t.Fatalf("%s %v", got, rep.CacheKey)
	}
	if ev := strings.Join(rep.CacheKey.Evidence, "\n"); !strings.Contains(ev, "Date unchanged") {
		t.Errorf("evidence: %s", ev)
	}
	// The same second everywhere proves nothing either way.
	rep = Analyze(plan, []Observation{resp(1), resp(1), resp(1), resp(1)}, AnalyzeOptions{})
	if got := factsString(rep.CacheKey); got != "key=null vary=null cacheable=null" {
		t.Errorf("same-second Dates: %s", got)
	}
}

func TestServedEvidenceIsNamed(t *testing.T) {
	// The table shows weak (Age-only) statuses; findings say which evidence
	// was used.
	rep := simRun(t, isolatePlan(PlanOptions{}), &simCache{statusHeader: "-", noAge: true}, corsServer(allowList), Policy{})
	f := findingByRule(rep.Findings, RuleCacheServedWrongOrigin)
	if f == nil {
		t.Fatalf("validators alone must still reveal the mixing: %q", ruleSet(rep.Findings))
	}
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "ETag") {
		t.Errorf("evidence should say ETag was the evidence: %v", f.Evidence)
	}
}

func TestObserveModeHasNoCacheKeyFacts(t *testing.T) {
	rep := simRun(t, observePlan(PlanOptions{}), &simCache{}, corsServer(allowList), Policy{})
	if rep.CacheKey != nil {
		t.Errorf("observe mode: %+v", rep.CacheKey)
	}
}

// httpDateLayout is net/http's TimeFormat (cachemodel stays free of net/http).
const httpDateLayout = "Mon, 02 Jan 2006 15:04:05 GMT"
