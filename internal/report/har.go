package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// harObservation describes one answer the browser recorded, in one
// phrase, escaped for the terminal: "https://app.example.com GET → 0
// (net::ERR_FAILED), no ACAO, from disk cache, 203.0.113.7 ×2".
func harObservation(o cachemodel.HARObservation) string {
	var b strings.Builder
	if o.Origin != nil {
		b.WriteString(termsafe.String(*o.Origin))
	} else {
		b.WriteString("(no Origin)")
	}
	b.WriteString(" " + termsafe.String(o.Method) + " → ")
	if o.Status == 0 {
		b.WriteString("no response")
	} else {
		b.WriteString(strconv.Itoa(o.Status))
	}
	if o.Error != "" {
		b.WriteString(" (" + termsafe.String(o.Error) + ")")
	}
	if o.Status != 0 {
		if o.ACAO != nil {
			b.WriteString(", ACAO " + strconv.Quote(termsafe.String(*o.ACAO)))
		} else {
			b.WriteString(", no ACAO")
		}
		if o.ACAC != nil {
			b.WriteString(", ACAC " + strconv.Quote(termsafe.String(*o.ACAC)))
		}
		if o.Vary != nil {
			b.WriteString(", Vary " + strconv.Quote(termsafe.String(*o.Vary)))
		}
		if o.Cache != "" && o.Cache != cachemodel.StatusUnknown {
			b.WriteString(", " + string(o.Cache))
			if o.CacheSource != "" {
				b.WriteString(" via " + termsafe.String(o.CacheSource))
			}
		}
	}
	if o.BrowserCache != "" {
		b.WriteString(", from the browser's " + termsafe.String(o.BrowserCache) + " cache")
	}
	if o.ServerIP != "" {
		b.WriteString(", server " + termsafe.String(o.ServerIP))
	}
	if o.Count > 1 {
		fmt.Fprintf(&b, " ×%d", o.Count)
	}
	return b.String()
}

// harLine is the one line "browser saw: …" for a target from a HAR, or "".
func harLine(tr cachemodel.TargetReport) string {
	if tr.HAR == nil || len(tr.HAR.Observations) == 0 {
		return ""
	}
	parts := make([]string, 0, len(tr.HAR.Observations)+1)
	for _, o := range tr.HAR.Observations {
		parts = append(parts, harObservation(o))
	}
	if tr.HAR.Omitted > 0 {
		parts = append(parts, fmt.Sprintf("%d more", tr.HAR.Omitted))
	}
	return "browser saw (HAR): " + strings.Join(parts, "; ")
}
