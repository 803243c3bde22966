package report

import (
	"fmt"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// confirmNote is the browser's own answer for a variant (--confirm-in),
// beside corscope's: one sentence, escaped for the terminal, and the
// console text on its own (it can be long). Empty without an answer.
func confirmNote(v cachemodel.VariantResult) (line, console string) {
	bc := v.BrowserConfirm
	if bc == nil {
		return "", ""
	}
	line = fmt.Sprintf("⧉ %s %s from %s: anonymous %s, with credentials %s; corscope: %s, %s",
		bc.Browser, bc.Version, bc.Origin, bc.Anonymous.Words(), bc.Credentials.Words(),
		verdictWord(v.CORS.Allowed), verdictWord(v.CORS.AllowedWithCredentials))
	switch {
	case bc.NotCompared != "":
		line += " (not compared: " + bc.NotCompared + ")"
	case agreesBoth(bc):
		line += " (agree)"
	case disagrees(bc):
		line += " (DISAGREE)"
	}
	if bc.Note != "" {
		line += "; note: " + bc.Note
	}
	console = consoleLine(bc)
	return termsafe.String(line), termsafe.String(console)
}

func verdictWord(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "allowed"
	}
	return "blocked"
}

func agreesBoth(bc *cachemodel.BrowserConfirm) bool {
	a, c := bc.Anonymous.Agrees, bc.Credentials.Agrees
	return a != nil && *a && c != nil && *c
}

func disagrees(bc *cachemodel.BrowserConfirm) bool {
	a, c := bc.Anonymous.Agrees, bc.Credentials.Agrees
	return a != nil && !*a || c != nil && !*c
}

// consoleLine is the browser's console text per credentials mode, said
// once when both modes logged the same.
func consoleLine(bc *cachemodel.BrowserConfirm) string {
	a, c := bc.Anonymous.Console, bc.Credentials.Console
	switch {
	case a != "" && a == c:
		return "console (both modes): " + a
	case a != "" && c != "":
		return "console (anonymous): " + a + " · console (with credentials): " + c
	case a != "":
		return "console (anonymous): " + a
	case c != "":
		return "console (with credentials): " + c
	}
	return ""
}
