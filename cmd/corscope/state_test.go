package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// Issue 11 item 3: an unreachable target, a 404 on every variant and a
// server without CORS must not read "ok" (nor exit 0 when there is no
// verdict). Each runs through check, as JSON and as a table, with the exit
// code asserted.

func deadURL(t *testing.T) string {
	t.Helper()
	l := httptest.NewServer(http.NotFoundHandler())
	u := l.URL
	l.Close() // nothing listens on this loopback port now
	return u + "/gone.js"
}

func notFoundServer(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		http.Error(w, "not found", http.StatusNotFound)
	}))
	t.Cleanup(s.Close)
	return s.URL + "/missing.js"
}

func noCORSServer(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("console.log(1)\n"))
	}))
	t.Cleanup(s.Close)
	return s.URL + "/app.js"
}

func okServer(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o == "https://app.example.com" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(s.Close)
	return s.URL + "/ok.json"
}

func TestCheckTargetStatesAndExitCodes(t *testing.T) {
	dead, nf, nocors, ok := deadURL(t), notFoundServer(t), noCORSServer(t), okServer(t)
	cases := []struct {
		name   string
		urls   []string
		extra  []string
		code   int
		states []cachemodel.TargetState
		table  []string // lines the table must contain
		rule   string   // a finding the JSON must carry
		stderr string
	}{
		{"unreachable", []string{dead}, nil, exitFailed, []cachemodel.TargetState{cachemodel.StateFailed},
			[]string{"state failed", "every request failed", "connection refused", "no findings, and no complete verdict (state failed)", "targets not ok: 1 failed"}, "", "every request failed"},
		{"unreachable next to a working target", []string{dead, ok}, nil, exitUnknown,
			[]cachemodel.TargetState{cachemodel.StateFailed, cachemodel.StateOK},
			[]string{"state failed", "state ok", "targets not ok: 1 failed"}, "", "no complete verdict for 1 of 2 targets (1 failed)"},
		{"404 everywhere", []string{nf}, nil, exitUnknown, []cachemodel.TargetState{cachemodel.StateNon2xx},
			[]string{"state non-2xx", "no request got a 2xx (status 404)", "targets not ok: 1 non-2xx"}, "", "1 non-2xx"},
		{"404 with a finding at --fail-on", []string{nf}, []string{"--fail-on", "low"}, exitFindings, []cachemodel.TargetState{cachemodel.StateNon2xx},
			[]string{"state non-2xx"}, "", ""},
		{"no CORS", []string{nocors}, nil, exitOK, []cachemodel.TargetState{cachemodel.StateCORSNotEnabled},
			[]string{"state cors-not-enabled", "[LOW] cors-not-enabled", "targets not ok: 1 cors-not-enabled"}, cachemodel.RuleCORSNotEnabled, ""},
		{"no CORS, fail on low", []string{nocors}, []string{"--fail-on", "low"}, exitFindings, []cachemodel.TargetState{cachemodel.StateCORSNotEnabled},
			nil, cachemodel.RuleCORSNotEnabled, ""},
		{"no CORS, --allow says allowed", []string{nocors}, []string{"--allow", "https://app.example.com", "--fail-on", "medium"}, exitFindings, []cachemodel.TargetState{cachemodel.StateCORSNotEnabled},
			[]string{"[MEDIUM] cors-not-enabled"}, cachemodel.RuleCORSNotEnabled, ""},
		{"ok", []string{ok}, nil, exitOK, []cachemodel.TargetState{cachemodel.StateOK}, []string{"state ok"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := append([]string{"check", "--mode", "observe", "--rounds", "1", "--timeout", "3s", "-o", "https://app.example.com"}, c.extra...)
			code, out, errs := runCLI(t, "", append(append(base, "--format", "json"), c.urls...)...)
			if code != c.code || !strings.Contains(errs, c.stderr) {
				t.Fatalf("json: exit %d, want %d; stderr %q (want %q)", code, c.code, errs, c.stderr)
			}
			rep := decodeReport(t, out)
			if len(rep.Targets) != len(c.states) {
				t.Fatalf("%d targets", len(rep.Targets))
			}
			for i, want := range c.states {
				tr := rep.Targets[i]
				if tr.State != want || (want != cachemodel.StateOK && tr.StateDetail == "") {
					t.Errorf("target %d: state %q (%q), want %q", i, tr.State, tr.StateDetail, want)
				}
				if rep.Summary.States[want] < 1 {
					t.Errorf("summary states %v lack %q", rep.Summary.States, want)
				}
			}
			if c.rule != "" {
				found := false
				for _, f := range rep.Targets[0].Findings {
					found = found || f.Rule == c.rule
				}
				if !found {
					t.Errorf("no %s finding: %+v", c.rule, rep.Targets[0].Findings)
				}
			}
			if !strings.Contains(out, `"states":{`) || !strings.Contains(out, `"state":"`) && !strings.Contains(out, `"state": "`) {
				t.Errorf("JSON lacks state fields:\n%s", out)
			}
			code, out, _ = runCLI(t, "", append(append(base, "--format", "table"), c.urls...)...)
			if code != c.code {
				t.Fatalf("table: exit %d, want %d", code, c.code)
			}
			for _, want := range c.table {
				if !strings.Contains(out, want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
			if len(c.states) == 1 && c.states[0] != cachemodel.StateOK && strings.Contains(out, "\n  no findings\n") {
				t.Errorf("table says plain \"no findings\":\n%s", out)
			}
		})
	}
}
