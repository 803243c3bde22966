package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLIEnv is runCLI with an environment.
func runCLIEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.run(context.Background(), args)
	return code, out.String(), errb.String()
}

// TestViewMergesVantagePoints (issue 14 item 3): three reports of one URL
// from three vantage points (labels from --label and CORSCOPE_LABEL); the
// first reaches a poisoned edge, the other two a clean one. view merges
// them by target, variant and edge into one table labelled by vantage,
// with edges-disagree naming the vantage point that got the poisoned copy.
func TestViewMergesVantagePoints(t *testing.T) {
	target, _, edgeB := twoEdges(t, "/cors/no-vary.json?vantage=1")
	dir := t.TempDir()
	common := []string{"check", "--format", "json", "--fail-on", "none", "--mode", "observe", "--rounds", "1", "-o", e2eOrigins[0], "-o", e2eOrigins[1]}
	runs := []struct {
		file string
		env  map[string]string
		args []string
	}{
		{"eu.json", nil, []string{"--label", "eu-west"}},
		{"us.json", map[string]string{"CORSCOPE_LABEL": "us-east"}, []string{"--edge", edgeB}},
		{"ap.json", map[string]string{"CORSCOPE_LABEL": "ignored"}, []string{"--label", "ap-south", "--edge", edgeB}},
	}
	var paths []string
	for _, r := range runs {
		code, out, errs := runCLIEnv(t, r.env, append(append(common, r.args...), target)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", r.file, code, errs)
		}
		p := filepath.Join(dir, r.file)
		if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for i, want := range []string{"eu-west", "us-east", "ap-south"} {
		data, _ := os.ReadFile(paths[i])
		if got := decodeReport(t, string(data)).Label; got != want {
			t.Errorf("%s: label %q, want %q", paths[i], got, want)
		}
	}

	code, out, errs := runCLI(t, "", append([]string{"view"}, paths...)...)
	if code != exitOK {
		t.Fatalf("view: exit %d: %s", code, errs)
	}
	t.Logf("merged view:\n%s", out)
	if n := strings.Count(out, "▸ "); n != 1 {
		t.Errorf("%d targets in the merged view, want 1", n)
	}
	flat := strings.Join(strings.Fields(out), " ") // findings wrap at 80 columns
	for _, want := range []string{
		"· from eu-west · @(DNS)", "· from us-east · @" + edgeB, "· from ap-south · @" + edgeB,
		"[eu-west] A cache served https://admin.example.com",
		"edges-disagree: The vantage points disagree: from eu-west a poisoned copy was served, from us-east, ap-south not",
		"1 target · 15 requests",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("merged view lacks %q", want)
		}
	}
	if strings.Contains(out, "[us-east] A cache served") || strings.Contains(out, "[ap-south] A cache served") {
		t.Error("a clean vantage point has a wrong-origin finding")
	}

	// Two reports of one label are compared, not merged; --merge merges.
	code, out, _ = runCLI(t, "", "view", paths[1], paths[1])
	if code != exitOK || strings.TrimSpace(out) != "no changes" {
		t.Errorf("same label: exit %d, %q; want the change list", code, out)
	}
	code, out, _ = runCLI(t, "", "view", "--merge", paths[1], paths[1])
	if code != exitOK || !strings.Contains(out, "· from us-east (us.json)") || !strings.Contains(out, "10 requests") {
		t.Errorf("--merge: exit %d:\n%s", code, out)
	}
	// Two labels differ: merged without --merge.
	code, out, _ = runCLI(t, "", "view", paths[0], paths[1])
	if code != exitOK || !strings.Contains(out, "· from eu-west") || !strings.Contains(out, "edges-disagree") {
		t.Errorf("two labels: exit %d:\n%s", code, out)
	}
}

func TestLabelBadInput(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"--label", strings.Repeat("x", 65)}},
		{nil, []string{"--label", "eu\x1b[31m"}},
		{map[string]string{"CORSCOPE_LABEL": "eu\u202e"}, nil},
	} {
		code, out, errs := runCLIEnv(t, c.env, append(append([]string{"check", "--format", "json"}, c.args...), "http://127.0.0.1:1/")...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || strings.Contains(errs, "\x1b") {
			t.Errorf("%v %v: exit %d, stdout %q, stderr %q", c.env, c.args, code, out, errs)
		}
	}
}
