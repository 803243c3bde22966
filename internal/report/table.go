package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// tableWriter prints a compact, human table per target that fits the given
// width (80 columns at least). Every piece of server text goes through
// termsafe first: a header value must never drive the terminal.
type tableWriter struct {
	w   io.Writer
	opt Options
}

// paint colours s by its class; neutral text stays plain.
func (t *tableWriter) paint(class cachemodel.Class, s string) string {
	if t.opt.Paint == nil || class == cachemodel.ClassNeutral || class == "" {
		return s
	}
	return t.opt.Paint(string(class), s)
}

// classHeading is the themes class for headings: not a fact's class, so
// not a cachemodel.Class constant.
const classHeading cachemodel.Class = "accent"

func (t *tableWriter) Begin() error { return nil }

// column widths for a given total width.
type layout struct{ origin, acao, verdict, edge int }

// Fixed columns: indent 2, round 2, status 3, cache 8, age 5 and verdict 13,
// plus seven separating spaces: 39. ORIGIN and ACAO share the rest.
const fixedColumns = 39

func tableLayout(width int) layout {
	free := max(width, 80) - fixedColumns
	l := layout{verdict: 13}
	l.acao = free * 40 / 100
	l.origin = free - l.acao
	return l
}

func (t *tableWriter) Target(tr cachemodel.TargetReport) error {
	ew := &errWriter{w: t.w}
	width := max(t.opt.Width, 80)
	l := tableLayout(width)
	failed := 0
	for _, v := range tr.Variants {
		if v.Error != nil {
			failed++
		}
	}
	ew.printf("%s\n", t.paint(classHeading, "▸ "+termsafe.Line(tr.URL, width-2)))
	state, detail := stateOf(tr)
	pops := edgesOf(tr.Variants)
	edgeNote := ""
	if len(pops) == 1 {
		// One edge served everything: said once, not in a column.
		edgeNote = " · " + cachemodel.EdgeLabel(termsafe.Line(pops[0], maxEdgeColumn))
	}
	ew.printf("  %s\n", t.paint(cachemodel.ClassMuted, fmt.Sprintf("provider %s%s · %s · %d failed · state %s", tr.Provider, edgeNote, plural(len(tr.Variants), "request"), failed, state)))
	if detail != "" {
		for i, l := range strings.Split(ansi.Wrap(termsafe.String(detail), width-6, ""), "\n") {
			indent := "  "
			if i > 0 {
				indent = "      "
			}
			ew.printf("%s%s\n", indent, t.paint(state.Class(), l))
		}
	}
	if hl := harLine(tr); hl != "" {
		for i, l := range strings.Split(ansi.Wrap(hl, width-6, ""), "\n") {
			indent := "  "
			if i > 0 {
				indent = "      "
			}
			ew.printf("%s%s\n", indent, t.paint(cachemodel.ClassMuted, l))
		}
	}
	// The EDGE column (the PoP each response names) only when the
	// responses name different ones; it takes its room from ORIGIN.
	if w := edgeWidth(tr.Variants); w > 0 && len(pops) > 1 {
		l.edge = w
		l.origin -= w + 1
	}
	served := cachemodel.ServedForAnother(&tr)
	edgeHead := ""
	if l.edge > 0 {
		edgeHead = " " + pad("EDGE", l.edge)
	}
	ew.printf("  %s %s%s %s %s %s %s %s\n", pad("R", 2), pad("ORIGIN", l.origin), edgeHead, pad("ST", 3), pad("CACHE", 8), pad("AGE", 5), pad("ACAO", l.acao), "BROWSER")
	weak := false
	keys := experimentKeys(tr.Variants)
	experiment := ""
	edgeAddr, vantage := "", ""
	adversarial, advBlocked := 0, 0
	problems := false
	for i, v := range tr.Variants {
		if (len(tr.Edges) > 0 || v.Vantage != "") && (i == 0 || v.EdgeAddr != edgeAddr || v.Vantage != vantage) {
			// --edge and merged vantage points: the variants are labelled
			// by where they were seen from and the edge they went to.
			edgeAddr, vantage = v.EdgeAddr, v.Vantage
			var where []string
			if v.Vantage != "" {
				where = append(where, "from "+termsafe.Line(v.Vantage, 64))
			}
			if len(tr.Edges) > 0 {
				// The address, worded as in the notes and the TUI
				// ("@192.0.2.1"); "edge AMS" is the PoP a response names.
				where = append(where, termsafe.String(cachemodel.EdgeAddrLabel(v.EdgeAddr)))
			}
			ew.printf("  %s\n", t.paint(classHeading, "· "+strings.Join(where, " · ")))
			experiment = "\x00" // repeat the experiment line under each group
		}
		if v.Experiment != experiment {
			experiment = v.Experiment
			ew.printf("  %s\n", t.paint(cachemodel.ClassMuted, experimentLine(v, keys[v.Experiment])))
		}
		if v.Kind.IsGenerated() {
			// Attacker-style origins are meant to be blocked: only the ones
			// that got through (or failed) earn a row.
			adversarial++
			if v.Error == nil && v.CORS.Allowed != nil && !*v.CORS.Allowed &&
				(v.CORS.AllowedWithCredentials == nil || !*v.CORS.AllowedWithCredentials) {
				advBlocked++
				continue
			}
		}
		if v.Cache.Weak && v.Response != nil {
			weak = true
		}
		problems = problems || served[i]
		t.row(ew, l, v, served[i])
	}
	if adversarial > 0 {
		tone := cachemodel.ClassGood
		if advBlocked < adversarial {
			tone = cachemodel.ClassBad
		}
		ew.printf("  %s\n", t.paint(tone, fmt.Sprintf("%d of %d generated attacker-style origins blocked (as they should be)", advBlocked, adversarial)))
	}
	if weak {
		ew.printf("  %s\n", t.paint(cachemodel.ClassMuted, cachemodel.WeakLegend))
	}
	if problems {
		ew.printf("  %s\n", t.paint(cachemodel.ClassProblem, cachemodel.CachedForAnotherLegend))
	}
	t.notes(ew, tr, width)
	ew.printf("\n")
	return ew.err
}

// row prints one variant.
// served marks a response a cache stored for another request (⚠ before
// its verdict, as the TUI marks it).
func (t *tableWriter) row(ew *errWriter, l layout, v cachemodel.VariantResult, served bool) {
	round := strconv.Itoa(v.Round)
	if v.Preflight {
		round += "P"
	}
	status, cache, age, acao := "ERR", "-", "-", "-"
	cacheClass := cachemodel.ClassNeutral
	if v.Response != nil {
		status = strconv.Itoa(v.Response.Status)
		cache, cacheClass = v.Cache.Label(), v.Cache.Status.Class()
		if v.Cache.Age != nil {
			age = strconv.FormatInt(*v.Cache.Age, 10)
		}
		acao = acaoCell(v)
	}
	verdict, vclass := v.Verdict()
	verdict = termsafe.String(verdict)
	if served {
		// Marked in front, as the TUI marks the cell: "⚠✗ wrong ACAO"
		// still fits the column (block reasons are at most 10 columns).
		verdict = cachemodel.CachedForAnother + verdict
	}
	edge := ""
	if l.edge > 0 {
		e := "-"
		if v.Edge != "" {
			e = termsafe.String(v.Edge)
		}
		edge = " " + pad(ansi.Truncate(e, l.edge, "…"), l.edge)
	}
	ew.printf("  %s %s%s %s %s %s %s %s\n",
		pad(round, 2),
		midTrunc(originCell(v), l.origin),
		edge,
		pad(status, 3),
		t.paint(cacheClass, pad(cache, 8)),
		pad(age, 5),
		midTrunc(acao, l.acao),
		t.paint(vclass, ansi.Truncate(verdict, l.verdict, "…")))
}

// experimentKeys counts the distinct cache-busting values per experiment.
func experimentKeys(vs []cachemodel.VariantResult) map[string]int {
	seen := map[string]bool{}
	n := map[string]int{}
	for _, v := range vs {
		k := v.Experiment + "\x00" + v.CacheBuster
		if !seen[k] {
			seen[k] = true
			n[v.Experiment]++
		}
	}
	return n
}

// experimentLine introduces an isolate-mode experiment and its fresh cache
// key(s), so a reader knows which rows share a cached object.
func experimentLine(v cachemodel.VariantResult, keys int) string {
	if v.Experiment == "" {
		return "· (no experiment)"
	}
	line := "· " + v.Experiment
	switch {
	case keys > 1:
		return line + " — each variant on its own fresh cache key"
	case v.CacheBuster != "":
		return line + " — fresh cache key " + termsafe.String(v.CacheBuster)
	}
	return line
}

// generatedShort names generated origin kinds in a few letters.
var generatedShort = map[cachemodel.VariantKind]string{
	cachemodel.KindGenUnrelated:      "unrelated",
	cachemodel.KindGenSuffix:         "suffix",
	cachemodel.KindGenPrefix:         "prefix",
	cachemodel.KindGenUnescapedDot:   "dot",
	cachemodel.KindGenSpecialChar:    "char",
	cachemodel.KindGenSubdomain:      "sub",
	cachemodel.KindGenInsecureScheme: "http",
	cachemodel.KindGenOtherPort:      "port",
}

// originCell labels generated origins with their kind ("suffix
// evilapp.example.com"), since the value alone does not say what it tests.
func originCell(v cachemodel.VariantResult) string {
	if !v.Kind.IsGenerated() || v.Origin == nil {
		return termsafe.String(v.Label)
	}
	// The kind says what is special (http for the insecure scheme), so the
	// scheme can go to make room for the host.
	_, o, ok := strings.Cut(*v.Origin, "://")
	if !ok {
		o = *v.Origin
	}
	kind, ok := generatedShort[v.Kind]
	if !ok {
		kind = strings.TrimPrefix(string(v.Kind), "gen-")
	}
	return kind + " " + termsafe.String(o)
}

// notes prints blocked details, errors, header differences and findings.
func (t *tableWriter) notes(ew *errWriter, tr cachemodel.TargetReport, width int) {
	line := func(tone cachemodel.Class, s string) {
		ew.printf("  %s\n", t.paint(tone, ansi.Truncate(s, width-2, "…")))
	}
	// wrapped keeps a whole sentence (a CORS detail, an error, a finding)
	// readable at 80 columns: continuation lines are indented under it.
	wrapped := func(tone cachemodel.Class, s string) {
		for i, l := range strings.Split(ansi.Wrap(s, width-6, ""), "\n") {
			if i == 0 {
				ew.printf("  %s\n", t.paint(tone, l))
			} else {
				ew.printf("      %s\n", t.paint(tone, l))
			}
		}
	}
	seen := map[string]bool{}
	for _, v := range tr.Variants {
		// A cut-short body and followed redirects are said once per
		// distinct text (a loop reads the same for every variant).
		for _, n := range []struct {
			tone cachemodel.Class
			msg  string
		}{{cachemodel.ClassError, bodyErrorNote(v)}, {cachemodel.ClassMuted, redirectNote(v)}, {cachemodel.ClassBad, termsafe.String(standardNote(v))}} {
			if n.msg != "" && !seen[n.msg] {
				seen[n.msg] = true
				wrapped(n.tone, n.msg)
			}
		}
		if line, console, class := confirmNote(v); line != "" {
			wrapped(class, line)
			if console != "" {
				wrapped(cachemodel.ClassMuted, "  "+console)
			}
		}
		var msg string
		tone := cachemodel.ClassBad
		// With several edges or vantage points, say which one a note is
		// about.
		label := termsafe.String(v.Label)
		if w := whereOf(tr, v); w != "" {
			label = w + " " + label
		}
		switch {
		case v.Error != nil:
			msg = fmt.Sprintf("! round %d %s: %s: %s", v.Round, label, v.Error.Kind, termsafe.String(v.Error.Message))
			tone = cachemodel.ClassError
		case v.Kind.IsGenerated() && v.Error == nil:
			continue // blocked is the expected outcome; allowed ones are findings
		case v.CORS.Detail != "" && v.CORS.Allowed != nil && !*v.CORS.Allowed:
			// Only anonymous blocks get a line: "✓ anon only" already says
			// credentials fail, and most resources are fetched without them.
			msg = fmt.Sprintf("✗ %s: %s", label, termsafe.String(v.CORS.Detail))
		default:
			continue
		}
		if !seen[msg] {
			seen[msg] = true
			wrapped(tone, msg)
		}
	}
	if sum := diffSummary(tr); sum != "" {
		line(cachemodel.ClassMuted, sum)
	}
	if ck := cacheKeyLine(tr.CacheKey); ck != "" {
		line(cachemodel.ClassMuted, ck)
	}
	fs := append([]cachemodel.Finding(nil), tr.Findings...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity.Rank() > fs[j].Severity.Rank() })
	for _, f := range fs {
		wrapped(f.Severity.Class(), fmt.Sprintf("[%s] %s: %s", termsafe.String(f.Severity.Label()), f.Rule, termsafe.String(f.Message)))
		if f.Fix != "" {
			wrapped(cachemodel.ClassMuted, "  fix: "+termsafe.String(f.Fix))
		}
	}
	if len(fs) == 0 {
		if state, _ := stateOf(tr); state.Unknown() {
			line(cachemodel.ClassError, "no findings, and no complete verdict (state "+string(state)+")")
		} else {
			line(cachemodel.ClassMuted, "no findings")
		}
	}
}

// stateOf returns the target's state and its explanation, computing them
// for a report written before states existed.
func stateOf(tr cachemodel.TargetReport) (cachemodel.TargetState, string) {
	if tr.State == "" {
		return cachemodel.ComputeState(tr.Variants)
	}
	return tr.State, tr.StateDetail
}

// statesLine counts the targets that are not ok, for the summary ("" when
// all are).
func statesLine(s cachemodel.Summary) string {
	var parts []string
	for _, st := range cachemodel.TargetStates {
		if n := s.States[st]; n > 0 && st != cachemodel.StateOK {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "targets not ok: " + strings.Join(parts, ", ")
}

func (t *tableWriter) End(s cachemodel.Summary) error {
	ew := &errWriter{w: t.w}
	ew.printf("%s\n", t.paint(classHeading, summaryLine(s)))
	if st := statesLine(s); st != "" {
		ew.printf("%s\n", t.paint(cachemodel.ClassError, st))
	}
	return ew.err
}

func summaryLine(s cachemodel.Summary) string {
	var parts []string
	for _, sev := range []cachemodel.Severity{cachemodel.SevHigh, cachemodel.SevMedium, cachemodel.SevLow, cachemodel.SevInfo} {
		if n := s.Findings[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	f := "none"
	if len(parts) > 0 {
		f = strings.Join(parts, ", ")
	}
	line := fmt.Sprintf("%s · %s · %d failed · findings: %s", plural(s.Targets, "target"), plural(s.Requests, "request"), s.Failed, f)
	if n := s.States[cachemodel.StateCanceled]; n > 0 {
		line += fmt.Sprintf(" · interrupted: %d of %s canceled, their results are incomplete", n, plural(s.Targets, "target"))
	}
	return line
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// diffSummary names, in one line, the headers that differ across origins
// and across rounds. Headers the table already shows as columns (ACAO, the
// cache status source, Age) are left out; the JSON and Markdown reports
// carry every value.
func diffSummary(tr cachemodel.TargetReport) string {
	shown := map[string]bool{"access-control-allow-origin": true, "age": true}
	for _, v := range tr.Variants {
		if v.Cache.Source != "" {
			shown[strings.ToLower(v.Cache.Source)] = true
		}
	}
	var origins, rounds []string
	seen := map[string]bool{}
	for _, d := range tr.Diffs {
		lower := strings.ToLower(d.Name)
		key := string(d.Scope) + "/" + lower
		if shown[lower] || seen[key] {
			continue
		}
		seen[key] = true
		if d.Scope == cachemodel.DiffAcrossVariants {
			origins = append(origins, termsafe.String(d.Name))
		} else {
			rounds = append(rounds, termsafe.String(d.Name))
		}
	}
	var parts []string
	if len(origins) > 0 {
		parts = append(parts, "across origins: "+strings.Join(origins, ", "))
	}
	if len(rounds) > 0 {
		parts = append(parts, "across rounds: "+strings.Join(rounds, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "≠ differs " + strings.Join(parts, "; ")
}

// cacheKeyLine summarises what isolate mode inferred about the cache key.
func cacheKeyLine(ck *cachemodel.CacheKeyFacts) string {
	if ck == nil {
		return ""
	}
	return ck.Line()
}

// acaoCell shows ACAO relative to the request: "= Origin" when it echoes
// the request's own Origin, so the column spends its width on the values
// that matter: another origin's grant, "*", or nothing. Any other value is
// rendered by one rule on every row (whatever the request's Origin, or none):
// an "https://" is dropped, so the host, the part that tells origins apart,
// fits; any other scheme (http://) stays, since it is the unusual one; the
// row then cuts what is still too wide in the middle.
func acaoCell(v cachemodel.VariantResult) string {
	c := v.CORS
	if c.ACAO == nil {
		return "-"
	}
	if c.ACAOCount > 1 {
		return fmt.Sprintf("%d× %s", c.ACAOCount, termsafe.String(*c.ACAO))
	}
	if v.Origin != nil && *c.ACAO == *v.Origin {
		return "= Origin"
	}
	return termsafe.String(strings.TrimPrefix(*c.ACAO, "https://"))
}

// standardNote explains a † verdict: what browsers do now, what the
// standard (and so the browsers, later) say.
func standardNote(v cachemodel.VariantResult) string {
	s := v.CORS.Standard
	if s == nil {
		return ""
	}
	return fmt.Sprintf("† round %d %s: allowed today by %s; blocked by the Fetch standard (%s): %s",
		v.Round, v.Label, strings.Join(s.Browsers, " and "), s.Deviation, s.Detail)
}

// pad left-aligns s in w display columns, truncating with "…".
func pad(s string, w int) string {
	return fillRight(ansi.Truncate(s, w, "…"), w)
}

// midTrunc keeps both ends of a long value ("https://adm…ample.com"):
// origins differ at the start and the end, rarely in the middle.
func midTrunc(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return fillRight(s, w)
	}
	if w < 5 {
		return pad(s, w)
	}
	rs := []rune(s)
	head := (w - 1) / 2
	tail := w - 1 - head
	// Trim by display width from both ends.
	h := ansi.Truncate(s, head, "")
	var tb []rune
	tw := 0
	for i := len(rs) - 1; i >= 0; i-- {
		cw := ansi.StringWidth(string(rs[i]))
		if tw+cw > tail {
			break
		}
		tw += cw
		tb = append([]rune{rs[i]}, tb...)
	}
	return fillRight(h+"…"+string(tb), w)
}

// maxEdgeColumn bounds the EDGE column; longer PoP names are truncated.
const maxEdgeColumn = 10

// edgeWidth is the EDGE column's width: 0 when no response names its edge.
func edgeWidth(vs []cachemodel.VariantResult) int {
	w := 0
	for _, v := range vs {
		if v.Response != nil && v.Edge != "" {
			w = max(w, 4, ansi.StringWidth(termsafe.String(v.Edge)))
		}
	}
	return min(w, maxEdgeColumn)
}

// whereOf names the vantage point and edge address of a variant, as
// "[eu] @192.0.2.1", when the target has several; "" otherwise.
func whereOf(tr cachemodel.TargetReport, v cachemodel.VariantResult) string {
	var parts []string
	if v.Vantage != "" {
		parts = append(parts, termsafe.Line(cachemodel.VantageLabel(v.Vantage), 66))
	}
	if len(tr.Edges) > 1 || (len(tr.Edges) == 1 && v.Vantage != "") {
		parts = append(parts, termsafe.String(cachemodel.EdgeAddrLabel(v.EdgeAddr)))
	}
	return strings.Join(parts, " ")
}

// edgesOf lists the distinct edges (PoPs) the responses name.
func edgesOf(vs []cachemodel.VariantResult) []string {
	var out []string
	for _, v := range vs {
		if v.Response != nil && v.Edge != "" && !slices.Contains(out, v.Edge) {
			out = append(out, v.Edge)
		}
	}
	return out
}

// edgesNote names the edges (PoPs) the responses name, for a provider
// line: " · edge AMS" or " · edges AMS, FRA"; "" when none does.
func edgesNote(tr cachemodel.TargetReport) string {
	pops := edgesOf(tr.Variants)
	switch len(pops) {
	case 0:
		return ""
	case 1:
		return " · " + cachemodel.EdgeLabel(termsafe.String(pops[0]))
	}
	return " · edges " + termsafe.String(strings.Join(pops, ", "))
}

// fillRight pads s with spaces to w columns.
func fillRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
