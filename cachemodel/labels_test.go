package cachemodel

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The table's verdict column is 13 columns and its cache column 8: every
// label must fit whole, or the table cuts the words that tell facts apart.
// (Every glyph used here is one column wide.)
func TestLabelsFitTheirColumns(t *testing.T) {
	seen := map[string]BlockReason{}
	for _, r := range BlockReasons {
		s := r.Short()
		if s == BlockReason("bogus").Short() {
			t.Errorf("%s has no short form of its own (%q)", r, s)
		}
		if n := utf8.RuneCountInString(s); n > 10 {
			t.Errorf("%s: %q is %d columns, want at most 10 (\"⚠✗ \" + it must fit 13)", r, s, n)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("%s and %s both read %q", r, other, s)
		}
		seen[s] = r
		if r.Text() == string(r) {
			t.Errorf("%s has no text", r)
		}
	}
	for _, c := range append([]CacheInfo{{Status: StatusHit, Weak: true}}, cacheInfos()...) {
		if n := utf8.RuneCountInString(c.Label()); n > 8 {
			t.Errorf("%s: %q is %d columns, want at most 8", c.Status, c.Label(), n)
		}
	}
	for _, v := range verdictCases() {
		text, _ := v.Verdict()
		if ServedForAnother(&TargetReport{Variants: []VariantResult{v}})[0] {
			text = CachedForAnother + text
		}
		if n := utf8.RuneCountInString(text); n > 13 {
			t.Errorf("%q is %d columns, want at most 13", text, n)
		}
	}
}

// cacheInfos is one CacheInfo per status. Weak (Age only) is always a HIT.
func cacheInfos() []CacheInfo {
	var out []CacheInfo
	for _, st := range CacheStatuses {
		out = append(out, CacheInfo{Status: st})
	}
	return out
}

// verdictCases is one variant per verdict the browser column can show.
func verdictCases() []VariantResult {
	yes, no := true, false
	ok := &ResponseInfo{Status: 200}
	var out []VariantResult
	add := func(v VariantResult) { out = append(out, v) }
	add(VariantResult{Error: &ProbeError{Kind: ErrProtocol}})
	add(VariantResult{Error: &ProbeError{Kind: ErrTooLarge}, CORS: CORSInfo{Applicable: true}})
	add(VariantResult{Response: ok, Kind: KindNoOrigin})
	add(VariantResult{Response: ok, Kind: KindSameOrigin})
	add(VariantResult{Response: ok, Kind: KindConfigured, CORS: CORSInfo{Applicable: true}})
	for _, std := range []*StandardVerdict{nil, {}} {
		for _, cred := range []*bool{&yes, &no, nil} {
			add(VariantResult{Response: ok, Kind: KindConfigured, CORS: CORSInfo{Applicable: true, Allowed: &yes, AllowedWithCredentials: cred, Standard: std}})
		}
	}
	for _, r := range append([]BlockReason{"", "bogus"}, BlockReasons...) {
		add(VariantResult{Response: ok, Kind: KindConfigured, CORS: CORSInfo{Applicable: true, Allowed: &no, AllowedWithCredentials: &no, Reason: string(r)}})
	}
	return out
}

// TestVerdictWords pins the browser column's words: what each says must be
// true (never "✓" without an allowed verdict, never a claim about
// credentials that was not checked).
func TestVerdictWords(t *testing.T) {
	yes, no := true, false
	ok := &ResponseInfo{Status: 200}
	cors := func(anon, cred *bool, reason string) CORSInfo {
		return CORSInfo{Applicable: true, Allowed: anon, AllowedWithCredentials: cred, Reason: reason}
	}
	tests := []struct {
		v     VariantResult
		text  string
		class Class
	}{
		{VariantResult{Error: &ProbeError{Kind: ErrTimeout}, CORS: CORSInfo{Applicable: true}}, "! timeout", ClassError},
		{VariantResult{}, "! failed", ClassError},
		{VariantResult{Response: ok, Kind: KindNoOrigin}, "– not CORS", ClassMuted},
		{VariantResult{Response: ok, Kind: KindSameOrigin, CORS: CORSInfo{Allowed: &yes, AllowedWithCredentials: &yes}}, "– same-origin", ClassMuted},
		{VariantResult{Response: ok, CORS: cors(nil, nil, "")}, "?", ClassMuted},
		{VariantResult{Response: ok, CORS: cors(&yes, &yes, "")}, "✓ allowed", ClassGood},
		{VariantResult{Response: ok, CORS: cors(&yes, &no, string(ReasonACACMissing))}, "✓ anon only", ClassGood},
		{VariantResult{Response: ok, CORS: cors(&yes, nil, "")}, "✓ anon, ?", ClassGood},
		{VariantResult{Response: ok, CORS: cors(&no, &no, string(ReasonACAOMismatch))}, "✗ wrong ACAO", ClassBad},
		{VariantResult{Response: ok, CORS: cors(&no, &no, "something new")}, "✗ blocked", ClassBad},
	}
	for _, tt := range tests {
		text, class := tt.v.Verdict()
		if text != tt.text || class != tt.class {
			t.Errorf("Verdict() = %q, %s; want %q, %s", text, class, tt.text, tt.class)
		}
	}
	std := VariantResult{Response: ok, CORS: cors(&yes, &no, "")}
	std.CORS.Standard = &StandardVerdict{}
	if text, _ := std.Verdict(); text != "✓ anon only "+StandardMark {
		t.Errorf("a verdict the standard does not share reads %q, want it marked %s", text, StandardMark)
	}
	for _, tt := range []struct {
		allowed *bool
		reason  string
		want    string
	}{
		{nil, "", "? unknown"}, {&yes, "", "✓ allowed"}, {&no, "", "✗ blocked"},
		{&no, string(ReasonWildcardCreds), "✗ blocked: ACAO * with credentials"},
		{&no, "request failed", "✗ blocked: request failed"},
	} {
		if got := ModeVerdict(tt.allowed, tt.reason); got != tt.want {
			t.Errorf("ModeVerdict(%v, %q) = %q, want %q", tt.allowed, tt.reason, got, tt.want)
		}
	}
}

// TestClasses: which value gets which colour class. REVALIDATED is stale
// (an expired copy, checked with the origin), not a fresh hit.
func TestClasses(t *testing.T) {
	cache := map[CacheStatus]Class{
		StatusHit: ClassHit, StatusMiss: ClassMiss, StatusExpired: ClassMiss,
		StatusStale: ClassStale, StatusUpdating: ClassStale, StatusRevalidated: ClassStale,
		StatusBypass: ClassBypass, StatusDynamic: ClassBypass, StatusPass: ClassBypass,
		StatusUnknown: ClassMuted, "": ClassMuted, "HIT, MISS": ClassMuted,
	}
	for st, want := range cache {
		if got := st.Class(); got != want {
			t.Errorf("%q.Class() = %s, want %s", st, got, want)
		}
	}
	if len(cache)-2 != len(CacheStatuses) {
		t.Errorf("CacheStatuses has %d statuses, this test %d", len(CacheStatuses), len(cache)-2)
	}
	sev := map[Severity]Class{SevHigh: ClassHigh, SevMedium: ClassMedium, SevLow: ClassLow, SevInfo: ClassInfo, "bogus": ClassInfo}
	for s, want := range sev {
		if got := s.Class(); got != want {
			t.Errorf("%q.Class() = %s, want %s", s, got, want)
		}
	}
	states := map[TargetState]Class{
		StateOK: ClassGood, StateCORSNotEnabled: ClassBad,
		StateFailed: ClassError, StatePartial: ClassError, StateNon2xx: ClassError, StateCanceled: ClassError,
	}
	for _, s := range TargetStates {
		if got := s.Class(); got != states[s] {
			t.Errorf("%q.Class() = %s, want %s", s, got, states[s])
		}
	}
	// Every class a label can get is declared, so themes can be checked
	// against Classes.
	var got []Class
	for st := range cache {
		got = append(got, st.Class())
	}
	for s := range sev {
		got = append(got, s.Class())
	}
	for _, s := range TargetStates {
		got = append(got, s.Class())
	}
	for _, v := range verdictCases() {
		_, c := v.Verdict()
		got = append(got, c)
	}
	for _, c := range got {
		if !slices.Contains(Classes, c) {
			t.Errorf("class %q is not in Classes", c)
		}
	}
}

func TestCacheKeyLine(t *testing.T) {
	yes, no := true, false
	got := CacheKeyFacts{OriginInKey: &no, VaryHonoured: nil, Cacheable: &yes}.Line()
	if want := "cache key: Origin in key no · Vary honoured unknown · cacheable yes"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	if strings.Contains(got, "honours") {
		t.Error("one wording: Vary honoured")
	}
}
