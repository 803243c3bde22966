package report

import (
	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// confirmNote is the browser's own answer for a variant (--confirm-in),
// beside corscope's, in the model's words (VariantResult.ConfirmLine),
// escaped for the terminal. Empty without an answer.
func confirmNote(v cachemodel.VariantResult) (line, console string, class cachemodel.Class) {
	line, console, class = v.ConfirmLine()
	return termsafe.String(line), termsafe.String(console), class
}
