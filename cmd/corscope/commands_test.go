package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// Commands are registered in one explicit list (newRootCmd), not by init
// hooks that each file appends to: no non-test file of the package has an
// init function, and the root command has exactly the commands listed.
func TestCommandsAreRegisteredExplicitly(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: func init at %s: register commands in newRootCmd instead", name, fset.Position(fn.Pos()))
			}
		}
	}
	a := &app{stdout: &strings.Builder{}, stderr: &strings.Builder{}, getenv: func(string) string { return "" }}
	var got []string
	for _, c := range a.newRootCmd().Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			got = append(got, c.Name())
		}
	}
	slices.Sort(got)
	if want := []string{"check", "config", "demo", "purge", "tui", "version", "view"}; !slices.Equal(got, want) {
		t.Errorf("root commands %q, want %q", got, want)
	}
}
