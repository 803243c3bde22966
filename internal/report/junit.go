package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// junitWriter writes JUnit XML: one <testsuite> per run inside
// <testsuites>, one <testcase> per target. A target is counted once:
//
//   - a failure (one <failure> per finding at or above --fail-on) when it
//     has such findings: findings are answers, as in the exit code;
//   - else an error when its state is failed, partial or non-2xx (no
//     complete verdict);
//   - else skipped when it was canceled;
//   - else it passes. Findings below --fail-on and the state are in
//     <system-out>.
//
// The suite's counts are attributes of its start tag, so the test cases
// are buffered until End (a few hundred bytes per target).
type junitWriter struct {
	w     io.Writer
	opt   Options
	now   func() time.Time
	start time.Time
	cases bytes.Buffer

	tests, failures, errors, skipped int
	seconds                          float64
}

func (j *junitWriter) Begin() error {
	now := time.Now
	if j.now != nil {
		now = j.now
	}
	j.start = now().UTC().Truncate(time.Second)
	return nil
}

// xmlText makes untrusted text safe for a terminal (cat report.xml) and
// for XML character data and attribute values: termsafe first (it leaves
// no control characters, which XML 1.0 cannot carry), then XML escaping.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(termsafe.String(s)))
	return b.String()
}

// xmlLines is xmlText per line, keeping the line breaks.
func xmlLines(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = xmlText(l)
	}
	return strings.Join(out, "\n")
}

func (j *junitWriter) Target(tr cachemodel.TargetReport) error {
	state, detail := stateOf(tr)
	var secs float64
	for _, v := range tr.Variants {
		secs += v.Timing.TotalMS / 1000
	}
	j.tests++
	j.seconds += secs
	b := &j.cases
	fmt.Fprintf(b, "    <testcase name=\"%s\" classname=\"corscope.%s\" time=\"%s\">\n",
		xmlText(tr.URL), xmlText(string(tr.Provider)), strconv.FormatFloat(secs, 'f', 3, 64))
	var failing, other []cachemodel.Finding
	for _, f := range tr.Findings {
		if j.opt.FailOn != "" && f.Severity.Rank() >= j.opt.FailOn.Rank() {
			failing = append(failing, f)
		} else {
			other = append(other, f)
		}
	}
	stateLine := "state " + string(state)
	if detail != "" {
		stateLine += ": " + detail
	}
	switch {
	case len(failing) > 0:
		j.failures++
		for _, f := range failing {
			body := append([]string{f.Message}, f.Evidence...)
			if f.Fix != "" {
				body = append(body, "Fix: "+f.Fix)
			}
			fmt.Fprintf(b, "      <failure type=\"%s\" message=\"%s\">%s</failure>\n",
				xmlText(f.Rule), xmlText("["+string(f.Severity)+"] "+f.Message), xmlLines(body))
		}
	case state == cachemodel.StateCanceled:
		j.skipped++
		fmt.Fprintf(b, "      <skipped message=\"%s\"/>\n", xmlText("canceled: the run was interrupted before this target was answered"))
	case state.Unknown():
		j.errors++
		fmt.Fprintf(b, "      <error type=\"%s\" message=\"%s\">%s</error>\n",
			xmlText(string(state)), xmlText("no complete verdict: "+stateLine), xmlText(stateLine))
	}
	out := []string{stateLine}
	if hl := harLine(tr); hl != "" {
		out = append(out, hl)
	}
	for _, f := range other {
		out = append(out, "["+string(f.Severity)+"] "+f.Rule+": "+f.Message)
	}
	fmt.Fprintf(b, "      <system-out>%s</system-out>\n    </testcase>\n", xmlLines(out))
	return nil
}

func (j *junitWriter) End(s cachemodel.Summary) error {
	ew := &errWriter{w: j.w}
	ew.printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	ew.printf("<testsuites name=\"corscope\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
		j.tests, j.failures, j.errors, j.skipped, j.seconds)
	ew.printf("  <testsuite name=\"corscope check (%s)\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" timestamp=\"%s\">\n",
		xmlText(j.opt.Mode), j.tests, j.failures, j.errors, j.skipped, j.seconds, j.start.Format("2006-01-02T15:04:05"))
	ew.printf("    <properties>\n      <property name=\"tool\" value=\"%s\"/>\n      <property name=\"fail-on\" value=\"%s\"/>\n      <property name=\"summary\" value=\"%s\"/>\n    </properties>\n",
		xmlText(j.opt.Tool), xmlText(failOnName(j.opt.FailOn)), xmlText(summaryLine(s)))
	if ew.err == nil {
		_, ew.err = j.w.Write(j.cases.Bytes())
	}
	ew.printf("  </testsuite>\n</testsuites>\n")
	return ew.err
}

func failOnName(s cachemodel.Severity) string {
	if s == "" {
		return "none"
	}
	return string(s)
}
