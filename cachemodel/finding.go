package cachemodel

import "fmt"

// Severity ranks a finding by exploitability.
type Severity string

// Severities, lowest first.
const (
	SevInfo   Severity = "info"
	SevLow    Severity = "low"
	SevMedium Severity = "medium"
	SevHigh   Severity = "high"
)

// Rank orders severities: info 1 … high 4; unknown values rank 0.
func (s Severity) Rank() int {
	switch s {
	case SevInfo:
		return 1
	case SevLow:
		return 2
	case SevMedium:
		return 3
	case SevHigh:
		return 4
	}
	return 0
}

// ParseFailOn reads a --fail-on threshold: a severity, or "none" to never
// fail on findings (returned as the empty Severity).
func ParseFailOn(s string) (Severity, error) {
	switch s {
	case "none":
		return "", nil
	case string(SevInfo), string(SevLow), string(SevMedium), string(SevHigh):
		return Severity(s), nil
	}
	return "", fmt.Errorf("unknown severity %q: want info, low, medium, high or none", s)
}

// Finding is one diagnosis about a target.
type Finding struct {
	Rule     string   `json:"rule"` // stable kebab-case id
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Evidence names the variants, rounds and headers the finding rests on.
	Evidence []string `json:"evidence"`
	// Variants are the indexes (into the target's variants) of the
	// requests the finding rests on, ascending; absent when it rests on no
	// single request.
	Variants []int  `json:"variants,omitempty"`
	Fix      string `json:"fix"`
	// FromErrorStatus marks findings drawn from 4xx/5xx responses, which are
	// never rated above low.
	FromErrorStatus bool `json:"from_error_status,omitempty"`
	// Edge is the edge address (--edge) whose responses the finding was
	// drawn from, when the run probed several; absent otherwise.
	Edge string `json:"edge,omitempty"`
	// Vantage is the label of the report a merged view took the finding
	// from; check never writes it.
	Vantage string `json:"vantage,omitempty"`
}
