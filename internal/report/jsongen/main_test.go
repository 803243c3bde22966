package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The committed encoder is what the report types generate today: a field
// added to (or changed in) a cachemodel report type without regenerating
// fails here, naming the command to run.
func TestGeneratedEncoderIsCurrent(t *testing.T) {
	want, err := generate(roots)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../zz_generated_json.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("internal/report/zz_generated_json.go is stale: a report type changed; run `%s` and commit the result", Command)
	}
}

// A type the generator cannot write exactly as encoding/json would stops
// it, naming the field.
// Types the generator must refuse, or accept.
type (
	withMap       struct{ M map[string]int }
	withInterface struct{ I any }
	withBytes     struct{ B []byte }
	withFloat32   struct{ F float32 }
	withStringOpt struct {
		N int `json:"n,string"`
	}
	withOmitZero struct {
		N int `json:"n,omitzero"`
	}
	inner        struct{ A int }
	withEmbedded struct{ inner }
	withTime     struct{ T time.Time }
	withOddKey   struct {
		A int `json:"a b"`
	}
	withUnexported struct {
		A int `json:"a"`
		b int
	}
)

func TestGenerateRefusesWhatItCannotWrite(t *testing.T) {
	cases := map[string]struct {
		typ  reflect.Type
		want string
	}{
		"map":        {reflect.TypeFor[withMap](), ".M: map[string]int (map) is not supported"},
		"interface":  {reflect.TypeFor[withInterface](), ".I: interface {} (interface) is not supported"},
		"bytes":      {reflect.TypeFor[withBytes](), ".B: []byte"},
		"float32":    {reflect.TypeFor[withFloat32](), ".F: float32 (float32) is not supported"},
		"string opt": {reflect.TypeFor[withStringOpt](), `.N: json option "string" is not supported`},
		"omitzero":   {reflect.TypeFor[withOmitZero](), `json option "omitzero" is not supported`},
		"embedded":   {reflect.TypeFor[withEmbedded](), "embedded fields are not supported"},
		"marshaler":  {reflect.TypeFor[withTime](), ".T: time.Time has its own JSON or text marshaller"},
		"unnamed":    {reflect.TypeFor[struct{ A int }](), "unnamed struct types are not supported"},
		"duplicate": {reflect.StructOf([]reflect.StructField{ // vet refuses it as a literal
			{Name: "A", Type: reflect.TypeFor[int](), Tag: `json:"x"`},
			{Name: "B", Type: reflect.TypeFor[int](), Tag: `json:"x"`},
		}), `JSON name "x" is also A's`},
		"odd key":    {reflect.TypeFor[withOddKey](), `JSON name "a b"`},
		"unexported": {reflect.TypeFor[withUnexported](), ""},
	}
	for name, c := range cases {
		_, err := generate([]reflect.Type{c.typ})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err = %v, want it to say %q", name, err, c.want)
		}
	}
}
