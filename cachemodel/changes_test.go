package cachemodel

import (
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// changesVariant is one answered variant of a report.
func changesVariant(label string, kind VariantKind, round int, cache CacheStatus, acao string, headers ...string) VariantResult {
	v := VariantResult{Label: label, Kind: kind, Round: round, Method: "GET",
		Response: &ResponseInfo{Status: 200}, Cache: CacheInfo{Status: cache}}
	for i := 0; i+1 < len(headers); i += 2 {
		v.Response.Headers = append(v.Response.Headers, Header{Name: headers[i], Value: headers[i+1]})
	}
	if acao != "" {
		v.CORS.ACAO = ptr(acao)
		v.Response.Headers = append(v.Response.Headers, Header{Name: "Access-Control-Allow-Origin", Value: acao})
	}
	if kind != KindNoOrigin {
		v.CORS.Applicable, v.CORS.Allowed = true, ptr(acao == label)
		if acao != label {
			v.CORS.Reason = string(ReasonACAOMismatch)
		}
	}
	return v
}

func changesReport(url string, vs ...VariantResult) TargetReport {
	return TargetReport{URL: url, Variants: vs}
}

const (
	chURL   = "https://cdn.example.com/a.json"
	chApp   = "https://app.example.com"
	chAdmin = "https://admin.example.com"
)

func findChange(cs []Change, field, variantPart string) (Change, bool) {
	for _, c := range cs {
		if c.Field == field && strings.Contains(c.Variant, variantPart) {
			return c, true
		}
	}
	return Change{}, false
}

func TestChangesFieldsTargetsAndVariants(t *testing.T) {
	older := []TargetReport{
		changesReport(chURL,
			changesVariant(chApp, KindConfigured, 1, StatusMiss, chApp, "Age", "0", "X-Hits", "1"),
			changesVariant(chApp, KindConfigured, 2, StatusHit, chApp, "Age", "3", "X-Hits", "2"),
			changesVariant(chAdmin, KindConfigured, 1, StatusMiss, chAdmin),
			changesVariant("null", KindNull, 1, StatusMiss, "")),
		changesReport("https://cdn.example.com/gone"),
	}
	older[0].Diffs = []HeaderDiff{{Name: "X-Hits"}}
	newer := []TargetReport{
		changesReport(chURL,
			changesVariant(chApp, KindConfigured, 1, StatusHit, chApp, "Age", "9", "X-Hits", "7"),
			changesVariant(chApp, KindConfigured, 2, StatusHit, chApp, "Age", "12", "X-Hits", "8"),
			changesVariant(chAdmin, KindConfigured, 1, StatusHit, chApp), // poisoned now
			changesVariant("(no Origin)", KindNoOrigin, 1, StatusHit, "")),
		changesReport("https://cdn.example.com/new"),
	}
	newer[0].Diffs = []HeaderDiff{{Name: "X-Hits"}}
	cs := Changes(older, newer)
	if c, ok := findChange(cs, "ACAO", chAdmin); !ok || c.Old != chAdmin || c.New != chApp || c.Variant != "configured "+chAdmin || c.URL != chURL {
		t.Errorf("ACAO change: %+v (found %v)", c, ok)
	}
	if c, ok := findChange(cs, "Verdict", chAdmin); !ok || c.Old != "allowed" || !strings.HasPrefix(c.New, "blocked: ") {
		t.Errorf("Verdict change: %+v (found %v)", c, ok)
	}
	// The rounds of a variant are one: its cache statuses in order.
	if c, ok := findChange(cs, "Cache", chApp); !ok || c.Old != "MISS→HIT" || c.New != "HIT→HIT" {
		t.Errorf("Cache change: %+v (found %v)", c, ok)
	}
	// Per-fetch counters change on every fetch: never reported.
	for _, c := range cs {
		if c.Field == "Age" || c.Field == "X-Hits" {
			t.Errorf("a per-fetch counter reported as a change: %+v", c)
		}
	}
	want := map[[3]string]bool{
		{"https://cdn.example.com/new", "target", "present"}: false,
		{"https://cdn.example.com/gone", "target", "absent"}: false,
		{chURL, "variant", "present"}:                        false, // (no Origin) is new
		{chURL, "variant", "absent"}:                         false, // null is gone
	}
	for _, c := range cs {
		k := [3]string{c.URL, c.Field, c.New}
		if _, ok := want[k]; ok {
			want[k] = true
		}
	}
	for k, found := range want {
		if !found {
			t.Errorf("no change %v in %+v", k, cs)
		}
	}
	if got := Changes(newer, newer); len(got) != 0 {
		t.Errorf("a run compared with itself changed: %+v", got)
	}
}

// A header only the newer run found differing is compared with the older
// run's real value, not with "-".
func TestChangesHeaderThatStartedToDiffer(t *testing.T) {
	older := []TargetReport{changesReport(chURL,
		changesVariant("(no Origin)", KindNoOrigin, 1, StatusHit, "", "X-Cache", "HIT"),
		changesVariant(chApp, KindConfigured, 1, StatusHit, chApp, "X-Cache", "HIT"))}
	newer := []TargetReport{changesReport(chURL,
		changesVariant("(no Origin)", KindNoOrigin, 1, StatusMiss, "", "X-Cache", "MISS"),
		changesVariant(chApp, KindConfigured, 1, StatusHit, chApp, "X-Cache", "HIT"))}
	newer[0].Diffs = []HeaderDiff{{Name: "X-Cache"}}
	cs := Changes(older, newer)
	if c, ok := findChange(cs, "X-Cache", "(no Origin)"); !ok || c.Old != "HIT" || c.New != "MISS" {
		t.Errorf("X-Cache change: %+v (found %v) in %+v", c, ok, cs)
	}
	if c, ok := findChange(cs, "X-Cache", chApp); ok {
		t.Errorf("an unchanged X-Cache reported: %+v", c)
	}
}

// A failed request has no header values: its fields read "(no response)",
// never "-" (absent), and its status names the error.
func TestChangesFailedVariant(t *testing.T) {
	ok := changesVariant(chApp, KindConfigured, 1, StatusHit, chApp)
	failed := VariantResult{Label: chApp, Kind: KindConfigured, Round: 1, Method: "GET", Error: &ProbeError{Kind: ErrTimeout}}
	cs := Changes([]TargetReport{changesReport(chURL, ok)}, []TargetReport{changesReport(chURL, failed)})
	if c, found := findChange(cs, "Status", chApp); !found || c.Old != "200" || c.New != "error (timeout)" {
		t.Errorf("Status change: %+v (found %v)", c, found)
	}
	if c, found := findChange(cs, "ACAO", chApp); !found || c.New != "(no response)" {
		t.Errorf("ACAO change: %+v (found %v)", c, found)
	}
}
