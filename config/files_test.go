package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLocatePrecedence(t *testing.T) {
	all := map[string]string{
		"CORSCOPE_CONFIG": "/env/corscope.toml",
		"XDG_CONFIG_HOME": "/xdg",
		"HOME":            "/home/u",
	}
	without := func(keys ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	tests := []struct {
		name      string
		flag      string
		env       map[string]string
		want      string
		mustExist bool
		wantErr   bool
	}{
		{"flag wins", "./mine.toml", all, "./mine.toml", true, false},
		{"then CORSCOPE_CONFIG", "", all, "/env/corscope.toml", true, false},
		{"then XDG_CONFIG_HOME", "", without("CORSCOPE_CONFIG"), "/xdg/corscope/config.toml", false, false},
		{"then HOME", "", without("CORSCOPE_CONFIG", "XDG_CONFIG_HOME"), "/home/u/.config/corscope/config.toml", false, false},
		{"relative XDG is ignored", "", map[string]string{"XDG_CONFIG_HOME": "rel/dir", "HOME": "/home/u"}, "/home/u/.config/corscope/config.toml", false, false},
		{"empty CORSCOPE_CONFIG is unset", "", map[string]string{"CORSCOPE_CONFIG": "", "HOME": "/home/u"}, "/home/u/.config/corscope/config.toml", false, false},
		{"nothing at all", "", map[string]string{}, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, must, err := Locate(tt.flag, fakeEnv(tt.env))
			if got != tt.want || must != tt.mustExist || (err != nil) != tt.wantErr {
				t.Fatalf("Locate = %q, %v, %v; want %q, %v, err=%v", got, must, err, tt.want, tt.mustExist, tt.wantErr)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	cfg, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != path+": no such file" {
		t.Fatalf("Load(missing) error = %v", err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("Load(missing) should return Default(), got %+v", cfg)
	}
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || err.Error() != dir+": not a regular file (a directory); a config file must be a regular file" {
		t.Fatalf("Load(dir) error = %v", err)
	}
}

func TestDiscover(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}

	// No file in the default place: defaults, no error.
	cfg, err := Discover("", fakeEnv(env))
	if err != nil || !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("Discover with no file = %+v, %v", cfg, err)
	}
	// No location at all: defaults too.
	if cfg, err := Discover("", fakeEnv(nil)); err != nil || !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("Discover with no HOME = %+v, %v", cfg, err)
	}

	// A file the user named must exist.
	missing := filepath.Join(home, "missing.toml")
	if _, err := Discover(missing, fakeEnv(env)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Discover(--config missing) error = %v", err)
	}
	env["CORSCOPE_CONFIG"] = missing
	if _, err := Discover("", fakeEnv(env)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Discover($CORSCOPE_CONFIG missing) error = %v", err)
	}
	delete(env, "CORSCOPE_CONFIG")

	// The default file is read when present, and its errors are reported.
	def := filepath.Join(home, ".config", "corscope", "config.toml")
	if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(def, []byte("theme = \"mono\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Discover("", fakeEnv(env))
	if err != nil || cfg.Theme != "mono" || cfg.Source != def {
		t.Fatalf("Discover(default file) = %q from %q, %v", cfg.Theme, cfg.Source, err)
	}
	if err := os.WriteFile(def, []byte("theme = \"nope\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Discover("", fakeEnv(env)); err == nil {
		t.Fatal("an invalid default file must be an error")
	}
}

func TestWriteStarter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "corscope", "config.toml")
	if err := WriteStarter(path, false); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, StarterFile(), 0o600)
	info, err := os.Stat(filepath.Dir(path))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("parent dir mode = %v, %v; want 0700", info.Mode().Perm(), err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("written starter does not load: %v", err)
	}

	// Never over an existing file without force.
	mine := []byte("theme = \"dark\"\n")
	if err := os.WriteFile(path, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // WriteFile keeps an existing file's mode
		t.Fatal(err)
	}
	err = WriteStarter(path, false)
	if !errors.Is(err, fs.ErrExist) || err.Error() != path+": already exists; use --force to overwrite it" {
		t.Fatalf("WriteStarter over existing file error = %v", err)
	}
	assertFile(t, path, mine, 0o644)

	// With force it is replaced, and made private.
	if err := WriteStarter(path, true); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, StarterFile(), 0o600)
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".corscope-config-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}

	// Force never replaces a directory.
	if err := WriteStarter(dir, true); err == nil || err.Error() != dir+": is not a regular file (a directory); refusing to replace it" {
		t.Fatalf("WriteStarter(dir, force) error = %v", err)
	}
}

func assertFile(t *testing.T, path string, want []byte, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(want) {
		t.Fatalf("%s content = %q, %v", path, got, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != mode {
		t.Fatalf("%s mode = %04o, want %04o", path, info.Mode().Perm(), mode)
	}
}

func TestPermissionWarning(t *testing.T) {
	dir := t.TempDir()
	withPurge := filepath.Join(dir, "purge.toml")
	noPurge := filepath.Join(dir, "plain.toml")
	purgeText := "[[purge]]\nprovider = \"http\"\n"
	if err := os.WriteFile(withPurge, []byte(purgeText), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noPurge, []byte("theme = \"dark\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(p string) Config {
		cfg, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	if w := load(withPurge).PermissionWarning(); w != "" {
		t.Fatalf("0600 file warned: %s", w)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		if err := os.Chmod(withPurge, mode); err != nil {
			t.Fatal(err)
		}
		want := "warning: " + withPurge + " is readable by other users (mode " + octal(mode) + ") and configures [[purge]]; run: chmod 600 " + withPurge
		if w := load(withPurge).PermissionWarning(); w != want {
			t.Fatalf("mode %04o: warning = %q\nwant %q", mode, w, want)
		}
	}
	if w := load(noPurge).PermissionWarning(); w != "" {
		t.Fatalf("file without [[purge]] warned: %s", w)
	}
	if w := Default().PermissionWarning(); w != "" {
		t.Fatalf("defaults warned: %s", w)
	}
}

func octal(m os.FileMode) string {
	const digits = "01234567"
	p := uint32(m.Perm())
	return string([]byte{'0', digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}
