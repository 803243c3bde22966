package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

// The report types must be the ones the direct encoder was written for;
// when this fails, a report type changed: update appendTargetJSON and
// reportShape together (the writer meanwhile falls back to encoding/json).
func TestReportShapeKnown(t *testing.T) {
	if why := shapeMismatch(); why != "" {
		t.Fatal(why)
	}
}

// full sets every field, pointer and omitempty field of a target, with
// strings that need escaping.
func full() cachemodel.TargetReport {
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	age := int64(42)
	hostile := "a\"b\\c<d>e&f\x00\x01\b\f\n\r\t\x7f é 漢 🙂 \u2028\u2029 \xff\xfe end"
	return cachemodel.TargetReport{
		URL:              "https://cdn.example.com/a?b=<c>&d=\"e\"",
		Provider:         cachemodel.Provider(hostile),
		ProviderEvidence: []string{hostile, ""},
		Variants: []cachemodel.VariantResult{{
			Label: hostile, Kind: cachemodel.VariantKind("configured"), Origin: s(hostile), Round: -3,
			Edge: hostile, EdgeAddr: "[2001:db8::1]:8443", Vantage: hostile,
			Method: "GET", Preflight: true, Experiment: "repeat", CacheBuster: "corscope=abc",
			Request: cachemodel.RequestInfo{URL: hostile, Headers: cachemodel.Headers{{Name: "Origin", Value: hostile}, {Name: "", Value: ""}}},
			Response: &cachemodel.ResponseInfo{Status: 599, Proto: "HTTP/1.0", Headers: cachemodel.Headers{},
				RemoteAddr: "[::1]:80", BodyBytes: math.MaxInt64, BodyTruncated: true,
				BodyError: &cachemodel.ProbeError{Kind: cachemodel.ErrProtocol, Message: hostile}, Redirects: []string{hostile, ""}},
			Error:  &cachemodel.ProbeError{Kind: cachemodel.ErrTimeout, Message: hostile},
			Timing: cachemodel.TimingInfo{ConnectMS: 1e-7, TTFBMS: 1e21, TotalMS: -0.125},
			Cache:  cachemodel.CacheInfo{Status: cachemodel.StatusHit, Source: "X-Cache", Raw: hostile, Weak: true, Age: &age},
			CORS: cachemodel.CORSInfo{Applicable: true, ACAO: s("*"), ACAOCount: 2, ACAC: s(""), Vary: []string{},
				Allowed: b(true), AllowedWithCredentials: b(false), Reason: hostile, ReasonWithCredentials: "x", Detail: hostile,
				Standard: &cachemodel.StandardVerdict{Deviation: cachemodel.Deviation(hostile), AllowedWithCredentials: true,
					Reason: hostile, ReasonWithCredentials: "y", Detail: hostile, Browsers: []string{hostile, ""}}},
			Curl: "curl -sS $'\\x1b' '<&>'",
		}, {}},
		Diffs: []cachemodel.HeaderDiff{
			{Name: "Vary", Scope: cachemodel.DiffAcrossVariants, Round: 2, Label: "l", Values: []cachemodel.DiffValue{{Label: "a", Round: 1, Value: hostile, Present: true}, {}}},
			{},
		},
		Findings: []cachemodel.Finding{
			{Rule: "r", Severity: cachemodel.SevHigh, Message: hostile, Evidence: []string{hostile, ""}, Variants: []int{0, 3}, Fix: "f", FromErrorStatus: true, Edge: "192.0.2.1", Vantage: hostile},
			{Evidence: []string{}},
		},
		CacheKey: &cachemodel.CacheKeyFacts{OriginInKey: b(false), VaryHonoured: nil, Cacheable: b(true), Evidence: []string{"e"}},
		Edges:    []string{"192.0.2.1", hostile},
	}
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	emptyKey := full()
	emptyKey.CacheKey = &cachemodel.CacheKeyFacts{Evidence: []string{}}
	cases := map[string]cachemodel.TargetReport{
		"analysed":  poisoned(),
		"full":      full(),
		"zero":      {},
		"empty key": emptyKey,
		"empty lists": {Variants: []cachemodel.VariantResult{}, Diffs: []cachemodel.HeaderDiff{},
			Findings: []cachemodel.Finding{}},
	}
	for name, tr := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(tr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendTargetJSON([]byte("x"), &tr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Fatalf("differs from encoding/json\n got: %s\nwant: %s", got[1:], want)
			}
		})
	}
}

func TestFastJSONRandomStringsAndFloats(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	pieces := []string{"a", "\"", "\\", "<", ">", "&", "\x00", "\x1f", "\x7f", "\b", "\f", "é", "\u2028", "\u2029",
		"\xff", "\xe2\x80", "🙂", "\ufffd", " ", "/"}
	for i := 0; i < 2000; i++ {
		var sb strings.Builder
		for n := rng.Intn(10); n > 0; n-- {
			sb.WriteString(pieces[rng.Intn(len(pieces))])
		}
		s := sb.String()
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("string %q: got %s want %s", s, got, want)
		}
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.123, math.SmallestNonzeroFloat64, math.MaxFloat64}
	for i := 0; i < 500; i++ {
		floats = append(floats, rng.NormFloat64()*math.Pow(10, float64(rng.Intn(50)-25)))
	}
	for _, f := range floats {
		want, _ := json.Marshal(f)
		var e jsonEnc
		if e.float(f); !bytes.Equal(e.b, want) || e.err != nil {
			t.Fatalf("float %v: got %s want %s (%v)", f, e.b, want, e.err)
		}
	}
}

// A value encoding/json refuses is refused by the writer too, with
// encoding/json's error.
func TestJSONWriterRejectsNaNTiming(t *testing.T) {
	tr := poisoned()
	tr.Variants[0].Timing.TotalMS = math.NaN()
	var b bytes.Buffer
	err := (&jsonWriter{w: &b}).Target(tr)
	var uv *json.UnsupportedValueError
	if !errors.As(err, &uv) || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("err = %v, want encoding/json's unsupported value error", err)
	}
	if b.Len() != 0 {
		t.Fatalf("wrote %q for a target it could not encode", b.String())
	}
}

func BenchmarkJSONWriterTarget(b *testing.B) {
	tr := poisoned()
	w := &jsonWriter{w: discard{}}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Target(tr); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A report type that changed shape is written by encoding/json; with any
// mix of known and unknown types the output is still encoding/json's.
func TestFastJSONFallsBackPerType(t *testing.T) {
	tr := full()
	want, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	all := *reportTypesKnown()
	if all != (knownTypes{target: true, variant: true, request: true, header: true, response: true, probeError: true,
		timing: true, cache: true, cors: true, diff: true, diffValue: true, finding: true, cacheKey: true}) {
		t.Fatalf("some report type is not known: %+v (%s)", all, shapeMismatch())
	}
	for name, k := range map[string]knownTypes{
		"none":          {},
		"all":           all,
		"response only": func() knownTypes { k := all; k.response = false; return k }(),
		"leaves unknown": func() knownTypes {
			k := all
			k.header, k.diffValue, k.probeError, k.timing = false, false, false, false
			return k
		}(),
		"only the target": {target: true},
	} {
		e := jsonEnc{known: &k}
		e.target(&tr)
		if e.err != nil || !bytes.Equal(e.b, want) {
			t.Fatalf("%s: err=%v\n got: %s\nwant: %s", name, e.err, e.b, want)
		}
	}
}
