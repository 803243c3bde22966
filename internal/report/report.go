// Package report writes check results as JSON, a terminal table or
// Markdown. Writers stream: each target is written as soon as it is
// complete, so a run over thousands of URLs holds only the in-flight window.
package report

import (
	"fmt"
	"io"

	"github.com/corscope/corscope/cachemodel"
)

// Options shape a writer's output.
type Options struct {
	Tool string // "corscope v1.2.3"
	Mode string // "observe" or "isolate"
	// Label names the vantage point of the run (--label); "" for none.
	Label string
	Width int // table width in columns; 0 means 80
	// Paint colours table text by its class: a cachemodel.Class name
	// ("hit", "bad", "high", ...) or "accent" for headings, as
	// themes.Styles.Class maps them; nil writes plain text. Colour is
	// decided by the caller (TTY, NO_COLOR). Every class also has a word or
	// glyph in the text, so plain output loses nothing.
	Paint func(class, s string) string
	// FailOn is check's --fail-on threshold ("" for none): JUnit reports
	// findings at or above it as failures.
	FailOn cachemodel.Severity
}

// Writer writes one run.
type Writer interface {
	Begin() error
	Target(t cachemodel.TargetReport) error
	End(s cachemodel.Summary) error
}

// Formats lists the values NewWriter knows.
var Formats = []string{"table", "json", "jsonl", "markdown", "sarif", "junit"}

// NewWriter returns the writer for format (one of Formats; anything else
// is a table).
func NewWriter(format string, w io.Writer, opt Options) Writer {
	switch format {
	case "json":
		return &jsonWriter{w: w, opt: opt}
	case "sarif":
		return &sarifWriter{w: w, opt: opt}
	case "junit":
		return &junitWriter{w: w, opt: opt}
	case "jsonl":
		return &jsonlWriter{jsonWriter: jsonWriter{w: w, opt: opt}}
	case "markdown":
		return &markdownWriter{w: w, opt: opt}
	default:
		if opt.Width <= 0 {
			opt.Width = 80
		}
		return &tableWriter{w: w, opt: opt}
	}
}

// errWriter remembers the first write error so rendering code stays
// linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, a...)
}
