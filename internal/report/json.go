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
	}{cachemodel.ReportSchema, j.opt.Tool, now().UTC().Truncate(time.Second), j.opt.Mode}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// Reopen the object so targets can follow: {"schema":...,"targets":[
	_, err = j.w.Write(append(append(b[:len(b)-1], `,"targets":[`...), '\n'))
	return err
}

func (j *jsonWriter) Target(t cachemodel.TargetReport) error {
	b, err := json.MarshalIndent(t, "  ", "  ")
	if err != nil {
		return err
	}
	sep := "  "
	if j.n > 0 {
		sep = ",\n  "
	}
	j.n++
	_, err = j.w.Write(append([]byte(sep), b...))
	return err
}

func (j *jsonWriter) End(s cachemodel.Summary) error {
	if s.Findings == nil {
		s.Findings = map[cachemodel.Severity]int{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = j.w.Write([]byte("\n],\"summary\":" + string(b) + "}\n"))
	return err
}
