package purge

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// flowFixture is a Flow for one URL with two Origins, purged through a
// fake Cloudflare API and verified through a fake engine whose cache
// answers MISS once purged and HIT before.
func flowFixture(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) (*Flow, *fakeAPI, *fakeEngine, string) {
	t.Helper()
	api := newFakeAPI(t, answer)
	e := Settings{Provider: ProviderCloudflare, APIBase: api.URL, ZoneID: "zone1", BatchSize: 30, TokenEnv: "T"}
	job, err := Prepare(urlPlan(t, []string{"https://cdn.example.com/x.json"}, "https://app.example.com", "https://b.example.com"),
		Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"T": testToken})})
	if err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{answer: func(string, string) (cachemodel.Headers, bool) {
		if len(api.requests()) > 0 {
			return cfStatus("MISS", ""), true
		}
		return cfStatus("HIT", "100"), true
	}}
	audit := filepath.Join(t.TempDir(), "purge.log")
	f := &Flow{Job: job, Probes: []Probe{{Engine: eng}}, Exec: ExecOptions{Sleep: (&sleepRecorder{}).sleep},
		AuditPath: func() (string, error) { return audit, nil }}
	return f, api, eng, audit
}

// TestFlowRunsTheSteps: credentials, confirmation, fingerprints, the
// requests (with the audit log around them), then the re-probe; progress
// in that order; the outcome says every copy is gone.
func TestFlowRunsTheSteps(t *testing.T) {
	f, api, eng, audit := flowFixture(t, func(_ int, w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, cfOK("p1")) })
	var steps []string
	f.Confirm = func(context.Context, *Job) error {
		steps = append(steps, "confirm")
		if len(eng.steps) != 0 || len(api.requests()) != 0 {
			t.Error("something was fetched or sent before the confirmation")
		}
		return nil
	}
	f.OnProgress = func(p Progress) {
		steps = append(steps, map[ProgressKind]string{ProgressSending: "sending", ProgressResult: "result", ProgressWait: "wait", ProgressVerifying: "verifying"}[p.Kind])
		if p.Kind == ProgressSending && len(eng.steps) != 6 {
			t.Errorf("sending after %d fingerprint fetches, want 6 (two per copy)", len(eng.steps))
		}
	}
	out, err := f.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(steps, ","); got != "confirm,sending,result,verifying" {
		t.Errorf("steps %s", got)
	}
	if out.Verdict() != VerdictGone || !out.Verified || out.Checked() != 3 || out.Count(Purged) != 3 {
		t.Errorf("verdict %v, verified %v, %d checked, %d purged", out.Verdict(), out.Verified, out.Checked(), out.Count(Purged))
	}
	data, err := os.ReadFile(audit)
	if err != nil || out.AuditPath != audit || out.AuditErr != nil || strings.Count(string(data), "\n") != 3 {
		t.Errorf("audit log %v %v: %s", err, out.AuditErr, data)
	}
	if strings.Contains(string(data), testToken) {
		t.Error("the token is in the audit log")
	}
}

// TestFlowStopsBeforeSending: a refused confirmation, a missing token or
// an interruption while fingerprinting sends nothing and writes no audit
// line.
func TestFlowStopsBeforeSending(t *testing.T) {
	refused := errors.New("aborted: nothing was purged")
	for _, c := range []struct {
		name string
		set  func(f *Flow, cancel context.CancelFunc)
		want func(error) bool
	}{
		{"confirmation refused", func(f *Flow, _ context.CancelFunc) {
			f.Confirm = func(context.Context, *Job) error { return refused }
		}, func(err error) bool { return errors.Is(err, refused) }},
		{"token unset", func(f *Flow, _ context.CancelFunc) {
			f.Job.Batches[0].token = readSecret("T", testEnv(nil))
		}, func(err error) bool { return errors.Is(err, ErrConfig) }},
		{"interrupted while fingerprinting", func(f *Flow, cancel context.CancelFunc) {
			eng := f.Probes[0].Engine.(*fakeEngine)
			inner := eng.answer
			eng.answer = func(u, o string) (cachemodel.Headers, bool) { cancel(); return inner(u, o) }
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, api, _, audit := flowFixture(t, func(_ int, w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, cfOK("p1")) })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c.set(f, cancel)
			_, err := f.Run(ctx)
			if !c.want(err) {
				t.Errorf("err %v", err)
			}
			if n := len(api.requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			if _, err := os.Stat(audit); !os.IsNotExist(err) {
				t.Errorf("an audit log was written: %v", err)
			}
		})
	}
}

// TestFlowVerdicts: the one answer both the CLI's exit code and the
// view's headline take: still cached beats unknown; a failed re-probe is
// unknown, never gone; nothing re-probed is "sent", never "gone".
func TestFlowVerdicts(t *testing.T) {
	check := func(o VerifyOutcome) VariantCheck { return VariantCheck{Outcome: o} }
	edge := func(cs ...VariantCheck) []EdgeCheck { return []EdgeCheck{{Verification: Verification{Checks: cs}}} }
	for _, c := range []struct {
		name string
		out  Outcome
		want Verdict
	}{
		{"all gone", Outcome{Verified: true, Edges: edge(check(Purged), check(Purged))}, VerdictGone},
		{"one still cached", Outcome{Verified: true, Edges: edge(check(Purged), check(Unknown), check(StillCached))}, VerdictStillCached},
		{"one unknown", Outcome{Verified: true, Edges: edge(check(Purged), check(Unknown))}, VerdictUnknown},
		{"still cached at the second edge", Outcome{Verified: true, Edges: append(edge(check(Purged)), edge(check(StillCached))...)}, VerdictStillCached},
		{"re-probe failed", Outcome{VerifyErr: errors.New("verification: boom")}, VerdictUnknown},
		{"re-probe interrupted", Outcome{VerifyErr: context.Canceled}, VerdictInterrupted},
		{"not verified", Outcome{}, VerdictSent},
		{"nothing to re-probe", Outcome{Verified: true, Edges: edge()}, VerdictSent},
		{"API failed", Outcome{Err: ErrAPI}, VerdictFailed},
		{"pending", Outcome{Err: ErrPending}, VerdictPending},
		{"config", Outcome{Err: ErrConfig}, VerdictConfig},
		{"interrupted", Outcome{Err: context.Canceled}, VerdictInterrupted},
	} {
		if got := c.out.Verdict(); got != c.want {
			t.Errorf("%s: verdict %d, want %d", c.name, got, c.want)
		}
	}
}
