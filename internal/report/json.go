package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// jsonWriter streams cachemodel.Report: the envelope first, then each
// target as it completes, then the summary. The whole output is one JSON
// document.
type jsonWriter struct {
	w   io.Writer
	opt Options
	n   int
	now func() time.Time
	// Reused between targets: a run of thousands of targets would
	// otherwise allocate a fresh buffer of a few KiB per target.
	out []byte
}

func (j *jsonWriter) Begin() error {
	now := time.Now
	if j.now != nil {
		now = j.now
	}
	head := struct {
		Schema      string    `json:"schema"`
		Tool        string    `json:"tool"`
		GeneratedAt time.Time `json:"generated_at"`
		Mode        string    `json:"mode"`
		Label       string    `json:"label,omitempty"`
	}{cachemodel.ReportSchema, j.opt.Tool, now().UTC().Truncate(time.Second), j.opt.Mode, j.opt.Label}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// Reopen the object so targets can follow: {"schema":...,"targets":[
	_, err = j.w.Write(append(append(b[:len(b)-1], `,"targets":[`...), '\n'))
	return err
}

// Target writes t indented like json.MarshalIndent(t, "  ", "  "), in one
// Write (terminal-active runes escaped, see appendJSONString).
func (j *jsonWriter) Target(t cachemodel.TargetReport) error {
	sep := "  "
	if j.n > 0 {
		sep = ",\n  "
	}
	return j.write(&t, sep, true, "")
}

// write encodes t between before and after into j.out and writes it; on
// an error nothing is written.
func (j *jsonWriter) write(t *cachemodel.TargetReport, before string, indent bool, after string) error {
	out, err := appendTargetJSON(append(j.out[:0], before...), t, indent)
	if err != nil {
		return err
	}
	out = append(out, after...)
	j.n++
	_, err = j.w.Write(out)
	j.out = out
	if cap(j.out) > 1<<20 {
		// Don't keep one outsized target's buffer for the whole run.
		j.out = nil
	}
	return err
}

func (j *jsonWriter) End(s cachemodel.Summary) error {
	b, err := json.Marshal(fullSummary(s))
	if err != nil {
		return err
	}
	_, err = j.w.Write([]byte("\n],\"summary\":" + string(b) + "}\n"))
	return err
}

// fullSummary fills in the maps a summary always shows, empty or zero.
func fullSummary(s cachemodel.Summary) cachemodel.Summary {
	if s.Findings == nil {
		s.Findings = map[cachemodel.Severity]int{}
	}
	if s.States == nil {
		s.States = map[cachemodel.TargetState]int{}
		for _, st := range cachemodel.TargetStates {
			s.States[st] = 0
		}
	}
	return s
}

// jsonlWriter writes JSON Lines: each target as one compact JSON object on
// its own line as it completes (the same object as in the json format's
// targets array), then one last line {"schema":...,"tool":...,
// "generated_at":...,"mode":...,"summary":{...}}. Nothing is written
// before the first target.
type jsonlWriter struct {
	jsonWriter
	started time.Time
}

// Begin notes the time the run started (generated_at); it writes nothing.
func (j *jsonlWriter) Begin() error {
	now := time.Now
	if j.now != nil {
		now = j.now
	}
	j.started = now().UTC().Truncate(time.Second)
	return nil
}

func (j *jsonlWriter) Target(t cachemodel.TargetReport) error {
	return j.write(&t, "", false, "\n")
}

func (j *jsonlWriter) End(s cachemodel.Summary) error {
	line := struct {
		Schema      string             `json:"schema"`
		Tool        string             `json:"tool"`
		GeneratedAt time.Time          `json:"generated_at"`
		Mode        string             `json:"mode"`
		Summary     cachemodel.Summary `json:"summary"`
	}{cachemodel.ReportSchema, j.opt.Tool, j.started, j.opt.Mode, fullSummary(s)}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = j.w.Write(append(b, '\n'))
	return err
}
