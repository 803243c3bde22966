package cachemodel

// ServedForAnother reports, per variant of rep, a CORS request the browser
// blocks because a cache served it a stored response made for another
// request: another origin's ACAO, or no ACAO although the server does
// send this Origin an ACAO when asked fresh. Findings carry the diagnosis;
// this marks the cell (⚠ in the TUI, the table and Markdown) so it is seen
// at a glance, worded and decided in one place.
func ServedForAnother(rep *TargetReport) []bool {
	out := make([]bool, len(rep.Variants))
	fresh := map[string]bool{} // Origins the server itself answered with an ACAO
	for _, v := range rep.Variants {
		if v.Response != nil && v.Origin != nil && v.CORS.ACAO != nil && !v.Cache.Status.ServedFromCache() {
			fresh[*v.Origin] = true
		}
	}
	for i, v := range rep.Variants {
		if v.Response == nil || !v.CORS.Applicable || v.CORS.Allowed == nil || *v.CORS.Allowed || !v.Cache.Status.ServedFromCache() {
			continue
		}
		switch BlockReason(v.CORS.Reason) {
		case ReasonACAOMismatch:
			out[i] = true
		case ReasonMissingACAO:
			out[i] = v.Origin != nil && fresh[*v.Origin]
		}
	}
	return out
}
