package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/demo"
	"github.com/corscope/corscope/internal/runner"
	"github.com/corscope/corscope/probe"
	"github.com/corscope/corscope/purge"
	"github.com/corscope/corscope/tui"
)

// startDemo runs the demo for one test.
func startDemo(t *testing.T) *demo.Env {
	t.Helper()
	env, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	return env
}

func testEngine(t *testing.T) *probe.Engine {
	t.Helper()
	eng, err := probe.New(probe.Config{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

// observeReport probes raw in observe mode (one round) through eng, as the
// view does, which also fills the cache with every variant.
func observeReport(t *testing.T, eng runner.Engine, raw string, origins ...string) cachemodel.TargetReport {
	t.Helper()
	u, err := cachemodel.ParseTargetURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	plans := []cachemodel.TargetPlan{cachemodel.BuildObservePlan(0, u, cachemodel.PlanOptions{Origins: origins, Rounds: 1, UserAgent: "corscope/test"})}
	var rep cachemodel.TargetReport
	err = runner.Stream(context.Background(), eng, plans, func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
	}, runner.Hooks{OnTarget: func(r cachemodel.TargetReport) error { rep = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// envMap is a getenv over fixed values.
func envMap(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// demoPurger is the view's purger pointed at the demo, its audit log in a
// temporary directory.
func demoPurger(t *testing.T, env *demo.Env, eng runner.Engine) (*tuiPurger, string) {
	t.Helper()
	audit := filepath.Join(t.TempDir(), "purge.log")
	return &tuiPurger{
		providers: []config.Purge{demoPurgeEntry(env)},
		getenv:    envMap(map[string]string{demoTokenEnv: env.Token}),
		userAgent: "corscope/test", engine: eng,
		auditPath: func() (string, error) { return audit, nil },
	}, audit
}

func checksByLabel(out tui.PurgeOutcome) map[string]tui.PurgeCheck {
	m := map[string]tui.PurgeCheck{}
	for _, c := range out.Checks {
		m[c.Label] = c
	}
	return m
}

// TestTUIPurgerOnTheDemo purges through the demo's Cloudflare-shaped API
// and verifies through the demo CDN: on the path the CDN keys on Origin
// every addressable copy goes and the null one (Cloudflare's API takes no
// "null" Origin) is named as still cached; on the missing-Vary path the
// one shared copy goes and the re-probe's own refill is reported unknown.
func TestTUIPurgerOnTheDemo(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	p, auditPath := demoPurger(t, env, eng)
	app, admin := env.Origins[0], env.Origins[1]

	keyed := observeReport(t, eng, env.CDNURL+"/cors/keyed.json", app, admin)
	plan, err := p.PurgePlan(context.Background(), tui.PurgeRequest{Report: keyed})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan.Lines, "\n")
	for _, want := range []string{"Purge 4 cached copies of 1 URL", "1 more cannot be targeted by this provider", "cloudflare zone " + env.ZoneID + ": 1 request", "not purged (this provider cannot target them):", keyed.URL + " null: "} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if plan.Confirm != "" {
		t.Errorf("a URL purge asks to type %q", plan.Confirm)
	}
	before := len(env.PurgeAPI.Requests())
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: keyed})
	if err != nil {
		t.Fatal(err)
	}
	if out.After == nil || out.After.URL != keyed.URL || len(out.After.Variants) != 5 {
		t.Fatalf("no re-probe of the target: %+v", out.After)
	}
	got := checksByLabel(out)
	for _, label := range []string{"(no Origin)", app, admin, env.CDNURL} {
		if got[label].Verdict != tui.VerdictPurged {
			t.Errorf("keyed %s: %+v, want purged", label, got[label])
		}
	}
	if c := got["null"]; c.Verdict != tui.VerdictStillCached || !strings.Contains(c.Reason, "not included in the purge") || !strings.Contains(c.Reason, `not "null"`) {
		t.Errorf("keyed null: %+v", c)
	}
	if !strings.Contains(out.Summary, "purged 4 copies with 1 request (1 could not be targeted); re-probed: 4 purged, 1 still cached, 0 unknown") {
		t.Errorf("summary %q", out.Summary)
	}
	reqs := env.PurgeAPI.Requests()[before:]
	if len(reqs) != 1 || !reqs[0].Authorized || !reqs[0].Success || reqs[0].Removed != 4 {
		t.Fatalf("purge API saw %+v", reqs)
	}
	var body struct {
		Files []json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil || len(body.Files) != 4 {
		t.Fatalf("files: %v %s", err, reqs[0].Body)
	}
	if !strings.Contains(strings.Join(out.Lines, "\n"), "[4 copies] → success (id ") || !strings.Contains(out.Lines[len(out.Lines)-1], "audit log: appended to "+auditPath) {
		t.Errorf("request lines:\n%s", strings.Join(out.Lines, "\n"))
	}
	var entry purge.AuditEntry
	data, err := os.ReadFile(auditPath)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if err != nil || len(lines) != 3 || !strings.Contains(lines[0], `"event":"sending"`) || !strings.Contains(lines[1], `"event":"result"`) ||
		json.Unmarshal([]byte(lines[2]), &entry) != nil || entry.Event != purge.EventBatch || entry.Provider != "cloudflare" || entry.Account != env.ZoneID || entry.Copies != 4 || entry.Outcome != "ok" {
		t.Errorf("audit log %v: %s", err, data)
	}

	noVary := observeReport(t, eng, env.CDNURL+"/cors/no-vary.json", app, admin)
	out, err = p.Purge(context.Background(), tui.PurgeRequest{Report: noVary})
	if err != nil {
		t.Fatal(err)
	}
	got = checksByLabel(out)
	if got[app].Verdict != tui.VerdictPurged {
		t.Errorf("no-vary: the first re-probe should find the copy gone: %+v", got[app])
	}
	for _, label := range []string{"(no Origin)", admin, env.CDNURL, "null"} {
		// They hit the copy the first re-probe stored: not the one they
		// were served before the purge (taken as the baseline), which
		// had no ACAO.
		if c := got[label]; c.Verdict != tui.VerdictPurged || !strings.Contains(c.Reason, "HIT on another copy than before the purge (Access-Control-Allow-Origin: "+app+" appeared)") {
			t.Errorf("no-vary %s: %+v, want purged (another copy than the pre-purge one)", label, c)
		}
	}
	for _, s := range append(append(out.Lines, out.Summary), text) {
		if strings.Contains(s, env.Token) {
			t.Fatalf("token in %q", s)
		}
	}
}

// TestTUIPurgerNeverShowsTheToken: an API that echoes the token in its
// answers (errors, ids, headers) never gets it onto the screen.
func TestTUIPurgerNeverShowsTheToken(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	const token = "s3cr3t-T0KEN-value"
	fail := true
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("X-Echo", got)
		w.Header().Set("Content-Type", "application/json")
		if fail {
			w.WriteHeader(http.StatusForbidden)
			var esc strings.Builder // the token again, JSON-escaped (issue 11 item 11)
			for _, r := range got {
				fmt.Fprintf(&esc, `\u%04x`, r)
			}
			_, _ = io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"bad token `+got+` `+esc.String()+`"}],"result":null}`)
			return
		}
		_, _ = io.WriteString(w, `{"success":true,"errors":[],"result":{"id":"`+got+`"}}`)
	}))
	defer api.Close()
	entry := config.Purge{Provider: config.PurgeCloudflare, Hosts: []string{"127.0.0.1"}, TokenEnv: "X_TOKEN", APIBase: api.URL, ZoneID: "zone1"}
	p := &tuiPurger{providers: []config.Purge{entry}, getenv: envMap(map[string]string{"X_TOKEN": token}),
		engine: eng, auditPath: func() (string, error) { return filepath.Join(t.TempDir(), "a.log"), nil }}
	rep := observeReport(t, eng, env.CDNURL+"/cors/vary.json", env.Origins...)
	req := tui.PurgeRequest{Report: rep}

	var shown []string
	plan, err := p.PurgePlan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	shown = append(shown, plan.Lines...)
	out, err := p.Purge(context.Background(), req)
	if err == nil || !errors.Is(err, purge.ErrAPI) || !strings.Contains(err.Error(), "bad token [REDACTED]") {
		t.Fatalf("refused purge: %v", err)
	}
	shown = append(append(shown, out.Lines...), out.Summary, err.Error())
	fail = false
	out, err = p.Purge(context.Background(), req)
	if err != nil || out.After == nil {
		t.Fatalf("accepted purge: %v, after %v", err, out.After)
	}
	after, _ := json.Marshal(out.After)
	shown = append(append(shown, out.Lines...), out.Summary, string(after))
	for _, c := range out.Checks {
		shown = append(shown, c.Reason)
	}
	all := strings.Join(shown, "\n")
	if strings.Contains(all, token) {
		t.Fatalf("the token reached the view:\n%s", all)
	}
	if strings.Contains(all, `\u0073\u0033`) || !strings.Contains(all, "bad token [REDACTED] [REDACTED]") {
		t.Errorf("the escaped token reached the view:\n%s", all)
	}
	if !strings.Contains(all, "(id [REDACTED])") {
		t.Errorf("an echoed id should be shown redacted:\n%s", all)
	}
}

func TestTUIPurgerRefusals(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	rep := observeReport(t, eng, env.CDNURL+"/cors/wildcard.json", env.Origins...)
	req := tui.PurgeRequest{Report: rep}
	cf := demoPurgeEntry(env)
	httpEntry := config.Purge{Provider: config.PurgeHTTP, Hosts: []string{"127.0.0.1"}, Method: "PURGE"}
	fastly := config.Purge{Provider: config.PurgeFastly, Hosts: []string{"127.0.0.1"}, APIBase: "http://127.0.0.1:9", ServiceID: "SU1Z0isxPaozGVKXdv0eY"}
	other := cf
	other.Hosts = []string{"cdn.example.com"}
	cases := []struct {
		name      string
		entries   []config.Purge
		env       map[string]string
		req       tui.PurgeRequest
		want      string
		isConfig  bool
		confirm   string
		confirmOf string
	}{
		{name: "no provider", req: req, want: "no purge provider configured: add a [[purge]] entry"},
		{name: "token unset", entries: []config.Purge{cf}, req: req, want: "set $" + demoTokenEnv, isConfig: true},
		{name: "token too short", entries: []config.Purge{cf}, env: map[string]string{demoTokenEnv: "x"}, req: req, want: "shorter than 8 characters (value not shown)", isConfig: true},
		{name: "host not served", entries: []config.Purge{other}, env: map[string]string{demoTokenEnv: "x-token-1234"}, req: req, want: "no purge provider serves 127.0.0.1", isConfig: true},
		{name: "everything over http", entries: []config.Purge{httpEntry}, req: tui.PurgeRequest{Report: rep, Everything: true}, want: "the http provider purges URLs only", isConfig: true},
		{name: "everything: type the zone", entries: []config.Purge{cf}, env: map[string]string{demoTokenEnv: "x-token-1234"}, req: tui.PurgeRequest{Report: rep, Everything: true},
			confirm: env.ZoneID, confirmOf: "zone ID"},
		{name: "everything: type the service", entries: []config.Purge{fastly}, env: map[string]string{"FASTLY_API_TOKEN": "x-token-1234"}, req: tui.PurgeRequest{Report: rep, Everything: true},
			confirm: "SU1Z0isxPaozGVKXdv0eY", confirmOf: "service ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &tuiPurger{providers: c.entries, getenv: envMap(c.env), engine: eng}
			plan, err := p.PurgePlan(context.Background(), c.req)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) || c.isConfig != errors.Is(err, purge.ErrConfig) {
					t.Fatalf("err %v, want %q (config error %v)", err, c.want, c.isConfig)
				}
				if _, err := p.Purge(context.Background(), c.req); err == nil {
					t.Fatal("Purge went ahead where the plan was refused")
				}
				return
			}
			if err != nil || plan.Confirm != c.confirm || plan.ConfirmWhat != c.confirmOf {
				t.Fatalf("plan %+v, err %v", plan, err)
			}
			if !strings.Contains(strings.Join(plan.Lines, "\n"), "PURGE EVERYTHING") {
				t.Errorf("plan:\n%s", strings.Join(plan.Lines, "\n"))
			}
		})
	}
}

// TestTUIPurgerLeavesGeneratedOriginsOut: an isolate result is purged for
// its plain variants on the real URL; the attacker-style origins it sent to
// fresh cache keys are neither purged nor sent to the real URL.
func TestTUIPurgerLeavesGeneratedOriginsOut(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	p, _ := demoPurger(t, env, eng)
	u, _ := cachemodel.ParseTargetURL(env.CDNURL + "/cors/reflect-any.json")
	plan := cachemodel.BuildIsolatePlan(0, u, cachemodel.PlanOptions{Origins: env.Origins, Rounds: 2}, cachemodel.IsolateOptions{Param: "corscope", Rand: strings.NewReader(strings.Repeat("k", 4096))})
	var rep cachemodel.TargetReport
	if err := runner.Stream(context.Background(), eng, []cachemodel.TargetPlan{plan}, func(p cachemodel.TargetPlan, obs []cachemodel.Observation) cachemodel.TargetReport {
		return cachemodel.Analyze(p, obs, cachemodel.AnalyzeOptions{})
	}, runner.Hooks{OnTarget: func(r cachemodel.TargetReport) error { rep = r; return nil }}); err != nil {
		t.Fatal(err)
	}
	generated := 0
	for _, v := range rep.Variants {
		if v.Kind.IsGenerated() {
			generated++
		}
	}
	if generated == 0 {
		t.Fatal("the isolate run sent no generated origins; the test proves nothing")
	}
	pp, err := p.PurgePlan(context.Background(), tui.PurgeRequest{Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(pp.Lines, "\n")
	if !strings.Contains(text, "Purge 4 cached copies") || !strings.Contains(text, "1 more cannot be targeted") || !strings.Contains(text, "isolate run") {
		t.Errorf("plan:\n%s", text)
	}
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.After.Variants {
		if v.Kind.IsGenerated() || v.Experiment != "" || v.Request.URL != u.String() {
			t.Errorf("re-probe sent %s %q to %s", v.Kind, v.Label, v.Request.URL)
		}
	}
}

// TestTUIPurgerSaysWhyItFailed: a refused purge in the view explains itself
// as `corscope purge` does (one purge.Flow): what the 403 means for the
// token, named by its variable, and which copies were not purged.
func TestTUIPurgerSaysWhyItFailed(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"result":null}`)
	}))
	defer api.Close()
	entry := config.Purge{Provider: config.PurgeCloudflare, Hosts: []string{"127.0.0.1"}, TokenEnv: "X_TOKEN", APIBase: api.URL, ZoneID: "zone1"}
	p := &tuiPurger{providers: []config.Purge{entry}, getenv: envMap(map[string]string{"X_TOKEN": "a-token-of-some-length"}),
		engine: eng, auditPath: func() (string, error) { return filepath.Join(t.TempDir(), "a.log"), nil }}
	rep := observeReport(t, eng, env.CDNURL+"/cors/vary.json", env.Origins...)
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep})
	if !errors.Is(err, purge.ErrAPI) {
		t.Fatalf("err %v, want the API's refusal", err)
	}
	text := strings.Join(out.Lines, "\n")
	for _, want := range []string{
		"hint: cloudflare zone zone1 answered 403: the token in $X_TOKEN was recognised but lacks the Cache Purge permission",
		"purged 0 of 5 cached copies; not purged:",
		"  ✗ " + rep.URL + "  (no Origin): ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the outcome lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(out.Lines[len(out.Lines)-1], "audit log: appended to ") {
		t.Errorf("the audit line is not last:\n%s", text)
	}
}

// TestTUIPurgerSendsWhatWasConfirmed: the purge sent is the job the
// confirmed plan was made from, not one laid out again afterwards.
func TestTUIPurgerSendsWhatWasConfirmed(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	var mu sync.Mutex
	hits := map[string]int{}
	api := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[name]++
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"success":true,"errors":[],"result":{"id":"x"}}`)
		}))
		t.Cleanup(s.Close)
		return s
	}
	shown, later := api("shown"), api("later")
	entry := config.Purge{Provider: config.PurgeCloudflare, Hosts: []string{"127.0.0.1"}, TokenEnv: "X_TOKEN", APIBase: shown.URL, ZoneID: "zone1"}
	p := &tuiPurger{providers: []config.Purge{entry}, getenv: envMap(map[string]string{"X_TOKEN": "a-token-of-some-length"}),
		engine: eng, auditPath: func() (string, error) { return filepath.Join(t.TempDir(), "a.log"), nil }}
	rep := observeReport(t, eng, env.CDNURL+"/cors/vary.json", env.Origins...)
	plan, err := p.PurgePlan(context.Background(), tui.PurgeRequest{Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	entry.APIBase = later.URL // what a second Prepare would route to
	p.providers = []config.Purge{entry}
	if _, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep, Prepared: plan.Prepared}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["shown"] != 1 || hits["later"] != 0 {
		t.Errorf("requests: %v; want the one confirmed (shown) only", hits)
	}
}

// TestTUIPurgerKeepsVariantOrder: the re-probe after a purge comes back in
// the order of the report purged (the verification sends no Origin last),
// so the matrix and an export keep the columns the user knew.
func TestTUIPurgerKeepsVariantOrder(t *testing.T) {
	env := startDemo(t)
	eng := testEngine(t)
	p, _ := demoPurger(t, env, eng)
	rep := observeReport(t, eng, env.CDNURL+"/cors/keyed.json", env.Origins...)
	out, err := p.Purge(context.Background(), tui.PurgeRequest{Report: rep})
	if err != nil || out.After == nil {
		t.Fatalf("purge: %v, after %v", err, out.After)
	}
	var before, after, checks []string
	for _, v := range rep.Variants {
		if !slices.Contains(before, v.Label) {
			before = append(before, v.Label)
		}
	}
	for _, v := range out.After.Variants {
		after = append(after, v.Label)
	}
	for _, c := range out.Checks {
		checks = append(checks, c.Label)
	}
	if strings.Join(after, ",") != strings.Join(before, ",") || strings.Join(checks, ",") != strings.Join(before, ",") {
		t.Errorf("after the purge: variants %v, checks %v; want the order before it %v", after, checks, before)
	}
}
