package cachemodel

import (
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A tiny pure cache and origin model for rule tests: requests of a plan go
// through simCache to a simServer, and the responses become the plan's
// observations. No network, fully deterministic.

// simServer answers one request; fetch counts origin responses (1-based).
type simServer func(method, origin string, hasOrigin bool, fetch int) (status int, h Headers)

// simCache is a shared cache in front of the server.
type simCache struct {
	none         bool   // no cache at all: every request reaches the server
	keyOnOrigin  bool   // Origin is part of the key
	ignoreVary   bool   // stored responses are reused whatever their Vary says
	ignoreQuery  bool   // the query string is dropped from the key
	statusHeader string // "" means "X-Cache"; "-" means no status header at all
	noAge        bool   // hits carry no Age header

	store   map[string][]simObj
	fetches int
}

type simObj struct {
	status    int
	h         Headers
	varyOrig  bool
	reqOrigin string
	hadOrigin bool
}

func (c *simCache) serve(s Step, srv simServer) *Response {
	origin, hasOrigin := s.Headers.Get("Origin")
	key := s.Method + " " + s.URL
	if c.ignoreQuery {
		key, _, _ = strings.Cut(key, "?")
	}
	if c.keyOnOrigin {
		key += "|" + strconv.FormatBool(hasOrigin) + "|" + origin
	}
	if c.store == nil {
		c.store = map[string][]simObj{}
	}
	if !c.none {
		for _, o := range c.store[key] {
			if o.varyOrig && !c.ignoreVary && (o.hadOrigin != hasOrigin || o.reqOrigin != origin) {
				continue
			}
			h := o.h.Clone()
			if !c.noAge {
				h = append(h, Header{"Age", "3"})
			}
			return &Response{Status: o.status, Proto: "HTTP/1.1", Headers: c.stamp(h, "HIT")}
		}
	}
	c.fetches++
	status, h := srv(s.Method, origin, hasOrigin, c.fetches)
	if c.none {
		return &Response{Status: status, Proto: "HTTP/1.1", Headers: h}
	}
	facts := readFacts(h)
	storable, _ := facts.sharedCacheable(status, false)
	vary := ParseVary(h)
	if storable && s.Method == "GET" && !vary.Star {
		c.store[key] = append(c.store[key], simObj{status: status, h: h.Clone(), varyOrig: vary.Has("Origin"), reqOrigin: origin, hadOrigin: hasOrigin})
	}
	return &Response{Status: status, Proto: "HTTP/1.1", Headers: c.stamp(h.Clone(), "MISS")}
}

func (c *simCache) stamp(h Headers, status string) Headers {
	switch c.statusHeader {
	case "-":
		return h
	case "":
		return append(h, Header{"X-Cache", status})
	case "Cache-Status":
		param := "hit"
		if status == "MISS" {
			param = "fwd=miss; stored"
		}
		return append(h, Header{"Cache-Status", "sim; " + param})
	}
	return append(h, Header{c.statusHeader, status})
}

// simRun sends every step of the plan through the cache and analyses the
// result.
func simRun(t *testing.T, plan TargetPlan, c *simCache, srv simServer, pol Policy) TargetReport {
	t.Helper()
	obs := make([]Observation, len(plan.Steps))
	for i, s := range plan.Steps {
		obs[i] = Observation{Target: plan.Index, Step: i, Response: c.serve(s, srv)}
	}
	return Analyze(plan, obs, AnalyzeOptions{Policy: pol})
}

var simTarget = mustURL("https://cdn.example.com/app.js?v=1")

func mustURL(s string) *url.URL {
	u, err := ParseTargetURL(s)
	if err != nil {
		panic(err)
	}
	return u
}

// seeded is a deterministic stand-in for crypto/rand.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range s {
		s[i] = byte(seed >> (i % 8))
	}
	return rand.NewChaCha8(s)
}

func isolatePlan(opt PlanOptions) TargetPlan {
	if opt.Origins == nil {
		opt.Origins = []string{"https://app.example.com", "https://admin.example.com"}
	}
	return BuildIsolatePlan(0, simTarget, opt, IsolateOptions{Rand: seeded(1)})
}

func observePlan(opt PlanOptions) TargetPlan {
	if opt.Origins == nil {
		opt.Origins = []string{"https://app.example.com", "https://admin.example.com"}
	}
	return BuildObservePlan(0, simTarget, opt)
}

var simAllowList = map[string]bool{"https://app.example.com": true, "https://admin.example.com": true}

// corsServer builds a server from a grant function: ACAO for the Origin
// ("" for none), plus fixed extra headers. Responses are public,
// max-age=300 unless extra sets Cache-Control.
func corsServer(grant func(origin string, has bool) string, extra ...Header) simServer {
	return func(method, origin string, has bool, fetch int) (int, Headers) {
		h := Headers{{"ETag", `"v` + strconv.Itoa(fetch) + `"`}}
		if _, ok := Headers(extra).Get("Cache-Control"); !ok {
			h = append(h, Header{"Cache-Control", "public, max-age=300"})
		}
		if a := grant(origin, has); a != "" {
			h = append(h, Header{"Access-Control-Allow-Origin", a})
		}
		h = append(h, extra...)
		if method == "OPTIONS" {
			return 204, h
		}
		return 200, h
	}
}

func allowList(origin string, has bool) string {
	if has && simAllowList[origin] {
		return origin
	}
	return ""
}

func reflectAny(origin string, has bool) string {
	if has {
		return origin
	}
	return ""
}

func wildcard(string, bool) string { return "*" }

// ruleSet renders findings as sorted "rule:severity" strings.
func ruleSet(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+":"+string(f.Severity))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func ruleIDs(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func findingByRule(fs []Finding, rule string) *Finding {
	for i := range fs {
		if fs[i].Rule == rule {
			return &fs[i]
		}
	}
	return nil
}

func nothingAboveInfo(t *testing.T, name string, fs []Finding) {
	t.Helper()
	for _, f := range fs {
		if f.Severity.Rank() > SevInfo.Rank() {
			t.Errorf("%s: %s rated %s, want nothing above info: %s %v", name, f.Rule, f.Severity, f.Message, f.Evidence)
		}
	}
}

func boolStr(b *bool) string {
	if b == nil {
		return "null"
	}
	return strconv.FormatBool(*b)
}

var simDate = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
