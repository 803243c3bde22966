//go:build unix

package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadWithin runs Load and fails the test if it does not return within d:
// a FIFO used to block Load forever.
func loadWithin(t *testing.T, path string, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(path)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("Load(%s) still blocked after %s", path, d)
		return nil
	}
}

func TestLoadRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	err := loadWithin(t, path, 5*time.Second)
	if err == nil || err.Error() != path+": not a regular file (a FIFO); a config file must be a regular file" {
		t.Fatalf("Load(fifo) error = %v", err)
	}
	// A symbolic link to the FIFO is refused too.
	link := filepath.Join(t.TempDir(), "link.toml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := loadWithin(t, link, 5*time.Second); err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
		t.Fatalf("Load(link to fifo) error = %v", err)
	}
}

func TestLoadRefusesDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		if runtime.GOOS == "linux" {
			t.Fatalf("no /dev/zero on Linux: %v", err)
		}
		t.Skipf("waits for /dev/zero (an endless character device), which %s lacks", runtime.GOOS)
	}
	err := loadWithin(t, "/dev/zero", 5*time.Second)
	if err == nil || err.Error() != "/dev/zero: not a regular file (a character device); a config file must be a regular file" {
		t.Fatalf("Load(/dev/zero) error = %v", err)
	}
}

func TestLoadCapsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.toml")
	// A valid file (one long comment) just over the cap.
	big := "# " + strings.Repeat("x", MaxFileBytes) + "\n"
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != path+": larger than 1024 KiB, the limit for a config file; is it the right file?" {
		t.Fatalf("Load(big) error = %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
	// Just under the cap it is read.
	if err := os.WriteFile(path, []byte(big[:MaxFileBytes-1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("Load(file under the cap) = %v", err)
	}
}

func TestLoadRefusesDeepNesting(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"arrays":  "origins = " + strings.Repeat("[", 500_000) + "\n",
		"tables":  "probe = " + strings.Repeat("{a = ", 200_000) + "\n",
		"balance": "origins = " + strings.Repeat("[", 65) + strings.Repeat("]", 65) + "\n",
	} {
		path := filepath.Join(dir, name+".toml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+":1:") || !strings.HasSuffix(err.Error(), ": arrays and inline tables nest deeper than 64 levels") {
			t.Fatalf("%s: Load error = %v", name, err)
		}
	}
	// Dotted keys: the decoder's time grows with the square of their
	// length (20,000 parts took 45 s).
	for name, body := range map[string]string{
		"dotted": strings.Repeat("a.", 200_000) + "a = 1\n",
		"header": "[" + strings.Repeat("a.", 200_000) + "a]\n",
	} {
		path := filepath.Join(dir, name+".toml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := Load(path)
		if err == nil || !strings.HasSuffix(err.Error(), ": a dotted key has more than 64 parts") || len(err.Error()) > 200 {
			t.Fatalf("%s: Load error = %.200v", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s: Load took %s", name, d)
		}
	}
	// Ordinary dots still pass: floats, times, a few key parts.
	ok := "[probe]\nrate = 1.5\n[policy]\nallow = [\"https://a.b.example.com\"]\n"
	if _, err := Parse([]byte(ok), "f"); err != nil {
		t.Fatalf("Parse(ok) = %v", err)
	}
}

func TestNestingIgnoresStringsAndComments(t *testing.T) {
	deep := strings.Repeat("[{", 100)
	for _, s := range []string{
		`a = "` + deep + `"`,
		`a = "\"` + deep + `"`,
		`a = '` + deep + `'`,
		"a = \"\"\"\n" + deep + "\n\"\"\"",
		"a = '''\n" + deep + "\n'''",
		"# " + deep,
		"a = [[[1]]] # " + deep,
		`a = ["x]]]]", [1]]`,
	} {
		if err := checkNesting([]byte(s), "f"); err != nil {
			t.Errorf("checkNesting(%q) = %v", s, err)
		}
	}
	if err := checkNesting([]byte("a = \"\"\"x\"\"\"\nb = "+deep), "f"); err == nil || !strings.HasPrefix(err.Error(), "f:2:") {
		t.Errorf("after a multi-line string: %v", err)
	}
	if err := checkNesting([]byte("a = \"unterminated\nb = "+deep), "f"); err == nil {
		t.Error("an unterminated string hid the nesting of the next line")
	}
}

func TestLoadFollowsSymlinkToRegularFile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.toml")
	if err := os.WriteFile(real, []byte("[probe]\nrounds = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(link)
	if err != nil || cfg.Probe.Rounds != 3 {
		t.Fatalf("Load(symlink) = %+v, %v", cfg.Probe, err)
	}
}

func TestWriteStarterForceRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteStarter(fifo, true)
	if err == nil || err.Error() != fifo+": is not a regular file (a FIFO); refusing to replace it" {
		t.Fatalf("WriteStarter(fifo, force) = %v", err)
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", info.Mode(), err)
	}
	// A link to a device node: the device stays, nothing is written.
	if _, err := os.Stat("/dev/null"); err == nil {
		link := filepath.Join(dir, "null.toml")
		if err := os.Symlink("/dev/null", link); err != nil {
			t.Fatal(err)
		}
		err := WriteStarter(link, true)
		if err == nil || err.Error() != link+": is not a regular file (a character device); refusing to replace it" {
			t.Fatalf("WriteStarter(link to /dev/null, force) = %v", err)
		}
		if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", info.Mode(), err)
		}
	}
	// A link to a regular file: the file it points to is replaced, the link stays.
	real := filepath.Join(dir, "real.toml")
	if err := os.WriteFile(real, []byte("# mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteStarter(link, true); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v %v", info.Mode(), err)
	}
	assertFile(t, real, StarterFile(), 0o600)
}
