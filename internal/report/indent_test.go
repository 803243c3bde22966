package report

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// appendIndented must reproduce json.MarshalIndent byte for byte.
func TestAppendIndentedMatchesMarshalIndent(t *testing.T) {
	cases := map[string]any{
		"report":        poisoned(),
		"empty object":  map[string]any{},
		"empty array":   []int{},
		"nested empty":  map[string]any{"a": []int{}, "b": map[string]int{}, "c": []any{[]int{}, map[string]int{}}},
		"scalars":       []any{nil, true, false, 0, -1.5e300, "x"},
		"tricky string": []string{`"`, `\`, `\"`, `a\\`, `{[,:]}`, "\x00\x1b]0;x\x07", "<&>", "\u2028\u2029", "é漢字🙂", ""},
		"keys":          map[string]string{`k"{`: `v,:`, `\`: `]`},
		"string at end": "tail\\",
		"deep":          []any{[]any{[]any{map[string]any{"a": []any{1, map[string]any{"b": nil}}}}}},
		"time":          time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) { assertSameIndent(t, v) })
	}
}

// Random documents catch layouts the table above missed.
func TestAppendIndentedRandomDocuments(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 300; i++ {
		assertSameIndent(t, randomValue(rng, 4))
	}
}

func assertSameIndent(t *testing.T, v any) {
	t.Helper()
	want, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compact, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got := appendIndented([]byte("keep:"), compact, "  ", "  ")
	if !bytes.Equal(got, append([]byte("keep:"), want...)) {
		t.Fatalf("differs from MarshalIndent\n got: %q\nwant: %q", got, want)
	}
}

func randomValue(rng *rand.Rand, depth int) any {
	pick := rng.Intn(7)
	if depth == 0 {
		pick = rng.Intn(4)
	}
	switch pick {
	case 0:
		return rng.Intn(2000) - 1000
	case 1:
		return rng.Intn(2) == 1
	case 2:
		return nil
	case 3:
		return randomString(rng)
	case 4, 5:
		a := make([]any, rng.Intn(4))
		for i := range a {
			a[i] = randomValue(rng, depth-1)
		}
		return a
	default:
		m := map[string]any{}
		for n := rng.Intn(4); n > 0; n-- {
			m[randomString(rng)] = randomValue(rng, depth-1)
		}
		return m
	}
}

// randomString mixes JSON's structural bytes with bytes that need escaping.
func randomString(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.Intn(8); n > 0; n-- {
		b.WriteString([]string{`"`, `\`, "{", "}", "[", "]", ",", ":", " ", "a", "\n", "\x01", "é"}[rng.Intn(13)])
	}
	return b.String()
}

// The writer's output for a target is what MarshalIndent gave before the
// fast path, separators included.
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

func BenchmarkAppendIndented(b *testing.B) {
	compact, err := json.Marshal(poisoned())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(compact)))
	var out []byte
	for b.Loop() {
		out = appendIndented(out[:0], compact, "  ", "  ")
	}
}
