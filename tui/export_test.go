package tui

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
)

// exportTo opens the export prompt, replaces the proposed name with path
// and submits it.
func exportTo(t *testing.T, m Model, path string) Model {
	t.Helper()
	m = keys(t, m, "e")
	for range len(m.input.Value()) {
		m = keys(t, m, "backspace")
	}
	m = typeText(t, m, path)
	return keys(t, m, "enter")
}

func readReport(t *testing.T, path string) cachemodel.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep cachemodel.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s is not a JSON report: %v", path, err)
	}
	return rep
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestExportAsksBeforeReplacing: exporting to an existing file asks; "n"
// (or esc) leaves it as it was, "y" replaces it with the whole report.
func TestExportAsksBeforeReplacing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	const old = "my earlier report\n"
	if err := os.WriteFile(path, []byte(old), 0o640); err != nil {
		t.Fatal(err)
	}
	m := start(t, newTestModel(t, poisonedCDN(), 100, 24, urlA, urlB))
	m.opt.ExportDir = dir

	m = exportTo(t, m, path)
	if m.prompt != promptExportOverwrite || !strings.Contains(m.View(), "report.json exists; replace it? [y/N]") {
		t.Fatalf("no overwrite question:\n%s", m.View())
	}
	if data, _ := os.ReadFile(path); string(data) != old {
		t.Fatalf("the file was written before the answer: %q", data)
	}
	m = typeText(t, m, "n")
	m = keys(t, m, "enter")
	if data, _ := os.ReadFile(path); string(data) != old {
		t.Fatalf("answered n but the file changed: %q", data)
	}
	if !strings.Contains(m.View(), "export cancelled") {
		t.Errorf("no word of the cancel:\n%s", m.View())
	}

	m = exportTo(t, m, path)
	m = keys(t, m, "esc")
	if data, _ := os.ReadFile(path); string(data) != old || m.prompt != promptNone {
		t.Fatalf("esc: file %q, prompt %v", data, m.prompt)
	}

	m = exportTo(t, m, path)
	m = typeText(t, m, "y")
	m = keys(t, m, "enter")
	if rep := readReport(t, path); len(rep.Targets) != 2 {
		t.Fatalf("replaced report has %d targets", len(rep.Targets))
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("the replaced file's mode changed to %v", info.Mode().Perm())
	}
	if !strings.Contains(m.View(), "exported 2 targets to") {
		t.Errorf("export not confirmed:\n%s", m.View())
	}
	noTempFiles(t, dir)
}

// TestFailedExportKeepsTheOldFile: a write that fails half way (a value the
// JSON encoder refuses, after the document has begun) leaves the previous
// report intact and no temporary file. Before, the old file was truncated
// first and a partial document was left.
func TestFailedExportKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	const old = `{"previous":"report"}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	good := cachemodel.TargetReport{URL: urlA, Provider: cachemodel.ProviderUnknown}
	bad := cachemodel.TargetReport{URL: urlB, Provider: cachemodel.ProviderUnknown,
		Variants: []cachemodel.VariantResult{{Label: "(no Origin)", Timing: cachemodel.TimingInfo{TotalMS: math.NaN()}}}}
	err := writeReport(path, []cachemodel.TargetReport{good, bad}, report.Options{Tool: "t", Mode: "observe"}, true)
	if err == nil {
		t.Fatal("writing a NaN timing succeeded")
	}
	if data, _ := os.ReadFile(path); string(data) != old {
		t.Fatalf("the old report was damaged: %q", data)
	}
	noTempFiles(t, dir)
}

// TestExportIntoReadOnlyDirKeepsTheOldFile: the temporary file cannot be
// created; the old report stays and the failure is shown.
func TestExportIntoReadOnlyDirKeepsTheOldFile(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes into a 0500 directory; the NaN test above covers a
		// failed write for root.
		t.Skip("waits for a non-root user: root writes into a 0500 directory; as root (CI) TestFailedExportKeepsTheOldFile fails an export midway and checks the old report survives")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	const old = "old\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	m := start(t, newTestModel(t, poisonedCDN(), 100, 24, urlA, urlB))
	m = exportTo(t, m, path)
	m = typeText(t, m, "y")
	m = keys(t, m, "enter")
	if !strings.Contains(m.View(), "export failed") {
		t.Errorf("no failure shown:\n%s", m.View())
	}
	if data, _ := os.ReadFile(path); string(data) != old {
		t.Fatalf("the old report was damaged: %q", data)
	}
}

// TestExportRefusesSpecialFiles: a FIFO at the export path is never
// replaced (nor opened, which would block).
func TestExportRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, overwrite := range []bool{false, true} {
		err := writeReport(fifo, nil, report.Options{}, overwrite)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("overwrite %v: %v", overwrite, err)
		}
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", err)
	}
}

// TestExportsAreSerialized: while one export is being written, e does not
// start another (two exports to one file used to interleave).
func TestExportsAreSerialized(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	m := start(t, newTestModel(t, poisonedCDN(), 100, 24, urlA, urlB))
	m.opt.ExportDir = dir
	m = keys(t, m, "e")
	for range len(m.input.Value()) {
		m = keys(t, m, "backspace")
	}
	m = typeText(t, m, path)
	// Submit without running the export command: it is "in flight".
	next, pending := m.Update(keyMsg("enter"))
	m = next.(Model)
	if pending == nil {
		t.Fatal("no export command")
	}
	next, _ = m.Update(keyMsg("e"))
	m = next.(Model)
	if m.prompt != promptNone || !strings.Contains(m.View(), "an export is still being written") {
		t.Fatalf("a second export started while the first was in flight (prompt %v):\n%s", m.prompt, m.View())
	}
	m = settle(t, m, pending)
	if rep := readReport(t, path); len(rep.Targets) != 2 {
		t.Fatalf("%d targets", len(rep.Targets))
	}
	// Done: e works again.
	m = keys(t, m, "e")
	if m.prompt != promptExport {
		t.Fatalf("export prompt not opened after the first finished: %v", m.prompt)
	}
}

// The export format follows the file name; a name that names neither is
// refused in the prompt instead of getting JSON under a .txt name.
func TestExportFormatFollowsTheExtension(t *testing.T) {
	dir := t.TempDir()
	m := start(t, newTestModel(t, poisonedCDN(), 100, 24, urlA))
	m.opt.ExportDir = dir
	m = exportTo(t, m, filepath.Join(dir, "report.txt"))
	if m.prompt != promptExport || !strings.Contains(m.View(), "must end in .json or .md") {
		t.Fatalf("a .txt name was not refused:\n%s", m.View())
	}
	if _, err := os.Stat(filepath.Join(dir, "report.txt")); err == nil {
		t.Fatal("report.txt was written")
	}
	m = keys(t, m, "esc")
	m = exportTo(t, m, filepath.Join(dir, "report.md"))
	m = start(t, m)
	data, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.HasPrefix(string(data), "# corscope report") {
		t.Fatalf("report.md is not Markdown (%v): %.80q", err, data)
	}
	m = exportTo(t, m, filepath.Join(dir, "report.JSON"))
	start(t, m)
	if r := readReport(t, filepath.Join(dir, "report.JSON")); len(r.Targets) != 1 {
		t.Fatalf("report.JSON holds %d targets", len(r.Targets))
	}
}
