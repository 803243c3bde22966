package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// Issue 16, item 3: --format jsonl writes one compact JSON object per
// target per line, as each target completes, then one line with the
// summary (and the envelope's schema, tool, generated_at and mode); every
// object is the one the json format writes.
func TestJSONLinesMatchJSON(t *testing.T) {
	at := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	targets := []cachemodel.TargetReport{poisoned(), poisoned(), poisoned()}
	targets[1].URL = "https://cdn.example.com/other\u2028.js"
	var sum cachemodel.Summary
	for _, tr := range targets {
		sum.Add(tr)
	}
	write := func(format string, afterTarget func(i int, out string)) string {
		var b bytes.Buffer
		w := NewWriter(format, &b, Options{Tool: "corscope test", Mode: "isolate"})
		switch jw := w.(type) {
		case *jsonWriter:
			jw.now = func() time.Time { return at }
		case *jsonlWriter:
			jw.now = func() time.Time { return at }
		default:
			t.Fatalf("%s: writer %T", format, w)
		}
		if err := w.Begin(); err != nil {
			t.Fatal(err)
		}
		for i, tr := range targets {
			if err := w.Target(tr); err != nil {
				t.Fatal(err)
			}
			if afterTarget != nil {
				afterTarget(i, b.String())
			}
		}
		if err := w.End(sum); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(write("json", nil)), &doc); err != nil {
		t.Fatal(err)
	}
	out := write("jsonl", func(i int, out string) {
		// Streamed: target i's line is out before the next target.
		if n := strings.Count(out, "\n"); n != i+1 || !strings.HasSuffix(out, "}\n") {
			t.Errorf("after target %d: %d complete lines written", i, n)
		}
	})
	assertNoControls(t, out)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var lines []map[string]any
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.ContainsAny(line, "\n\r") || len(line) == 0 || line[0] != '{' {
			t.Fatalf("not one JSON object per line: %q", line)
		}
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("line %d: %v: %s", len(lines)+1, err, line)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, line); err != nil || compact.Len() != len(line) {
			t.Errorf("line %d is not compact", len(lines)+1)
		}
		lines = append(lines, v)
	}
	if len(lines) != len(targets)+1 {
		t.Fatalf("%d lines, want %d targets and the summary", len(lines), len(targets))
	}
	want := doc["targets"].([]any)
	for i := range targets {
		if !reflect.DeepEqual(lines[i], want[i]) {
			t.Errorf("target %d differs from the json format:\njsonl %v\njson  %v", i, lines[i], want[i])
		}
	}
	last := lines[len(targets)]
	for _, k := range []string{"schema", "tool", "generated_at", "mode", "summary"} {
		if !reflect.DeepEqual(last[k], doc[k]) {
			t.Errorf("last line %s = %v, json has %v", k, last[k], doc[k])
		}
	}
	if len(last) != 5 {
		t.Errorf("last line has keys %v", last)
	}
}
