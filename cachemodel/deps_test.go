package cachemodel

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsNoCorscopePackage keeps cachemodel at the bottom of the
// layers: pure model code that imports no other corscope package. Escaping
// for the terminal (internal/termsafe) happens where text is shown, in cmd,
// the report writers and the TUI (issue 13, item 6).
func TestImportsNoCorscopePackage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "github.com/corscope/corscope" || strings.HasPrefix(path, "github.com/corscope/corscope/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}
