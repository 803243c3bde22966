package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// markdownWriter prints a GitHub-flavoured Markdown report: a section per
// target with its full variant table (no truncation), differences and
// findings. Server text is escaped for the terminal and for Markdown.
type markdownWriter struct {
	w   io.Writer
	opt Options
}

func (m *markdownWriter) Begin() error {
	_, err := fmt.Fprintf(m.w, "# corscope report\n\n%s · mode %s\n\n", md(m.opt.Tool), md(m.opt.Mode))
	return err
}

func (m *markdownWriter) Target(tr cachemodel.TargetReport) error {
	ew := &errWriter{w: m.w}
	state, detail := stateOf(tr)
	ew.printf("## %s\n\nProvider: %s%s · requests: %d · state: **%s**\n\n", md(tr.URL), tr.Provider, md(edgesNote(tr)), len(tr.Variants), state)
	if detail != "" {
		ew.printf("State %s: %s\n\n", state, md(detail))
	}
	if hl := harLine(tr); hl != "" {
		ew.printf("%s\n\n", md(hl))
	}
	// Isolate runs name each row's experiment (which rows share a fresh
	// cache key), as the table and the TUI do.
	isolate := slices.ContainsFunc(tr.Variants, func(v cachemodel.VariantResult) bool { return v.Experiment != "" })
	expCol, expSep := "", ""
	if isolate {
		expCol, expSep = " Experiment |", "---|"
	}
	// Where each response came from, only when some variant says: the
	// vantage point (merged view), the edge address (--edge), the PoP.
	where := slices.ContainsFunc(tr.Variants, func(v cachemodel.VariantResult) bool {
		return v.Vantage != "" || v.EdgeAddr != "" || (v.Response != nil && v.Edge != "")
	})
	whereHead, whereRule := "", ""
	if where {
		whereHead, whereRule = " Edge |", "---|"
	}
	ew.printf("| Round |%s Origin |%s Method | Status | Cache | Age | ACAO | ACAC | Vary | Anonymous | Credentialed |\n", expCol, whereHead)
	ew.printf("|---|%s---|%s---|---|---|---|---|---|---|---|---|\n", expSep, whereRule)
	served := cachemodel.ServedForAnother(&tr)
	keys := experimentKeys(tr.Variants)
	for i, v := range tr.Variants {
		status, cache, age, acao, acac := "error", "-", "-", "-", "-"
		if v.Response != nil {
			status = strconv.Itoa(v.Response.Status)
			cache = string(v.Cache.Status)
			if v.Cache.Source != "" {
				cache += " (" + v.Cache.Source + ")"
			}
			if v.Cache.Age != nil {
				age = strconv.FormatInt(*v.Cache.Age, 10)
			}
		}
		if v.CORS.ACAO != nil {
			acao = *v.CORS.ACAO
		}
		acaoCell := md(acao)
		if served[i] {
			acaoCell = cachemodel.CachedForAnother + " " + acaoCell
		}
		exp := ""
		if isolate {
			e := "-"
			if v.Experiment != "" {
				e = md(strings.TrimPrefix(experimentLine(v, keys[v.Experiment]), "· "))
			}
			exp = " " + e + " |"
		}
		if v.CORS.ACAC != nil {
			acac = *v.CORS.ACAC
		}
		anon, cred := mdVerdict(v, v.CORS.Allowed, v.CORS.Reason), mdVerdict(v, v.CORS.AllowedWithCredentials, v.CORS.ReasonWithCredentials)
		if s := v.CORS.Standard; s != nil {
			anon = mdStandard(anon, v.CORS.Allowed, s.Allowed, s.Reason)
			cred = mdStandard(cred, v.CORS.AllowedWithCredentials, s.AllowedWithCredentials, s.ReasonWithCredentials)
		}
		whereCell := ""
		if where {
			var parts []string
			if v.Vantage != "" {
				parts = append(parts, md(cachemodel.VantageLabel(v.Vantage)))
			}
			if v.EdgeAddr != "" {
				parts = append(parts, md(cachemodel.EdgeAddrLabel(v.EdgeAddr)))
			}
			if v.Response != nil && v.Edge != "" {
				parts = append(parts, md(cachemodel.EdgeLabel(v.Edge)))
			}
			if len(parts) == 0 {
				parts = append(parts, "-")
			}
			whereCell = " " + strings.Join(parts, " · ") + " |"
		}
		ew.printf("| %d |%s %s |%s %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			v.Round, exp, md(v.Label), whereCell, v.Method, status, md(cache), age, acaoCell, md(acac),
			mdVary(v), anon, cred)
	}
	if slices.Contains(served, true) {
		ew.printf("\n%s\n", cachemodel.CachedForAnotherLegend)
	}
	seen := map[string]bool{}
	for _, v := range tr.Variants {
		if v.Error != nil {
			ew.printf("\n- round %d %s: **%s**: %s", v.Round, md(v.Label), v.Error.Kind, md(v.Error.Message))
		}
		// The notes are already escaped for the terminal; md escapes for
		// Markdown (a backslash it adds never forms a terminal control).
		if line, console, _ := confirmNote(v); line != "" {
			ew.printf("\n- %s", md(line))
			if console != "" {
				ew.printf("<br>%s", md(console))
			}
		}
		for _, n := range []string{bodyErrorNote(v), redirectNote(v), standardNote(v)} {
			if n != "" && !seen[n] {
				seen[n] = true
				ew.printf("\n- %s", md(n))
			}
		}
	}
	if len(tr.Diffs) > 0 {
		ew.printf("\n\n**Headers that differ**\n")
		for _, d := range tr.Diffs {
			var vals []string
			for _, v := range d.Values {
				val := "(absent)"
				if v.Present {
					val = "`" + strings.ReplaceAll(termsafe.String(v.Value), "`", "'") + "`"
				}
				vals = append(vals, fmt.Sprintf("%s r%d: %s", md(v.Label), v.Round, val))
			}
			ew.printf("\n- %s (%s): %s", md(d.Name), d.Scope, strings.Join(vals, "; "))
		}
	}
	ew.printf("\n\n**Findings**\n")
	if len(tr.Findings) == 0 {
		if state.Unknown() {
			ew.printf("\nNone, and no complete verdict (state %s).\n", state)
		} else {
			ew.printf("\nNone.\n")
		}
	}
	for _, f := range tr.Findings {
		ew.printf("\n- **%s** `%s`: %s", strings.ToUpper(string(f.Severity)), f.Rule, md(f.Message))
		if f.Fix != "" {
			ew.printf("<br>Fix: %s", md(f.Fix))
		}
	}
	ew.printf("\n\n")
	return ew.err
}

func (m *markdownWriter) End(s cachemodel.Summary) error {
	line := summaryLine(s)
	if st := statesLine(s); st != "" {
		line += " · " + st
	}
	_, err := fmt.Fprintf(m.w, "---\n\n%s\n", line)
	return err
}

// mdVary is the Vary cell: the fields, or, when Vary came on several
// header lines, each line as sent on its own cell line (some caches read
// only the first).
func mdVary(v cachemodel.VariantResult) string {
	if v.Response != nil {
		if lines := v.Response.Headers.Values("Vary"); len(lines) > 1 {
			for i, l := range lines {
				lines[i] = md(l)
			}
			return strings.Join(lines, "<br>")
		}
	}
	if len(v.CORS.Vary) == 0 {
		return "-" // like every other missing value
	}
	return md(strings.Join(v.CORS.Vary, ", "))
}

// mdVerdict is one credentials mode's verdict, in the words of the table
// and the TUI: the request's own label when it failed or runs no CORS
// check, else cachemodel.ModeVerdict.
func mdVerdict(v cachemodel.VariantResult, allowed *bool, reason string) string {
	if v.Error != nil || v.Response == nil || !v.CORS.Applicable {
		label, _ := v.Verdict()
		return md(label)
	}
	return md(cachemodel.ModeVerdict(allowed, reason))
}

// mdStandard adds the Fetch standard's verdict to a cell where today's
// browsers decide otherwise.
func mdStandard(cell string, now *bool, std bool, reason string) string {
	if now == nil || *now == std {
		return cell
	}
	return cell + " today; Fetch standard: " + md(cachemodel.ModeVerdict(&std, reason))
}

// md makes untrusted text safe for a terminal and inert in a Markdown table.
func md(s string) string {
	s = termsafe.String(s)
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}
