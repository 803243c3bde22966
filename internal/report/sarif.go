package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// SARIF 2.1.0 (OASIS): the version string and the schema it validates
// against.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifInfoURI = "https://github.com/corscope/corscope/blob/main/docs/findings.md"
)

// sarifWriter streams a SARIF 2.1.0 log with one run: one result per
// finding, plus one result per target without a complete verdict (rule
// target-no-verdict), so a viewer never shows "no results" for a target
// corscope could not judge. The results come first and the tool object
// after them (JSON object members are unordered): the driver's rules are
// the whole catalogue plus any rule id the catalogue does not know yet,
// collected as results are written, so every result's ruleId and
// ruleIndex resolve.
type sarifWriter struct {
	w     io.Writer
	opt   Options
	n     int
	extra []string // rule ids seen that are not in Rules, in order
	seen  map[string]int
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
	} `json:"physicalLocation"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	FullDescription      sarifMessage `json:"fullDescription"`
	Help                 sarifMessage `json:"help"`
	HelpURI              string       `json:"helpUri"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties map[string]any `json:"properties"`
}

// sarifLevel maps a severity to a SARIF level: high is error, medium
// warning, low and info note (the exact severity is in the properties).
func sarifLevel(s cachemodel.Severity) string {
	switch s {
	case cachemodel.SevHigh:
		return "error"
	case cachemodel.SevMedium:
		return "warning"
	}
	return "note"
}

func (s *sarifWriter) Begin() error {
	head := struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
	}{sarifSchema, sarifVersion}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	_, err = s.w.Write(append(b[:len(b)-1], `,"runs":[{"results":[`+"\n"...))
	return err
}

// index returns the ruleIndex of id, registering ids the catalogue lacks.
func (s *sarifWriter) index(id string) int {
	if i, ok := ruleIndex[id]; ok {
		return i
	}
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	if i, ok := s.seen[id]; ok {
		return i
	}
	i := len(Rules) + len(s.extra)
	s.extra = append(s.extra, id)
	s.seen[id] = i
	return i
}

func (s *sarifWriter) Target(tr cachemodel.TargetReport) error {
	var loc sarifLocation
	loc.PhysicalLocation.ArtifactLocation.URI = tr.URL
	state, detail := stateOf(tr)
	var out []byte
	add := func(r sarifResult) error {
		r.Locations = []sarifLocation{loc}
		sum := sha256.Sum256([]byte(tr.URL + "\x00" + r.RuleID))
		r.PartialFingerprints = map[string]string{"corscopeTargetRule/v1": hex.EncodeToString(sum[:16])}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if s.n > 0 {
			out = append(out, ",\n"...)
		}
		s.n++
		out = append(out, escapeTerminalRunes(b)...)
		return nil
	}
	for _, f := range tr.Findings {
		text := f.Message
		if f.Fix != "" {
			text = sentence(text) + " Fix: " + f.Fix
		}
		props := map[string]any{"severity": f.Severity, "targetState": state}
		if len(f.Evidence) > 0 {
			props["evidence"] = f.Evidence
		}
		if f.Fix != "" {
			props["fix"] = f.Fix
		}
		if f.FromErrorStatus {
			props["fromErrorStatus"] = true
		}
		if err := add(sarifResult{RuleID: f.Rule, RuleIndex: s.index(f.Rule), Level: sarifLevel(f.Severity),
			Message: sarifMessage{text}, Properties: props}); err != nil {
			return err
		}
	}
	if state.Unknown() {
		// failed: nothing answered (error); partial, non-2xx, canceled:
		// the verdict is incomplete (warning).
		level := "warning"
		if state == cachemodel.StateFailed {
			level = "error"
		}
		text := "No complete verdict: target state " + string(state)
		if detail != "" {
			text += ": " + detail
		}
		if err := add(sarifResult{RuleID: ruleNoVerdict, RuleIndex: s.index(ruleNoVerdict), Level: level,
			Message: sarifMessage{text}, Properties: map[string]any{"targetState": state}}); err != nil {
			return err
		}
	}
	if len(out) == 0 {
		return nil
	}
	_, err := s.w.Write(out)
	return err
}

func (s *sarifWriter) End(sum cachemodel.Summary) error {
	rules := make([]sarifRule, 0, len(Rules)+len(s.extra))
	for _, r := range Rules {
		rules = append(rules, sarifRuleOf(r))
	}
	for _, id := range s.extra {
		rules = append(rules, sarifRuleOf(RuleInfo{ID: id, Short: "Finding " + id,
			Full: "A finding this version's catalogue does not describe; see docs/findings.md.", Severity: cachemodel.SevMedium}))
	}
	version := strings.TrimPrefix(s.opt.Tool, "corscope ")
	driver := map[string]any{
		"name": "corscope", "informationUri": sarifInfoURI, "rules": rules,
	}
	if version != "" && version != s.opt.Tool {
		driver["version"] = version
	}
	if sum.States == nil {
		sum.States = map[cachemodel.TargetState]int{}
	}
	if sum.Findings == nil {
		sum.Findings = map[cachemodel.Severity]int{}
	}
	tail := map[string]any{
		"tool":       map[string]any{"driver": driver},
		"properties": map[string]any{"mode": s.opt.Mode, "summary": sum},
	}
	b, err := json.Marshal(tail)
	if err != nil {
		return err
	}
	b = escapeTerminalRunes(b)
	// "],"tool":...}]} closes results, adds the rest of the run and closes
	// runs and the log.
	_, err = s.w.Write(append(append([]byte("\n],"), b[1:]...), "]}\n"...))
	return err
}

func sarifRuleOf(r RuleInfo) sarifRule {
	out := sarifRule{
		ID: r.ID, Name: r.Name(),
		ShortDescription: sarifMessage{r.Short},
		FullDescription:  sarifMessage{r.Full},
		HelpURI:          sarifInfoURI + "#" + r.ID,
		Properties:       map[string]any{"severity": r.Severity, "tags": []string{"cors", "cache"}},
	}
	out.Help.Text = r.Full
	if r.Fix != "" {
		out.Help.Text += " Fix: " + r.Fix
	}
	out.DefaultConfiguration.Level = sarifLevel(r.Severity)
	return out
}

// sentence ends s with a full stop unless it ends with punctuation.
func sentence(s string) string {
	s = strings.TrimRight(s, " ")
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?:") {
		return s
	}
	return s + "."
}
