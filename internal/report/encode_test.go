package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

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
		t.Run(name, func(t *testing.T) { assertEncodesLikeEncodingJSON(t, &tr) })
	}
}

// assertEncodesLikeEncodingJSON checks that appendTargetJSON writes, compact
// and indented, what encoding/json writes (Marshal, MarshalIndent with
// "  ", "  ") once escapeTerminalRunes has escaped what a terminal acts on.
func assertEncodesLikeEncodingJSON(t *testing.T, tr *cachemodel.TargetReport) {
	t.Helper()
	compact, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	indented, err := json.MarshalIndent(tr, "  ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		indent bool
		want   []byte
	}{{false, compact}, {true, indented}} {
		want := append([]byte("x"), escapeTerminalRunes(c.want)...)
		got, err := appendTargetJSON([]byte("x"), tr, c.indent)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("indent=%v: differs from encoding/json at byte %d (if a cachemodel report type changed, run `go generate ./internal/report/`)\n got: …%s\nwant: …%s",
				c.indent, i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
		}
	}
}

// Every exported field of every type a target holds, at random nil, empty
// or set (strings from servers at their worst): the generated encoder
// follows the types, so a field added to a report type is covered here
// without editing this test.
func TestEncoderMatchesEncodingJSONOnRandomReports(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	for i := 0; i < 300; i++ {
		var tr cachemodel.TargetReport
		fillRandom(t, rng, reflect.ValueOf(&tr).Elem(), 0)
		assertEncodesLikeEncodingJSON(t, &tr)
	}
}

var randomPieces = []string{"a", "\"", "\\", "<", ">", "&", "\x00", "\x1b]0;x\x07", "\x7f", "\n", "é", "漢", "🙂",
	"\u2028", "\u2029", "\u0085", "\u009b", "\u00a0", "\u202e", "\u2066", "\u2069", "\u2060", "\xff", "\xe2\x80", "\xc2", " ", "{", "]", ",", ":"}

func fillRandom(t *testing.T, rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandom(t, rng, v.Field(i), depth+1)
			}
		}
	case reflect.String:
		var sb strings.Builder
		for n := rng.Intn(4); n > 0; n-- {
			sb.WriteString(randomPieces[rng.Intn(len(randomPieces))])
		}
		v.SetString(sb.String())
	case reflect.Bool:
		v.SetBool(rng.Intn(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if rng.Intn(3) > 0 {
			v.SetInt(rng.Int63n(2001) - 1000)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rng.Intn(3) > 0 {
			v.SetUint(uint64(rng.Intn(1000)))
		}
	case reflect.Float64:
		if rng.Intn(3) > 0 {
			v.SetFloat(rng.NormFloat64() * math.Pow(10, float64(rng.Intn(60)-30)))
		}
	case reflect.Pointer:
		if depth < 8 && rng.Intn(3) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fillRandom(t, rng, v.Elem(), depth+1)
		}
	case reflect.Slice:
		switch n := rng.Intn(5); {
		case depth >= 8 || n == 0: // nil
		default:
			v.Set(reflect.MakeSlice(v.Type(), n-1, n-1))
			for i := range n - 1 {
				fillRandom(t, rng, v.Index(i), depth+1)
			}
		}
	default:
		t.Fatalf("fillRandom: %s (%s) is new in the report types: teach fillRandom (and jsongen) to fill it", v.Type(), v.Kind())
	}
}

func TestFastJSONRandomStringsAndFloats(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	pieces := []string{"a", "\"", "\\", "<", ">", "&", "\x00", "\x1f", "\x7f", "\b", "\f", "é", "\u2028", "\u2029",
		"\xff", "\xe2\x80", "🙂", "\ufffd", " ", "/", "\u0080", "\u009b", "\u009f", "\u00a0", "\u202a", "\u202e", "\u202f",
		"\u2065", "\u2066", "\u2069", "\u206a", "\xc2", "\xe2\x81"}
	for i := 0; i < 2000; i++ {
		var sb strings.Builder
		for n := rng.Intn(10); n > 0; n-- {
			sb.WriteString(pieces[rng.Intn(len(pieces))])
		}
		s := sb.String()
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, escapeTerminalRunes(want)) {
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

// Lines deeper than the report types go today are padded too.
func TestEncoderNewlineAtAnyDepth(t *testing.T) {
	for _, depth := range []int{0, 1, 30, 31, 32, 63, 64, 100} {
		e := jsonEnc{indent: true, depth: depth}
		e.newline()
		if want := "\n" + strings.Repeat("  ", depth+1); string(e.b) != want {
			t.Errorf("depth %d: %d bytes, want %d", depth, len(e.b), len(want))
		}
	}
}

// The writer's output for a target is what MarshalIndent gives, separators
// included.
func TestJSONWriterTargetLayout(t *testing.T) {
	tr := poisoned()
	var b bytes.Buffer
	w := &jsonWriter{w: &b}
	for range 2 {
		if err := w.Target(tr); err != nil {
			t.Fatal(err)
		}
	}
	one, err := json.MarshalIndent(tr, "  ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want := "  " + string(one) + ",\n  " + string(one)
	if b.String() != want {
		t.Fatalf("layout differs:\n got: %q\nwant: %q", b.String(), want)
	}
}

// Issue 16 item 2: the encoder costs no allocation per target once the
// writer's buffer has grown, pretty (json) and compact (jsonl) alike: 0
// allocations and 0 bytes per target of 5 variants, steady state.
func TestJSONWriterTargetAllocs(t *testing.T) {
	tr := poisoned()
	if len(tr.Variants) != 5 {
		t.Fatalf("%d variants, want 5", len(tr.Variants))
	}
	for _, format := range []string{"json", "jsonl"} {
		w := NewWriter(format, discard{}, Options{})
		target := func() {
			if err := w.Target(tr); err != nil {
				t.Fatal(err)
			}
		}
		target() // grow the buffer
		if n := testing.AllocsPerRun(200, target); n != 0 {
			t.Errorf("%s: %v allocations per target, want 0", format, n)
		}
		const runs = 500
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			target()
		}
		runtime.ReadMemStats(&after)
		// Budget: 0 B per variant; 4 B per variant of slack for whatever
		// else the process allocates meanwhile.
		if perVariant := float64(after.TotalAlloc-before.TotalAlloc) / (runs * 5); perVariant > 4 {
			t.Errorf("%s: %.1f bytes per variant, want 0", format, perVariant)
		}
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

func BenchmarkJSONLWriterTarget(b *testing.B) {
	tr := poisoned()
	w := NewWriter("jsonl", discard{}, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Target(tr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSONTarget is the alternative to the generated encoder:
// encoding/json (MarshalIndent for json, Marshal for jsonl), then
// escapeTerminalRunes's second pass, as encoding/json leaves C1 and bidi
// controls raw.
func BenchmarkEncodingJSONTarget(b *testing.B) {
	tr := poisoned()
	for _, c := range []struct {
		name    string
		marshal func(any) ([]byte, error)
	}{
		{"indent", func(v any) ([]byte, error) { return json.MarshalIndent(v, "  ", "  ") }},
		{"compact", json.Marshal},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := c.marshal(&tr)
				if err != nil {
					b.Fatal(err)
				}
				_ = escapeTerminalRunes(out)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
