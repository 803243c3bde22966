package purge

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

var routingEntries = []Settings{
	{Provider: ProviderCloudflare, Hosts: []string{"*.example.com", "example.com"}, APIBase: DefaultCloudflareAPI, ZoneID: "zone1", BatchSize: 30},
	{Provider: ProviderFastly, Hosts: []string{"static.example.net"}, APIBase: DefaultFastlyAPI, ServiceID: "svc1"},
	{Provider: ProviderHTTP, Hosts: []string{"origin.example.org"}, Method: "PURGE"},
}

func TestPrepareRoutesByHostGlob(t *testing.T) {
	plan := urlPlan(t, []string{
		"https://www.example.com/a", "https://static.example.net/b", "https://example.com/c", "http://origin.example.org/d",
	}, "https://app.example.com")
	job, err := Prepare(plan, Options{Providers: routingEntries, Getenv: testEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, b := range job.Batches {
		for _, tg := range b.Targets {
			got[b.Provider] = append(got[b.Provider], tg.URL)
		}
	}
	want := map[string][]string{
		"cloudflare": {"https://www.example.com/a", "https://example.com/c"},
		"fastly":     {"https://static.example.net/b"},
		"http":       {"http://origin.example.org/d"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("routing %v, want %v", got, want)
	}
	if job.Batches[0].Entry != 0 || job.Batches[1].Entry != 1 || job.Batches[2].Entry != 2 {
		t.Errorf("entries %d %d %d", job.Batches[0].Entry, job.Batches[1].Entry, job.Batches[2].Entry)
	}
	// cloudflare: 1 request (4 files); fastly: 1 per URL; http: 1 per variant.
	if n := job.RequestCount(); n != 1+1+2 {
		t.Errorf("%d requests", n)
	}
}

func TestPrepareErrors(t *testing.T) {
	cases := []struct {
		name string
		plan cachemodel.PurgePlan
		opt  Options
		want string
	}{
		{"unserved host", urlPlan(t, []string{"https://elsewhere.org/x"}), Options{Providers: routingEntries}, "no purge provider serves elsewhere.org"},
		{"nothing configured", urlPlan(t, []string{"https://elsewhere.org/x"}), Options{}, "no purge provider configured"},
		{"unknown provider", urlPlan(t, []string{"https://a.example.com/x"}), Options{Provider: "akamai"}, `unknown provider "akamai"`},
		{"cloudflare needs an entry", urlPlan(t, []string{"https://a.example.com/x"}), Options{Provider: "cloudflare"}, "needs a [[purge]] entry"},
		{"forced provider with no matching entry", urlPlan(t, []string{"https://elsewhere.org/x"}), Options{Providers: routingEntries, Provider: "fastly"}, "elsewhere.org"},
		{"tag purge, several providers, no URL", scopePlan(t, cachemodel.PurgeTags, []string{"t"}), Options{Providers: routingEntries}, "3 purge providers are configured"},
	}
	for _, c := range cases {
		_, err := Prepare(c.plan, c.opt)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one-line ErrConfig with %q", c.name, err, c.want)
		}
	}
}

func TestPrepareForcedProvider(t *testing.T) {
	// --provider http with no http entry: a default PURGE to the URL itself,
	// whatever the host.
	job, err := Prepare(urlPlan(t, []string{"https://anything.test/x"}, "https://a.test"), Options{Provider: "http"})
	if err != nil {
		t.Fatal(err)
	}
	b := job.Batches[0]
	if b.Provider != "http" || b.Entry != -1 || len(b.Requests) != 2 || b.Requests[0].Method != "PURGE" || b.Requests[0].URL != "https://anything.test/x" {
		t.Errorf("batch %+v", b)
	}
	// --provider fastly picks the fastly entry even for a host the
	// cloudflare entry would have matched first.
	job, err = Prepare(urlPlan(t, []string{"https://static.example.net/x"}), Options{Providers: routingEntries, Provider: "fastly"})
	if err != nil || job.Batches[0].Provider != "fastly" {
		t.Errorf("forced fastly: %+v %v", job, err)
	}
	// One configured provider serves a tag purge without URLs.
	job, err = Prepare(scopePlan(t, cachemodel.PurgeTags, []string{"t"}), Options{Providers: routingEntries[:1]})
	if err != nil || job.Batches[0].Provider != "cloudflare" || string(job.Batches[0].Requests[0].Body) != `{"tags":["t"]}` {
		t.Errorf("tag purge via the only provider: %+v %v", job, err)
	}
}

func TestDescribePlan(t *testing.T) {
	job, err := Prepare(urlPlan(t, []string{"https://www.example.com/a", "https://static.example.net/b"}, "https://app.example.com"),
		Options{Providers: routingEntries, Getenv: testEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	d := DescribePlan(job)
	for _, want := range []string{
		"Purge 4 cached copies of 2 URLs (each Origin variant separately) with 2 requests:",
		"cloudflare zone zone1: 1 request",
		"https://www.example.com/a  (no Origin), https://app.example.com",
		"fastly service svc1: 1 request",
		"note: Fastly's URL purge removes every Vary variant",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("describe lacks %q:\n%s", want, d)
		}
	}
	job, _ = Prepare(scopePlan(t, cachemodel.PurgeEverything, nil, "https://www.example.com/a"), Options{Providers: routingEntries})
	if d := DescribePlan(job); !strings.HasPrefix(d, "PURGE EVERYTHING: every cached object of cloudflare zone zone1") || !strings.Contains(d, "re-probed afterwards: 1 URL") {
		t.Errorf("everything:\n%s", d)
	}
	job, _ = Prepare(scopePlan(t, cachemodel.PurgePrefixes, []string{"www.example.com/assets/"}), Options{Providers: routingEntries})
	if d := DescribePlan(job); !strings.HasPrefix(d, "Purge by prefix (www.example.com/assets/) with 1 request") {
		t.Errorf("prefix:\n%s", d)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := readSecret("X", testEnv(map[string]string{"X": "  " + testToken + "\n"}))
	if !s.present() || s.value() != testToken {
		t.Fatal("value not read (trimmed)")
	}
	holder := struct {
		Name string
		tok  *secret
		Tok  *secret
	}{"x", s, s}
	data, _ := json.Marshal(holder)
	texts := []string{
		fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", holder, holder, holder),
		fmt.Sprint(*s), fmt.Sprintf("%#v", *s), string(data), s.placeholder(),
	}
	assertNoToken(t, "secret", texts...)
	if s.placeholder() != "[REDACTED: $X]" {
		t.Errorf("placeholder %q", s.placeholder())
	}
	for _, in := range []string{testToken, "x=" + testToken + "&y", "a%2F" + strings.ReplaceAll(testToken, "-", "-")} {
		if out := s.scrub(in); strings.Contains(out, testToken) || !strings.Contains(out, Redacted) {
			t.Errorf("scrub(%q) = %q", in, out)
		}
	}
	if readSecret("UNSET", testEnv(nil)).present() {
		t.Error("an unset variable is not a secret")
	}
}

func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	path, err := AuditPath(testEnv(map[string]string{"XDG_STATE_HOME": dir, "HOME": "/nonexistent"}))
	if err != nil || path != filepath.Join(dir, "corscope", "purge.log") {
		t.Fatalf("path %q %v", path, err)
	}
	if p, _ := AuditPath(testEnv(map[string]string{"XDG_STATE_HOME": "relative/dir", "HOME": "/home/u"})); p != "/home/u/.local/state/corscope/purge.log" {
		t.Errorf("relative XDG_STATE_HOME must be ignored: %q", p)
	}
	if _, err := AuditPath(testEnv(nil)); err == nil {
		t.Error("no location: want an error")
	}

	plan := urlPlan(t, twoURLs, twoOrigins...)
	e := Settings{Provider: ProviderCloudflare, APIBase: "http://127.0.0.1:1/client/v4", ZoneID: "zone9", BatchSize: 4, TokenEnv: "T"}
	job, err := Prepare(plan, Options{Providers: []Settings{e}, Getenv: testEnv(map[string]string{"T": testToken})})
	if err != nil {
		t.Fatal(err)
	}
	fin := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	res := Result{Finished: fin, Requests: []RequestResult{
		{Batch: 0, Index: 0, Request: job.Batches[0].Requests[0], Attempts: 2, OK: true, IDs: []string{"id-a"}},
		{Batch: 0, Index: 1, Request: job.Batches[0].Requests[1], Attempts: 1, Message: "Cloudflare API refused the purge: code 1016 [REDACTED]", Err: errors.New("x")},
	}}
	entries := AuditEntries(job, res)
	if len(entries) != 1 {
		t.Fatalf("entries %+v", entries)
	}
	a := entries[0]
	if a.Provider != "cloudflare" || a.Account != "zone9" || a.Scope != "urls" || a.Requests != 2 || a.Attempts != 3 || a.Failed != 1 ||
		a.Copies != 6 || a.Outcome != "partial" || len(a.URLs) != 2 || a.IDs[0] != "id-a" || !a.Time.Equal(fin) {
		t.Errorf("entry %+v", a)
	}
	if err := AppendAudit(path, entries); err != nil {
		t.Fatal(err)
	}
	if err := AppendAudit(path, AuditEntries(job, Result{})); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, info.Mode().Perm(), want, err)
		}
	}
	f, _ := os.Open(path)
	defer f.Close()
	var lines []AuditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, e)
		assertNoToken(t, "audit line", sc.Text())
	}
	if len(lines) != 2 || lines[1].Outcome != "not-sent" {
		t.Errorf("lines %+v", lines)
	}
}
