package themes

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func renderer(profile termenv.Profile, dark bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(dark)
	return r
}

// allStyles walks Styles by reflection so a newly added style is covered by
// every test that uses it.
func allStyles(t *testing.T, s Styles) map[string]lipgloss.Style {
	t.Helper()
	out := map[string]lipgloss.Style{}
	styleType := reflect.TypeOf(lipgloss.Style{})
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), prefix+v.Type().Field(i).Name
			switch {
			case f.Type() == styleType:
				out[name] = f.Interface().(lipgloss.Style)
			case f.Kind() == reflect.Struct:
				walk(name+".", f)
			default:
				t.Fatalf("Styles field %s has unexpected type %s", name, f.Type())
			}
		}
	}
	walk("", reflect.ValueOf(s))
	if len(out) < 40 {
		t.Fatalf("found only %d styles; walker is broken", len(out))
	}
	return out
}

func TestEveryBuiltinSetsEverySlot(t *testing.T) {
	fields := reflect.TypeOf(Palette{}).NumField()
	if got := len(SlotNames()); got != fields {
		t.Fatalf("SlotNames has %d names for %d Palette fields", got, fields)
	}
	for _, name := range Names() {
		p, ok := Builtin(name)
		if !ok {
			t.Fatalf("Builtin(%q) not found though Names lists it", name)
		}
		v := reflect.ValueOf(p)
		for i := range v.NumField() {
			if v.Field(i).IsNil() {
				t.Errorf("theme %q: slot %s is unset", name, v.Type().Field(i).Name)
			}
		}
		for _, slot := range SlotNames() {
			if c, ok := p.Slot(slot); !ok || c == nil {
				t.Errorf("theme %q: Slot(%q) = %v, %v", name, slot, c, ok)
			}
		}
	}
}

func TestSlotNamesAreSnakeCaseAndUnique(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	for _, n := range SlotNames() {
		if !snake.MatchString(n) {
			t.Errorf("slot %q is not snake_case", n)
		}
		if seen[n] {
			t.Errorf("slot %q listed twice", n)
		}
		seen[n] = true
	}
	for _, want := range []string{"text", "selection", "diff", "problem", "severity_high", "severity_info"} {
		if !seen[want] {
			t.Errorf("slot %q missing", want)
		}
	}
}

func TestBuiltinLookup(t *testing.T) {
	if got := Names(); !reflect.DeepEqual(got, []string{"default", "dark", "light", "high-contrast", "mono"}) {
		t.Fatalf("Names() = %v", got)
	}
	Names()[0] = "mutated"
	if Names()[0] != "default" {
		t.Fatal("Names shares its backing array")
	}
	for _, bad := range []string{"", "Dark", "solarized", "high_contrast"} {
		if _, ok := Builtin(bad); ok {
			t.Errorf("Builtin(%q) found a theme", bad)
		}
	}
	p, _ := Builtin("dark")
	p.Hit = lipgloss.Color("#000000")
	if again, _ := Builtin("dark"); again.Hit == p.Hit {
		t.Fatal("Builtin returned a shared palette")
	}
}

func TestLightAndDarkAreTheHalvesOfDefault(t *testing.T) {
	def, _ := Builtin("default")
	dark, _ := Builtin("dark")
	light, _ := Builtin("light")
	for _, slot := range SlotNames() {
		d, _ := def.Slot(slot)
		ac, ok := d.(lipgloss.AdaptiveColor)
		if !ok {
			t.Fatalf("default slot %s is %T, want AdaptiveColor", slot, d)
		}
		if c, _ := dark.Slot(slot); c != lipgloss.Color(ac.Dark) {
			t.Errorf("dark %s = %v, default dark half = %v", slot, c, ac.Dark)
		}
		if c, _ := light.Slot(slot); c != lipgloss.Color(ac.Light) {
			t.Errorf("light %s = %v, default light half = %v", slot, c, ac.Light)
		}
	}
	// The adaptive theme must actually change with the background.
	hitDark := NewStyles(renderer(termenv.TrueColor, true), def).Cache.Hit.Render("HIT")
	hitLight := NewStyles(renderer(termenv.TrueColor, false), def).Cache.Hit.Render("HIT")
	if hitDark == hitLight {
		t.Fatalf("default theme renders HIT the same on dark and light: %q", hitDark)
	}
}

func TestAsciiProfileRendersNoEscapes(t *testing.T) {
	for _, name := range Names() {
		p, _ := Builtin(name)
		s := NewStyles(renderer(termenv.Ascii, true), p)
		for field, st := range allStyles(t, s) {
			out := st.Render("HIT")
			if strings.Contains(out, "\x1b") {
				t.Errorf("%s: %s renders escapes under Ascii: %q", name, field, out)
			}
			if !strings.Contains(out, "HIT") {
				t.Errorf("%s: %s lost the text: %q", name, field, out)
			}
		}
	}
}

func TestMonoUsesNoColourEvenOnTrueColour(t *testing.T) {
	p, _ := Builtin("mono")
	s := NewStyles(renderer(termenv.TrueColor, true), p)
	colour := regexp.MustCompile(`\x1b\[[0-9;]*(38|48);`)
	for field, st := range allStyles(t, s) {
		if out := st.Render("x"); colour.MatchString(out) {
			t.Errorf("mono %s sets a colour: %q", field, out)
		}
	}
	if !s.Targets.Selected.GetReverse() || !s.Matrix.Selected.GetReverse() {
		t.Error("mono selection must use reverse video, having no background colour")
	}
	dark, _ := Builtin("dark")
	if NewStyles(nil, dark).Targets.Selected.GetReverse() {
		t.Error("coloured selection should use the Selection background, not reverse")
	}
}

func TestColouredThemesDoColour(t *testing.T) {
	for _, name := range []string{"default", "dark", "light", "high-contrast"} {
		p, _ := Builtin(name)
		s := NewStyles(renderer(termenv.TrueColor, true), p)
		if out := s.Cache.Hit.Render("HIT"); !strings.Contains(out, "\x1b[") {
			t.Errorf("%s: HIT rendered without colour: %q", name, out)
		}
	}
}

func TestNewStylesIsFreshEachCall(t *testing.T) {
	r := renderer(termenv.TrueColor, true)
	dark, _ := Builtin("dark")
	first := NewStyles(r, dark)
	before := first.Cache.Hit.Render("HIT")
	custom := dark
	custom.Hit = lipgloss.Color("#123456")
	second := NewStyles(r, custom)
	if first.Cache.Hit.Render("HIT") != before {
		t.Fatal("building new styles changed an earlier Styles value")
	}
	if second.Cache.Hit.Render("HIT") == before {
		t.Fatal("the new palette had no effect")
	}
	// A hand-built palette with gaps must not panic.
	_ = NewStyles(r, Palette{Hit: lipgloss.Color("2")}).Targets.Selected.Render("x")
}

// TestClass: every class name maps to its own style, the ones that are
// told apart by colour look different, and an unknown name is plain text.
// Which cachemodel value gets which class is tested in cachemodel; that
// every class cachemodel declares is known here, in the TUI's tests.
func TestClass(t *testing.T) {
	dark, _ := Builtin("dark")
	s := NewStyles(renderer(termenv.TrueColor, true), dark)
	want := map[string]lipgloss.Style{
		"neutral": s.Text, "muted": s.Muted, "accent": s.Accent,
		"good": s.Verdict.Allowed, "bad": s.Verdict.Blocked, "error": s.Error, "problem": s.Matrix.Problem,
		"hit": s.Cache.Hit, "miss": s.Cache.Miss, "stale": s.Cache.Stale, "bypass": s.Cache.Bypass,
		"high": s.Severity.High, "medium": s.Severity.Medium, "low": s.Severity.Low, "info": s.Severity.Info,
	}
	names := ClassNames()
	if len(names) != len(want) {
		t.Fatalf("ClassNames() = %v, want the %d names of this test", names, len(want))
	}
	for _, n := range names {
		w, ok := want[n]
		if !ok {
			t.Fatalf("class %q is not in this test", n)
		}
		if got := s.Class(n).Render("X"); got != w.Render("X") {
			t.Errorf("Class(%q) renders %q, want %q", n, got, w.Render("X"))
		}
	}
	if got := s.Class("bogus").Render("X"); got != s.Text.Render("X") {
		t.Errorf("an unknown class renders %q, want plain text %q", got, s.Text.Render("X"))
	}
	// Groups whose members are told apart by colour must look different.
	for _, group := range [][]string{{"hit", "miss", "stale", "bypass", "muted"}, {"high", "medium", "low", "info"}, {"good", "bad", "muted"}} {
		seen := map[string]string{}
		for _, n := range group {
			out := s.Class(n).Render("X")
			if other, dup := seen[out]; dup {
				t.Errorf("classes %s and %s render identically", n, other)
			}
			seen[out] = n
		}
	}
}

// TestImportsNoCachemodel: themes maps class names to styles without
// importing cachemodel (and cachemodel imports no corscope package, see its
// TestImportsNoCorscopePackage), so the model and the colours never depend
// on each other. Test files are checked too.
func TestImportsNoCachemodel(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "github.com/corscope/corscope/cachemodel" || strings.HasPrefix(path, "github.com/corscope/corscope/cachemodel/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}

func TestParseColor(t *testing.T) {
	good := []struct {
		in   string
		want lipgloss.TerminalColor
	}{
		{"#ff8800", lipgloss.Color("#ff8800")},
		{"#FF8800", lipgloss.Color("#ff8800")},
		{"0", lipgloss.ANSIColor(0)},
		{"2", lipgloss.ANSIColor(2)},
		{"255", lipgloss.ANSIColor(255)},
	}
	for _, tt := range good {
		got, err := ParseColor(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseColor(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	bad := map[string]string{
		"#ff88":   `"#ff88" is not a colour: hex colours have 6 digits; want "#rrggbb" or an ANSI colour number 0-255`,
		"#gg0000": `"#gg0000" is not a colour: bad hex digit; want "#rrggbb" or an ANSI colour number 0-255`,
		"#+f0000": `"#+f0000" is not a colour: bad hex digit; want "#rrggbb" or an ANSI colour number 0-255`,
		"256":     `"256" is not a colour: ANSI numbers run from 0 to 255; want "#rrggbb" or an ANSI colour number 0-255`,
		"-1":      `"-1" is not a colour: ANSI numbers run from 0 to 255; want "#rrggbb" or an ANSI colour number 0-255`,
		"007":     `"007" is not a colour: ANSI numbers run from 0 to 255; want "#rrggbb" or an ANSI colour number 0-255`,
		"orange":  `"orange" is not a colour; want "#rrggbb" or an ANSI colour number 0-255`,
		"":        `"" is not a colour; want "#rrggbb" or an ANSI colour number 0-255`,
	}
	for in, want := range bad {
		if _, err := ParseColor(in); err == nil || err.Error() != want {
			t.Errorf("ParseColor(%q) error = %v\nwant %s", in, err, want)
		}
	}
}

func TestCustomResolve(t *testing.T) {
	p, err := Custom{Base: "dark", Colors: map[string]string{"accent": "#FF8800", "hit": "2"}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	dark, _ := Builtin("dark")
	if p.Accent != lipgloss.Color("#ff8800") || p.Hit != lipgloss.ANSIColor(2) {
		t.Fatalf("overrides not applied: accent=%v hit=%v", p.Accent, p.Hit)
	}
	if p.Miss != dark.Miss || p.SeverityHigh != dark.SeverityHigh {
		t.Fatal("untouched slots should keep the base theme's colours")
	}
	if again, _ := Builtin("dark"); again.Accent == p.Accent {
		t.Fatal("Resolve modified the built-in theme")
	}

	// An empty base means default.
	p, err = Custom{Colors: map[string]string{"severity_high": "196"}}.Resolve()
	def, _ := Builtin("default")
	if err != nil || p.SeverityHigh != lipgloss.ANSIColor(196) || p.Text != def.Text {
		t.Fatalf("empty base: %v, %v", p.SeverityHigh, err)
	}
}

func TestCustomResolveErrors(t *testing.T) {
	tests := []struct {
		name   string
		custom Custom
		slot   string
		want   string
	}{
		{"typo slot", Custom{Colors: map[string]string{"acent": "#ff8800"}}, "acent",
			`theme slot "acent": unknown palette slot (did you mean "accent"?)`},
		{"typo slot with bad colour reports the name", Custom{Colors: map[string]string{"acent": "orange"}}, "acent",
			`theme slot "acent": unknown palette slot (did you mean "accent"?)`},
		{"unrelated slot", Custom{Colors: map[string]string{"background": "1"}}, "background",
			`theme slot "background": unknown palette slot`},
		{"severity typo", Custom{Colors: map[string]string{"severity_hihg": "1"}}, "severity_hihg",
			`theme slot "severity_hihg": unknown palette slot (did you mean "severity_high"?)`},
		{"bad colour", Custom{Colors: map[string]string{"hit": "green"}}, "hit",
			`theme slot "hit": "green" is not a colour; want "#rrggbb" or an ANSI colour number 0-255`},
		{"first error in name order", Custom{Colors: map[string]string{"warn": "x", "error": "y"}}, "error",
			`theme slot "error": "y" is not a colour; want "#rrggbb" or an ANSI colour number 0-255`},
		{"base typo", Custom{Base: "drak"}, "base",
			`theme slot "base": unknown base theme "drak" (did you mean "dark"?); built-ins are default, dark, light, high-contrast, mono`},
		{"base unknown", Custom{Base: "solarized"}, "base",
			`theme slot "base": unknown base theme "solarized"; built-ins are default, dark, light, high-contrast, mono`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.custom.Resolve()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
			var se *SlotError
			if !errors.As(err, &se) || se.Slot != tt.slot {
				t.Fatalf("want *SlotError for slot %q, got %#v", tt.slot, err)
			}
		})
	}
}

// TestEveryStyleIsRead: a style slot nothing reads is dead weight that a
// theme author would still tune (issue 13, item 8). Every field of Styles
// must be read somewhere outside NewStyles: by the TUI, cmd, the report
// writers, or Class here. Assignments do not count as reads.
func TestEveryStyleIsRead(t *testing.T) {
	read := map[string]bool{} // "Header.Title", "Text", ...
	var files []string
	for _, dir := range []string{".", "../tui", "../cmd/corscope", "../internal/report"} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(fs) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		files = append(files, fs...)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var visit func(n ast.Node) bool
		visit = func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for _, e := range n.Rhs {
					ast.Inspect(e, visit)
				}
				return false
			case *ast.SelectorExpr:
				read[n.Sel.Name] = true
				if inner, ok := n.X.(*ast.SelectorExpr); ok {
					read[inner.Sel.Name+"."+n.Sel.Name] = true
				}
			}
			return true
		}
		ast.Inspect(f, visit)
	}
	st := reflect.TypeOf(Styles{})
	styleType := reflect.TypeOf(lipgloss.Style{})
	checked := 0
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Type == styleType || f.Type.PkgPath() != st.PkgPath() {
			checked++
			if !read[f.Name] {
				t.Errorf("Styles.%s is never read", f.Name)
			}
			continue
		}
		for j := range f.Type.NumField() {
			path := f.Name + "." + f.Type.Field(j).Name
			checked++
			if !read[path] {
				t.Errorf("Styles.%s is never read", path)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d styles checked", checked)
	}
}
