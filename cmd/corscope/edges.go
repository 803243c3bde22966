package main

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
)

// edgePlan builds a target's plan once per edge (each with its own fresh
// cache keys in isolate mode) and joins them; without edges it is build().
func edgePlan(edges []string, build func() cachemodel.TargetPlan) cachemodel.TargetPlan {
	if len(edges) == 0 {
		return build()
	}
	plans := make([]cachemodel.TargetPlan, len(edges))
	for i := range edges {
		plans[i] = build()
	}
	return cachemodel.JoinEdgePlans(plans, edges)
}

// maxLabel bounds --label: it names a vantage point in every merged view.
const maxLabel = 64

// reportLabel is --label, or $CORSCOPE_LABEL when the flag is not given:
// up to 64 printable characters (no control characters), trimmed.
func (a *app) reportLabel(flag string) (string, error) {
	what := "--label"
	label := flag
	if label == "" && a.getenv != nil {
		what = "CORSCOPE_LABEL"
		label = a.getenv("CORSCOPE_LABEL")
	}
	label = strings.TrimSpace(label)
	if len(label) > maxLabel {
		return "", usageErr("%s is %d bytes long: at most %d", what, len(label), maxLabel)
	}
	if !utf8.ValidString(label) || strings.IndexFunc(label, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", usageErr("%s %q has control or invisible characters, or invalid UTF-8", what, label)
	}
	return label, nil
}

// edgeEngine sends every step of the plans it runs to one edge address.
type edgeEngine struct {
	inner runner.Engine
	edge  string
}

func (e edgeEngine) Run(ctx context.Context, plans []cachemodel.TargetPlan, out chan<- cachemodel.Observation) error {
	pinned := make([]cachemodel.TargetPlan, len(plans))
	for i, p := range plans {
		p.Steps = slices.Clone(p.Steps)
		for j := range p.Steps {
			p.Steps[j].Edge = e.edge
		}
		pinned[i] = p
	}
	return e.inner.Run(ctx, pinned, out)
}
