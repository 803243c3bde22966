package cachemodel

import "testing"

func TestServedForAnother(t *testing.T) {
	yes, no := true, false
	acao, origin := "https://a.example", "https://b.example"
	base := func(status CacheStatus, allowed *bool, reason BlockReason) VariantResult {
		return VariantResult{
			Origin:   &origin,
			Response: &ResponseInfo{Status: 200},
			Cache:    CacheInfo{Status: status},
			CORS:     CORSInfo{Applicable: true, Allowed: allowed, Reason: string(reason), ACAO: &acao},
		}
	}
	// freshFor is a response straight from the server granting o.
	freshFor := func(o string) VariantResult {
		o2, a := o, o
		return VariantResult{Origin: &o2, Response: &ResponseInfo{Status: 200}, Cache: CacheInfo{Status: StatusMiss},
			CORS: CORSInfo{Applicable: true, Allowed: &yes, ACAO: &a}}
	}
	notCORS := base(StatusHit, &no, ReasonACAOMismatch)
	notCORS.CORS.Applicable = false
	failed := base(StatusHit, &no, ReasonACAOMismatch)
	failed.Response = nil
	cases := []struct {
		name  string
		v     VariantResult
		fresh []string // Origins the server answers with ACAO when asked fresh
		want  bool
	}{
		{"mismatch from cache", base(StatusHit, &no, ReasonACAOMismatch), nil, true},
		{"mismatch served stale", base(StatusStale, &no, ReasonACAOMismatch), nil, true},
		{"mismatch fresh from origin", base(StatusMiss, &no, ReasonACAOMismatch), nil, false},
		{"mismatch, cache unknown", base(StatusUnknown, &no, ReasonACAOMismatch), nil, false},
		{"no ACAO from cache, server grants this Origin", base(StatusHit, &no, ReasonMissingACAO), []string{origin}, true},
		{"no ACAO from cache, server grants only others", base(StatusHit, &no, ReasonMissingACAO), []string{acao}, false},
		{"no ACAO from cache, nothing fresh seen", base(StatusHit, &no, ReasonMissingACAO), nil, false},
		{"allowed from cache", base(StatusHit, &yes, ""), []string{origin}, false},
		{"wildcard with credentials is not a cache problem", base(StatusHit, &no, ReasonWildcardCreds), []string{origin}, false},
		{"not a CORS request", notCORS, []string{origin}, false},
		{"failed request", failed, []string{origin}, false},
	}
	for _, c := range cases {
		rep := TargetReport{Variants: []VariantResult{c.v}}
		for _, o := range c.fresh {
			rep.Variants = append(rep.Variants, freshFor(o))
		}
		if got := ServedForAnother(&rep); got[0] != c.want {
			t.Errorf("%s: served for another = %v, want %v", c.name, got[0], c.want)
		}
	}
}
