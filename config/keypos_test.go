package config

import (
	"testing"

	"github.com/BurntSushi/toml"
)

const trickyTOML = `# comment [not.a.table]
title = "a = b # not a comment"   # comment
"quoted key" = 1
'literal.key' = 2
dotted . key = 3
arr = [
  "x]",  # ] inside a string
  [1, 2],
]
ml = """
not_a_key = 1
[not_a_table]
"""
lit = '''
also = "no"
'''
[table . sub]
k = { inner = 1 }
[[arr2]]
a = 1
[[arr2]]
a = 2
[arr2.sub]
b = 3
	tabbed = 4
esc = "quote \" and [bracket"
after = 5
`

func TestScanPositions(t *testing.T) {
	pos := scanPositions([]byte(trickyTOML))
	tests := []struct {
		path      string
		line, col int
	}{
		{"title", 2, 1},
		{`"quoted key"`, 3, 1},
		{`"literal.key"`, 4, 1},
		{"dotted.key", 5, 1},
		{"arr", 6, 1},
		{"ml", 10, 1},
		{"lit", 14, 1},
		{"table.sub", 17, 1},
		{"table.sub.k", 18, 1},
		{"table.sub.k.inner", 18, 1}, // inline tables fall back to their key
		{"arr2[0]", 19, 1},
		{"arr2[0].a", 20, 1},
		{"arr2[1]", 21, 1},
		{"arr2[1].a", 22, 1},
		{"arr2[1].sub", 23, 1},
		{"arr2[1].sub.b", 24, 1},
		{"arr2[1].sub.tabbed", 25, 2},
		{"arr2[1].sub.esc", 26, 1},
		{"arr2[1].sub.after", 27, 1},
		{"arr2[1].sub.missing", 23, 1}, // absent key: its table
	}
	for _, tt := range tests {
		got, ok := pos.lookup(tt.path)
		if !ok || got.line != tt.line || got.col != tt.col {
			t.Errorf("lookup(%q) = %d:%d %v; want %d:%d", tt.path, got.line, got.col, ok, tt.line, tt.col)
		}
	}
	for _, absent := range []string{"not_a_key", "not_a_table", "also", "nowhere"} {
		if kp, ok := pos.lookup(absent); ok {
			t.Errorf("lookup(%q) found %d:%d inside a string", absent, kp.line, kp.col)
		}
	}
	if e, ok := pos.occurrence("arr2.a", 1); !ok || e.path() != "arr2[1].a" || e.pos.line != 22 {
		t.Errorf("second arr2.a = %+v, %v", e, ok)
	}
	if _, ok := pos.occurrence("arr2.a", 2); ok {
		t.Error("found a third arr2.a")
	}
}

// The scanner must see exactly the keys the real parser sees (inline table
// members aside), or positions would be attributed to the wrong key.
func TestScanPositionsAgreesWithParser(t *testing.T) {
	for name, src := range map[string]string{"tricky": trickyTOML, "example": string(readExample(t)), "starter": starter} {
		var v map[string]any
		md, err := toml.Decode(src, &v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pos := scanPositions([]byte(src))
		parsed := map[string]int{}
		for _, k := range md.Keys() {
			parsed[k.String()]++
		}
		for plain, entries := range pos.plain {
			if parsed[plain] != len(entries) {
				t.Errorf("%s: scanner saw %s %d times, parser %d", name, plain, len(entries), parsed[plain])
			}
		}
		for plain, n := range parsed {
			if len(pos.plain[plain]) != n && plain != "table.sub.k.inner" {
				t.Errorf("%s: parser saw %s %d times, scanner %d", name, plain, n, len(pos.plain[plain]))
			}
		}
	}
}

func FuzzScanPositions(f *testing.F) {
	f.Add(trickyTOML)
	f.Add(starter)
	f.Add("a = \"\"\"\nunterminated")
	f.Add("[[")
	f.Add("'''")
	f.Fuzz(func(t *testing.T, src string) {
		pos := scanPositions([]byte(src)) // must not panic or loop on any input
		for _, entries := range pos.plain {
			for _, e := range entries {
				if e.pos.line < 1 || e.pos.col < 1 {
					t.Fatalf("bad position %+v", e)
				}
			}
		}
	})
}
